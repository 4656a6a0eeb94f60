// The addon's thread pool (see pool.h).
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FP8LM_PAUSE() _mm_pause()
#else
#define FP8LM_PAUSE() std::this_thread::yield()
#endif

namespace fp8lm {
namespace {

// ---------------------------------------------------------------------------------------------
// Thread pool: the caller is thread 0; workers spin briefly, then sleep on a condition variable.

class Pool {
 public:
  explicit Pool(int size) : size_(size) {
    for (int id = 1; id < size; id++) std::thread([this, id] { loop(id); }).detach();
  }

  int size() const { return size_; }

  // Runs f(id) on the calling thread (id 0) and on the workers (ids 1..n-1) that join in time, and
  // returns once the caller is done and no worker is inside f. `f` must take its work from shared
  // counters, so that whatever a late (or absent) worker does not take, the others do: a worker that a
  // busy machine deschedules then costs nothing, where a fixed split would wait for it.
  void run(int n, const std::function<void(int)>& f) {
    n = std::min(n, size_);
    if (n <= 1) {
      f(0);
      return;
    }
    job_ = &f;  // written while closed: no worker is inside, none can enter
    active_ = n;
    state_.store(0, std::memory_order_release);  // open
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    f(0);
    // Close, then wait for the workers that are inside (they are finishing their last chunk).
    state_.fetch_or(kClosed, std::memory_order_acq_rel);
    for (int spins = 0; (state_.load(std::memory_order_acquire) & ~kClosed) != 0; spins++) {
      if (spins < 4096) {
        FP8LM_PAUSE();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  static constexpr uint32_t kClosed = 0x80000000u;

  void loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      // Spin up to ~200 µs for the next run (GEMMs come in bursts), then sleep.
      auto start = std::chrono::steady_clock::now();
      for (int spins = 0; generation_.load(std::memory_order_acquire) == seen; spins++) {
        FP8LM_PAUSE();
        if ((spins & 255) == 255 &&
            std::chrono::steady_clock::now() - start > std::chrono::microseconds(200)) {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
          break;
        }
      }
      seen = generation_.load(std::memory_order_acquire);
      // Enter unless the run is already closed.
      uint32_t s = state_.load(std::memory_order_acquire);
      while ((s & kClosed) == 0) {
        if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
          if (id < active_) (*job_)(id);
          state_.fetch_sub(1, std::memory_order_release);
          break;
        }
      }
    }
  }

  const int size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint32_t> state_{kClosed};  // kClosed bit | number of workers inside the current run
  const std::function<void(int)>* job_ = nullptr;
  int active_ = 0;
};

// One pool per process, created on first use (under pool_mutex) and never destroyed: its threads
// sleep until the process exits.
Pool* pool = nullptr;

Pool& get_pool(int threads) {
  if (pool == nullptr || pool->size() < threads) {
    // A bigger pool replaces a smaller one; the old one's threads keep sleeping (rare: tests only).
    pool = new Pool(threads);
  }
  return *pool;
}

}  // namespace

std::mutex& pool_mutex() {
  static std::mutex m;
  return m;
}

void parallel(int threads, const std::function<void(int)>& f) {
  if (threads <= 1) {
    f(0);
    return;
  }
  get_pool(threads).run(threads, f);
}

}  // namespace fp8lm
