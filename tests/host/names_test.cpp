// The allowed set of account and domain names.
#include <gtest/gtest.h>

#include "host/store/names.hpp"

namespace authd::host {
namespace {

TEST(Names, AccountNamesAreLowerCasedAndChecked) {
  EXPECT_EQ(canonical_account_name("Alice"), "alice");
  EXPECT_EQ(canonical_account_name("j.doe_2-x"), "j.doe_2-x");
  EXPECT_EQ(canonical_account_name(std::string(64, 'a')), std::string(64, 'a'));
  for (const char* bad : {"", ".alice", "-alice", "al ice", "al@ice", "al/ice", "al\\ice", "al%ice", "al*ice",
                          "al\nice", "élise", "a=b", "a,b", "#a"})
    EXPECT_FALSE(canonical_account_name(bad)) << bad;
  EXPECT_FALSE(canonical_account_name(std::string(65, 'a')));
  EXPECT_FALSE(canonical_account_name(std::string("al\0ice", 6)));
}

TEST(Names, DomainsAreDnsLabels) {
  EXPECT_EQ(canonical_domain("Example.COM"), "example.com");
  EXPECT_EQ(canonical_domain("a-b.c0"), "a-b.c0");
  EXPECT_EQ(canonical_domain("localhost"), "localhost");
  for (const char* bad : {"", ".", "a..b", ".a", "a.", "-a.b", "a-.b", "a_b.c", "a b", "a/b", "..", "a.b/../c"})
    EXPECT_FALSE(canonical_domain(bad)) << bad;
  EXPECT_TRUE(canonical_domain(std::string(63, 'a') + ".b"));
  EXPECT_FALSE(canonical_domain(std::string(64, 'a') + ".b"));
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  EXPECT_FALSE(canonical_domain(long_name.substr(0, 254)));
}

TEST(Names, AddressesSplitAtTheAt) {
  const auto a = parse_address("Alice@Example.COM");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "alice");
  EXPECT_EQ(a->domain, "example.com");
  EXPECT_EQ(a->full(), "alice@example.com");
  for (const char* bad : {"alice", "@example.com", "alice@", "a@b@c", "a b@c.d", "alice@exa mple.com"})
    EXPECT_FALSE(parse_address(bad)) << bad;
}

}  // namespace
}  // namespace authd::host
