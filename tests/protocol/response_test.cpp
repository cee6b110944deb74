#include "protocol/response.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/limits.hpp"

namespace authd::protocol {
namespace {

using namespace std::string_literals;

std::string response(std::string_view seq, Status status, std::string_view text = {}) {
  std::string out;
  append_response(out, seq, status, text);
  return out;
}

std::string info(std::string_view text) {
  std::string out;
  append_info(out, text);
  return out;
}

Response parse_ok(std::string_view line) {
  auto parsed = parse_response(line);
  if (auto* error = std::get_if<ResponseError>(&parsed)) {
    ADD_FAILURE() << "\"" << line << "\": " << error->message;
    return {};
  }
  if (!std::holds_alternative<Response>(parsed)) {
    ADD_FAILURE() << "\"" << line << "\" parsed as an information line";
    return {};
  }
  return std::get<Response>(parsed);
}

void expect_invalid(std::string_view line) {
  const auto parsed = parse_response(line);
  ASSERT_TRUE(std::holds_alternative<ResponseError>(parsed)) << line;
  EXPECT_FALSE(std::get<ResponseError>(parsed).message.empty());
}

TEST(StatusWord, Words) {
  EXPECT_EQ(status_word(Status::Ok), "OK");
  EXPECT_EQ(status_word(Status::Error), "ERROR");
  EXPECT_EQ(status_word(Status::Failure), "FAILURE");
}

TEST(AppendResponse, WithoutText) {
  EXPECT_EQ(response("00010", Status::Ok), "00010 OK\n");
  EXPECT_EQ(response("7", Status::Error, ""), "7 ERROR\n");
}

TEST(AppendResponse, WithText) {
  EXPECT_EQ(response("00011", Status::Error, "incorrect password"), "00011 ERROR incorrect password\n");
  EXPECT_EQ(response("00012", Status::Failure, "backend down"), "00012 FAILURE backend down\n");
}

TEST(AppendResponse, AppendsToExistingOutput) {
  std::string out = "1 OK\n";
  append_response(out, "2", Status::Error, "no");
  EXPECT_EQ(out, "1 OK\n2 ERROR no\n");
}

TEST(AppendResponse, SanitisesLineBreaksAndNul) {
  EXPECT_EQ(response("1", Status::Error, "a\rb\nc\0d"s), "1 ERROR a b c d\n");
  EXPECT_EQ(response("1", Status::Error, "\r\n"), "1 ERROR   \n");
  // Other control bytes are left alone: they do not break the line.
  EXPECT_EQ(response("1", Status::Error, "a\tb"), "1 ERROR a\tb\n");
}

TEST(AppendResponse, TextThatFitsExactly) {
  const std::string prefix = "00001 ERROR ";
  const std::string text(max_response_line - prefix.size() - 1, 'x');
  const std::string line = response("00001", Status::Error, text);
  EXPECT_EQ(line.size(), max_response_line);
  EXPECT_EQ(line, prefix + text + "\n");
}

TEST(AppendResponse, TextOneByteTooLongIsCut) {
  const std::string prefix = "00001 ERROR ";
  const std::string text(max_response_line - prefix.size(), 'x');
  const std::string line = response("00001", Status::Error, text);
  EXPECT_EQ(line.size(), max_response_line);
  EXPECT_EQ(line, prefix + text.substr(0, text.size() - 1) + "\n");
}

TEST(AppendResponse, LongTextIsCutSeqKept) {
  const std::string seq = "12345678901234567890";
  const std::string line = response(seq, Status::Failure, std::string(100000, 'y'));
  EXPECT_EQ(line.size(), max_response_line);
  EXPECT_TRUE(line.starts_with(seq + " FAILURE yyy"));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(AppendResponse, CutDoesNotSplitUtf8) {
  const std::string prefix = "1 ERROR ";
  const std::size_t room = max_response_line - prefix.size() - 1;
  // "é" is two bytes; the second would be the first byte not to fit.
  const std::string text = std::string(room - 1, 'x') + "\xc3\xa9" + "tail";
  const std::string line = response("1", Status::Error, text);
  EXPECT_EQ(line, prefix + std::string(room - 1, 'x') + "\n");
  // Four-byte sequence cut after its second byte.
  const std::string emoji = std::string(room - 2, 'x') + "\xf0\x9f\x98\x80";
  EXPECT_EQ(response("1", Status::Error, emoji), prefix + std::string(room - 2, 'x') + "\n");
  // Bytes that are not UTF-8 are cut where the limit falls.
  const std::string binary(room + 10, '\x80');
  EXPECT_EQ(response("1", Status::Error, binary).size(), max_response_line);
}

TEST(AppendResponse, EveryLengthAroundTheLimit) {
  for (std::size_t length = 4000; length < 4200; ++length) {
    const std::string line = response("00001", Status::Error, std::string(length, 'z'));
    EXPECT_LE(line.size(), max_response_line) << length;
    EXPECT_EQ(line.back(), '\n');
  }
}

TEST(AppendIntfResponse, BothForms) {
  std::string out;
  append_intf_response(out, "00001", 1, false);
  EXPECT_EQ(out, "00001 OK 1\n");
  out.clear();
  append_intf_response(out, "00001", 2, true);
  EXPECT_EQ(out, "00001 INTF 2\n");
  out.clear();
  append_intf_response(out, "9", 18446744073709551615u, false);
  EXPECT_EQ(out, "9 OK 18446744073709551615\n");
}

TEST(AppendInfo, Lines) {
  EXPECT_EQ(info("backend ldap1 reconnected"), "* backend ldap1 reconnected\n");
  EXPECT_EQ(info(""), "*\n");
  EXPECT_EQ(info("a\nb\r\0"s), "* a b  \n");
  const std::string line = info(std::string(10000, 'i'));
  EXPECT_EQ(line.size(), max_response_line);
  EXPECT_EQ(line.substr(0, 3), "* i");
}

TEST(ParseResponse, Ok) {
  const auto r = parse_ok("00010 OK");
  EXPECT_EQ(r.seq, "00010");
  EXPECT_EQ(r.status, Status::Ok);
  EXPECT_EQ(r.text, "");
  EXPECT_FALSE(r.intf_form);
  EXPECT_FALSE(r.version);
}

TEST(ParseResponse, OkWithVersion) {
  const auto r = parse_ok("00001 OK 1");
  EXPECT_EQ(r.version, 1u);
  EXPECT_EQ(r.text, "1");
  EXPECT_FALSE(r.intf_form);
  EXPECT_EQ(parse_ok("1 OK 18446744073709551615").version, 18446744073709551615u);
  EXPECT_FALSE(parse_ok("1 OK 18446744073709551616").version);
  EXPECT_FALSE(parse_ok("1 OK welcome").version);
  EXPECT_FALSE(parse_ok("1 OK 2 x").version);
}

TEST(ParseResponse, IntfForm) {
  const auto r = parse_ok("00001 INTF 2");
  EXPECT_TRUE(r.intf_form);
  // Not an OK: a status defaulting to OK accepted "seq INTF 2" as the
  // answer to a VRFY.
  EXPECT_FALSE(r.status.has_value());
  EXPECT_NE(r.status, Status::Ok);
  EXPECT_EQ(r.version, 2u);
  expect_invalid("00001 INTF");
  expect_invalid("00001 INTF ");
  expect_invalid("00001 INTF two");
  expect_invalid("00001 INTF 2 3");
  expect_invalid("00001 INTF 99999999999999999999");
}

TEST(ParseResponse, ErrorAndFailure) {
  const auto error = parse_ok("00011 ERROR incorrect password");
  EXPECT_EQ(error.status, Status::Error);
  EXPECT_EQ(error.text, "incorrect password");
  EXPECT_FALSE(error.version);
  const auto failure = parse_ok("00012 FAILURE  backend  down ");
  EXPECT_EQ(failure.status, Status::Failure);
  EXPECT_EQ(failure.text, " backend  down ");
  EXPECT_EQ(parse_ok("3 ERROR").text, "");
  EXPECT_EQ(parse_ok("3 ERROR ").text, "");
  EXPECT_FALSE(parse_ok("3 ERROR 5").version);
}

TEST(ParseResponse, InfoLines) {
  auto parsed = parse_response("* hello world");
  ASSERT_TRUE(std::holds_alternative<InfoLine>(parsed));
  EXPECT_EQ(std::get<InfoLine>(parsed).text, "hello world");
  parsed = parse_response("*");
  ASSERT_TRUE(std::holds_alternative<InfoLine>(parsed));
  EXPECT_EQ(std::get<InfoLine>(parsed).text, "");
  expect_invalid("*x");
}

TEST(ParseResponse, Garbage) {
  expect_invalid("");
  expect_invalid("OK");
  expect_invalid(" 1 OK");
  expect_invalid("1");
  expect_invalid("1 ");
  expect_invalid("1OK");
  expect_invalid("1\tOK");
  expect_invalid("1 ok");
  expect_invalid("1 Ok");
  expect_invalid("1 OKAY");
  expect_invalid("1 WHAT is this");
  expect_invalid("1  OK");
  expect_invalid("x1 OK");
  expect_invalid("123456789012345678901 OK");
  expect_invalid("1 OK \0"s);
  expect_invalid("\0"s);
}

TEST(ParseResponse, SequenceDigits) {
  EXPECT_EQ(parse_ok("12345678901234567890 OK").seq, "12345678901234567890");
  EXPECT_EQ(parse_ok("000 OK").seq, "000");
  // Kept byte for byte: the host matches it exactly against what it sent.
  EXPECT_EQ(parse_ok("0002 OK").seq, "0002");
}

TEST(ParseResponse, LengthLimit) {
  const std::string prefix = "1 ERROR ";
  const std::string longest = prefix + std::string(max_response_line - 1 - prefix.size(), 'e');
  ASSERT_EQ(longest.size(), max_response_line - 1);
  EXPECT_EQ(parse_ok(longest).text.size(), longest.size() - prefix.size());
  expect_invalid(longest + "e");
  expect_invalid(std::string(100000, '1'));
}

TEST(ParseResponse, ReadsWhatAppendWrites) {
  for (const Status status : {Status::Ok, Status::Error, Status::Failure}) {
    for (const std::string& text : {""s, "x"s, "with  spaces "s, std::string(5000, 'q'), "a\r\nb"s}) {
      std::string line = response("00042", status, text);
      ASSERT_EQ(line.back(), '\n');
      line.pop_back();
      const auto r = parse_ok(line);
      EXPECT_EQ(r.seq, "00042");
      EXPECT_EQ(r.status, status);
      EXPECT_LE(r.text.size(), text.size());
    }
  }
  std::string line;
  append_intf_response(line, "5", 2, true);
  line.pop_back();
  const auto intf = parse_ok(line);
  EXPECT_TRUE(intf.intf_form);
  EXPECT_EQ(intf.version, 2u);
}

}  // namespace
}  // namespace authd::protocol
