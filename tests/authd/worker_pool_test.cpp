#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "authd/worker_pool.hpp"

namespace authd {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, RunsJobsOnItsThreads) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(2, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.try_submit([&] { ++done; }));
    while (done < 50) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(done, 50);
}

TEST(WorkerPool, RefusesWorkPastItsBound) {
  WorkerPool pool(1, 2);
  std::atomic<bool> release{false};
  ASSERT_TRUE(pool.try_submit([&] { while (!release) std::this_thread::sleep_for(1ms); }));
  while (pool.queued() != 0) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(pool.try_submit([] {}));
  EXPECT_TRUE(pool.try_submit([] {}));
  EXPECT_FALSE(pool.try_submit([] {}));
  release = true;
}

TEST(WorkerPool, JoinForGivesUpOnAStuckJob) {
  auto pool = std::make_unique<WorkerPool>(1, 2);
  std::atomic<bool> release{false};
  std::atomic<bool> ended{false};
  ASSERT_TRUE(pool->try_submit([&] {
    while (!release) std::this_thread::sleep_for(1ms);
  }));
  while (pool->queued() != 0) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(pool->join_for(50ms));
  EXPECT_FALSE(pool->try_submit([] {}));  // stopped
  release = true;
  // The detached thread still uses the pool's state on its way out.
  std::this_thread::sleep_for(50ms);
  (void)ended;
}

TEST(WorkerPool, JoinForJoinsIdleThreads) {
  WorkerPool pool(3, 10);
  EXPECT_TRUE(pool.join_for(1000ms));
}

}  // namespace
}  // namespace authd
