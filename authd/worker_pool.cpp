#include "authd/worker_pool.hpp"

namespace authd {

WorkerPool::WorkerPool(std::size_t threads, std::size_t max_queued) : state_(std::make_shared<State>()) {
  state_->max_queued = max_queued;
  state_->running_threads = threads;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([state = state_] { run(state); });
}

WorkerPool::~WorkerPool() {
  stop();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

bool WorkerPool::try_submit(std::function<void()> job) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping || state_->queue.size() >= state_->max_queued) return false;
    state_->queue.push_back(std::move(job));
  }
  state_->work_ready.notify_one();
  return true;
}

void WorkerPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    dropped.swap(state_->queue);
  }
  state_->work_ready.notify_all();
}

bool WorkerPool::join_for(std::chrono::milliseconds limit) {
  stop();
  std::unique_lock lock(state_->mutex);
  const bool all_ended = state_->thread_ended.wait_for(lock, limit, [&] { return state_->running_threads == 0; });
  lock.unlock();
  for (auto& thread : threads_) {
    if (!thread.joinable()) continue;
    if (all_ended) thread.join();
    else thread.detach();
  }
  return all_ended;
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(state_->mutex);
  return state_->queue.size();
}

void WorkerPool::run(const std::shared_ptr<State>& state) {
  std::unique_lock lock(state->mutex);
  for (;;) {
    state->work_ready.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
    if (state->stopping) break;
    auto job = std::move(state->queue.front());
    state->queue.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // release what the job holds (secrets) before waiting again
    lock.lock();
  }
  --state->running_threads;
  state->thread_ended.notify_all();
}

}  // namespace authd
