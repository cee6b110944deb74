// Timing protection's one facility: the slowest scheme noted wins by the
// registry's cost order, its dummy never matches a real password, and it is
// safe to share between threads.
#include "passwords/timing_reference.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace authd::passwords {
namespace {

const Registry& registry() { return Registry::instance(); }

std::string_view scheme_of(std::string_view stored) {
  const Scheme* scheme = registry().identify(stored);
  return scheme == nullptr ? std::string_view{} : scheme->name;
}

TEST(TimingReference, EmptyUntilARecognisedValueIsNoted) {
  TimingReference reference;
  EXPECT_EQ(reference.dummy(), "");
  reference.note("no scheme at all");
  reference.note("{NOPE}abc");
  EXPECT_EQ(reference.dummy(), "");
}

TEST(TimingReference, TheCostliestSchemeWinsWhateverTheOrder) {
  const std::string ssha = registry().encode("SSHA", Secret("one"));
  const std::string sha512_crypt = registry().encode("SHA512-CRYPT", Secret("two"));
  const std::string plain = registry().encode("PLAIN", Secret("three"));
  ASSERT_GT(registry().identify(sha512_crypt)->cost_rank, registry().identify(ssha)->cost_rank);

  TimingReference rising;
  rising.note(plain);
  EXPECT_EQ(scheme_of(rising.dummy()), "PLAIN");
  rising.note(ssha);
  EXPECT_EQ(scheme_of(rising.dummy()), "SSHA");
  rising.note(sha512_crypt);
  EXPECT_EQ(scheme_of(rising.dummy()), "SHA512-CRYPT");

  TimingReference falling;
  falling.note(sha512_crypt);
  const std::string kept = falling.dummy();
  falling.note(ssha);
  falling.note(plain);
  EXPECT_EQ(falling.dummy(), kept);  // a cheaper scheme never replaces it
}

TEST(TimingReference, TheFirstValueOfTheCostliestSchemeGivesTheParameters) {
  const std::string first = registry().encode("SHA512-CRYPT", Secret("a"));
  const std::string second = "$6$rounds=6000$abcdefgh$" + first.substr(first.rfind('$') + 1);
  TimingReference reference;
  reference.note(first);
  const std::string dummy = reference.dummy();
  reference.note(second);  // same cost: ignored
  EXPECT_EQ(reference.dummy(), dummy);
  // Same salt and parameters as the first, another hash.
  EXPECT_EQ(dummy.substr(0, dummy.rfind('$')), first.substr(0, first.rfind('$')));
  EXPECT_NE(dummy, first);
}

TEST(TimingReference, TheDummyMatchesNoRealPassword) {
  const std::string stored = registry().encode("SSHA512", Secret("secret"));
  TimingReference reference;
  reference.note(stored);
  const std::string dummy = reference.dummy();
  ASSERT_FALSE(dummy.empty());
  EXPECT_NE(dummy, stored);
  for (const char* guess : {"secret", "", "password", "dummy", "x"})
    EXPECT_EQ(registry().check(dummy, Secret(guess)), Check::Mismatch) << guess;
  // Every dummy is for a fresh random password.
  TimingReference other;
  other.note(stored);
  EXPECT_NE(other.dummy(), dummy);
}

TEST(TimingReference, AMalformedValueLeavesItAsItWas) {
  TimingReference reference;
  reference.note(registry().encode("SSHA", Secret("pw")));
  const std::string kept = reference.dummy();
  reference.note("$6$");  // crypt-shaped but not valid: no dummy can be made of it
  EXPECT_EQ(reference.dummy(), kept);
}

TEST(TimingReference, SharedBetweenThreadsItEndsOnTheCostliest) {
  const std::vector<std::string> values = {
      registry().encode("PLAIN", Secret("p")),     registry().encode("SSHA", Secret("s")),
      registry().encode("MD5-CRYPT", Secret("m")), registry().encode("SHA256-CRYPT", Secret("c")),
      registry().encode("SSHA512", Secret("t")),
  };
  TimingReference reference;
  std::vector<std::thread> threads;
  std::set<std::string> seen_schemes[4];
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        reference.note(values[(round + t) % values.size()]);
        const std::string dummy = reference.dummy();
        if (!dummy.empty()) seen_schemes[t].insert(std::string(scheme_of(dummy)));
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(scheme_of(reference.dummy()), "SHA256-CRYPT");
  for (const auto& seen : seen_schemes)
    for (const auto& scheme : seen) EXPECT_NE(scheme, "") << "every dummy read whole";
}

TEST(TimingDummyOfScheme, MadeOncePerSchemeAndNeverMatching) {
  const auto first = timing_dummy_of_scheme("SSHA512");
  ASSERT_TRUE(first);
  EXPECT_EQ(scheme_of(*first), "SSHA512");
  EXPECT_EQ(timing_dummy_of_scheme("SSHA512"), first);  // kept for the process
  EXPECT_EQ(registry().check(*first, Secret("")), Check::Mismatch);
  EXPECT_EQ(registry().check(*first, Secret("password")), Check::Mismatch);
  const auto bcrypt = timing_dummy_of_scheme("BCRYPT");
  ASSERT_TRUE(bcrypt);
  EXPECT_EQ(scheme_of(*bcrypt), "BCRYPT");
  EXPECT_FALSE(timing_dummy_of_scheme("NO-SUCH-SCHEME"));
}

}  // namespace
}  // namespace authd::passwords
