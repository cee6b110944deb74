#include "protocol/line_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace authd::protocol {
namespace {

struct Got {
  std::string text;
  bool overlong = false;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& got) {
  return os << (got.overlong ? "overlong:" : "line:") << '"' << got.text << '"';
}

void drain(LineReader& reader, std::vector<Got>& out) {
  while (auto line = reader.next()) out.push_back({std::string(line->text), line->overlong});
}

void drain_finish(LineReader& reader, std::vector<Got>& out) {
  while (auto line = reader.finish()) out.push_back({std::string(line->text), line->overlong});
}

// Feeds `input` in chunks of `chunk` bytes, then signals end of input.
std::vector<Got> read_all(std::string_view input, std::size_t chunk, std::size_t max_line = max_request_line) {
  LineReader reader(max_line);
  std::vector<Got> out;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    reader.feed(input.substr(at, chunk));
    drain(reader, out);
  }
  drain_finish(reader, out);
  return out;
}

std::vector<Got> lines(std::initializer_list<const char*> texts) {
  std::vector<Got> out;
  for (const char* text : texts) out.push_back({text, false});
  return out;
}

TEST(LineReader, SplitsOnLf) {
  EXPECT_EQ(read_all("1 QUIT\n2 NEW a@b\n", 1024), lines({"1 QUIT", "2 NEW a@b"}));
}

TEST(LineReader, StripsCrBeforeLf) {
  EXPECT_EQ(read_all("1 QUIT\r\n2 QUIT\n", 1024), lines({"1 QUIT", "2 QUIT"}));
}

TEST(LineReader, KeepsLoneCrAsByte) {
  EXPECT_EQ(read_all("a\rb\n\rc\n", 1024), lines({"a\rb", "\rc"}));
}

TEST(LineReader, StripsOnlyOneCr) { EXPECT_EQ(read_all("a\r\r\n", 1024), lines({"a\r"})); }

TEST(LineReader, ReturnsEmptyLines) { EXPECT_EQ(read_all("\n\r\n\n", 1024), lines({"", "", ""})); }

TEST(LineReader, NothingBeforeInput) {
  LineReader reader;
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.pending_bytes(), 0u);
  EXPECT_FALSE(reader.finish());
}

TEST(LineReader, WaitsForLf) {
  LineReader reader;
  reader.feed("1 QU");
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.pending_bytes(), 4u);
  reader.feed("IT\n");
  auto line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "1 QUIT");
  EXPECT_FALSE(line->overlong);
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.pending_bytes(), 0u);
}

TEST(LineReader, ReturnsEveryLineOfOneFeed) {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += std::to_string(i) + " VRFY user@example.com pw\n";
  LineReader reader;
  reader.feed(input);
  std::vector<Got> got;
  drain(reader, got);
  ASSERT_EQ(got.size(), 10000u);
  for (int i = 0; i < 10000; ++i) EXPECT_EQ(got[i].text, std::to_string(i) + " VRFY user@example.com pw");
  EXPECT_FALSE(reader.finish());
}

TEST(LineReader, ViewsStayValidUntilNextPrepare) {
  LineReader reader;
  reader.feed("first\nsecond\nthird\n");
  std::vector<std::string_view> views;
  while (auto line = reader.next()) views.push_back(line->text);
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0], "first");
  EXPECT_EQ(views[1], "second");
  EXPECT_EQ(views[2], "third");
}

TEST(LineReader, SameLinesForEverySplitPoint) {
  const std::string input = "00001 INTF 1\r\n00010 VRFY (IMAP) a@b \"p w\"\n\n\r\n00011 QUIT\nlast";
  const auto expected = read_all(input, input.size());
  ASSERT_EQ(expected, lines({"00001 INTF 1", "00010 VRFY (IMAP) a@b \"p w\"", "", "", "00011 QUIT", "last"}));
  for (std::size_t split = 0; split <= input.size(); ++split) {
    LineReader reader;
    std::vector<Got> got;
    reader.feed(std::string_view(input).substr(0, split));
    drain(reader, got);
    reader.feed(std::string_view(input).substr(split));
    drain(reader, got);
    drain_finish(reader, got);
    EXPECT_EQ(got, expected) << "split at " << split;
  }
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    EXPECT_EQ(read_all(input, chunk), expected) << "chunk " << chunk;
  }
}

TEST(LineReader, CrLfSplitBetweenCrAndLf) {
  LineReader reader;
  reader.feed("1 QUIT\r");
  EXPECT_FALSE(reader.next());
  reader.feed("\n");
  auto line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "1 QUIT");
}

TEST(LineReader, PrepareAndCommit) {
  LineReader reader;
  auto space = reader.prepare(16);
  ASSERT_GE(space.size(), 16u);
  std::memcpy(space.data(), "1 QUIT\n2 Q", 10);
  reader.commit(10);
  auto line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "1 QUIT");
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.pending_bytes(), 3u);
  space = reader.prepare(4);
  std::memcpy(space.data(), "UIT\n", 4);
  reader.commit(4);
  line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "2 QUIT");
}

TEST(LineReader, FinishReturnsUnterminatedLineThenNothing) {
  LineReader reader;
  reader.feed("1 QUIT\n2 NEW a@b");
  auto line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_FALSE(reader.next());
  line = reader.finish();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "2 NEW a@b");
  EXPECT_FALSE(line->overlong);
  EXPECT_FALSE(reader.finish());
  EXPECT_FALSE(reader.finish());
}

TEST(LineReader, FinishStripsTrailingCr) { EXPECT_EQ(read_all("1 QUIT\r", 1024), lines({"1 QUIT"})); }

TEST(LineReader, FinishReturnsCompleteLinesNotYetTaken) {
  LineReader reader;
  reader.feed("a\nb\nc");
  std::vector<Got> got;
  drain_finish(reader, got);
  EXPECT_EQ(got, lines({"a", "b", "c"}));
}

TEST(LineReader, FinishWithNothingPending) {
  LineReader reader;
  reader.feed("1 QUIT\n");
  ASSERT_TRUE(reader.next());
  EXPECT_FALSE(reader.finish());
}

TEST(LineReader, LineAtLimitIsAccepted) {
  const std::string line(max_request_line, 'x');
  for (const char* ending : {"\n", "\r\n"}) {
    for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{1000}, std::size_t{1}}) {
      const auto got = read_all(line + ending, chunk);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_FALSE(got[0].overlong);
      EXPECT_EQ(got[0].text, line);
    }
  }
}

TEST(LineReader, LineOneOverLimitIsOverlong) {
  const std::string line = "00042 VRFY " + std::string(max_request_line + 1 - 11, 'x');
  ASSERT_EQ(line.size(), max_request_line + 1);
  for (const char* ending : {"\n", "\r\n", ""}) {
    for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{1000}, std::size_t{7}, std::size_t{1}}) {
      const auto got = read_all(line + ending, chunk);
      ASSERT_EQ(got.size(), 1u) << "chunk " << chunk;
      EXPECT_TRUE(got[0].overlong);
      EXPECT_EQ(got[0].text, line.substr(0, LineReader::overlong_head));
    }
  }
}

TEST(LineReader, LoneCrCountsTowardsTheLimit) {
  const std::string line = std::string(max_request_line, 'x') + "\r\r";
  const auto got = read_all(line + "\n", 4096);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].overlong);
}

TEST(LineReader, OverlongLineIsReportedOnceThenNextLineIsIntact) {
  const std::string overlong = "00007 VRFY user@example.com " + std::string(20000, 'p');
  const std::string input = overlong + "\n00008 QUIT\n";
  const std::vector<Got> expected = {{overlong.substr(0, LineReader::overlong_head), true}, {"00008 QUIT", false}};
  for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{65536}, std::size_t{8193}, std::size_t{1000},
                            std::size_t{3}, std::size_t{1}}) {
    EXPECT_EQ(read_all(input, chunk), expected) << "chunk " << chunk;
  }
}

TEST(LineReader, TwoOverlongLinesInARow) {
  const std::string a = "1 " + std::string(9000, 'a');
  const std::string b = "2 " + std::string(9000, 'b');
  const std::string input = a + "\n" + b + "\n3 QUIT\n";
  const std::vector<Got> expected = {
      {a.substr(0, 32), true}, {b.substr(0, 32), true}, {"3 QUIT", false}};
  for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{100}}) {
    EXPECT_EQ(read_all(input, chunk), expected) << "chunk " << chunk;
  }
}

TEST(LineReader, OverlongLineWithoutLfIsReportedByFinish) {
  const std::string line = "9 " + std::string(50000, 'z');
  EXPECT_EQ(read_all(line, 4096), (std::vector<Got>{{line.substr(0, 32), true}}));
}

TEST(LineReader, SmallLimit) {
  const auto got = read_all("12345\n123456\n1234567\nab\n1234567", 3, 6);
  EXPECT_EQ(got, (std::vector<Got>{{"12345", false}, {"123456", false}, {"1234567", true}, {"ab", false},
                                   {"1234567", true}}));
}

TEST(LineReader, StaysBoundedOnEndlessLine) {
  LineReader reader;
  const std::string chunk(65536, 'A');
  std::size_t largest_pending = 0;
  std::size_t largest_space = 0;
  constexpr std::size_t total = 100u << 20;
  for (std::size_t fed = 0; fed < total; fed += chunk.size()) {
    reader.feed(chunk);
    EXPECT_FALSE(reader.next());
    largest_pending = std::max(largest_pending, reader.pending_bytes());
    largest_space = std::max(largest_space, reader.prepare(chunk.size()).size());
  }
  EXPECT_LE(largest_pending, max_request_line + 1);
  // prepare() hands out all free space: the whole buffer stays within one
  // line plus one read.
  EXPECT_LE(largest_space, max_request_line + 1 + chunk.size());
  reader.feed("\n1 QUIT\n");
  auto line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_TRUE(line->overlong);
  EXPECT_EQ(line->text, std::string(LineReader::overlong_head, 'A'));
  line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_FALSE(line->overlong);
  EXPECT_EQ(line->text, "1 QUIT");
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.finish());
}

TEST(LineReader, StaysBoundedWithPrepareAndCommit) {
  LineReader reader;
  for (int i = 0; i < 2000; ++i) {
    auto space = reader.prepare(4096);
    ASSERT_LE(space.size(), max_request_line + 1 + 4096);
    std::memset(space.data(), 'B', 4096);
    reader.commit(4096);
    EXPECT_FALSE(reader.next());
    ASSERT_LE(reader.pending_bytes(), max_request_line + 1);
  }
}

TEST(LineReader, ConsumedBytesAreWiped) {
  LineReader reader;
  reader.feed("1 VRFY a@b topsecretpw\n2 VRFY a@b ");
  auto line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "1 VRFY a@b topsecretpw");
  EXPECT_FALSE(reader.next());
  auto space = reader.prepare(64);
  // The free space follows the pending "2 VRFY a@b " and must hold no trace
  // of the line handed out before.
  const std::string_view free_space(space.data(), space.size());
  EXPECT_EQ(free_space.find("topsecretpw"), std::string_view::npos);
  EXPECT_TRUE(std::all_of(free_space.begin(), free_space.end(), [](char c) { return c == '\0'; }));
  std::memcpy(space.data(), "pw2\n", 4);
  reader.commit(4);
  line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "2 VRFY a@b pw2");
}

TEST(LineReader, BinaryBytesPassThrough) {
  std::string input;
  for (int c = 0; c < 256; ++c) {
    if (c != '\n') input.push_back(static_cast<char>(c));
  }
  const auto got = read_all(input + "\n", 17);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, input);
}

TEST(LineReader, SaysWhenItIsInsideAnOverlongLine) {
  LineReader reader(8);
  reader.feed("12345678");
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.in_overlong_line());  // at the limit: the LF may still come
  reader.feed("\r");
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.in_overlong_line());  // a CR may be followed by its LF
  reader.feed("x");
  EXPECT_FALSE(reader.next());
  EXPECT_TRUE(reader.in_overlong_line());
  reader.feed("more\nnext\n");
  const auto overlong = reader.next();
  ASSERT_TRUE(overlong);
  EXPECT_TRUE(overlong->overlong);
  EXPECT_FALSE(reader.in_overlong_line());
  const auto line = reader.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "next");
}

}  // namespace
}  // namespace authd::protocol
