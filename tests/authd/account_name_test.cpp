#include <gtest/gtest.h>

#include "authd/account_name.hpp"

namespace authd {
namespace {

TEST(AccountName, SplitsAndLowerCases) {
  auto a = split_account_name("Joe.Smith@Example.COM");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name(), "joe.smith");
  EXPECT_EQ(a->domain(), "example.com");
  EXPECT_EQ(a->full(), "joe.smith@example.com");
}

TEST(AccountName, KeepsNonAsciiBytes) {
  auto a = split_account_name("J\xc3\x96RG@\xc3\xa9xample.com");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name(), "j\xc3\x96rg");  // only ASCII letters change case
}

TEST(AccountName, RefusesMalformedNames) {
  for (std::string_view bad : {"", "joe", "joe@", "@example.com", "a@b@c", "jo e@example.com", "joe@exa\tmple.com",
                               "joe@example.com\x7f", "@"})
    EXPECT_FALSE(split_account_name(bad)) << bad;
  EXPECT_FALSE(split_account_name(std::string(256, 'a') + "@example.com"));
  EXPECT_TRUE(split_account_name(std::string(255, 'a') + "@example.com"));
  EXPECT_FALSE(split_account_name("a@" + std::string(256, 'd')));
}

TEST(AccountName, AllowsMetacharactersThatBackendsMustEscape) {
  EXPECT_TRUE(split_account_name("o'brien+tag*(x)\\%_@example.com"));
}

}  // namespace
}  // namespace authd
