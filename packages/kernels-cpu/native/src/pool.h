// The addon's thread pool: one worker per core beyond the first; the calling thread works too.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>

namespace fp8lm {

// Serializes the ops that use the pool (and their scratch buffers): an op holds it for its whole
// call, so calls from several JS threads (worker_threads) are safe, one after the other.
std::mutex& pool_mutex();

// Runs f(id) on the calling thread (id 0) and on up to threads - 1 workers (ids 1..threads-1),
// and returns once every participant is done. A worker may join late or not at all, so f must take
// its work from shared counters (see for_chunks), never split it by id. Hold pool_mutex().
void parallel(int threads, const std::function<void(int)>& f);

// Takes chunks [lo, hi) of [0, n) from `next` until none are left, calling fn(lo, hi) for each.
template <typename Fn>
inline void for_chunks(std::atomic<long>& next, long n, long chunk, Fn&& fn) {
  for (long lo; (lo = next.fetch_add(chunk, std::memory_order_relaxed)) < n;) {
    fn(lo, lo + chunk < n ? lo + chunk : n);
  }
}

// Runs body(id, lo, hi) over chunks of `chunk` elements of [0, n) on the pool (on the calling thread
// alone below kParallelMin elements), holding pool_mutex() for the whole call. `id` is the participant
// (0 .. threads - 1), for per-participant partial results.
constexpr long kElementChunk = 1 << 14;
constexpr long kParallelMin = 1 << 15;

template <typename Body>
void for_all_chunks(long n, long chunk, int threads, Body&& body) {
  std::lock_guard<std::mutex> lock(pool_mutex());
  std::atomic<long> next{0};
  parallel(n < kParallelMin ? 1 : threads,
           [&](int id) { for_chunks(next, n, chunk, [&](long lo, long hi) { body(id, lo, hi); }); });
}

template <typename Body>
void for_all(long n, int threads, Body&& body) {
  for_all_chunks(n, kElementChunk, threads, body);
}

}  // namespace fp8lm
