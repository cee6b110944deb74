// What may reach a log line: every byte value, the Unicode controls and
// separators, cutting at the limit.
#include <gtest/gtest.h>

#include "protocol/log_text.hpp"

namespace authd::protocol {
namespace {

constexpr std::size_t no_limit = 100000;

TEST(LogText, ReplacesEveryAsciiControlAndKeepsThePrintable) {
  for (int byte = 0; byte < 0x80; ++byte) {
    const std::string in(1, static_cast<char>(byte));
    const bool control = byte < 0x20 || byte == 0x7f;
    EXPECT_EQ(log_safe_text(in, no_limit), control ? "?" : in) << byte;
  }
}

TEST(LogText, ReplacesEveryStrayC1ByteAndKeepsOtherHighBytes) {
  // Alone, 0x80-0xff never forms UTF-8: 0x80-0x9f are C1 controls to an
  // 8-bit reader, 0xa0-0xff are Latin-1 letters and signs.
  for (int byte = 0x80; byte < 0x100; ++byte) {
    const std::string in = "a" + std::string(1, static_cast<char>(byte)) + "b";
    EXPECT_EQ(log_safe_text(in, no_limit), byte <= 0x9f ? "a?b" : in) << byte;
  }
  EXPECT_EQ(log_safe_text("x\x85y\x9b[2Jz", no_limit), "x?y?[2Jz");
  EXPECT_EQ(log_safe_text("j\xf6rg", no_limit), "j\xf6rg");  // Latin-1
}

TEST(LogText, ReplacesUnicodeControlsSeparatorsAndBidiOverrides) {
  EXPECT_EQ(log_safe_text("a\xc2\x85" "b", no_limit), "a?b");       // U+0085 NEL
  EXPECT_EQ(log_safe_text("a\xc2\x9b" "2Jb", no_limit), "a?2Jb");   // U+009B CSI
  EXPECT_EQ(log_safe_text("a\xe2\x80\xa8" "b", no_limit), "a?b");   // U+2028
  EXPECT_EQ(log_safe_text("a\xe2\x80\xa9" "b", no_limit), "a?b");   // U+2029
  EXPECT_EQ(log_safe_text("a\xe2\x80\xae" "b", no_limit), "a?b");   // U+202E RLO
  EXPECT_EQ(log_safe_text("a\xe2\x81\xa6" "b", no_limit), "a?b");   // U+2066 LRI
  for (char32_t c = 0x80; c <= 0x9f; ++c) {
    const std::string in{'\xc2', static_cast<char>(c)};
    EXPECT_EQ(log_safe_text(in, no_limit), "?") << static_cast<int>(c);
  }
}

TEST(LogText, KeepsOtherUtf8AsItIs) {
  const std::string text = "J\xc3\xb6rg \xc3\x96 \xe2\x80\xa6 \xe2\x82\xac \xf0\x9f\x94\x91 \xc2\xa0";
  EXPECT_EQ(log_safe_text(text, no_limit), text);
}

TEST(LogText, InvalidSequencesKeepNoC1Byte) {
  // Truncated, overlong and surrogate forms are not UTF-8: their bytes are
  // judged one by one.
  EXPECT_EQ(log_safe_text("\xe2\x80", no_limit), "\xe2?");
  EXPECT_EQ(log_safe_text("\xc0\x85", no_limit), "\xc0?");
  EXPECT_EQ(log_safe_text("\xe0\x82\x85", no_limit), "\xe0??");
  EXPECT_EQ(log_safe_text("\xed\xa0\x80", no_limit), "\xed\xa0?");
  EXPECT_EQ(log_safe_text("\xf5\x80\x80\x80", no_limit), "\xf5???");
}

TEST(LogText, NoInputLeavesAControlInTheOutput) {
  // Every two-byte and three-byte input over a set of interesting bytes:
  // the output holds no C0 control, no DEL and, read as UTF-8, none of the
  // replaced characters.
  const unsigned char bytes[] = {0x00, 0x0a, 0x1b, 0x41, 0x7f, 0x80, 0x81, 0x85, 0x9b, 0x9f, 0xa0, 0xa8,
                                 0xa9, 0xae, 0xbf, 0xc2, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff};
  for (auto a : bytes)
    for (auto b : bytes)
      for (auto c : bytes) {
        const std::string in{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
        const std::string out = log_safe_text(in, no_limit);
        for (unsigned char o : out) EXPECT_FALSE(o < 0x20 || o == 0x7f) << a << ' ' << b << ' ' << c;
        EXPECT_EQ(out.find("\xc2\x85"), std::string::npos);
        EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos);
        EXPECT_EQ(out.find("\xe2\x80\xa8"), std::string::npos);
        EXPECT_EQ(out.find("\xe2\x80\xa9"), std::string::npos);
        // A byte 0x80-0x9f survives only inside a kept multi-byte sequence.
        for (std::size_t i = 0; i < out.size(); ++i) {
          const auto o = static_cast<unsigned char>(out[i]);
          if (o >= 0x80 && o <= 0x9f) {
            EXPECT_GT(i, 0u) << a << ' ' << b << ' ' << c;
          }
        }
      }
}

TEST(LogText, CutsAtTheLimitNeverInsideACharacter) {
  EXPECT_EQ(log_safe_text("abcdef", 4), "abcd");
  EXPECT_EQ(log_safe_text("ab\xc3\xb6", 3), "ab");
  EXPECT_EQ(log_safe_text("ab\xe2\x82\xac", 4), "ab");
  EXPECT_EQ(log_safe_text("ab\xe2\x82\xac", 5), "ab\xe2\x82\xac");
  EXPECT_EQ(log_safe_text("ab\n", 3), "ab?");
  EXPECT_EQ(log_safe_text("", 3), "");
}

}  // namespace
}  // namespace authd::protocol
