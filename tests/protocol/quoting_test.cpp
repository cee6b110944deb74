#include "protocol/quoting.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace authd::protocol {
namespace {

using namespace std::string_literals;

// All arguments of `line`, or the status that stopped the walk.
struct Walk {
  std::vector<std::string> arguments;
  ArgumentStatus stop = ArgumentStatus::End;
};

Walk walk(std::string_view line) {
  Walk result;
  std::string argument;
  for (;;) {
    result.stop = next_argument(line, argument);
    if (result.stop != ArgumentStatus::Ok) return result;
    result.arguments.push_back(argument);
  }
}

std::string decode_one(std::string_view text, ArgumentStatus expected_status = ArgumentStatus::Ok) {
  std::string out = "stale";
  std::string_view rest = text;
  EXPECT_EQ(next_argument(rest, out), expected_status) << text;
  return out;
}

TEST(NextArgument, Atoms) {
  const auto result = walk("abc de@f.g x");
  EXPECT_EQ(result.arguments, (std::vector<std::string>{"abc", "de@f.g", "x"}));
  EXPECT_EQ(result.stop, ArgumentStatus::End);
}

TEST(NextArgument, AdvancesRestPastTheArgument) {
  std::string_view rest = "abc def";
  std::string out;
  ASSERT_EQ(next_argument(rest, out), ArgumentStatus::Ok);
  EXPECT_EQ(out, "abc");
  EXPECT_EQ(rest, " def");
}

TEST(NextArgument, RunsOfSpacesSeparateOnce) {
  const auto result = walk("   a    b  ");
  EXPECT_EQ(result.arguments, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(result.stop, ArgumentStatus::End);
}

TEST(NextArgument, EndOnEmptyOrSpaces) {
  std::string out = "stale";
  std::string_view rest;
  EXPECT_EQ(next_argument(rest, out), ArgumentStatus::End);
  EXPECT_TRUE(out.empty());
  rest = "    ";
  EXPECT_EQ(next_argument(rest, out), ArgumentStatus::End);
}

TEST(NextArgument, TabsAndQuotesInsideAtomsAreBytes) {
  EXPECT_EQ(walk("a\tb c").arguments, (std::vector<std::string>{"a\tb", "c"}));
  EXPECT_EQ(walk("ab\"c\\d").arguments, (std::vector<std::string>{"ab\"c\\d"}));
}

TEST(NextArgument, HighBytesInAtoms) {
  EXPECT_EQ(decode_one("\xff\xfe\xc3(x"), "\xff\xfe\xc3(x");
}

TEST(NextArgument, QuotedWithSpaces) {
  EXPECT_EQ(walk("\"a b\" c").arguments, (std::vector<std::string>{"a b", "c"}));
}

TEST(NextArgument, EmptyQuotedIsAnArgument) {
  EXPECT_EQ(walk("\"\" x \"\"").arguments, (std::vector<std::string>{"", "x", ""}));
}

TEST(NextArgument, QuoteAndBackslashEscapes) {
  EXPECT_EQ(decode_one(R"("a\"b\\c")"), "a\"b\\c");
  EXPECT_EQ(decode_one(R"("\\")"), "\\");
  EXPECT_EQ(decode_one(R"("\"")"), "\"");
}

TEST(NextArgument, DecimalEscapes) {
  EXPECT_EQ(decode_one(R"("\065\066C")"), "ABC");
  EXPECT_EQ(decode_one(R"("\001")"), "\x01");
  EXPECT_EQ(decode_one(R"("\255")"), "\xff");
  EXPECT_EQ(decode_one(R"("\032")"), " ");
  EXPECT_EQ(decode_one(R"("\1234")"), "{4");
}

TEST(NextArgument, BackslashBeforeOtherBytes) {
  EXPECT_EQ(decode_one(R"("\n\t\x")"), "ntx");
  EXPECT_EQ(decode_one(R"("\2x")"), "2x");
  EXPECT_EQ(decode_one(R"("\25x")"), "25x");
  EXPECT_EQ(decode_one(R"("\25")"), "25");
  EXPECT_EQ(decode_one(R"("\9")"), "9");
  EXPECT_EQ(decode_one(R"("\ ")"), " ");
}

TEST(NextArgument, EscapeAbove255IsBad) {
  EXPECT_EQ(decode_one(R"("\256")", ArgumentStatus::BadEscape), "");
  EXPECT_EQ(decode_one(R"("\999")", ArgumentStatus::BadEscape), "");
  EXPECT_EQ(decode_one(R"("ok\300")", ArgumentStatus::BadEscape), "");
}

TEST(NextArgument, DecodedNulIsBad) {
  EXPECT_EQ(decode_one(R"("\000")", ArgumentStatus::BadEscape), "");
  EXPECT_EQ(decode_one("\"a\0b\""s, ArgumentStatus::BadEscape), "");
  EXPECT_EQ(decode_one("a\0b"s, ArgumentStatus::BadEscape), "");
  EXPECT_EQ(decode_one("\"a\\\0\""s, ArgumentStatus::BadEscape), "");
}

TEST(NextArgument, Unterminated) {
  EXPECT_EQ(decode_one(R"("abc)", ArgumentStatus::Unterminated), "");
  EXPECT_EQ(decode_one(R"(")", ArgumentStatus::Unterminated), "");
  EXPECT_EQ(decode_one(R"("abc\")", ArgumentStatus::Unterminated), "");
  EXPECT_EQ(decode_one(R"("abc\)", ArgumentStatus::Unterminated), "");
  EXPECT_EQ(decode_one(R"("a b)", ArgumentStatus::Unterminated), "");
}

TEST(NextArgument, ByteGluedToClosingQuoteIsMalformed) {
  EXPECT_EQ(decode_one(R"("ab"c)", ArgumentStatus::Unterminated), "");
  EXPECT_EQ(decode_one(R"("ab""")", ArgumentStatus::Unterminated), "");
  EXPECT_EQ(walk(R"("ab" c)").arguments, (std::vector<std::string>{"ab", "c"}));
}

TEST(NextArgument, RestIsUnchangedOnError) {
  std::string_view rest = R"( "abc)";
  std::string out;
  EXPECT_EQ(next_argument(rest, out), ArgumentStatus::Unterminated);
  EXPECT_EQ(rest, R"( "abc)");
}

TEST(NextArgument, IntoSecret) {
  std::string_view rest = R"(a@b "p w\"\\\065" tail)";
  std::string account;
  Secret secret;
  ASSERT_EQ(next_argument(rest, account), ArgumentStatus::Ok);
  ASSERT_EQ(next_argument(rest, secret), ArgumentStatus::Ok);
  EXPECT_EQ(secret.view(), "p w\"\\A");
  EXPECT_EQ(rest, " tail");
  ASSERT_EQ(next_argument(rest, secret), ArgumentStatus::Ok);
  EXPECT_EQ(secret.view(), "tail");
  EXPECT_EQ(next_argument(rest, secret), ArgumentStatus::End);
  EXPECT_TRUE(secret.empty());
}

TEST(NextArgument, SecretErrorsLeaveItEmpty) {
  Secret secret("old");
  std::string_view rest = R"("\256")";
  EXPECT_EQ(next_argument(rest, secret), ArgumentStatus::BadEscape);
  EXPECT_TRUE(secret.empty());
  secret.assign("old");
  rest = R"("open)";
  EXPECT_EQ(next_argument(rest, secret), ArgumentStatus::Unterminated);
  EXPECT_TRUE(secret.empty());
}

TEST(IsAtom, Accepts) {
  EXPECT_TRUE(is_atom("a"));
  EXPECT_TRUE(is_atom("user@example.com"));
  EXPECT_TRUE(is_atom("(IMAP)"));
  EXPECT_TRUE(is_atom("<pop-23456@mydomain.com>"));
  EXPECT_TRUE(is_atom("jskj23#45"));
  EXPECT_TRUE(is_atom("\x80\xff\xc3\xa9"));
}

TEST(IsAtom, Rejects) {
  EXPECT_FALSE(is_atom(""));
  EXPECT_FALSE(is_atom("a b"));
  EXPECT_FALSE(is_atom("\"a"));
  EXPECT_FALSE(is_atom("a\"b"));
  EXPECT_FALSE(is_atom("a\\b"));
  EXPECT_FALSE(is_atom("a\tb"));
  EXPECT_FALSE(is_atom("a\rb"));
  EXPECT_FALSE(is_atom("a\nb"));
  EXPECT_FALSE(is_atom("a\x7f"));
  EXPECT_FALSE(is_atom("a\0b"s));
}

TEST(QuoteArgument, AtomsStayAsTheyAre) {
  EXPECT_EQ(quote_argument("dsyui134"), "dsyui134");
  EXPECT_EQ(quote_argument("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
}

TEST(QuoteArgument, QuotesWhenNeeded) {
  EXPECT_EQ(quote_argument(""), R"("")");
  EXPECT_EQ(quote_argument("a b"), R"("a b")");
  EXPECT_EQ(quote_argument("a\"b"), R"("a\"b")");
  EXPECT_EQ(quote_argument("\"a"), R"("\"a")");
  EXPECT_EQ(quote_argument("a\\b"), R"("a\\b")");
  EXPECT_EQ(quote_argument("a\tb"), R"("a\009b")");
  EXPECT_EQ(quote_argument("\r\n"), R"("\013\010")");
  EXPECT_EQ(quote_argument("\x7f"), R"("\127")");
  EXPECT_EQ(quote_argument("\x01 \xff"), "\"\\001 \xff\"");
}

TEST(QuoteArgument, AppendsToExistingText) {
  std::string out = "1 VRFY a@b ";
  append_quoted_argument(out, "p w");
  EXPECT_EQ(out, R"(1 VRFY a@b "p w")");
  append_quoted_argument(out, "x");
  EXPECT_EQ(out, R"(1 VRFY a@b "p w"x)");
}

TEST(QuotedString, QuotesEvenAnAtom) {
  std::string out;
  append_quoted_string(out, "dsyui134");
  EXPECT_EQ(out, R"("dsyui134")");
  out.clear();
  append_quoted_string(out, "");
  EXPECT_EQ(out, R"("")");
  out.clear();
  append_quoted_string(out, "a\"b\\c\x01");
  EXPECT_EQ(out, R"("a\"b\\c\001")");
}

TEST(QuotedString, RoundTripsEveryByte) {
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (const std::string& bytes : {all, std::string("plain"), std::string("\xc3\xa9t\xc3\xa9")}) {
    std::string quoted;
    append_quoted_string(quoted, bytes);
    ASSERT_EQ(quoted.front(), '"');
    std::string_view rest = quoted;
    std::string decoded;
    ASSERT_EQ(next_argument(rest, decoded), ArgumentStatus::Ok) << quoted;
    EXPECT_EQ(decoded, bytes);
    EXPECT_TRUE(rest.empty());
  }
}

void expect_round_trip(const std::string& bytes) {
  const std::string quoted = quote_argument(bytes);
  std::string_view rest = quoted;
  std::string decoded;
  ASSERT_EQ(next_argument(rest, decoded), ArgumentStatus::Ok) << quoted;
  EXPECT_EQ(decoded, bytes) << quoted;
  EXPECT_TRUE(rest.empty()) << quoted;
  Secret secret;
  rest = quoted;
  ASSERT_EQ(next_argument(rest, secret), ArgumentStatus::Ok) << quoted;
  EXPECT_EQ(secret.view(), bytes) << quoted;
  EXPECT_EQ(quoted.find_first_of("\r\n"s + '\0'), std::string::npos) << quoted;
}

TEST(QuoteArgument, RoundTripsEverySingleByte) {
  for (int c = 1; c < 256; ++c) expect_round_trip(std::string(1, static_cast<char>(c)));
}

TEST(QuoteArgument, RoundTripsEveryByteInOneString) {
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  expect_round_trip(all);
  expect_round_trip(std::string(all.rbegin(), all.rend()));
}

TEST(QuoteArgument, RoundTripsEveryBytePairWithDigits) {
  // A byte escaped as \ddd directly followed by a digit must not merge.
  for (int c = 1; c < 256; ++c) {
    for (const char digit : {'0', '5', '9'}) {
      std::string bytes(1, static_cast<char>(c));
      bytes.push_back(digit);
      expect_round_trip(bytes);
    }
  }
}

TEST(QuoteArgument, RoundTripsRandomStrings) {
  std::mt19937 random(20240611);
  // Biased towards the bytes that need care.
  const std::string special = " \"\\\t\r\n\x7f" "0123456789";
  for (int i = 0; i < 5000; ++i) {
    const std::size_t length = random() % 48;
    std::string bytes;
    for (std::size_t j = 0; j < length; ++j) {
      char c = random() % 3 == 0 ? special[random() % special.size()] : static_cast<char>(1 + random() % 255);
      bytes.push_back(c);
    }
    expect_round_trip(bytes);
  }
}

TEST(QuoteArgument, RoundTripsSeveralArgumentsOnOneLine) {
  std::mt19937 random(7);
  for (int i = 0; i < 500; ++i) {
    std::vector<std::string> arguments(1 + random() % 5);
    std::string line;
    for (auto& argument : arguments) {
      const std::size_t length = random() % 12;
      for (std::size_t j = 0; j < length; ++j) argument.push_back(static_cast<char>(1 + random() % 255));
      if (!line.empty()) line.push_back(' ');
      append_quoted_argument(line, argument);
    }
    const auto result = walk(line);
    EXPECT_EQ(result.stop, ArgumentStatus::End);
    EXPECT_EQ(result.arguments, arguments) << line;
  }
}

}  // namespace
}  // namespace authd::protocol
