// The administration protocol's grammar: every verb, every kind of bad
// input, and the formatting of answers.
#include <gtest/gtest.h>

#include "host/admin/admin_protocol.hpp"
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
      {Verb::Inline, "INLINE"},
      {Verb::Noop, "NOOP"},
      {Verb::CreateDomain, "CREATEDOMAIN Other.ORG"},
      {Verb::DeleteDomain, "DELETEDOMAIN other.org"},
      {Verb::ListDomains, "LISTDOMAINS"},
      {Verb::CreateAccount, "CREATEACCOUNT bob@other.org secret"},
      {Verb::DeleteAccount, "DELETEACCOUNT bob@other.org"},
      {Verb::ListAccounts, "LISTACCOUNTS other.org"},
      {Verb::SetAccountPassword, "SETACCOUNTPASSWORD bob@other.org \"new one\""},
      {Verb::GetAccountSettings, "GETACCOUNTSETTINGS bob@other.org"},
      {Verb::GetAccountEffectiveSettings, "GETACCOUNTEFFECTIVESETTINGS bob@other.org"},
      {Verb::UpdateAccountSettings, "UPDATEACCOUNTSETTINGS bob@other.org UseExtPassword=yes"},
      {Verb::GetAccountRights, "GETACCOUNTRIGHTS bob@other.org"},
      {Verb::SetAccountRights, "SETACCOUNTRIGHTS bob@other.org CanModifyThisDomain"},
      {Verb::GetServerSettings, "GETSERVERSETTINGS"},
      {Verb::UpdateServerSettings, "UPDATESERVERSETTINGS FailedLoginLimit=3"},
      {Verb::GetDomainSettings, "GETDOMAINSETTINGS other.org"},
      {Verb::UpdateDomainSettings, "UPDATEDOMAINSETTINGS other.org ConsultExternalAuthenticator=on"},
      {Verb::UnlockAccount, "UNLOCKACCOUNT bob@other.org"},
      {Verb::GetStatistics, "GETSTATISTICS"},
      {Verb::GetDomainPki, "GETDOMAINPKI other.org"},
      {Verb::GenerateDomainKey, "GENERATEDOMAINKEY other.org ec-p256"},
      {Verb::ImportDomainKey, "IMPORTDOMAINKEY other.org \"-----BEGIN PRIVATE KEY-----\\e...\""},
      {Verb::RemoveDomainKey, "REMOVEDOMAINKEY other.org"},
      {Verb::SelfSignDomainCertificate, "SELFSIGNDOMAINCERTIFICATE other.org {Contact=a@other.org;Days=30;}"},
      {Verb::MakeDomainCsr, "MAKEDOMAINCSR other.org {AltNames=(mail.other.org,other.org);}"},
      {Verb::SetDomainCertificate, "SETDOMAINCERTIFICATE other.org \"-----BEGIN CERTIFICATE-----\""},
      {Verb::RefreshDomainCertificate, "REFRESHDOMAINCERTIFICATE other.org 90"},
      {Verb::RemoveDomainCertificate, "REMOVEDOMAINCERTIFICATE other.org"},
      {Verb::SetDomainCaChain, "SETDOMAINCACHAIN other.org \"-----BEGIN CERTIFICATE-----\""},
      {Verb::RemoveDomainCaChain, "REMOVEDOMAINCACHAIN other.org"},
      {Verb::ExportDomainCertificate, "EXPORTDOMAINCERTIFICATE other.org chain"},
      {Verb::SetDomainPkiMode, "SETDOMAINPKIMODE other.org enabled"},
      {Verb::GetServerTrustedCerts, "GETSERVERTRUSTEDCERTS"},
      {Verb::AddServerTrustedCert, "ADDSERVERTRUSTEDCERT \"-----BEGIN CERTIFICATE-----\""},
      {Verb::RemoveServerTrustedCert, "REMOVESERVERTRUSTEDCERT 0A1B"},
      {Verb::GetDomainTrustedCerts, "GETDOMAINTRUSTEDCERTS other.org"},
      {Verb::AddDomainTrustedCert, "ADDDOMAINTRUSTEDCERT other.org \"-----BEGIN CERTIFICATE-----\""},
      {Verb::RemoveDomainTrustedCert, "REMOVEDOMAINTRUSTEDCERT other.org 0A1B"},
      {Verb::CheckPki, "CHECKPKI 30"},
      {Verb::GetTestCertificate, "GETTESTCERTIFICATE"},
      {Verb::RefreshTestCertificate, "REFRESHTESTCERTIFICATE"},
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
    if (verb == Verb::Pass) continue;  // the password runs to the line end
    const std::string error = parse_error(line + " extra");
    EXPECT_TRUE(contains(error, "too many arguments")) << line << ": " << error;
  }
  EXPECT_TRUE(contains(parse_error("UPDATEACCOUNTSETTINGS bob@other.org extra"), "not NAME=VALUE"));
}

TEST(AdminProtocol, MalformedQuotingIsReportedByPosition) {
  EXPECT_TRUE(contains(parse_error("CREATEDOMAIN \"other.org"), "argument 1: a quoted string without its closing"));
  EXPECT_TRUE(contains(parse_error("DELETEACCOUNT \"bob\\256@other.org\""), "argument 1: a bad escape"));
  EXPECT_TRUE(contains(parse_error("DELETEACCOUNT \"bob\\000@other.org\""), "argument 1: a NUL byte"));
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS A=1 \"B=2"), "argument 2: a quoted string"));
  EXPECT_TRUE(contains(parse_error("SETACCOUNTRIGHTS bob@other.org \"CanMonitorServer"), "argument 2"));
}

TEST(AdminProtocol, PasswordsNeverAppearInErrors) {
  for (const char* line : {"SETACCOUNTPASSWORD bob@other.org \"hunter2", "SETACCOUNTPASSWORD bob@other.org hunter2 x",
                           "SETACCOUNTPASSWORD bob@other.org TO (hunter2)",
                           "CREATEACCOUNT bob@other.org \"hunter2\\000\"", "CREATEACCOUNT bob@other.org hunter2 x",
                           "CREATEACCOUNT bob@other.org {Password=hunter2}",
                           "CREATEACCOUNT bob@other.org {Password=\"hunter2\\377\";}",
                           "CREATEACCOUNT bob@other.org {Password=hunter2;Password=hunter2;}",
                           "UPDATEACCOUNTSETTINGS bob@other.org {Password=(hunter2);}"}) {
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

// A dictionary GET*SETTINGS sends can be sent back to UPDATE*SETTINGS:
// every UTF-8 string survives.
TEST(AdminProtocol, SettingDictionariesRoundTripEveryString) {
  std::string ascii;
  for (int b = 1; b < 128; ++b) ascii += static_cast<char>(b);
  for (const std::string& value : {ascii, std::string(" lead and trail "), std::string("\"q\\"),
                                   std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"), std::string("default?")}) {
    const Value sent = Value::dictionary({{"OSUserName", Value::string(value)}});
    const std::string text = format_value(sent);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_EQ(text.find('\r'), std::string::npos);
    const Command c = parse_ok("UPDATEACCOUNTSETTINGS bob@other.org " + text);
    EXPECT_EQ(c.changes.at("OSUserName"), value);
  }
}

TEST(AdminProtocol, AnswersAreOneLineOrDataFollowing) {
  EXPECT_EQ(format_answer(ok()), "200 OK\r\n");
  const Answer listed = with_data(Value::array({Value::string("example.com"), Value::string("b")}));
  EXPECT_EQ(format_answer(listed), "200 data follow\r\n(\"example.com\",b)\r\n");
  EXPECT_EQ(format_answer(listed, true), "201 (\"example.com\",b)\r\n");
  EXPECT_EQ(format_answer({Code::Password, "send PASS", std::nullopt, false}), "300 send PASS\r\n");
  EXPECT_EQ(format_answer(error("bad\r\nthing")), "500 bad\\013\\010thing\r\n");
  EXPECT_EQ(format_answer(temporary("later")), "400 later\r\n");
  EXPECT_EQ(from_status(Status::error(ErrorCode::PermissionDenied, "x lacks y")).text, "permission denied: x lacks y");
  EXPECT_EQ(from_status(Status::error(ErrorCode::NotFound, "no account")).code, Code::Error);
  EXPECT_EQ(from_status(Status::error(ErrorCode::Storage, "locked")).code, Code::Temporary);
  EXPECT_EQ(from_status(Status::success()).code, Code::Ok);
}

TEST(AdminProtocol, AnswerLinesParse) {
  AnswerLine l = parse_answer_line("201 {a=b;}");
  EXPECT_EQ(l.code, 201);
  EXPECT_EQ(l.text, "{a=b;}");
  l = parse_answer_line("500 no");
  EXPECT_EQ(l.code, 500);
  EXPECT_EQ(l.text, "no");
  EXPECT_EQ(parse_answer_line("400").code, 400);
  EXPECT_EQ(parse_answer_line("20").code, 0);
  EXPECT_EQ(parse_answer_line("abc text").code, 0);
  EXPECT_EQ(parse_answer_line("200xdata").code, 0);
  EXPECT_EQ(parse_answer_line("200-data").code, 0);
}

// ---------------------------------------------------------------------------
// CGP's data formats and its command forms.

Value read_ok(std::string_view text, bool top_level = true) {
  std::string error;
  auto value = read_value(text, top_level, error);
  EXPECT_TRUE(value.has_value()) << text << ": " << error;
  return value ? std::move(*value) : Value{};
}

std::string read_error(std::string_view text) {
  std::string error;
  const auto value = read_value(text, true, error);
  EXPECT_FALSE(value.has_value()) << text;
  return error;
}

TEST(AdminProtocol, DictionariesArraysAndStringsParse) {
  Value d = read_ok("{key=value;key2=\"two words\"; Empty = \"\" ;list=(a, \"b c\",(d)); inner={x=1;};}");
  ASSERT_EQ(d.kind, Value::Kind::Dictionary);
  ASSERT_EQ(d.entries.size(), 5u);
  EXPECT_EQ(d.entries[0].first, "key");
  EXPECT_EQ(d.entries[0].second.text, "value");
  EXPECT_EQ(d.entries[1].second.text, "two words");
  EXPECT_EQ(d.entries[2].first, "Empty");
  EXPECT_EQ(d.entries[2].second.text, "");
  ASSERT_EQ(d.entries[3].second.kind, Value::Kind::Array);
  ASSERT_EQ(d.entries[3].second.items.size(), 3u);
  EXPECT_EQ(d.entries[3].second.items[1].text, "b c");
  EXPECT_EQ(d.entries[3].second.items[2].items.at(0).text, "d");
  EXPECT_EQ(d.entries[4].second.entries.at(0).second.text, "1");
  // The text form reads back as the same object, and is CGP's.
  EXPECT_EQ(format_value(d), "{key=value;key2=\"two words\";Empty=\"\";list=(a,\"b c\",(d));inner={x=1;};}");
  EXPECT_EQ(format_value(read_ok(format_value(d))), format_value(d));
  EXPECT_EQ(read_ok("()").items.size(), 0u);
  EXPECT_EQ(read_ok("{}").entries.size(), 0u);
  // Escapes: \" \\ \r \n \t \e and \ddd.
  EXPECT_EQ(read_ok(R"("a\"b\\c\rd\ne\tf\eg\065")").text, "a\"b\\c\rd\ne\tf\ng" "A");
  // In an argument an atom runs to the next space; inside a structure to a delimiter.
  EXPECT_EQ(read_ok("bob@example.com").text, "bob@example.com");
  EXPECT_EQ(read_ok("A=1;B").text, "A=1;B");
  EXPECT_EQ(read_ok("(#NULL#,x.y@z)").items.at(0).text, "#NULL#");
  EXPECT_EQ(format_value(Value::string("a\001\x7f" "b")), "\"a\\001\\127b\"");
}

TEST(AdminProtocol, BadObjectsGetSpecificErrors) {
  EXPECT_TRUE(contains(read_error("{a=b;"), "a dictionary without its closing '}'"));
  EXPECT_TRUE(contains(read_error("{a=b"), "a dictionary without its closing '}'"));
  EXPECT_TRUE(contains(read_error("(a,b"), "an array without its closing ')'"));
  EXPECT_TRUE(contains(read_error("{a=\"b;}"), "a quoted string without its closing quote"));
  EXPECT_TRUE(contains(read_error("{a b;}"), "'=' expected after the key 'a'"));
  EXPECT_TRUE(contains(read_error("{a=b c;}"), "';' expected after the value of 'a'"));
  EXPECT_TRUE(contains(read_error("{a=1;a=2;}"), "the key 'a' is given twice"));
  EXPECT_TRUE(contains(read_error("(a;b)"), "',' or ')' expected"));
  EXPECT_TRUE(contains(read_error("{a=\"\\300\";}"), "above 255"));
  EXPECT_TRUE(contains(read_error("[SGVsbG8=]"), "data blocks"));
  // Nesting: 16 levels are fine, 17 are not.
  EXPECT_EQ(read_ok(std::string(16, '(') + std::string(16, ')')).kind, Value::Kind::Array);
  EXPECT_TRUE(contains(read_error(std::string(17, '(') + std::string(17, ')')), "nested deeper than 16 levels"));
  EXPECT_TRUE(contains(read_error(std::string(100000, '(')), "nested deeper than 16 levels"));
  // NUL, raw or escaped; bytes that are not UTF-8.
  EXPECT_TRUE(contains(read_error(std::string("{a=\"x\0y\";}", 10)), "a NUL byte"));
  EXPECT_TRUE(contains(read_error("{a=\"x\\000y\";}"), "a NUL byte"));
  for (const char* bad : {"{a=\"\xff\";}", "{a=\"\xc0\x80\";}", "{a=\"\xed\xa0\x80\";}", "{\xe2\x82=x;}",
                          "(\"\xf4\x90\x80\x80\")", "{a=\"\\200\";}"})
    EXPECT_TRUE(contains(read_error(bad), "not UTF-8")) << bad;
  // Through a command: a 500 text naming the argument.
  for (const char* line : {"UPDATEACCOUNTSETTINGS bob@other.org {UseExtPassword=YES;",
                           "UPDATEACCOUNTSETTINGS bob@other.org {UseExtPassword=\"YES;}",
                           "UPDATEACCOUNTSETTINGS bob@other.org {OSUserName=\"\xff\";}",
                           "SETACCOUNTRIGHTS bob@other.org (CanModifyThisDomain"}) {
    const std::string error = parse_error(line);
    EXPECT_TRUE(contains(error, "argument 2: ")) << error;
    EXPECT_EQ(error.find('\xff'), std::string::npos);
  }
}

TEST(AdminProtocol, CreateAccountTakesCgpsArgumentsAndADictionaryIsNeverAPassword) {
  Command c = parse_ok("CREATEACCOUNT bob@other.org {company=X;title=Y;}");
  EXPECT_FALSE(c.has_password);
  EXPECT_EQ(c.changes.at("company"), "X");  // the host refuses names it does not know
  EXPECT_EQ(c.changes.at("title"), "Y");
  c = parse_ok("CreateAccount bob@other.org {Password=\"two words\"; useextpassword=YES; PasswordEncryption=clear;}");
  ASSERT_TRUE(c.has_password);
  EXPECT_EQ(c.password.view(), "two words");
  EXPECT_FALSE(c.changes.contains("Password"));
  EXPECT_EQ(c.changes.at("UseExtPassword"), "YES");  // the host's name, whatever the case sent
  EXPECT_EQ(c.changes.at("PasswordEncryption"), "clear");
  c = parse_ok("CREATEACCOUNT bob@other.org MultiMailbox external {Password=x;}");
  EXPECT_EQ(c.password.view(), "x");
  EXPECT_FALSE(parse_ok("CREATEACCOUNT bob@other.org TextMailbox").has_password);
  // The older form: one string after the address is the password.
  c = parse_ok("CREATEACCOUNT bob@other.org \"{company=X;}\"");
  EXPECT_EQ(c.password.view(), "{company=X;}");
  EXPECT_TRUE(contains(parse_error("CREATEACCOUNT bob@other.org {Password=(a,b);}"), "must be a string"));
  EXPECT_TRUE(contains(parse_error("CREATEACCOUNT bob@other.org {A=1;} {B=2;}"), "too many arguments"));
}

TEST(AdminProtocol, SettingsDictionariesRemoveWithDefault) {
  Command c = parse_ok("UPDATEACCOUNTSETTINGS bob@other.org {UseExtPassword=default;OSUserName=#NULL#;"
                       "RequireSecureMethod=YES;Password=default;}");
  EXPECT_FALSE(c.changes.at("UseExtPassword").has_value());
  EXPECT_FALSE(c.changes.at("OSUserName").has_value());
  EXPECT_EQ(c.changes.at("RequireSecureMethod"), "YES");
  EXPECT_TRUE(c.remove_password);
  EXPECT_FALSE(c.has_password);
  c = parse_ok("UPDATESERVERSETTINGS {FailedLoginLimit=3;ClientIPAddresses=\"10.0.0.0/8, ::1\";}");
  EXPECT_EQ(c.changes.at("FailedLoginLimit"), "3");
  EXPECT_EQ(c.changes.at("ClientIPAddresses"), "10.0.0.0/8, ::1");
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS {Password=x;}"), "Password belongs to one account"));
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS {ExternalAuthenticator=\"/bin/sh\";}"),
                       "cannot be changed through the administration interface"));
  EXPECT_TRUE(contains(parse_error("UPDATESERVERSETTINGS {failedloginlimit=1;FailedLoginLimit=2;}"), "given twice"));
}

TEST(AdminProtocol, CgpCommandFormsAndOwnDomainDefaults) {
  for (const char* line : {"SETACCOUNTPASSWORD bob@other.org TO \"new one\"", "SetAccountPassword bob@other.org PASSWORD \"new one\"",
                           "SETACCOUNTPASSWORD bob@other.org \"new one\""}) {
    const Command c = parse_ok(line);
    EXPECT_EQ(c.password.view(), "new one") << line;
  }
  // "TO" alone is a password in the older form.
  EXPECT_EQ(parse_ok("SETACCOUNTPASSWORD bob@other.org TO").password.view(), "TO");
  Command c = parse_ok("SETACCOUNTRIGHTS bob@example.com (CanModifyUserAccounts,\"CanMonitorServer\")");
  EXPECT_EQ(format_rights(c.rights), "CanModifyUserAccounts, CanMonitorServer");
  EXPECT_TRUE(parse_ok("SETACCOUNTRIGHTS bob@example.com ()").rights.empty());
  EXPECT_TRUE(contains(parse_error("SETACCOUNTRIGHTS bob@example.com (CanFly)"), "CanFly"));
  // A name without @domain, and an omitted domain: the logged-in account's domain.
  EXPECT_EQ(parse_command("DELETEACCOUNT bob", "other.org").command->address, "bob@other.org");
  EXPECT_EQ(parse_command("LISTACCOUNTS", "other.org").command->domain, "other.org");
  EXPECT_EQ(parse_command("GETDOMAINSETTINGS", "other.org").command->domain, "other.org");
  c = std::move(*parse_command("UPDATEDOMAINSETTINGS {ConsultExternalAuthenticator=YES;}", "other.org").command);
  EXPECT_EQ(c.domain, "other.org");
  EXPECT_EQ(c.changes.at("ConsultExternalAuthenticator"), "YES");
  EXPECT_EQ(parse_ok("CREATEDOMAIN new.org {ConsultExternalAuthenticator=YES;}").changes.size(), 1u);
  // CLI.pm sends the password as it is, to the line end.
  EXPECT_EQ(parse_ok("PASS pm secret").password.view(), "pm secret");
  EXPECT_EQ(parse_ok("PASS \"pm secret\"").password.view(), "pm secret");
  EXPECT_EQ(parse_ok("PASS \"pm\" secret").password.view(), "\"pm\" secret");
  EXPECT_EQ(parse_ok("PASS {a=b;}").password.view(), "{a=b;}");
  EXPECT_TRUE(contains(parse_error("APOP postmaster@example.com 0123456789abcdef"), "log in with USER and PASS"));
}

TEST(AdminProtocol, PrintableEscapesControlBytesAndCuts) {
  EXPECT_EQ(printable("a\tb\x7f"), "a\\009b\\127");
  EXPECT_EQ(printable(std::string(10, 'x'), 4), "xxxx...");
}

}  // namespace
}  // namespace authd::host::admin
