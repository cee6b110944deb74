// The lockout counters, on a store of their own.
#include <thread>

#include "host_test_support.hpp"

#include "host/login/lockout.hpp"

namespace authd::host {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

LockoutPolicy policy(std::int64_t limit, std::chrono::milliseconds window, std::int64_t size = 1000) {
  return {limit, window, size};
}

void fail(Lockout& lockout, const std::string& name, const LockoutPolicy& p) {
  auto slot = lockout.reserve(name, p);
  ASSERT_TRUE(slot.admitted()) << name;
  slot.finish(LoginOutcome::Failure);
}

TEST(Lockout, NFailuresSuspendForTThenLift) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const auto p = policy(3, 600ms);
  fail(lockout, "alice@example.com", p);
  fail(lockout, "alice@example.com", p);
  EXPECT_FALSE(lockout.locked("alice@example.com"));
  fail(lockout, "alice@example.com", p);
  EXPECT_TRUE(lockout.locked("alice@example.com"));
  EXPECT_FALSE(lockout.reserve("alice@example.com", p).admitted());
  EXPECT_TRUE(lockout.reserve("bob@example.com", p).admitted());
  std::this_thread::sleep_for(700ms);
  EXPECT_FALSE(lockout.locked("alice@example.com"));
  EXPECT_TRUE(lockout.reserve("alice@example.com", p).admitted());
}

TEST(Lockout, TemporaryFailuresAndSuccessesDoNotCount) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const auto p = policy(2, 10s);
  for (int i = 0; i < 5; ++i) lockout.reserve("a@b.c", p).finish(LoginOutcome::TempFail);
  { auto unfinished = lockout.reserve("a@b.c", p); }  // given back as a temporary failure
  EXPECT_FALSE(store.lockout("a@b.c"));
  fail(lockout, "a@b.c", p);
  lockout.reserve("a@b.c", p).finish(LoginOutcome::Success);  // clears the counter
  fail(lockout, "a@b.c", p);
  EXPECT_FALSE(lockout.locked("a@b.c"));
}

TEST(Lockout, FailuresOutsideTheWindowAreForgotten) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const auto p = policy(2, 300ms);
  fail(lockout, "a@b.c", p);
  std::this_thread::sleep_for(400ms);
  fail(lockout, "a@b.c", p);
  EXPECT_FALSE(lockout.locked("a@b.c"));
}

TEST(Lockout, ReservationsInFlightCountAgainstTheLimit) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const auto p = policy(3, 10s);
  std::vector<Reservation> slots;
  for (int i = 0; i < 10; ++i) slots.push_back(lockout.reserve("a@b.c", p));
  int admitted = 0;
  for (const auto& s : slots) admitted += s.admitted();
  EXPECT_EQ(admitted, 3);
  for (auto& s : slots) s.finish(LoginOutcome::Failure);
  EXPECT_TRUE(lockout.locked("a@b.c"));
}

TEST(Lockout, StateSurvivesARestart) {
  TempDir dir;
  const auto p = policy(2, 10s);
  {
    Store store(dir.path() / "db", true);
    Lockout lockout(store);
    fail(lockout, "a@b.c", p);
    fail(lockout, "a@b.c", p);
  }
  Store store(dir.path() / "db", false);
  Lockout lockout(store);
  EXPECT_TRUE(lockout.locked("a@b.c"));
  EXPECT_FALSE(lockout.reserve("a@b.c", p).admitted());
  EXPECT_TRUE(lockout.unlock("a@b.c"));
  EXPECT_TRUE(lockout.reserve("a@b.c", p).admitted());
}

TEST(Lockout, TheTableIsBounded) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const auto p = policy(2, 10s, 50);
  fail(lockout, "victim@b.c", p);
  fail(lockout, "victim@b.c", p);  // suspended
  for (int i = 0; i < 200; ++i) fail(lockout, "probe" + std::to_string(i) + "@b.c", p);
  EXPECT_EQ(store.lockout_rows().size(), 50u);
  // The newest names are the ones kept.
  EXPECT_TRUE(store.lockout("probe199@b.c"));
  EXPECT_FALSE(store.lockout("probe0@b.c"));
}

TEST(Lockout, TheTableForgetsStaleNamesFirst) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const auto slow = policy(2, 10s, 3);
  fail(lockout, "locked@b.c", slow);
  fail(lockout, "locked@b.c", slow);
  fail(lockout, "stale@b.c", policy(2, 100ms, 3));
  std::this_thread::sleep_for(150ms);
  fail(lockout, "recent@b.c", policy(2, 100ms, 3));
  fail(lockout, "newest@b.c", policy(2, 100ms, 3));
  EXPECT_TRUE(store.lockout("locked@b.c"));
  EXPECT_FALSE(store.lockout("stale@b.c"));
  EXPECT_TRUE(lockout.locked("locked@b.c"));
}

TEST(Lockout, ZeroTurnsItOff) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  for (int i = 0; i < 10; ++i) lockout.reserve("a@b.c", policy(0, 10s)).finish(LoginOutcome::Failure);
  EXPECT_TRUE(lockout.reserve("a@b.c", policy(0, 10s)).admitted());
}

}  // namespace
}  // namespace authd::host
