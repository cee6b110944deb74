// The login fronts' sessions without sockets: each protocol driven line by
// line with a ConnectionState of the test's making and LoginResults of its
// choosing; the shared SASL exchanges on their own.
#include <gtest/gtest.h>

#include <functional>
#include <regex>

#include "host/fronts/sasl.hpp"
#include "host/fronts/session.hpp"
#include "passwords/challenge.hpp"

namespace authd::host::fronts {
namespace {

using Next = Output::Next;
using namespace std::string_literals;

constexpr std::string_view kAccount = "bob@example.com";

std::string b64(std::string_view text) { return sasl_encode(text); }

std::string decode(std::string_view text) {
  DecodedResponse decoded;
  EXPECT_TRUE(decoded.decode(text)) << text;
  return std::string(decoded.view());
}

LoginResult result(LoginStatus status, std::string_view text) {
  LoginResult r;
  r.status = status;
  r.text = text;
  return r;
}
LoginResult accepted() { return result(LoginStatus::Accepted, login_text::accepted); }
LoginResult rejected(std::string_view text = login_text::hidden) { return result(LoginStatus::Rejected, text); }
LoginResult temp_failed() { return result(LoginStatus::TempFail, login_text::temporary); }
LoginResult address_refused() { return result(LoginStatus::AddressRefused, login_text::address_refused); }

std::string cram_response(std::string_view password, std::string_view challenge) {
  passwords::CramMd5Context context;
  passwords::CramMd5Context::from_password(password, context);
  return passwords::cram_md5_response(context, challenge);
}

// A connection as the connection layer would keep it: the state outlives
// the session.
struct Connection {
  explicit Connection(Protocol protocol, const std::function<void(ConnectionState&)>& setup = {},
                      SessionLimits session_limits = {})
      : limits(session_limits) {
    state.client_address = "192.0.2.7";
    state.server_name = "mail.example.com";
    state.domain = "example.com";
    state.starttls_available = true;
    if (setup) setup(state);
    session = make_session(protocol, state, limits);
  }
  Output line(std::string_view text) { return session->on_line(text); }
  std::string say(std::string_view text) { return session->on_line(text).send; }

  ConnectionState state;
  SessionLimits limits;
  std::unique_ptr<Session> session;
};

void plain_text_only(ConnectionState& s) { s.cleartext_allowed = false; }
void with_certificate(ConnectionState& s) {
  s.tls = true;
  s.tls_version = "TLSv1.3";
  s.starttls_available = false;
  s.certificate_account = std::string(kAccount);
}

void expect_login(const Output& out, std::string_view name, LoginMethod method, std::string_view secret,
                  std::string_view mode) {
  ASSERT_EQ(out.next, Next::Login) << out.send;
  EXPECT_EQ(out.send, "");
  EXPECT_EQ(out.login.name, name);
  EXPECT_EQ(out.login.method, method);
  EXPECT_EQ(out.login.secret.view(), secret);
  EXPECT_EQ(out.login.mode, mode);
  EXPECT_EQ(out.login.client_address, "192.0.2.7");
  if (!secret.empty()) {
    EXPECT_EQ(out.mechanism.find(secret), std::string::npos) << "the log never sees a secret";
  }
}

// ---------------------------------------------------------------- fronts

TEST(FrontSession, FrontKindsByName) {
  for (const std::string_view name : {"pop3", "pop3s", "imap", "imaps", "submission", "smtps"}) {
    const auto kind = parse_front_kind(name);
    ASSERT_TRUE(kind) << name;
    EXPECT_EQ(front_kind_name(*kind), name);
    EXPECT_EQ(kind->implicit_tls, name.back() == 's');
  }
  EXPECT_EQ(parse_front_kind("smtps")->protocol, Protocol::Submission);
  EXPECT_FALSE(parse_front_kind("smtp"));
  EXPECT_FALSE(parse_front_kind(""));
  EXPECT_EQ(protocol_mode(Protocol::Pop3), "POP");
  EXPECT_EQ(protocol_mode(Protocol::Imap), "IMAP");
  EXPECT_EQ(protocol_mode(Protocol::Submission), "SMTP");
}

// ---------------------------------------------------------------- SASL

struct SaslFixture {
  SaslFixture() {
    state.server_name = "mail.example.com";
    state.domain = "example.com";
  }
  ConnectionState state;
};

TEST(SaslExchange, PlainWithInitialResponse) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::Plain, f.state);
  const auto step = x.start(b64("\0bob\0s3cret pass"s));
  ASSERT_EQ(step.kind, SaslStep::Kind::Login);
  EXPECT_EQ(x.request().name, "bob");
  EXPECT_EQ(x.request().method, LoginMethod::Plain);
  EXPECT_EQ(x.request().secret.view(), "s3cret pass");
}

TEST(SaslExchange, PlainWithoutInitialResponseAsksWithEmptyChallenge) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::Plain, f.state);
  const auto first = x.start(std::nullopt);
  ASSERT_EQ(first.kind, SaslStep::Kind::Challenge);
  EXPECT_EQ(first.challenge, "");
  ASSERT_EQ(x.respond(b64("bob\0bob\0pw"s)).kind, SaslStep::Kind::Login);
  EXPECT_EQ(x.request().name, "bob");
  EXPECT_EQ(x.request().secret.view(), "pw");
}

TEST(SaslExchange, PlainAuthorizationIdentityMustBeTheUser) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::Plain, f.state);
  const auto step = x.start(b64("alice\0bob\0pw"s));
  EXPECT_EQ(step.kind, SaslStep::Kind::Refused);
  EXPECT_TRUE(x.request().secret.empty());
}

TEST(SaslExchange, PlainOfTheWrongFormIsMalformed) {
  SaslFixture f;
  for (const std::string& bad : {"bob pw"s, "\0bob\0pw\0extra"s, "\0\0pw"s, ""s}) {
    SaslExchange x(SaslMechanism::Plain, f.state);
    EXPECT_EQ(x.start(b64(bad)).kind, SaslStep::Kind::Malformed) << bad;
  }
  SaslExchange empty(SaslMechanism::Plain, f.state);
  EXPECT_EQ(empty.start("=").kind, SaslStep::Kind::Malformed);
}

TEST(SaslExchange, LoginAsksForNameAndPassword) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::Login, f.state);
  const auto first = x.start(std::nullopt);
  ASSERT_EQ(first.kind, SaslStep::Kind::Challenge);
  EXPECT_EQ(first.challenge, "VXNlcm5hbWU6");
  const auto second = x.respond(b64("bob"));
  ASSERT_EQ(second.kind, SaslStep::Kind::Challenge);
  EXPECT_EQ(second.challenge, "UGFzc3dvcmQ6");
  ASSERT_EQ(x.respond(b64("pw")).kind, SaslStep::Kind::Login);
  EXPECT_EQ(x.request().name, "bob");
  EXPECT_EQ(x.request().secret.view(), "pw");
}

TEST(SaslExchange, LoginInitialResponseIsTheName) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::Login, f.state);
  const auto first = x.start(b64("bob"));
  ASSERT_EQ(first.kind, SaslStep::Kind::Challenge);
  EXPECT_EQ(decode(first.challenge), "Password:");
  ASSERT_EQ(x.respond("").kind, SaslStep::Kind::Login);
  EXPECT_EQ(x.request().secret.view(), "");
}

TEST(SaslExchange, CramMd5CarriesNameChallengeAndDigest) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::CramMd5, f.state);
  const auto first = x.start(std::nullopt);
  ASSERT_EQ(first.kind, SaslStep::Kind::Challenge);
  const std::string challenge = decode(first.challenge);
  EXPECT_TRUE(std::regex_match(challenge, std::regex("<[0-9]+\\.[0-9]+@mail\\.example\\.com>"))) << challenge;
  const std::string digest = cram_response("tanstaaftanstaaf", challenge);
  ASSERT_EQ(x.respond(b64("bob smith " + digest)).kind, SaslStep::Kind::Login);
  EXPECT_EQ(x.request().name, "bob smith");
  EXPECT_EQ(x.request().method, LoginMethod::CramMd5);
  EXPECT_EQ(x.request().challenge, challenge);
  EXPECT_EQ(x.request().secret.view(), digest);
}

TEST(SaslExchange, CramMd5ChallengesDifferAndTakeNoInitialResponse) {
  SaslFixture f;
  SaslExchange a(SaslMechanism::CramMd5, f.state);
  SaslExchange b(SaslMechanism::CramMd5, f.state);
  EXPECT_NE(a.start(std::nullopt).challenge, b.start(std::nullopt).challenge);
  SaslExchange c(SaslMechanism::CramMd5, f.state);
  EXPECT_EQ(c.start(b64("bob 0123")).kind, SaslStep::Kind::Malformed);
  SaslExchange d(SaslMechanism::CramMd5, f.state);
  d.start(std::nullopt);
  EXPECT_EQ(d.respond(b64("nodigest")).kind, SaslStep::Kind::Malformed);
}

TEST(SaslExchange, ExternalWithoutCertificateIsRefusedAtOnce) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::External, f.state);
  const auto step = x.start("=");
  EXPECT_EQ(step.kind, SaslStep::Kind::Refused);
  EXPECT_FALSE(step.text.empty());
}

TEST(SaslExchange, ExternalLogsInTheCertificatesAccount) {
  SaslFixture f;
  f.state.certificate_account = std::string(kAccount);
  for (const std::optional<std::string>& initial :
       {std::optional<std::string>("="), std::optional(b64("bob@example.com")), std::optional(b64("BOB")),
        std::optional(b64("="))}) {
    SaslExchange x(SaslMechanism::External, f.state);
    const auto step = x.start(initial);
    ASSERT_EQ(step.kind, SaslStep::Kind::Login) << *initial;
    EXPECT_EQ(x.request().name, kAccount);
    EXPECT_EQ(x.request().method, LoginMethod::Certificate);
    EXPECT_TRUE(x.request().secret.empty());
  }
  SaslExchange asked(SaslMechanism::External, f.state);
  const auto first = asked.start(std::nullopt);
  ASSERT_EQ(first.kind, SaslStep::Kind::Challenge);
  EXPECT_EQ(first.challenge, "");
  EXPECT_EQ(asked.respond("").kind, SaslStep::Kind::Login);
  SaslExchange other(SaslMechanism::External, f.state);
  EXPECT_EQ(other.start(b64("alice@example.com")).kind, SaslStep::Kind::Refused);
}

TEST(SaslExchange, StarCancels) {
  SaslFixture f;
  SaslExchange x(SaslMechanism::Login, f.state);
  x.start(std::nullopt);
  x.respond(b64("bob"));
  EXPECT_EQ(x.respond("*").kind, SaslStep::Kind::Cancelled);
}

TEST(SaslExchange, InvalidOrOversizedBase64IsMalformed) {
  SaslFixture f;
  for (const std::string& bad : {"!!!!"s, "QUJD="s, "A"s, "QU JD"s, std::string(8000, 'A')}) {
    SaslExchange x(SaslMechanism::Plain, f.state);
    const auto step = x.start(bad);
    EXPECT_EQ(step.kind, SaslStep::Kind::Malformed) << bad.substr(0, 10);
    EXPECT_TRUE(x.request().name.empty());
  }
  DecodedResponse at_limit;
  EXPECT_TRUE(at_limit.decode(b64(std::string(kMaxSaslResponse, 'x'))));
  EXPECT_FALSE(at_limit.decode(b64(std::string(kMaxSaslResponse + 1, 'x'))));
}

TEST(SaslExchange, MechanismsOfferedByConnectionState) {
  ConnectionState s;
  auto names = [&] {
    std::string out;
    for (const auto m : offered_mechanisms(s)) (out += sasl_mechanism_name(m)) += ' ';
    return out;
  };
  EXPECT_EQ(names(), "PLAIN LOGIN CRAM-MD5 ");
  s.cleartext_allowed = false;
  EXPECT_EQ(names(), "CRAM-MD5 ");
  s.tls = true;
  EXPECT_EQ(names(), "PLAIN LOGIN CRAM-MD5 ");
  s.certificate_account = "bob@example.com";
  EXPECT_EQ(names(), "PLAIN LOGIN CRAM-MD5 EXTERNAL ");
  EXPECT_EQ(parse_sasl_mechanism("cram-md5"), SaslMechanism::CramMd5);
  EXPECT_FALSE(parse_sasl_mechanism("DIGEST-MD5"));
}

// ---------------------------------------------------------------- POP3

std::string pop3_timestamp(const std::string& greeting) {
  std::smatch m;
  EXPECT_TRUE(std::regex_match(greeting, m, std::regex("\\+OK mail\\.example\\.com ready (<[0-9]+\\.[0-9]+@mail\\.example\\.com>)\r\n")))
      << greeting;
  return m.size() > 1 ? m[1].str() : std::string();
}

void pop3_log_in(Connection& c) {
  ASSERT_EQ(c.say("USER bob"), "+OK send PASS\r\n");
  ASSERT_EQ(c.line("PASS pw").next, Next::Login);
  ASSERT_EQ(c.session->on_login(accepted()).send, "+OK welcome\r\n");
  ASSERT_TRUE(c.session->logged_in());
}

TEST(Pop3Session, GreetingCarriesAnApopTimestamp) {
  Connection a(Protocol::Pop3), b(Protocol::Pop3);
  const auto greeting = a.session->greeting();
  EXPECT_EQ(greeting.next, Next::ReadLine);
  EXPECT_NE(pop3_timestamp(greeting.send), pop3_timestamp(b.session->greeting().send));
}

TEST(Pop3Session, CapaByConnectionState) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.say("CAPA"),
            "+OK capability list follows\r\nUSER\r\nSASL PLAIN LOGIN CRAM-MD5\r\nSTLS\r\nRESP-CODES\r\n"
            "AUTH-RESP-CODE\r\nUIDL\r\nTOP\r\nIMPLEMENTATION authhost\r\n.\r\n");
  Connection secure(Protocol::Pop3, plain_text_only);
  const std::string capa = secure.say("capa");
  EXPECT_EQ(capa.find("USER\r\n"), std::string::npos);
  EXPECT_NE(capa.find("SASL CRAM-MD5\r\n"), std::string::npos);
  Connection certified(Protocol::Pop3, with_certificate);
  const std::string tls_capa = certified.say("CAPA");
  EXPECT_NE(tls_capa.find("SASL PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n"), std::string::npos);
  EXPECT_EQ(tls_capa.find("STLS"), std::string::npos);
  pop3_log_in(certified);
  EXPECT_EQ(certified.say("CAPA").find("SASL"), std::string::npos);
}

TEST(Pop3Session, UserPassThenAnEmptyMaildrop) {
  Connection c(Protocol::Pop3);
  c.session->greeting();
  EXPECT_EQ(c.say("USER bob"), "+OK send PASS\r\n");
  const auto out = c.line("PASS pass word");
  expect_login(out, "bob@example.com", LoginMethod::Plain, "pass word", "POP");
  EXPECT_EQ(out.mechanism, "USER/PASS");
  EXPECT_FALSE(out.login.secure);
  EXPECT_EQ(c.session->on_login(accepted()).send, "+OK welcome\r\n");
  EXPECT_EQ(c.say("STAT"), "+OK 0 0\r\n");
  EXPECT_EQ(c.say("LIST"), "+OK 0 messages\r\n.\r\n");
  EXPECT_EQ(c.say("UIDL"), "+OK 0 messages\r\n.\r\n");
  EXPECT_EQ(c.say("LIST 1"), "-ERR no such message\r\n");
  EXPECT_EQ(c.say("RETR 1"), "-ERR no such message\r\n");
  EXPECT_EQ(c.say("DELE 7"), "-ERR no such message\r\n");
  EXPECT_EQ(c.say("TOP 1 10"), "-ERR no such message\r\n");
  EXPECT_EQ(c.say("NOOP"), "+OK\r\n");
  EXPECT_EQ(c.say("RSET"), "+OK\r\n");
  EXPECT_EQ(c.say("USER bob"), "-ERR already logged in\r\n");
  EXPECT_EQ(c.say("XYZZY"), "-ERR unknown command\r\n");
  const auto bye = c.line("QUIT");
  EXPECT_EQ(bye.send, "+OK bye\r\n");
  EXPECT_EQ(bye.next, Next::Close);
}

TEST(Pop3Session, TransactionCommandsNeedALogin) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.say("STAT"), "-ERR log in first\r\n");
  EXPECT_EQ(c.say("NOOP"), "-ERR log in first\r\n");
  EXPECT_EQ(c.say("PASS pw"), "-ERR USER first\r\n");
  EXPECT_EQ(c.say("HELLO"), "-ERR unknown command\r\n");
  EXPECT_EQ(c.say(""), "-ERR unknown command\r\n");
  EXPECT_EQ(c.line("QUIT").next, Next::Close);
}

TEST(Pop3Session, ApopCarriesTheGreetingsTimestamp) {
  Connection c(Protocol::Pop3);
  const std::string timestamp = pop3_timestamp(c.session->greeting().send);
  const std::string digest = passwords::apop_digest(timestamp, Secret("tanstaaf"));
  const auto out = c.line("APOP bob@example.org " + digest);
  expect_login(out, "bob@example.org", LoginMethod::Apop, digest, "POP");
  EXPECT_EQ(out.login.challenge, timestamp);
  EXPECT_EQ(out.mechanism, "APOP");
  EXPECT_EQ(c.say("APOP bob"), "-ERR APOP needs a name and a digest\r\n");
}

TEST(Pop3Session, AuthWithoutArgumentListsMechanisms) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.say("AUTH"), "+OK\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\n.\r\n");
  EXPECT_EQ(c.say("AUTH DIGEST-MD5"), "-ERR unsupported authentication mechanism\r\n");
}

TEST(Pop3Session, AuthPlainWithAndWithoutInitialResponse) {
  Connection c(Protocol::Pop3);
  auto out = c.line("AUTH PLAIN " + b64("\0bob\0pw"s));
  expect_login(out, "bob@example.com", LoginMethod::Plain, "pw", "POP");
  EXPECT_EQ(out.mechanism, "AUTH PLAIN");
  c.session->on_login(rejected());
  EXPECT_EQ(c.say("AUTH PLAIN"), "+ \r\n");
  expect_login(c.line(b64("\0bob\0pw2"s)), "bob@example.com", LoginMethod::Plain, "pw2", "POP");
}

TEST(Pop3Session, AuthLoginAndCramMd5) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.say("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say(b64("bob")), "+ UGFzc3dvcmQ6\r\n");
  expect_login(c.line(b64("pw")), "bob@example.com", LoginMethod::Plain, "pw", "POP");
  c.session->on_login(temp_failed());
  const std::string challenge_line = c.say("AUTH CRAM-MD5");
  ASSERT_EQ(challenge_line.substr(0, 2), "+ ");
  const std::string challenge = decode(challenge_line.substr(2, challenge_line.size() - 4));
  const std::string digest = cram_response("pw", challenge);
  const auto out = c.line(b64("bob " + digest));
  expect_login(out, "bob@example.com", LoginMethod::CramMd5, digest, "POP");
  EXPECT_EQ(out.login.challenge, challenge);
  EXPECT_EQ(out.mechanism, "AUTH CRAM-MD5");
}

TEST(Pop3Session, AuthExternalWithAndWithoutCertificate) {
  Connection none(Protocol::Pop3);
  EXPECT_EQ(none.say("AUTH EXTERNAL ="), "-ERR [AUTH] EXTERNAL needs a valid client certificate\r\n");
  Connection c(Protocol::Pop3, with_certificate);
  const auto out = c.line("AUTH EXTERNAL =");
  expect_login(out, kAccount, LoginMethod::Certificate, "", "POP");
  EXPECT_TRUE(out.login.secure);
  EXPECT_EQ(out.mechanism, "AUTH EXTERNAL");
}

TEST(Pop3Session, CancelAndInvalidBase64EndOnlyTheExchange) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.say("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say("*"), "-ERR authentication cancelled\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN"), "+ \r\n");
  EXPECT_EQ(c.say("%%%not base64"), "-ERR the response is not valid base64 or is too long\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN @@@@"), "-ERR the response is not valid base64 or is too long\r\n");
  pop3_log_in(c);
}

TEST(Pop3Session, FailureAnswers) {
  Connection c(Protocol::Pop3);
  c.say("USER bob");
  c.line("PASS x");
  const auto no = c.session->on_login(rejected());
  EXPECT_EQ(no.send, "-ERR [AUTH] incorrect account name or password\r\n");
  EXPECT_EQ(no.next, Next::ReadLine);
  c.say("USER bob");
  c.line("PASS x");
  EXPECT_EQ(c.session->on_login(temp_failed()).send, "-ERR [SYS/TEMP] temporarily unavailable, try again later\r\n");
  c.say("USER bob");
  c.line("PASS x");
  const auto refused = c.session->on_login(address_refused());
  EXPECT_EQ(refused.send, "-ERR [SYS/PERM] logins from this address are not accepted\r\n");
  EXPECT_EQ(refused.next, Next::Close);
}

TEST(Pop3Session, HiddenAnswerIsTheSameForUnknownAndWrongPassword) {
  Connection a(Protocol::Pop3), b(Protocol::Pop3);
  a.say("USER nobody");
  a.line("PASS x");
  b.say("USER bob");
  b.line("PASS wrong");
  auto unknown = rejected();
  unknown.why = RejectWhy::UnknownName;
  auto wrong = rejected();
  wrong.why = RejectWhy::WrongPassword;
  EXPECT_EQ(a.session->on_login(unknown).send, b.session->on_login(wrong).send);
}

TEST(Pop3Session, ClosesAfterMaxFailedLogins) {
  Connection c(Protocol::Pop3);
  for (int i = 1; i <= 3; ++i) {
    c.say("USER bob");
    c.line("PASS x");
    const auto out = c.session->on_login(rejected());
    EXPECT_EQ(out.next, i < 3 ? Next::ReadLine : Next::Close) << i;
  }
  Connection t(Protocol::Pop3);
  for (int i = 0; i < 5; ++i) {
    t.say("USER bob");
    t.line("PASS x");
    EXPECT_EQ(t.session->on_login(temp_failed()).next, Next::ReadLine) << "temporary failures are not counted";
  }
}

TEST(Pop3Session, ClosesAfterMaxCommandsBeforeLogin) {
  SessionLimits limits;
  limits.max_commands_before_login = 4;
  Connection c(Protocol::Pop3, {}, limits);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.line("CAPA").next, Next::ReadLine);
  const auto out = c.line("CAPA");
  EXPECT_EQ(out.send, "-ERR too many commands before login\r\n");
  EXPECT_EQ(out.next, Next::Close);
}

TEST(Pop3Session, ClearTextRefusedAndNotAdvertisedWithoutTls) {
  Connection c(Protocol::Pop3, plain_text_only);
  const std::string refusal = "-ERR [AUTH] a secure login method is required on unencrypted connections\r\n";
  EXPECT_EQ(c.say("USER bob"), refusal);
  EXPECT_EQ(c.say("PASS pw"), "-ERR USER first\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN " + b64("\0bob\0pw"s)), refusal);
  EXPECT_EQ(c.say("AUTH LOGIN"), refusal);
  EXPECT_EQ(c.say("AUTH"), "+OK\r\nCRAM-MD5\r\n.\r\n");
  EXPECT_EQ(c.say("AUTH CRAM-MD5").substr(0, 2), "+ ");
}

TEST(Pop3Session, NulOrCrInACommandIsAnError) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.say("USER b\0b"s), "-ERR NUL or CR in command\r\n");
  EXPECT_EQ(c.say("USER b\rb"s), "-ERR NUL or CR in command\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN"), "+ \r\n");
  EXPECT_EQ(c.say("AA\0A"s), "-ERR NUL or CR in authentication response\r\n");
  pop3_log_in(c);
}

TEST(Pop3Session, StlsForgetsTheUserGivenBefore) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.say("USER bob"), "+OK send PASS\r\n");
  const auto stls = c.line("STLS");
  EXPECT_EQ(stls.send, "+OK begin TLS negotiation\r\n");
  EXPECT_EQ(stls.next, Next::StartTls);
  c.state.tls = true;
  c.state.starttls_available = false;
  EXPECT_EQ(c.session->on_tls_started().send, "");
  EXPECT_EQ(c.say("PASS pw"), "-ERR USER first\r\n");
  EXPECT_EQ(c.say("STLS"), "-ERR STLS not available\r\n");
  Connection no_tls(Protocol::Pop3, [](ConnectionState& s) { s.starttls_available = false; });
  EXPECT_EQ(no_tls.say("STLS"), "-ERR STLS not available\r\n");
}

TEST(Pop3Session, TimeoutShutdownAndLongLine) {
  Connection c(Protocol::Pop3);
  EXPECT_EQ(c.session->on_timeout(), "-ERR [SYS/TEMP] idle for too long, closing connection\r\n");
  EXPECT_EQ(c.session->on_shutdown(), "-ERR [SYS/TEMP] server shutting down\r\n");
  const auto out = c.session->on_line_too_long();
  EXPECT_EQ(out.send, "-ERR line too long\r\n");
  EXPECT_EQ(out.next, Next::Close);
}

// ---------------------------------------------------------------- IMAP

constexpr std::string_view kImapLoggedInCaps = "IMAP4rev1 LITERAL+ ID NAMESPACE UNSELECT";

void imap_log_in(Connection& c) {
  ASSERT_EQ(c.line("a0 LOGIN bob pw").next, Next::Login);
  ASSERT_EQ(c.session->on_login(accepted()).send,
            "a0 OK [CAPABILITY " + std::string(kImapLoggedInCaps) + "] LOGIN completed\r\n");
}

TEST(ImapSession, GreetingAndCapabilityByState) {
  Connection c(Protocol::Imap);
  const std::string caps = "IMAP4rev1 LITERAL+ ID SASL-IR STARTTLS AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5";
  EXPECT_EQ(c.session->greeting().send, "* OK [CAPABILITY " + caps + "] mail.example.com ready\r\n");
  EXPECT_EQ(c.say("c1 CAPABILITY"), "* CAPABILITY " + caps + "\r\nc1 OK CAPABILITY completed\r\n");
  Connection secure(Protocol::Imap, plain_text_only);
  EXPECT_EQ(secure.say("c1 capability"),
            "* CAPABILITY IMAP4rev1 LITERAL+ ID SASL-IR STARTTLS LOGINDISABLED AUTH=CRAM-MD5\r\n"
            "c1 OK CAPABILITY completed\r\n");
  Connection certified(Protocol::Imap, with_certificate);
  EXPECT_EQ(certified.say("c1 CAPABILITY"),
            "* CAPABILITY IMAP4rev1 LITERAL+ ID SASL-IR AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5 AUTH=EXTERNAL\r\n"
            "c1 OK CAPABILITY completed\r\n");
}

TEST(ImapSession, LoginWithAtomsAndQuotedStrings) {
  Connection c(Protocol::Imap);
  auto out = c.line("a1 LOGIN bob pw");
  expect_login(out, "bob@example.com", LoginMethod::Plain, "pw", "IMAP");
  EXPECT_EQ(out.mechanism, "LOGIN");
  EXPECT_EQ(c.session->on_login(rejected()).send, "a1 NO [AUTHENTICATIONFAILED] incorrect account name or password\r\n");
  out = c.line(R"(a2 login "bob@example.org" "p \"a\\ss")");
  expect_login(out, "bob@example.org", LoginMethod::Plain, R"(p "a\ss)", "IMAP");
  EXPECT_EQ(c.session->on_login(temp_failed()).send, "a2 NO [UNAVAILABLE] temporarily unavailable, try again later\r\n");
  EXPECT_EQ(c.say(R"(a3 LOGIN "bob" "p\x")"), "a3 BAD LOGIN expects a user name and a password\r\n");
  EXPECT_EQ(c.say(R"(a4 LOGIN "bob" "unterminated)"), "a4 BAD LOGIN expects a user name and a password\r\n");
  EXPECT_EQ(c.say("a5 LOGIN bob"), "a5 BAD LOGIN expects a user name and a password\r\n");
  EXPECT_EQ(c.say("a6 LOGIN bob pw extra"), "a6 BAD LOGIN expects a user name and a password\r\n");
  out = c.line("a7 LOGIN bob pw");
  ASSERT_EQ(out.next, Next::Login);
  EXPECT_EQ(c.session->on_login(accepted()).send,
            "a7 OK [CAPABILITY " + std::string(kImapLoggedInCaps) + "] LOGIN completed\r\n");
  EXPECT_TRUE(c.session->logged_in());
  EXPECT_EQ(c.say("a8 LOGIN bob pw"), "a8 BAD already logged in\r\n");
}

TEST(ImapSession, LoginWithSynchronisingAndNonSynchronisingLiterals) {
  Connection c(Protocol::Imap);
  auto out = c.line("a1 LOGIN {3}");
  EXPECT_EQ(out.next, Next::ReadLiteral);
  EXPECT_EQ(out.send, "+ Ready for literal data\r\n");
  EXPECT_EQ(out.literal_size, 3u);
  out = c.session->on_literal("bob");
  EXPECT_EQ(out.next, Next::ReadLine);
  EXPECT_EQ(out.send, "");
  out = c.line(" {7+}");
  EXPECT_EQ(out.next, Next::ReadLiteral);
  EXPECT_EQ(out.send, "");
  EXPECT_EQ(out.literal_size, 7u);
  EXPECT_EQ(c.session->on_literal("p\"{w} x").next, Next::ReadLine);
  out = c.line("");
  expect_login(out, "bob@example.com", LoginMethod::Plain, "p\"{w} x", "IMAP");
  c.session->on_login(rejected());
  EXPECT_EQ(c.say("a2 NOOP"), "a2 OK NOOP completed\r\n");
}

TEST(ImapSession, LiteralsTooLarge) {
  SessionLimits limits;
  limits.max_literal = 100;
  Connection c(Protocol::Imap, {}, limits);
  for (const std::string_view size : {"101", "4294967296", "99999999999999999999", "18446744073709551617"}) {
    const auto out = c.line("a1 LOGIN {" + std::string(size) + "}");
    EXPECT_EQ(out.send, "a1 BAD literal too large\r\n") << size;
    EXPECT_EQ(out.next, Next::ReadLine) << size;
    EXPECT_EQ(c.say("a2 NOOP"), "a2 OK NOOP completed\r\n") << "the connection goes on";
  }
  EXPECT_EQ(c.line("a1 LOGIN {100}").literal_size, 100u);
  c.session->on_literal(std::string(100, 'b'));
  EXPECT_EQ(c.say(" {1}"), "a1 BAD literal too large\r\n") << "the literals of one command add up";
  const auto nonsync = c.line("a3 LOGIN {4294967296+}");
  EXPECT_EQ(nonsync.send, "* BYE literal too large\r\n");
  EXPECT_EQ(nonsync.next, Next::Close);
  Connection d(Protocol::Imap, {}, limits);
  EXPECT_EQ(d.line("a4 LOGIN bob {101+}").next, Next::Close);
}

TEST(ImapSession, LiteralAnnouncementsWithGarbageAreBad) {
  Connection c(Protocol::Imap);
  for (const std::string_view garbage : {"{+5}", "{ 5}", "{-1}", "{5a}", "{}", "{0x10}"}) {
    const auto out = c.line("a1 LOGIN bob " + std::string(garbage));
    EXPECT_EQ(out.next, Next::ReadLine) << garbage;
    EXPECT_EQ(out.send, "a1 BAD LOGIN expects a user name and a password\r\n") << garbage;
  }
  // A literal whose bytes are not the announced count cannot happen (the
  // connection reads exactly literal_size), but a NUL in one is refused.
  ASSERT_EQ(c.line("a2 LOGIN bob {3}").next, Next::ReadLiteral);
  c.session->on_literal("p\0w"s);
  EXPECT_EQ(c.say(""), "a2 BAD LOGIN expects a user name and a password\r\n");
}

TEST(ImapSession, AuthenticateEachMechanism) {
  Connection c(Protocol::Imap, with_certificate);
  auto out = c.line("a1 AUTHENTICATE PLAIN " + b64("\0bob\0pw"s));
  expect_login(out, "bob@example.com", LoginMethod::Plain, "pw", "IMAP");
  EXPECT_EQ(out.mechanism, "AUTHENTICATE PLAIN");
  EXPECT_TRUE(out.login.secure);
  c.session->on_login(rejected());
  EXPECT_EQ(c.say("a2 AUTHENTICATE PLAIN"), "+ \r\n");
  expect_login(c.line(b64("\0bob\0pw"s)), "bob@example.com", LoginMethod::Plain, "pw", "IMAP");
  EXPECT_EQ(c.session->on_login(temp_failed()).send, "a2 NO [UNAVAILABLE] temporarily unavailable, try again later\r\n");
  EXPECT_EQ(c.say("a3 AUTHENTICATE LOGIN"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say(b64("bob")), "+ UGFzc3dvcmQ6\r\n");
  expect_login(c.line(b64("pw")), "bob@example.com", LoginMethod::Plain, "pw", "IMAP");
  c.session->on_login(temp_failed());
  EXPECT_EQ(c.say("a4 AUTHENTICATE LOGIN " + b64("bob")), "+ UGFzc3dvcmQ6\r\n");
  expect_login(c.line(b64("pw")), "bob@example.com", LoginMethod::Plain, "pw", "IMAP");
  c.session->on_login(temp_failed());
  const std::string line = c.say("a5 AUTHENTICATE CRAM-MD5");
  const std::string challenge = decode(line.substr(2, line.size() - 4));
  const std::string digest = cram_response("pw", challenge);
  out = c.line(b64("bob " + digest));
  expect_login(out, "bob@example.com", LoginMethod::CramMd5, digest, "IMAP");
  EXPECT_EQ(out.login.challenge, challenge);
  c.session->on_login(temp_failed());
  out = c.line("a6 AUTHENTICATE EXTERNAL =");
  expect_login(out, kAccount, LoginMethod::Certificate, "", "IMAP");
  EXPECT_EQ(c.session->on_login(accepted()).send,
            "a6 OK [CAPABILITY " + std::string(kImapLoggedInCaps) + "] AUTHENTICATE completed\r\n");
  EXPECT_EQ(c.say("a7 AUTHENTICATE PLAIN"), "a7 BAD already logged in\r\n");
}

TEST(ImapSession, AuthenticateExternalWithoutCertificate) {
  Connection c(Protocol::Imap);
  EXPECT_EQ(c.say("a1 AUTHENTICATE EXTERNAL ="), "a1 NO [AUTHENTICATIONFAILED] EXTERNAL needs a valid client certificate\r\n");
  EXPECT_EQ(c.say("a2 AUTHENTICATE GSSAPI"), "a2 NO unsupported authentication mechanism\r\n");
}

TEST(ImapSession, CancelAndInvalidBase64EndOnlyTheExchange) {
  Connection c(Protocol::Imap);
  EXPECT_EQ(c.say("a1 AUTHENTICATE PLAIN"), "+ \r\n");
  EXPECT_EQ(c.say("*"), "a1 BAD AUTHENTICATE cancelled\r\n");
  EXPECT_EQ(c.say("a2 AUTHENTICATE LOGIN"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say("not base64!"), "a2 BAD the response is not valid base64 or is too long\r\n");
  EXPECT_EQ(c.say("a3 AUTHENTICATE PLAIN (AAA"), "a3 BAD invalid initial response\r\n");
  EXPECT_EQ(c.say("a4 AUTHENTICATE PLAIN ####"), "a4 BAD the response is not valid base64 or is too long\r\n");
  EXPECT_EQ(c.say("a5 AUTHENTICATE PLAIN AAAAA"), "a5 BAD the response is not valid base64 or is too long\r\n");
  imap_log_in(c);
}

TEST(ImapSession, EmptyInboxAfterLogin) {
  Connection c(Protocol::Imap);
  EXPECT_EQ(c.say("b1 SELECT INBOX"), "b1 BAD SELECT needs a login first\r\n");
  EXPECT_EQ(c.say("b2 LIST \"\" *"), "b2 BAD LIST needs a login first\r\n");
  imap_log_in(c);
  EXPECT_EQ(c.say("b3 LIST \"\" *"), "* LIST (\\HasNoChildren) \"/\" INBOX\r\nb3 OK LIST completed\r\n");
  EXPECT_EQ(c.say("b4 LIST \"\" \"\""), "* LIST (\\Noselect) \"/\" \"\"\r\nb4 OK LIST completed\r\n");
  EXPECT_EQ(c.say("b5 LIST \"\" inb%"), "* LIST (\\HasNoChildren) \"/\" INBOX\r\nb5 OK LIST completed\r\n");
  EXPECT_EQ(c.say("b6 LIST \"\" Sent"), "b6 OK LIST completed\r\n");
  EXPECT_EQ(c.say("b7 LSUB \"\" *"), "* LSUB () \"/\" INBOX\r\nb7 OK LSUB completed\r\n");
  EXPECT_EQ(c.say("b8 CLOSE"), "b8 BAD no mailbox selected\r\n");
  EXPECT_EQ(c.say("b9 SELECT inbox"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] flags permitted\r\n"
            "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 1] predicted next UID\r\n"
            "b9 OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(c.say("c1 CHECK"), "c1 OK CHECK completed\r\n");
  EXPECT_EQ(c.say("c2 CLOSE"), "c2 OK CLOSE completed\r\n");
  const std::string examined = c.say("c3 EXAMINE \"INBOX\"");
  EXPECT_NE(examined.find("* 0 EXISTS\r\n"), std::string::npos);
  EXPECT_NE(examined.find("c3 OK [READ-ONLY] EXAMINE completed\r\n"), std::string::npos);
  EXPECT_EQ(c.say("c4 UNSELECT"), "c4 OK UNSELECT completed\r\n");
  EXPECT_EQ(c.say("c5 SELECT Drafts"), "c5 NO [NONEXISTENT] mailbox does not exist\r\n");
  EXPECT_EQ(c.say("c6 STATUS INBOX (MESSAGES UIDNEXT unseen)"),
            "* STATUS INBOX (MESSAGES 0 UIDNEXT 1 UNSEEN 0)\r\nc6 OK STATUS completed\r\n");
  EXPECT_EQ(c.say("c7 STATUS INBOX (BOGUS)"), "c7 BAD unknown STATUS item\r\n");
  EXPECT_EQ(c.say("c8 STATUS Sent (MESSAGES)"), "c8 NO [NONEXISTENT] mailbox does not exist\r\n");
  EXPECT_EQ(c.say("c9 NOOP"), "c9 OK NOOP completed\r\n");
  EXPECT_EQ(c.say("d1 FETCH 1 FLAGS"), "d1 NO [CANNOT] FETCH is not available: this host keeps no mail\r\n");
  EXPECT_EQ(c.say("d2 FROB"), "d2 BAD unknown command\r\n");
  EXPECT_EQ(c.say("d3 SELECT {5}"), "+ Ready for literal data\r\n");
  c.session->on_literal("INBOX");
  EXPECT_NE(c.say("").find("d3 OK [READ-WRITE] SELECT completed\r\n"), std::string::npos);
  const auto bye = c.line("d4 LOGOUT");
  EXPECT_EQ(bye.send, "* BYE mail.example.com logging out\r\nd4 OK LOGOUT completed\r\n");
  EXPECT_EQ(bye.next, Next::Close);
}

TEST(ImapSession, MalformedCommands) {
  Connection c(Protocol::Imap);
  EXPECT_EQ(c.say(""), "* BAD invalid tag\r\n");
  EXPECT_EQ(c.say(" NOOP"), "* BAD invalid tag\r\n");
  EXPECT_EQ(c.say("a+b NOOP"), "* BAD invalid tag\r\n");
  EXPECT_EQ(c.say("justatag"), "* BAD invalid tag\r\n");
  EXPECT_EQ(c.say("a1 "), "a1 BAD missing command\r\n");
  EXPECT_EQ(c.say("a2 FROB"), "a2 BAD unknown command\r\n");
  EXPECT_EQ(c.say("a3 NOOP extra"), "a3 BAD NOOP takes no arguments\r\n");
  EXPECT_EQ(c.say("a4 NO\0OP"s), "a4 BAD NUL or CR in command\r\n");
  EXPECT_EQ(c.say("\0"s), "* BAD NUL or CR in command\r\n");
  EXPECT_EQ(c.say("a5 LOGIN b\rb pw"), "a5 BAD NUL or CR in command\r\n");
  ASSERT_EQ(c.line("a6 LOGIN {3}").next, Next::ReadLiteral);
  c.session->on_literal("bob");
  EXPECT_EQ(c.say(" p\0w"s), "a6 BAD NUL or CR in command\r\n");
  EXPECT_EQ(c.say("a7 AUTHENTICATE PLAIN"), "+ \r\n");
  EXPECT_EQ(c.say("AA\0A"s), "a7 BAD NUL or CR in authentication response\r\n");
  imap_log_in(c);
}

TEST(ImapSession, ClearTextRefusedAndNotAdvertisedWithoutTls) {
  Connection c(Protocol::Imap, plain_text_only);
  const std::string refusal = " NO [PRIVACYREQUIRED] a secure login method is required on unencrypted connections\r\n";
  EXPECT_EQ(c.say("a1 LOGIN bob pw"), "a1" + refusal);
  EXPECT_EQ(c.say("a2 AUTHENTICATE PLAIN " + b64("\0bob\0pw"s)), "a2" + refusal);
  EXPECT_EQ(c.say("a3 AUTHENTICATE LOGIN"), "a3" + refusal);
  EXPECT_EQ(c.say("a4 AUTHENTICATE CRAM-MD5").substr(0, 2), "+ ");
}

TEST(ImapSession, FailureAnswersAndLimits) {
  Connection c(Protocol::Imap);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(c.line("a" + std::to_string(i) + " LOGIN bob pw").next, Next::Login);
    const auto out = c.session->on_login(rejected());
    const std::string no = "a" + std::to_string(i) + " NO [AUTHENTICATIONFAILED] incorrect account name or password\r\n";
    EXPECT_EQ(out.send, i < 3 ? no : "* BYE too many failed logins\r\n" + no);
    EXPECT_EQ(out.next, i < 3 ? Next::ReadLine : Next::Close);
  }
  Connection r(Protocol::Imap);
  r.line("a1 LOGIN bob pw");
  const auto refused = r.session->on_login(address_refused());
  EXPECT_EQ(refused.send,
            "* BYE logins from this address are not accepted\r\na1 NO logins from this address are not accepted\r\n");
  EXPECT_EQ(refused.next, Next::Close);
  SessionLimits limits;
  limits.max_commands_before_login = 3;
  Connection m(Protocol::Imap, {}, limits);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(m.line("a NOOP").next, Next::ReadLine);
  const auto too_many = m.line("a NOOP");
  EXPECT_EQ(too_many.send, "* BYE too many commands before login\r\n");
  EXPECT_EQ(too_many.next, Next::Close);
  EXPECT_EQ(c.session->on_timeout(), "* BYE autologout; idle for too long\r\n");
  EXPECT_EQ(c.session->on_shutdown(), "* BYE server shutting down\r\n");
  const auto long_line = c.session->on_line_too_long();
  EXPECT_EQ(long_line.send, "* BYE line too long\r\n");
  EXPECT_EQ(long_line.next, Next::Close);
}

TEST(ImapSession, HiddenAnswerIsTheSameForUnknownAndWrongPassword) {
  Connection a(Protocol::Imap), b(Protocol::Imap);
  a.line("t LOGIN nobody x");
  b.line("t LOGIN bob wrong");
  auto unknown = rejected();
  unknown.why = RejectWhy::UnknownName;
  EXPECT_EQ(a.session->on_login(unknown).send, b.session->on_login(rejected()).send);
}

TEST(ImapSession, StartTlsForgetsWhatCameBefore) {
  Connection c(Protocol::Imap);
  const auto out = c.line("s1 STARTTLS");
  EXPECT_EQ(out.send, "s1 OK Begin TLS negotiation now\r\n");
  EXPECT_EQ(out.next, Next::StartTls);
  c.state.tls = true;
  c.state.starttls_available = false;
  EXPECT_EQ(c.session->on_tls_started().send, "");
  EXPECT_EQ(c.say("s2 STARTTLS"), "s2 BAD STARTTLS not available\r\n");
  EXPECT_EQ(c.say("s3 CAPABILITY").find("STARTTLS"), std::string::npos);
  // A command cut short by the handshake does not go on after it.
  ASSERT_EQ(c.line("s4 LOGIN {3}").next, Next::ReadLiteral);
  c.session->on_literal("bob");
  c.session->on_tls_started();
  EXPECT_EQ(c.say(" pw"), "* BAD invalid tag\r\n");
  EXPECT_EQ(c.say("s5 AUTHENTICATE PLAIN"), "+ \r\n");
  c.session->on_tls_started();
  EXPECT_EQ(c.say(b64("\0bob\0pw"s)), "* BAD invalid tag\r\n");
  Connection plain(Protocol::Imap, [](ConnectionState& s) { s.starttls_available = false; });
  EXPECT_EQ(plain.say("s1 STARTTLS"), "s1 BAD STARTTLS not available\r\n");
}

// ---------------------------------------------------------------- SMTP

void smtp_log_in(Connection& c) {
  ASSERT_EQ(c.line("AUTH PLAIN " + b64("\0bob\0pw"s)).next, Next::Login);
  ASSERT_EQ(c.session->on_login(accepted()).send, "235 2.7.0 Authentication successful\r\n");
}

TEST(SmtpSession, GreetingAndEhloByState) {
  Connection c(Protocol::Submission);
  EXPECT_EQ(c.session->greeting().send, "220 mail.example.com ESMTP authhost\r\n");
  EXPECT_EQ(c.say("EHLO client.example.org"),
            "250-mail.example.com\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
            "250-STARTTLS\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n");
  Connection secure(Protocol::Submission, plain_text_only);
  EXPECT_EQ(secure.say("ehlo x"),
            "250-mail.example.com\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
            "250-STARTTLS\r\n250 AUTH CRAM-MD5\r\n");
  Connection certified(Protocol::Submission, with_certificate);
  EXPECT_EQ(certified.say("EHLO x"),
            "250-mail.example.com\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
            "250 AUTH PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n");
  smtp_log_in(certified);
  EXPECT_EQ(certified.say("EHLO x"),
            "250-mail.example.com\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
  EXPECT_EQ(c.say("EHLO"), "501 5.5.4 EHLO needs a domain or address\r\n");
  EXPECT_EQ(c.say("HELO x"), "250 mail.example.com\r\n");
}

TEST(SmtpSession, CommandsBeforeEhlo) {
  Connection c(Protocol::Submission);
  EXPECT_EQ(c.say("AUTH PLAIN"), "503 5.5.1 EHLO first\r\n");
  EXPECT_EQ(c.say("MAIL FROM:<a@b>"), "503 5.5.1 EHLO first\r\n");
  EXPECT_EQ(c.say("STARTTLS"), "503 5.5.1 EHLO first\r\n");
  EXPECT_EQ(c.say("NOOP"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(c.say("RSET"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(c.say("VRFY bob"), "252 2.5.0 this host does not verify addresses\r\n");
  EXPECT_EQ(c.say("EXPN list"), "502 5.5.1 command not implemented\r\n");
  EXPECT_EQ(c.say("FROB"), "500 5.5.2 unknown command\r\n");
  EXPECT_EQ(c.say("HELO x"), "250 mail.example.com\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN"), "503 5.5.1 EHLO first\r\n") << "AUTH is an extension of EHLO";
  const auto bye = c.line("QUIT");
  EXPECT_EQ(bye.send, "221 2.0.0 Bye\r\n");
  EXPECT_EQ(bye.next, Next::Close);
}

TEST(SmtpSession, MailIsRefusedBeforeAndAfterAuth) {
  Connection c(Protocol::Submission);
  c.say("EHLO x");
  EXPECT_EQ(c.say("MAIL FROM:<bob@example.com>"), "530 5.7.0 Authentication required\r\n");
  EXPECT_EQ(c.say("RCPT TO:<bob@example.com>"), "530 5.7.0 Authentication required\r\n");
  smtp_log_in(c);
  const std::string refusal = "554 5.3.2 this host authenticates only; it does not accept mail\r\n";
  EXPECT_EQ(c.say("MAIL FROM:<bob@example.com>"), refusal);
  EXPECT_EQ(c.say("RCPT TO:<alice@example.com>"), refusal);
  EXPECT_EQ(c.say("DATA"), refusal);
  EXPECT_EQ(c.say("AUTH PLAIN " + b64("\0bob\0pw"s)), "503 5.5.1 already authenticated\r\n");
}

TEST(SmtpSession, AuthEachMechanism) {
  Connection c(Protocol::Submission, with_certificate);
  c.say("EHLO x");
  auto out = c.line("AUTH PLAIN " + b64("\0bob\0pw"s));
  expect_login(out, "bob@example.com", LoginMethod::Plain, "pw", "SMTP");
  EXPECT_EQ(out.mechanism, "AUTH PLAIN");
  EXPECT_EQ(c.session->on_login(rejected()).send, "535 5.7.8 incorrect account name or password\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN"), "334 \r\n");
  expect_login(c.line(b64("\0bob\0pw"s)), "bob@example.com", LoginMethod::Plain, "pw", "SMTP");
  EXPECT_EQ(c.session->on_login(temp_failed()).send, "454 4.7.0 temporarily unavailable, try again later\r\n");
  EXPECT_EQ(c.say("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say(b64("bob")), "334 UGFzc3dvcmQ6\r\n");
  expect_login(c.line(b64("pw")), "bob@example.com", LoginMethod::Plain, "pw", "SMTP");
  c.session->on_login(temp_failed());
  EXPECT_EQ(c.say("AUTH LOGIN " + b64("bob")), "334 UGFzc3dvcmQ6\r\n");
  expect_login(c.line(b64("pw")), "bob@example.com", LoginMethod::Plain, "pw", "SMTP");
  c.session->on_login(temp_failed());
  const std::string line = c.say("AUTH CRAM-MD5");
  ASSERT_EQ(line.substr(0, 4), "334 ");
  const std::string challenge = decode(line.substr(4, line.size() - 6));
  const std::string digest = cram_response("pw", challenge);
  out = c.line(b64("bob " + digest));
  expect_login(out, "bob@example.com", LoginMethod::CramMd5, digest, "SMTP");
  EXPECT_EQ(out.login.challenge, challenge);
  c.session->on_login(temp_failed());
  EXPECT_EQ(c.say("AUTH EXTERNAL"), "334 \r\n");
  out = c.line(b64("bob"));
  expect_login(out, kAccount, LoginMethod::Certificate, "", "SMTP");
  EXPECT_EQ(out.mechanism, "AUTH EXTERNAL");
  EXPECT_EQ(c.session->on_login(accepted()).send, "235 2.7.0 Authentication successful\r\n");
}

TEST(SmtpSession, AuthExternalWithoutCertificateAndUnknownMechanism) {
  Connection c(Protocol::Submission);
  c.say("EHLO x");
  EXPECT_EQ(c.say("AUTH EXTERNAL ="), "535 5.7.8 EXTERNAL needs a valid client certificate\r\n");
  EXPECT_EQ(c.say("AUTH XOAUTH2 abc"), "504 5.5.4 unrecognized authentication mechanism\r\n");
  EXPECT_EQ(c.say("AUTH"), "501 5.5.4 AUTH needs a mechanism\r\n");
}

TEST(SmtpSession, CancelAndInvalidBase64EndOnlyTheExchange) {
  Connection c(Protocol::Submission);
  c.say("EHLO x");
  EXPECT_EQ(c.say("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say("*"), "501 5.7.0 authentication cancelled\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN ^^^^"), "501 5.5.2 the response is not valid base64 or is too long\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN"), "334 \r\n");
  EXPECT_EQ(c.say("AAAAA"), "501 5.5.2 the response is not valid base64 or is too long\r\n");
  smtp_log_in(c);
}

TEST(SmtpSession, ClearTextRefusedWithoutTls) {
  Connection c(Protocol::Submission, plain_text_only);
  c.say("EHLO x");
  const std::string refusal = "538 5.7.11 Encryption required for requested authentication mechanism\r\n";
  EXPECT_EQ(c.say("AUTH PLAIN " + b64("\0bob\0pw"s)), refusal);
  EXPECT_EQ(c.say("AUTH LOGIN"), refusal);
  EXPECT_EQ(c.say("AUTH CRAM-MD5").substr(0, 4), "334 ");
  Connection none(Protocol::Submission, [](ConnectionState& s) {
    s.cleartext_allowed = false;
    s.starttls_available = false;
  });
  EXPECT_EQ(none.say("EHLO x").find("AUTH PLAIN"), std::string::npos);
}

TEST(SmtpSession, StartTlsNeedsEhloAgain) {
  Connection c(Protocol::Submission);
  c.say("EHLO x");
  EXPECT_EQ(c.say("STARTTLS now"), "501 5.5.4 STARTTLS takes no arguments\r\n");
  const auto out = c.line("STARTTLS");
  EXPECT_EQ(out.send, "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(out.next, Next::StartTls);
  c.state.tls = true;
  c.state.starttls_available = false;
  EXPECT_EQ(c.session->on_tls_started().send, "");
  EXPECT_EQ(c.say("AUTH PLAIN " + b64("\0bob\0pw"s)), "503 5.5.1 EHLO first\r\n");
  const std::string ehlo = c.say("EHLO x");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(c.say("STARTTLS"), "502 5.5.1 STARTTLS not available\r\n");
  expect_login(c.line("AUTH PLAIN " + b64("\0bob\0pw"s)), "bob@example.com", LoginMethod::Plain, "pw", "SMTP");
}

TEST(SmtpSession, FailureAnswersAndLimits) {
  Connection c(Protocol::Submission);
  c.say("EHLO x");
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(c.line("AUTH PLAIN " + b64("\0bob\0x"s)).next, Next::Login);
    const auto out = c.session->on_login(rejected());
    const std::string no = "535 5.7.8 incorrect account name or password\r\n";
    EXPECT_EQ(out.send, i < 3 ? no : no + "421 4.7.0 too many failed logins\r\n");
    EXPECT_EQ(out.next, i < 3 ? Next::ReadLine : Next::Close);
  }
  Connection r(Protocol::Submission);
  r.say("EHLO x");
  r.line("AUTH PLAIN " + b64("\0bob\0x"s));
  const auto refused = r.session->on_login(address_refused());
  EXPECT_EQ(refused.send, "554 5.7.1 logins from this address are not accepted\r\n");
  EXPECT_EQ(refused.next, Next::Close);
  SessionLimits limits;
  limits.max_commands_before_login = 2;
  Connection m(Protocol::Submission, {}, limits);
  m.say("EHLO x");
  m.say("NOOP");
  const auto too_many = m.line("NOOP");
  EXPECT_EQ(too_many.send, "421 4.7.0 too many commands before login\r\n");
  EXPECT_EQ(too_many.next, Next::Close);
  EXPECT_EQ(c.session->on_timeout(), "421 4.4.2 mail.example.com idle for too long, closing connection\r\n");
  EXPECT_EQ(c.session->on_shutdown(), "421 4.3.2 mail.example.com shutting down\r\n");
  const auto long_line = c.session->on_line_too_long();
  EXPECT_EQ(long_line.send, "500 5.5.2 line too long\r\n");
  EXPECT_EQ(long_line.next, Next::Close);
}

TEST(SmtpSession, NulOrCrInACommandIsAnError) {
  Connection c(Protocol::Submission);
  EXPECT_EQ(c.say("EHLO a\0b"s), "500 5.5.2 NUL or CR in command\r\n");
  c.say("EHLO x");
  EXPECT_EQ(c.say("AUTH PLAIN"), "334 \r\n");
  EXPECT_EQ(c.say("AA\rA"), "501 5.5.2 NUL or CR in authentication response\r\n");
  smtp_log_in(c);
}

TEST(SmtpSession, HiddenAnswerIsTheSameForUnknownAndWrongPassword) {
  Connection a(Protocol::Submission), b(Protocol::Submission);
  a.say("EHLO x");
  b.say("EHLO x");
  a.line("AUTH PLAIN " + b64("\0nobody\0x"s));
  b.line("AUTH PLAIN " + b64("\0bob\0wrong"s));
  auto unknown = rejected();
  unknown.why = RejectWhy::UnknownName;
  EXPECT_EQ(a.session->on_login(unknown).send, b.session->on_login(rejected()).send);
}

}  // namespace
}  // namespace authd::host::fronts
