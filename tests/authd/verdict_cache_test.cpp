// The verdict cache in front of a backend.
#include <thread>

#include <gtest/gtest.h>

#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "authd/verdict_cache.hpp"
#include "engine_harness.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;

// A backend whose answers the test changes as it goes.
class ScriptedBackend final : public Backend {
 public:
  Verdict verify(const Account&, const Secret& password, std::string_view) override {
    ++calls;
    if (down) return Verdict::temp_fail("down");
    return password.view() == right ? Verdict::accept() : Verdict::reject(RejectReason::WrongPassword);
  }
  Verdict exists(const Account&) override { return Verdict::accept(); }

  int calls = 0;
  bool down = false;
  std::string right = "secret";
};

class Cache : public ::testing::Test {
 protected:
  Cache() : logger_({"/dev/null", LogLevel::Error, false}), services_(false, logger_) {}

  void make(CacheSettings settings) {
    auto inner = std::make_unique<ScriptedBackend>();
    inner_ = inner.get();
    cached_ = make_cached_backend(std::move(inner), settings, services_, "scripted");
  }
  VerdictKind verify(std::string_view name, std::string_view password) {
    return cached_->verify({name, "example.com"}, Secret(password), "").kind;
  }

  Logger logger_;
  EngineServices services_;
  ScriptedBackend* inner_ = nullptr;
  std::unique_ptr<Backend> cached_;
};

TEST_F(Cache, RepeatedLoginsAreAnsweredFromTheCache) {
  make({10s, 10s, 0ms, 100});
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);
  EXPECT_EQ(verify("joe", "wrong"), VerdictKind::Reject);
  EXPECT_EQ(verify("joe", "wrong"), VerdictKind::Reject);
  EXPECT_EQ(inner_->calls, 2);
}

TEST_F(Cache, PositiveAndNegativeEntriesHaveTheirOwnLifetimes) {
  make({10s, 50ms, 0ms, 100});
  EXPECT_EQ(verify("joe", "wrong"), VerdictKind::Reject);
  std::this_thread::sleep_for(80ms);
  EXPECT_EQ(verify("joe", "wrong"), VerdictKind::Reject);
  EXPECT_EQ(inner_->calls, 2);  // the negative entry had expired
}

TEST_F(Cache, AFailureWithAnotherPasswordDropsThePositiveEntry) {
  make({10s, 0ms, 0ms, 100});
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);
  inner_->right = "new password";  // changed at the source
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);  // still cached
  EXPECT_EQ(verify("joe", "new password"), VerdictKind::Accept);
  EXPECT_EQ(verify("joe", "guess"), VerdictKind::Reject);
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Reject);  // the old password no longer passes
}

TEST_F(Cache, TemporaryFailuresAreNeverCached) {
  make({10s, 10s, 0ms, 100});
  inner_->down = true;
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::TempFail);
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::TempFail);
  EXPECT_EQ(inner_->calls, 2);
  inner_->down = false;
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);
}

TEST_F(Cache, StaleEntriesServeOnlyWhenAskedAndOnlyWhileTheBackendFails) {
  make({30ms, 0ms, 0ms, 100});
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);
  std::this_thread::sleep_for(50ms);
  inner_->down = true;
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::TempFail);  // off by default

  make({30ms, 0ms, 10s, 100});
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);
  std::this_thread::sleep_for(50ms);
  inner_->down = true;
  EXPECT_EQ(verify("joe", "secret"), VerdictKind::Accept);    // expired, backend down: served stale
  EXPECT_EQ(verify("joe", "wrong"), VerdictKind::TempFail);    // never for another password
  EXPECT_EQ(verify("ann", "secret"), VerdictKind::TempFail);   // nor another name
}

TEST_F(Cache, IsBoundedInNames) {
  VerdictCache cache({10s, 10s, 0ms, 3});
  const auto tag = cache.tag_of(Secret("pw"));
  const auto now = VerdictCache::Clock::now();
  for (const char* name : {"a", "b", "c", "d", "e"}) cache.store({name, "x.org"}, tag, Verdict::accept(), now);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.find({"a", "x.org"}, tag, now));  // least recently used, gone
  EXPECT_TRUE(cache.find({"e", "x.org"}, tag, now));
}

TEST_F(Cache, KeysAreKeyedHashesNotPasswords) {
  VerdictCache one({10s, 10s, 0ms, 3}), two({10s, 10s, 0ms, 3});
  const auto a = one.tag_of(Secret("pw"));
  EXPECT_EQ(a, one.tag_of(Secret("pw")));
  EXPECT_NE(a, one.tag_of(Secret("pw2")));
  EXPECT_NE(a, two.tag_of(Secret("pw")));  // another key: tags cannot be compared across processes
}

TEST(CacheConfig, EveryBackendTakesTheCacheKeysThroughTheEngine) {
  EngineHarness h("[authd]\nlog = \"syslog\"\n[[backend]]\nname = \"t\"\ntype = \"test\"\n"
                  "cache_positive_ttl_ms = 60000\ncache_negative_ttl_ms = 60000\n"
                  "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n");
  const int before = TestBackend::calls();
  EXPECT_EQ(h.ask("1 VRFY joe@example.com secret"), "1 OK");
  EXPECT_EQ(h.ask("2 VRFY Joe@Example.com secret"), "2 OK");
  EXPECT_EQ(h.ask("3 VRFY joe@example.com wrong"), "3 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("4 VRFY joe@example.com wrong"), "4 ERROR incorrect account name or password");
  EXPECT_EQ(TestBackend::calls() - before, 2);
}

TEST(CacheConfig, BadCacheKeysAreReported) {
  BackendTypes types;
  types.add(describe_backend<TestBackend>(), "test");
  auto result = load_config_text("[[backend]]\nname = \"t\"\ntype = \"test\"\ncache_positive_ttl_ms = -1\n"
                                 "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n",
                                 "authd.toml", "/", types, "");
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigIssue>>(result));
  EXPECT_EQ(std::get<std::vector<ConfigIssue>>(result)[0].key, "backend \"t\".cache_positive_ttl_ms");
}

}  // namespace
}  // namespace authd::testing
