#include "base/ascii.hpp"

#include <string>

#include <gtest/gtest.h>

namespace authd::base {
namespace {

static_assert(lower_ascii('Q') == 'q' && upper_ascii('q') == 'Q');
static_assert(equal_ignoring_case("Plain", "PLAIN"));

// Every byte against a plain statement of the rule.
TEST(Ascii, ClassesAndCaseOverAllBytes) {
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    const bool upper = i >= 'A' && i <= 'Z';
    const bool lower = i >= 'a' && i <= 'z';
    const bool digit = i >= '0' && i <= '9';
    EXPECT_EQ(is_ascii_upper(c), upper) << i;
    EXPECT_EQ(is_ascii_lower(c), lower) << i;
    EXPECT_EQ(is_ascii_digit(c), digit) << i;
    EXPECT_EQ(is_ascii_alpha(c), upper || lower) << i;
    EXPECT_EQ(is_ascii_alnum(c), upper || lower || digit) << i;
    EXPECT_EQ(lower_ascii(c), upper ? static_cast<char>(i + 32) : c) << i;
    EXPECT_EQ(upper_ascii(c), lower ? static_cast<char>(i - 32) : c) << i;
  }
}

TEST(Ascii, StringsChangeLettersOnly) {
  const std::string mixed = "Joe.Q-1@Example.COM \xc3\x89\xff";
  EXPECT_EQ(lower_ascii(mixed), "joe.q-1@example.com \xc3\x89\xff");
  EXPECT_EQ(upper_ascii(mixed), "JOE.Q-1@EXAMPLE.COM \xc3\x89\xff");
  std::string in_place = mixed;
  lower_ascii_in_place(in_place);
  EXPECT_EQ(in_place, lower_ascii(mixed));
  EXPECT_EQ(lower_ascii(std::string_view()), "");
}

TEST(Ascii, EqualIgnoringCase) {
  EXPECT_TRUE(equal_ignoring_case("", ""));
  EXPECT_TRUE(equal_ignoring_case("CRAM-md5", "cram-MD5"));
  EXPECT_FALSE(equal_ignoring_case("CRAM-MD5", "CRAM-MD"));
  EXPECT_FALSE(equal_ignoring_case("[", "{"));  // 0x5b and 0x7b are not letters
  EXPECT_FALSE(equal_ignoring_case("\xc9", "\xe9"));  // Latin-1 É and é: not ASCII
  EXPECT_FALSE(equal_ignoring_case("A", "B"));
}

}  // namespace
}  // namespace authd::base
