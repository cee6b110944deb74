// A fixed set of threads for blocking work (slow hashes, PAM, synchronous
// client libraries), fed by a bounded queue.
//
// The dispatcher never waits here: try_submit() refuses work when the queue
// is full, and the caller answers that request as overloaded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace authd {

class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t max_queued);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // stop(), then join the threads that are not detached

  // Queue a job; false when the queue is full or the pool is stopping.
  bool try_submit(std::function<void()> job);

  // Drop queued jobs and let the threads end after their current job.
  void stop();

  // Wait up to `limit` for every thread to end; true if they all did. If not,
  // the remaining threads are detached (a job is stuck in a blocking call):
  // they keep the pool's shared state alive on their own, but whatever their
  // job uses must outlive them, so the caller should end the process.
  bool join_for(std::chrono::milliseconds limit);

  std::size_t threads() const noexcept { return threads_.size(); }
  std::size_t queued() const;

 private:
  // Shared with the threads, so that a detached thread never touches freed memory.
  struct State {
    std::size_t max_queued;
    std::mutex mutex;
    std::condition_variable work_ready;
    std::condition_variable thread_ended;
    std::deque<std::function<void()>> queue;
    std::size_t running_threads = 0;
    bool stopping = false;
  };
  static void run(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace authd
