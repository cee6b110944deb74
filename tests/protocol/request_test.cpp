#include "protocol/request.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/line_reader.hpp"
#include "protocol/quoting.hpp"

namespace authd::protocol {
namespace {

using namespace std::string_literals;

Request parse_ok(std::string_view line) {
  auto parsed = parse_request(line);
  if (auto* error = std::get_if<RequestError>(&parsed)) {
    ADD_FAILURE() << "\"" << line << "\" gave error seq=\"" << error->seq << "\" " << error->message;
    return {};
  }
  return std::move(std::get<Request>(parsed));
}

RequestError parse_error(std::string_view line) {
  auto parsed = parse_request(line);
  if (!std::holds_alternative<RequestError>(parsed)) {
    ADD_FAILURE() << "\"" << line << "\" parsed as a request";
    return {};
  }
  return std::get<RequestError>(parsed);
}

void expect_error(std::string_view line, std::string_view seq, std::string_view message) {
  const auto error = parse_error(line);
  EXPECT_EQ(error.seq, seq) << line;
  EXPECT_EQ(error.message, message) << line;
}

void expect_no_seq(std::string_view line) {
  const auto error = parse_error(line);
  EXPECT_EQ(error.seq, "") << line;
  EXPECT_FALSE(error.message.empty()) << line;
}

TEST(ParseRequest, Intf) {
  const auto request = parse_ok("00001 INTF 1");
  EXPECT_EQ(request.seq, "00001");
  EXPECT_EQ(request.command, Command::Intf);
  EXPECT_EQ(request.version, 1u);
  EXPECT_EQ(parse_ok("2 INTF 0000000002").version, 2u);
  EXPECT_EQ(parse_ok("2 INTF 4294967296").version, 4294967296u);
  EXPECT_EQ(parse_ok("2 INTF 9999999999").version, 9999999999u);
}

TEST(ParseRequest, IntfNeedsNumericVersion) {
  expect_error("7 INTF", "7", "INTF needs a numeric version");
  expect_error("7 INTF x", "7", "INTF needs a numeric version");
  expect_error("7 INTF 2x", "7", "INTF needs a numeric version");
  expect_error("7 INTF -1", "7", "INTF needs a numeric version");
  expect_error("7 INTF 12345678901", "7", "INTF needs a numeric version");
  expect_error("7 INTF \"\"", "7", "INTF needs a numeric version");
}

TEST(ParseRequest, VrfyWithoutMode) {
  const auto request = parse_ok("00010 VRFY user1@domain1.com dsyui134");
  EXPECT_EQ(request.seq, "00010");
  EXPECT_EQ(request.command, Command::Vrfy);
  EXPECT_EQ(request.mode, "");
  EXPECT_EQ(request.account, "user1@domain1.com");
  EXPECT_EQ(request.secret.view(), "dsyui134");
  EXPECT_EQ(request.method, "");
  EXPECT_EQ(request.challenge, "");
}

TEST(ParseRequest, VrfyWithMode) {
  const auto request = parse_ok("00011 VRFY (IMAP) user2@domain2.com jskj23#45");
  EXPECT_EQ(request.command, Command::Vrfy);
  EXPECT_EQ(request.mode, "IMAP");
  EXPECT_EQ(request.account, "user2@domain2.com");
  EXPECT_EQ(request.secret.view(), "jskj23#45");
}

TEST(ParseRequest, ModeOnlyWhenItLooksLikeOne) {
  // "()" has nothing inside: it is the account, and the real account then
  // stands where the password belongs.
  const auto empty_mode = parse_ok("1 VRFY () a@b");
  EXPECT_EQ(empty_mode.mode, "");
  EXPECT_EQ(empty_mode.account, "()");
  EXPECT_EQ(empty_mode.secret.view(), "a@b");
  // A quoted "(IMAP)" is an account, never a mode.
  const auto quoted = parse_ok("1 VRFY \"(IMAP)\" pw");
  EXPECT_EQ(quoted.mode, "");
  EXPECT_EQ(quoted.account, "(IMAP)");
  EXPECT_EQ(parse_ok("1 VRFY (x) a@b pw").mode, "x");
  EXPECT_EQ(parse_ok("1 VRFY (HTTP-admin) a@b pw").mode, "HTTP-admin");
}

TEST(ParseRequest, Sasl) {
  const auto request = parse_ok("00012 SASL(CRAM-MD5) user4@domain2.com hdkj547812329394055 <pop-23456@mydomain.com>");
  EXPECT_EQ(request.command, Command::Sasl);
  EXPECT_EQ(request.method, "CRAM-MD5");
  EXPECT_EQ(request.mode, "");
  EXPECT_EQ(request.account, "user4@domain2.com");
  EXPECT_EQ(request.secret.view(), "hdkj547812329394055");
  EXPECT_EQ(request.challenge, "<pop-23456@mydomain.com>");
}

TEST(ParseRequest, SaslWithMode) {
  const auto request = parse_ok("5 SASL(APOP) (POP) a@b 0123abcd \"<1896.697170952@dbc.mtview.ca.us>\"");
  EXPECT_EQ(request.method, "APOP");
  EXPECT_EQ(request.mode, "POP");
  EXPECT_EQ(request.account, "a@b");
  EXPECT_EQ(request.secret.view(), "0123abcd");
  EXPECT_EQ(request.challenge, "<1896.697170952@dbc.mtview.ca.us>");
}

TEST(ParseRequest, SaslNeedsMethod) {
  for (const char* line : {"3 SASL a@b r c", "3 SASL() a@b r c", "3 SASL( a@b r c", "3 SASL(x a@b r c",
                           "3 SASL (CRAM-MD5) a@b r c", "3 SASL"}) {
    expect_error(line, "3", "SASL needs a method: SASL(method)");
  }
}

TEST(ParseRequest, SaslMissingArguments) {
  for (const char* line : {"3 SASL(CRAM-MD5)", "3 SASL(CRAM-MD5) a@b", "3 SASL(CRAM-MD5) a@b resp",
                           "3 SASL(CRAM-MD5) (IMAP) a@b resp"}) {
    expect_error(line, "3", "SASL needs name@domain, response and challenge");
  }
}

TEST(ParseRequest, New) {
  const auto request = parse_ok("00010 NEW user1@domain1.com");
  EXPECT_EQ(request.command, Command::New);
  EXPECT_EQ(request.account, "user1@domain1.com");
  expect_error("00010 NEW", "00010", "NEW needs name@domain");
  // NEW has no mode: the parenthesised word is its account.
  EXPECT_EQ(parse_ok("1 NEW (IMAP)").account, "(IMAP)");
}

TEST(ParseRequest, Quit) {
  const auto request = parse_ok("00099 QUIT");
  EXPECT_EQ(request.seq, "00099");
  EXPECT_EQ(request.command, Command::Quit);
  EXPECT_EQ(parse_ok("1 QUIT now please").command, Command::Quit);
}

TEST(ParseRequest, CommandWordsIgnoreCase) {
  EXPECT_EQ(parse_ok("1 vrfy a@b pw").command, Command::Vrfy);
  EXPECT_EQ(parse_ok("1 Intf 2").command, Command::Intf);
  EXPECT_EQ(parse_ok("1 new a@b").command, Command::New);
  EXPECT_EQ(parse_ok("1 quit").command, Command::Quit);
  const auto sasl = parse_ok("1 sasl(cram-md5) a@b r c");
  EXPECT_EQ(sasl.command, Command::Sasl);
  EXPECT_EQ(sasl.method, "cram-md5");
}

TEST(ParseRequest, VrfyMissingArguments) {
  for (const char* line : {"8 VRFY", "8 VRFY a@b", "8 VRFY (IMAP) a@b", "8 VRFY (IMAP)", "8 VRFY a@b   "}) {
    expect_error(line, "8", "VRFY needs name@domain and password");
  }
}

TEST(ParseRequest, ExtraArgumentsAreIgnored) {
  const auto vrfy = parse_ok("1 VRFY a@b pw extra \"more stuff\"");
  EXPECT_EQ(vrfy.secret.view(), "pw");
  const auto sasl = parse_ok("1 SASL(CRAM-MD5) a@b r c d e");
  EXPECT_EQ(sasl.challenge, "c");
  EXPECT_EQ(parse_ok("1 NEW a@b extra").account, "a@b");
  EXPECT_EQ(parse_ok("1 INTF 2 3").version, 2u);
  // Ignored does not mean checked: a broken extra argument is not looked at.
  EXPECT_EQ(parse_ok("1 VRFY a@b pw \"unterminated").secret.view(), "pw");
}

TEST(ParseRequest, SequenceKeptByteForByte) {
  EXPECT_EQ(parse_ok("0 QUIT").seq, "0");
  EXPECT_EQ(parse_ok("000000000 QUIT").seq, "000000000");
  EXPECT_EQ(parse_ok("00000000000000000001 QUIT").seq, "00000000000000000001");
  EXPECT_EQ(parse_ok("99999999999999999999 QUIT").seq, "99999999999999999999");
}

TEST(ParseRequest, TwentyOneDigitsIsNoSequence) {
  expect_no_seq("000000000000000000001 QUIT");
  expect_no_seq("123456789012345678901 VRFY a@b pw");
}

TEST(ParseRequest, LinesWithoutUsableSequence) {
  expect_no_seq("");
  expect_no_seq(" 1 QUIT");
  expect_no_seq("QUIT");
  expect_no_seq("abc VRFY a@b pw");
  expect_no_seq("12a QUIT");
  expect_no_seq("-1 QUIT");
  expect_no_seq("1\tQUIT");
  expect_no_seq("* 1 QUIT");
}

TEST(ParseRequest, SequenceWithoutCommand) {
  expect_error("00005", "00005", "missing command after the sequence number");
  expect_error("00005 ", "00005", "missing command after the sequence number");
  expect_error("00005    ", "00005", "missing command after the sequence number");
}

TEST(ParseRequest, UnknownCommands) {
  expect_error("4 FOO a@b", "4", "unknown command");
  expect_error("4 VRFYX a@b pw", "4", "unknown command");
  expect_error("4 SASLX(PLAIN) a@b r c", "4", "unknown command");
  expect_error("4 VRF a@b pw", "4", "unknown command");
  expect_error("4 \"VRFY\" a@b pw", "4", "unknown command");
  expect_error("4 (IMAP) VRFY a@b pw", "4", "unknown command");
}

TEST(ParseRequest, RunsOfSpacesAreOneSeparator) {
  const auto request = parse_ok("1  VRFY   (IMAP)  a@b    pw  ");
  EXPECT_EQ(request.mode, "IMAP");
  EXPECT_EQ(request.account, "a@b");
  EXPECT_EQ(request.secret.view(), "pw");
}

TEST(ParseRequest, TabsAreOrdinaryBytes) {
  EXPECT_EQ(parse_ok("1 VRFY a@b p\tw").secret.view(), "p\tw");
  expect_error("1 VRFY a@b\tpw", "1", "VRFY needs name@domain and password");
  expect_error("1 VRFY\ta@b pw", "1", "unknown command");
}

TEST(ParseRequest, NulBytes) {
  expect_error("1 VRFY a@b p\0w"s, "1", "invalid NUL byte in request");
  expect_error("00001\0 QUIT"s, "", "invalid NUL byte in request");
  expect_error("\0"s, "", "invalid NUL byte in request");
  expect_error("x\0"s, "", "invalid NUL byte in request");
  expect_error("1 \0"s, "1", "invalid NUL byte in request");
}

TEST(ParseRequest, InvalidUtf8PassesThrough) {
  const auto request = parse_ok("1 VRFY us\xe9r@d\xc3\xa9.com \xff\xfe\xc3\x28\x80");
  EXPECT_EQ(request.account, "us\xe9r@d\xc3\xa9.com");
  EXPECT_EQ(request.secret.view(), "\xff\xfe\xc3\x28\x80");
}

TEST(ParseRequest, QuotedPasswords) {
  EXPECT_EQ(parse_ok(R"(1 VRFY a@b "p w")").secret.view(), "p w");
  EXPECT_EQ(parse_ok(R"(1 VRFY a@b "say \"hi\"")").secret.view(), "say \"hi\"");
  EXPECT_EQ(parse_ok(R"(1 VRFY a@b "back\\slash")").secret.view(), "back\\slash");
  EXPECT_EQ(parse_ok(R"(1 VRFY a@b "\065\009\255")").secret.view(), "A\t\xff");
  EXPECT_EQ(parse_ok(R"(1 VRFY a@b "  ")").secret.view(), "  ");
}

TEST(ParseRequest, EmptyQuotedPassword) {
  const auto request = parse_ok(R"(1 VRFY a@b "")");
  EXPECT_TRUE(request.secret.empty());
  EXPECT_EQ(request.account, "a@b");
}

TEST(ParseRequest, QuotedAccount) {
  EXPECT_EQ(parse_ok(R"(1 VRFY "first last@example.com" pw)").account, "first last@example.com");
}

TEST(ParseRequest, AccountShapeIsNotChecked) {
  EXPECT_EQ(parse_ok("1 VRFY nodomain pw").account, "nodomain");
  EXPECT_EQ(parse_ok("1 NEW @@@").account, "@@@");
}

TEST(ParseRequest, LongPasswords) {
  const std::string atom(2000, 'p');
  EXPECT_EQ(parse_ok("1 VRFY a@b " + atom).secret.view(), atom);
  std::string mixed;
  for (int i = 0; i < 2000; ++i) mixed.push_back(static_cast<char>(1 + i % 255));
  EXPECT_EQ(parse_ok("1 VRFY a@b " + quote_argument(mixed)).secret.view(), mixed);
}

TEST(ParseRequest, MalformedQuotedStrings) {
  for (const char* line : {R"(1 VRFY a@b "pw)", R"(1 VRFY a@b "\256")", R"(1 VRFY a@b "\000")",
                           R"(1 VRFY "a@b pw)", R"(1 VRFY a@b "pw"x)", R"(1 SASL(CRAM-MD5) a@b r "<c)",
                           R"(1 NEW "a@b)", R"(1 INTF "2)"}) {
    expect_error(line, "1", "malformed quoted string");
  }
}

TEST(ParseRequest, TrailingCrIsPartOfTheLine) {
  // The LineReader strips a CR before the LF; parse_request sees bytes only.
  EXPECT_EQ(parse_ok("1 VRFY a@b pw\r").secret.view(), "pw\r");
}

TEST(ParseRequest, ThroughLineReaderWithCrLfOrLf) {
  LineReader reader;
  reader.feed("1 VRFY a@b pw\r\n2 VRFY (IMAP) a@b \"p w\"\n3 QUIT\r\n");
  std::vector<std::string> passwords;
  while (auto line = reader.next()) {
    auto parsed = parse_request(line->text);
    ASSERT_TRUE(std::holds_alternative<Request>(parsed)) << line->text;
    passwords.emplace_back(std::get<Request>(parsed).secret.view());
  }
  EXPECT_EQ(passwords, (std::vector<std::string>{"pw", "p w", ""}));
}

TEST(LeadingSequence, Recognises) {
  EXPECT_EQ(leading_sequence("00001 QUIT"), "00001");
  EXPECT_EQ(leading_sequence("00001"), "00001");
  EXPECT_EQ(leading_sequence("12345678901234567890 x"), "12345678901234567890");
  EXPECT_EQ(leading_sequence("123456789012345678901 x"), std::nullopt);
  EXPECT_EQ(leading_sequence(""), std::nullopt);
  EXPECT_EQ(leading_sequence(" 1"), std::nullopt);
  EXPECT_EQ(leading_sequence("1x"), std::nullopt);
  EXPECT_EQ(leading_sequence("1\t"), std::nullopt);
}

TEST(LeadingSequence, FromOverlongHead) {
  LineReader reader;
  reader.feed("00077 VRFY a@b " + std::string(10000, 'x') + "\n");
  const auto line = reader.next();
  ASSERT_TRUE(line);
  ASSERT_TRUE(line->overlong);
  EXPECT_EQ(leading_sequence(line->text), "00077");
}

}  // namespace
}  // namespace authd::protocol
