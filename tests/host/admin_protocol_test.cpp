// The administration protocol's grammar: every verb, every kind of bad
// input, and the formatting of answers.
#include <gtest/gtest.h>

#include "host/admin_protocol.hpp"
#include "protocol/quoting.hpp"

namespace authd::host::admin {
namespace {

Command parse_ok(std::string_view line) {
  Parsed parsed = parse_command(line);
  EXPECT_TRUE(parsed.command.has_value()) << line << ": " << parsed.error;
  return parsed.command ? std::move(*parsed.command) : Command{};
}

std::string parse_error(std::string_view line) {
  const Parsed parsed = parse_command(line);
  EXPECT_FALSE(parsed.command.has_value()) << line;
  EXPECT_FALSE(parsed.error.empty()) << line;
  return parsed.error;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// A well-formed line for every verb.
const std::vector<std::pair<Verb, std::string>>& good_lines() {
  static const std::vector<std::pair<Verb, std::string>> lines = {
      {Verb::User, "USER postmaster@example.com"},
      {Verb::Pass, "PASS \"pass word\""},
      {Verb::Quit, "QUIT"},
      {Verb::CreateDomain, "CREATEDOMAIN Other.ORG"},
      {Verb::DeleteDomain, "DELETEDOMAIN other.org"},
      {Verb::ListDomains, "LISTDOMAINS"},
      {Verb::CreateAccount, "CREATEACCOUNT bob@other.org secret"},
      {Verb::DeleteAccount, "DELETEACCOUNT bob@other.org"},
      {Verb::ListAccounts, "LISTACCOUNTS other.org"},
      {Verb::SetAccountPassword, "SETACCOUNTPASSWORD bob@other.org \"new one\""},
      {Verb::GetAccountSettings, "GETACCOUNTSETTINGS bob@other.org"},
      {Verb::UpdateAccountSettings, "UPDATEACCOUNTSETTINGS bob@other.org UseExtPassword=yes"},
      {Verb::GetAccountRights, "GETACCOUNTRIGHTS bob@other.org"},
      {Verb::SetAccountRights, "SETACCOUNTRIGHTS bob@other.org CanModifyThisDomain"},
      {Verb::GetServerSettings, "GETSERVERSETTINGS"},
      {Verb::UpdateServerSettings, "UPDATESERVERSETTINGS FailedLoginLimit=3"},
      {Verb::GetDomainSettings, "GETDOMAINSETTINGS other.org"},
      {Verb::UpdateDomainSettings, "UPDATEDOMAINSETTINGS other.org ConsultExternalAuthenticator=on"},
      {Verb::UnlockAccount, "UNLOCKACCOUNT bob@other.org"},
      {Verb::GetStatistics, "GETSTATISTICS"},
  };
  return lines;
}

TEST(AdminProtocol, EveryVerbParsesInAnyCase) {
  ASSERT_EQ(good_lines().size(), verbs().size());
  for (const auto& [verb, line] : good_lines()) {
    EXPECT_EQ(parse_ok(line).verb, verb) << line;
    std::string lower = line;
    for (std::size_t i = 0; i < lower.find(' ') && i < lower.size(); ++i)
      lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i])));
    EXPECT_EQ(parse_ok(lower).verb, verb) << lower;
  }
}

TEST(AdminProtocol, ArgumentsAreCanonicalAndDecoded) {
  Command c = parse_ok("CreateAccount Bob@Other.ORG \"pass \\\"word\\\" \\001\"");
  EXPECT_EQ(c.address, "bob@other.org");
  EXPECT_EQ(c.account, "bob");
  EXPECT_EQ(c.domain, "other.org");
  ASSERT_TRUE(c.has_password);
  EXPECT_EQ(c.password.view(), "pass \"word\" \001");
  EXPECT_FALSE(parse_ok("CREATEACCOUNT bob@other.org").has_password);
  EXPECT_EQ(parse_ok("createdomain Other.ORG").domain, "other.org");
  // USER takes the name as typed: the login path judges it, so that a
  // malformed name is answered (and counted) like any unknown one.
  EXPECT_EQ(parse_ok("USER Not/A@Name").address, "Not/A@Name");
  c = parse_ok("SETACCOUNTRIGHTS bob@example.com \"CanModifyUserAccounts, CanMonitorServer\"");
  EXPECT_EQ(format_rights(c.rights), "CanModifyUserAccounts, CanMonitorServer");
  EXPECT_TRUE(parse_ok("SETACCOUNTRIGHTS bob@example.com \"\"").rights.empty());
  // Runs of spaces separate arguments; a CR is the line end's business.
  EXPECT_EQ(parse_ok("DELETEACCOUNT    bob@other.org   ").address, "bob@other.org");
}

TEST(AdminProtocol, SettingsArePairsAndAnEmptyValueRemoves) {
  const Command c = parse_ok(
      "UPDATESERVERSETTINGS FailedLoginLimit=3 \"ClientIPAddresses=10.0.0.0/8, 192.0.2.1\" FailureAnswerTime=");
  ASSERT_EQ(c.changes.size(), 3u);
  EXPECT_EQ(c.changes.at("FailedLoginLimit"), "3");
  EXPECT_EQ(c.changes.at("ClientIPAddresses"), "10.0.0.0/8, 192.0.2.1");
  EXPECT_FALSE(c.changes.at("FailureAnswerTime").has_value());
  // '=' inside the value belongs to the value.
  EXPECT_EQ(parse_ok("UPDATEACCOUNTSETTINGS a@b.c OSUserName=a=b").changes.at("OSUserName"), "a=b");
}

TEST(AdminProtocol, MissingArgumentsNameWhatIsMissing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"USER", "account name"},
      {"PASS", "password"},
      {"CREATEDOMAIN", "domain"},
      {"DELETEDOMAIN", "domain"},
      {"CREATEACCOUNT", "account address"},
      {"DELETEACCOUNT", "account address"},
      {"LISTACCOUNTS", "domain"},
      {"SETACCOUNTPASSWORD", "account address"},
      {"SETACCOUNTPASSWORD bob@other.org", "password"},
      {"GETACCOUNTSETTINGS", "account address"},
      {"UPDATEACCOUNTSETTINGS", "account address"},
      {"UPDATEACCOUNTSETTINGS bob@other.org", "at least one setting"},
      {"GETACCOUNTRIGHTS", "account address"},
      {"SETACCOUNTRIGHTS", "account address"},
      {"SETACCOUNTRIGHTS bob@other.org", "rights"},
      {"UPDATESERVERSETTINGS", "at least one setting"},
      {"GETDOMAINSETTINGS", "domain"},
      {"UPDATEDOMAINSETTINGS", "domain"},
      {"UPDATEDOMAINSETTINGS other.org", "at least one setting"},
      {"UNLOCKACCOUNT", "account address"},
  };
  for (const auto& [line, what] : cases) {
    const std::string error = parse_error(line);
    EXPECT_TRUE(contains(error, ": missing ") && contains(error, what)) << line << ": " << error;
    EXPECT_TRUE(contains(error, "usage: ")) << error;
  }
}

TEST(AdminProtocol, ExtraArgumentsAreRefused) {
  for (const auto& [verb, line] : good_lines()) {
    if (verb == Verb::UpdateAccountSettings || verb == Verb::UpdateServerSettings ||
        verb == Verb::UpdateDomainSettings)
      continue;  // these take any number of settings
    const std::string error = parse_error(line + " extra");
    EXPECT_TRUE(contains(error, "too many arguments")) << line << ": " << error;
  }
  EXPECT_TRUE(contains(parse_error("UPDATEACCOUNTSETTINGS bob@other.org extra"), "not NAME=VALUE"));
}

TEST(AdminProtocol, MalformedQuotingIsReportedByPosition) {
  EXPECT_TRUE(contains(parse_error("CREATEDOMAIN \"other.org"), "argument 1: a quoted string without its closing"));
  EXPECT_TRUE(contains(parse_error("DELETEACCOUNT \"bob\\256@other.org\""), "argument 1: a bad escape"));
  EXPECT_TRUE(contains(parse_error("DELETEACCOUNT \"bob\\000@other.org\""), "a bad escape"));
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS A=1 \"B=2"), "argument 2: a quoted string"));
  EXPECT_TRUE(contains(parse_error("SETACCOUNTRIGHTS bob@other.org \"CanMonitorServer"), "argument 2"));
}

TEST(AdminProtocol, PasswordsNeverAppearInErrors) {
  for (const char* line : {"PASS \"hunter2", "PASS \"hunter2\\256\"", "PASS hunter2 hunter2",
                           "SETACCOUNTPASSWORD bob@other.org \"hunter2", "SETACCOUNTPASSWORD bob@other.org hunter2 x",
                           "CREATEACCOUNT bob@other.org \"hunter2\\000\""}) {
    const std::string error = parse_error(line);
    EXPECT_FALSE(contains(error, "hunter2")) << error;
  }
}

TEST(AdminProtocol, UnknownCommandsAndEmptyLines) {
  EXPECT_TRUE(contains(parse_error("FROBNICATE x"), "unknown command 'FROBNICATE'"));
  EXPECT_TRUE(contains(parse_error(""), "empty line"));
  EXPECT_TRUE(contains(parse_error(" QUIT"), "starts with its command word"));
  // The echo of an unknown word stays one short, printable line.
  const std::string error = parse_error(std::string("BAD\r\nWORD") + std::string(500, 'x'));
  EXPECT_FALSE(contains(error, "\r"));
  EXPECT_FALSE(contains(error, "\n"));
  EXPECT_LT(error.size(), 100u);
}

TEST(AdminProtocol, NamesOutsideTheAllowedSetAreRefused) {
  for (const char* bad : {"a b@example.com", "a/b@example.com", "../x@example.com", "noat", "a@b@example.com",
                          ".a@example.com", "x@exa_mple.com", "x@-a.com"}) {
    const std::string line = "DELETEACCOUNT " + protocol::quote_argument(bad);
    EXPECT_TRUE(contains(parse_error(line), "is not an account address")) << line;
    EXPECT_TRUE(contains(parse_error("GETACCOUNTSETTINGS " + protocol::quote_argument(bad)), "not an account"));
  }
  for (const std::string& bad : std::vector<std::string>{"../etc", "a b.com", "x/y", "-a.com", "a..b",
                                                          std::string(300, 'a')}) {
    const std::string line = "CREATEDOMAIN " + protocol::quote_argument(bad);
    EXPECT_TRUE(contains(parse_error(line), "is not a domain name")) << line;
    EXPECT_TRUE(contains(parse_error("GETDOMAINSETTINGS " + protocol::quote_argument(bad)), "not a domain name"));
  }
  EXPECT_TRUE(contains(parse_error("SETACCOUNTRIGHTS bob@other.org CanFly"), "CanFly"));
}

TEST(AdminProtocol, MalformedSettingsArguments) {
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS FailedLoginLimit"), "is not NAME=VALUE"));
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS =3"), "is not NAME=VALUE"));
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS A=1 A=2"), "given twice"));
}

TEST(AdminProtocol, TheExternalAuthenticatorCannotBeSetOverTheNetwork) {
  for (const char* line : {"UPDATESERVERSETTINGS ExternalAuthenticator=/bin/sh",
                           "UPDATESERVERSETTINGS FailedLoginLimit=3 \"externalauthenticator=/bin/sh -c id\"",
                           "UPDATESERVERSETTINGS ExternalAuthenticator=",
                           "UPDATEDOMAINSETTINGS other.org EXTERNALAUTHENTICATOR=x",
                           "UPDATEACCOUNTSETTINGS bob@other.org ExternalAuthenticator=x"}) {
    const std::string error = parse_error(line);
    EXPECT_TRUE(contains(error, "ExternalAuthenticator cannot be changed through the administration interface"))
        << error;
    EXPECT_TRUE(contains(error, "authhost --data DIR settings set")) << error;
  }
  EXPECT_TRUE(is_refused_over_network("ExternalAuthenticator"));
  EXPECT_FALSE(is_refused_over_network("ExternalTimeout"));
}

// What GET*SETTINGS sends can be sent back to UPDATE*SETTINGS: every byte
// but NUL survives.
TEST(AdminProtocol, SettingLinesRoundTripEveryByte) {
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  for (const std::string& value : {all, std::string(" lead and trail "), std::string("\"q\\"), std::string()}) {
    const std::string line = setting_line({"OSUserName", value, "account"});
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find('\r'), std::string::npos);
    std::string_view rest = line;
    std::string pair, origin;
    ASSERT_EQ(protocol::next_argument(rest, pair), protocol::ArgumentStatus::Ok);
    ASSERT_EQ(protocol::next_argument(rest, origin), protocol::ArgumentStatus::Ok);
    EXPECT_EQ(origin, "account");
    const Command c = parse_ok("UPDATEACCOUNTSETTINGS bob@other.org " + protocol::quote_argument(pair));
    if (value.empty())
      EXPECT_FALSE(c.changes.at("OSUserName").has_value());
    else
      EXPECT_EQ(c.changes.at("OSUserName"), value);
  }
}

TEST(AdminProtocol, AnswersAreFormattedOnePerLine) {
  Answer a = ok();
  a.data = {"one", "\"two words\""};
  EXPECT_EQ(format_answer(a), "200-one\r\n200-\"two words\"\r\n200 OK\r\n");
  EXPECT_EQ(format_answer(error("bad\r\nthing")), "500 bad\\013\\010thing\r\n");
  EXPECT_EQ(format_answer(temporary("later")), "400 later\r\n");
  EXPECT_EQ(from_status(Status::error(ErrorCode::PermissionDenied, "x lacks y")).text, "permission denied: x lacks y");
  EXPECT_EQ(from_status(Status::error(ErrorCode::NotFound, "no account")).code, Code::Error);
  EXPECT_EQ(from_status(Status::error(ErrorCode::Storage, "locked")).code, Code::Temporary);
  EXPECT_EQ(from_status(Status::success()).code, Code::Ok);
  EXPECT_EQ(value_line("Logins", "3"), "Logins 3");
}

TEST(AdminProtocol, AnswerLinesParse) {
  AnswerLine l = parse_answer_line("200-data here");
  EXPECT_EQ(l.code, 200);
  EXPECT_FALSE(l.last);
  EXPECT_EQ(l.text, "data here");
  l = parse_answer_line("500 no");
  EXPECT_EQ(l.code, 500);
  EXPECT_TRUE(l.last);
  EXPECT_EQ(parse_answer_line("400").code, 400);
  EXPECT_EQ(parse_answer_line("20").code, 0);
  EXPECT_EQ(parse_answer_line("abc text").code, 0);
  EXPECT_EQ(parse_answer_line("200xdata").code, 0);
}

TEST(AdminProtocol, PrintableEscapesControlBytesAndCuts) {
  EXPECT_EQ(printable("a\tb\x7f"), "a\\009b\\127");
  EXPECT_EQ(printable(std::string(10, 'x'), 4), "xxxx...");
}

}  // namespace
}  // namespace authd::host::admin
