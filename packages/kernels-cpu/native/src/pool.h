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

}  // namespace fp8lm
