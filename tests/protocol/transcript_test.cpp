#include "protocol/transcript.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/request.hpp"
#include "protocol/response.hpp"

namespace authd::protocol {
namespace {

using Direction = TranscriptLine::Direction;

Transcript parse_ok(std::string_view content) {
  auto parsed = parse_transcript(content);
  if (auto* error = std::get_if<TranscriptError>(&parsed)) {
    ADD_FAILURE() << "line " << error->line_number << ": " << error->message;
    return {};
  }
  return std::get<Transcript>(std::move(parsed));
}

TranscriptError parse_error(std::string_view content) {
  auto parsed = parse_transcript(content);
  if (!std::holds_alternative<TranscriptError>(parsed)) {
    ADD_FAILURE() << "parsed without error";
    return {};
  }
  return std::get<TranscriptError>(parsed);
}

// The sample sessions of the protocol contract, indented as they are there.
constexpr std::string_view sample_sessions[] = {
    R"(    I: 00001 INTF 1
    O: 00001 OK 1
    I: 00010 VRFY user1@domain1.com dsyui134
    O: 00010 OK
    I: 00011 VRFY (IMAP) user2@domain2.com jskj23#45
    O: 00011 ERROR incorrect password
    I: 00012 SASL(CRAM-MD5) user4@domain2.com hdkj547812329394055 <pop-23456@mydomain.com>
    O: 00012 ERROR unsupported SASL method
)",
    R"(    I: 00010 VRFY (POP) user1@domain1.com dsyui134
    I: 00011 VRFY (POP) user2@domain2.com jskj23#45
    O: 00011 ERROR incorrect password
    O: 00010 OK
)",
    R"(    I: 00010 NEW user1@domain1.com
    O: 00010 ERROR this account is not known
    I: 00011 NEW user2@domain2.com
    O: 00011 OK
)",
};

TEST(ParseTranscript, SampleSessionsOfTheContract) {
  const std::size_t expected_lines[] = {8, 4, 4};
  for (std::size_t i = 0; i < std::size(sample_sessions); ++i) {
    const auto transcript = parse_ok(sample_sessions[i]);
    EXPECT_FALSE(transcript.ordered);
    ASSERT_EQ(transcript.lines.size(), expected_lines[i]);
    for (const auto& line : transcript.lines) {
      if (line.direction == Direction::Input) {
        EXPECT_TRUE(std::holds_alternative<Request>(parse_request(line.text))) << line.text;
      } else {
        EXPECT_TRUE(std::holds_alternative<Response>(parse_response(line.text))) << line.text;
      }
    }
  }
}

TEST(ParseTranscript, LinesDirectionsAndNumbers) {
  const auto transcript = parse_ok(sample_sessions[0]);
  ASSERT_EQ(transcript.lines.size(), 8u);
  EXPECT_EQ(transcript.lines[0].direction, Direction::Input);
  EXPECT_EQ(transcript.lines[0].text, "00001 INTF 1");
  EXPECT_EQ(transcript.lines[0].line_number, 1);
  EXPECT_EQ(transcript.lines[1].direction, Direction::Output);
  EXPECT_EQ(transcript.lines[1].text, "00001 OK 1");
  EXPECT_EQ(transcript.lines[7].text, "00012 ERROR unsupported SASL method");
  EXPECT_EQ(transcript.lines[7].line_number, 8);
}

TEST(ParseTranscript, CommentsBlankLinesAndOrdered) {
  const auto transcript = parse_ok(
      "# a scripted session\n"
      "\n"
      "   \n"
      "  ordered  \n"
      "  # indented comment\n"
      "I: 1 QUIT\n"
      "O: 1 OK\n");
  EXPECT_TRUE(transcript.ordered);
  ASSERT_EQ(transcript.lines.size(), 2u);
  EXPECT_EQ(transcript.lines[0].line_number, 6);
  EXPECT_EQ(transcript.lines[1].line_number, 7);
}

TEST(ParseTranscript, EmptyContent) {
  const auto transcript = parse_ok("");
  EXPECT_FALSE(transcript.ordered);
  EXPECT_TRUE(transcript.lines.empty());
}

TEST(ParseTranscript, CrLfFiles) {
  const auto transcript = parse_ok("# c\r\nordered\r\nI: 1 QUIT\r\nO: 1 OK\r\n");
  EXPECT_TRUE(transcript.ordered);
  ASSERT_EQ(transcript.lines.size(), 2u);
  EXPECT_EQ(transcript.lines[0].text, "1 QUIT");
  EXPECT_EQ(transcript.lines[1].text, "1 OK");
}

TEST(ParseTranscript, LastLineWithoutLf) {
  const auto transcript = parse_ok("I: 1 QUIT\nO: 1 OK");
  ASSERT_EQ(transcript.lines.size(), 2u);
  EXPECT_EQ(transcript.lines[1].text, "1 OK");
  EXPECT_EQ(transcript.lines[1].line_number, 2);
}

TEST(ParseTranscript, ProtocolLineKeptByteForByte) {
  const auto transcript = parse_ok("I: 1 VRFY a@b \"p  w\"  \nI:  2 QUIT\nI: \n");
  ASSERT_EQ(transcript.lines.size(), 3u);
  EXPECT_EQ(transcript.lines[0].text, "1 VRFY a@b \"p  w\"  ");
  EXPECT_EQ(transcript.lines[1].text, " 2 QUIT");
  EXPECT_EQ(transcript.lines[2].text, "");
}

TEST(ParseTranscript, ErrorsCarryLineNumbers) {
  auto error = parse_error("I: 1 QUIT\n# fine\nX: 1 OK\n");
  EXPECT_EQ(error.line_number, 3);
  EXPECT_NE(error.message.find("expected I: or O:"), std::string::npos);

  error = parse_error("I: 1 QUIT\nI:\n");
  EXPECT_EQ(error.line_number, 2);
  EXPECT_FALSE(error.message.empty());

  error = parse_error("\n\nO:1 OK\n");
  EXPECT_EQ(error.line_number, 3);

  error = parse_error("ordered please\n");
  EXPECT_EQ(error.line_number, 1);

  error = parse_error("i: 1 QUIT\n");
  EXPECT_EQ(error.line_number, 1);

  error = parse_error("1 QUIT\n");
  EXPECT_EQ(error.line_number, 1);
}

TEST(TranscriptLineMatches, Exact) {
  EXPECT_TRUE(transcript_line_matches("00010 OK", "00010 OK"));
  EXPECT_FALSE(transcript_line_matches("00010 OK", "00010 OK "));
  EXPECT_FALSE(transcript_line_matches("00010 OK", "00010 O"));
  EXPECT_FALSE(transcript_line_matches("00010 OK", "00011 OK"));
  EXPECT_TRUE(transcript_line_matches("", ""));
}

TEST(TranscriptLineMatches, Wildcard) {
  EXPECT_TRUE(transcript_line_matches("00002 ERROR *", "00002 ERROR incorrect password"));
  EXPECT_TRUE(transcript_line_matches("00002 ERROR *", "00002 ERROR "));
  EXPECT_FALSE(transcript_line_matches("00002 ERROR *", "00002 ERROR"));
  EXPECT_FALSE(transcript_line_matches("00002 ERROR *", "00002 OK"));
  EXPECT_TRUE(transcript_line_matches("00002 *", "00002 FAILURE timed out"));
  EXPECT_TRUE(transcript_line_matches("*", "anything"));
  EXPECT_TRUE(transcript_line_matches("*", ""));
  // A '*' elsewhere is an ordinary byte.
  EXPECT_FALSE(transcript_line_matches("* x", "* y"));
  EXPECT_TRUE(transcript_line_matches("* x", "* x"));
}

}  // namespace
}  // namespace authd::protocol
