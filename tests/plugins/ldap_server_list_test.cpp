// The LDAP backend's choice of server: fail-over, fail-back and probes.
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "ldap/server_list.hpp"

namespace authd::ldap {
namespace {

using namespace std::chrono_literals;

class RecordingHost final : public HostServices {
 public:
  Verdict check_password(std::string_view, const Secret&) const override { return Verdict::temp_fail("unused"); }
  std::optional<SchemeTraits> scheme_of(std::string_view) const override { return std::nullopt; }
  std::string timing_dummy(std::string_view) const override { return {}; }
  void log(LogLevel, std::string_view message) const override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(message);
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::vector<std::string> lines_;
};

std::vector<bool> none_tried(std::size_t n) { return std::vector<bool>(n, false); }

TEST(LdapServerList, PrefersTheFirstServerThatIsUp) {
  RecordingHost host;
  ServerList servers({"ldap://a/", "ldap://b/", "ldap://c/"}, 10s, "l", host);
  EXPECT_EQ(servers.pick(none_tried(3)), 0u);
  EXPECT_EQ(servers.pick({true, false, false}), 1u);
  EXPECT_EQ(servers.pick({true, true, false}), 2u);
  EXPECT_FALSE(servers.should_leave(0));
  EXPECT_TRUE(servers.should_leave(1));  // a is up: connections to b move back
}

TEST(LdapServerList, FailsOverWhileDownAndLogsOncePerOutage) {
  RecordingHost host;
  ServerList servers({"ldap://a/", "ldap://b/"}, 10s, "l", host);
  servers.mark_down(0, "refused");
  servers.mark_down(0, "refused again");
  EXPECT_EQ(servers.pick(none_tried(2)), 1u);
  EXPECT_EQ(servers.pick(none_tried(2)), 1u);
  EXPECT_TRUE(servers.should_leave(0));
  EXPECT_FALSE(servers.should_leave(1));
  ASSERT_EQ(host.lines().size(), 1u);
  EXPECT_NE(host.lines()[0].find("ldap://a/ failed (refused)"), std::string::npos);
  servers.mark_up(0);
  ASSERT_EQ(host.lines().size(), 2u);
  EXPECT_NE(host.lines()[1].find("ldap://a/ is back"), std::string::npos);
  EXPECT_EQ(servers.pick(none_tried(2)), 0u);
}

TEST(LdapServerList, FailsBackAfterThePeriodWithOneProbe) {
  RecordingHost host;
  ServerList servers({"ldap://a/", "ldap://b/"}, 50ms, "l", host);
  servers.mark_down(0, "hung");
  EXPECT_EQ(servers.pick(none_tried(2)), 1u);
  EXPECT_FALSE(servers.should_leave(1));
  std::this_thread::sleep_for(60ms);
  EXPECT_TRUE(servers.should_leave(1));     // a may be tried again
  EXPECT_EQ(servers.pick(none_tried(2)), 0u);  // this caller probes a
  EXPECT_EQ(servers.pick(none_tried(2)), 1u);  // the others stay on b meanwhile
  EXPECT_FALSE(servers.should_leave(1));
  servers.mark_down(0, "still hung");       // the probe failed: another period
  EXPECT_EQ(servers.pick(none_tried(2)), 1u);
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(servers.pick(none_tried(2)), 0u);
  servers.mark_up(0);
  EXPECT_EQ(servers.pick(none_tried(2)), 0u);
  EXPECT_TRUE(servers.should_leave(1));
}

TEST(LdapServerList, WhenAllAreDownOneRequestAtATimeTries) {
  RecordingHost host;
  ServerList servers({"ldap://a/", "ldap://b/"}, 10s, "l", host);
  servers.mark_down(1, "refused");
  std::this_thread::sleep_for(2ms);
  servers.mark_down(0, "refused");
  // b has been down the longest: it is the one tried.
  EXPECT_EQ(servers.pick(none_tried(2)), 1u);
  EXPECT_EQ(servers.pick(none_tried(2)), std::nullopt);  // a probe is under way
  servers.mark_down(1, "refused");
  EXPECT_EQ(servers.pick(none_tried(2)), 0u);
  EXPECT_EQ(servers.pick({true, false}), std::nullopt);
  servers.mark_up(0);
  EXPECT_EQ(servers.pick(none_tried(2)), 0u);
}

TEST(LdapServerList, ALoneServerIsRetriedByTheNextRequest) {
  RecordingHost host;
  ServerList servers({"ldap://a/"}, 1h, "l", host);
  servers.mark_down(0, "refused");
  EXPECT_EQ(servers.pick({false}), 0u);
  EXPECT_EQ(servers.pick({true}), std::nullopt);
  servers.mark_down(0, "refused");
  EXPECT_EQ(servers.pick({false}), 0u);
}

}  // namespace
}  // namespace authd::ldap
