// The LDAP backend against a real slapd: settings, the three modes over a
// thousand users of every stored kind, SASL, identities, ambiguity, TLS,
// and the empty password that must never reach a bind.
#include <fstream>

#include <gtest/gtest.h>

#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "ldap/connection.hpp"
#include "ldap_test_support.hpp"
#include "passwords/challenge.hpp"
#include "passwords/registry.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;
using ldap::LdapBackend;

const std::string uniform = "ERROR incorrect account name or password";

Settings ldap_settings(const std::map<std::string, SettingValue>& overrides) {
  std::map<std::string, SettingValue, std::less<>> values;
  for (const auto& spec : LdapBackend::settings()) values[spec.key] = spec.default_value;
  for (const auto& [key, value] : overrides) values[key] = value;
  return Settings(std::move(values));
}

// Hosts a backend made directly, without the engine.
class DirectHost {
 public:
  explicit DirectHost(bool allow_weak = true)
      : logger_({(dir_.path() / "log").string(), LogLevel::Debug, false}), services_(allow_weak, logger_) {}
  std::unique_ptr<LdapBackend> make(const std::map<std::string, SettingValue>& overrides) {
    const Settings settings = ldap_settings(overrides);
    return std::make_unique<LdapBackend>(BackendContext{"l", settings, services_});
  }
  std::string log_text() {
    logger_.flush();
    std::ifstream in(dir_.path() / "log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  TempDir dir_;
  Logger logger_;
  EngineServices services_;
};

TEST(LdapSettings, EveryKeyHasHelpAndTimeoutsFitTheRequestDeadline) {
  for (const auto& spec : LdapBackend::settings()) EXPECT_FALSE(spec.help.empty()) << spec.key;
  const Settings defaults = ldap_settings({{"uris", std::vector<std::string>{"ldap://x/"}}});
  EXPECT_LT(defaults.integer("operation_timeout_ms"), 3000);
  EXPECT_LE(defaults.integer("connect_timeout_ms"), defaults.integer("operation_timeout_ms"));
}

TEST(LdapSettings, UnusableSettingsAreRefusedWithTheirKey) {
  DirectHost host;
  const std::vector<std::string> uri{"ldap://127.0.0.1:1/"};
  const std::string base = "ou=people,dc=example,dc=com";
  struct Case {
    std::map<std::string, SettingValue> settings;
    std::string key;
  };
  const std::vector<Case> cases = {
      {{{"uris", std::vector<std::string>{}}, {"base", base}}, "uris"},
      {{{"uris", std::vector<std::string>{"http://example.com/"}}, {"base", base}}, "uris"},
      {{{"uris", std::vector<std::string>{"not a uri"}}, {"base", base}}, "uris"},
      {{{"uris", uri}, {"base", base}, {"mode", std::string("verify")}}, "mode"},
      {{{"uris", uri}}, "base"},
      {{{"uris", uri}, {"base", base}, {"bind_dn_template", std::string("uid=%u,dc=x")}}, "bind_dn_template"},
      {{{"uris", uri}, {"mode", std::string("lookup")}}, "base"},
      {{{"uris", uri}, {"mode", std::string("lookup")}, {"base", base}, {"bind_dn_template", std::string("uid=%u")}},
       "bind_dn_template"},
      {{{"uris", uri}, {"bind_dn_template", std::string("uid=joe,dc=x")}}, "bind_dn_template"},
      {{{"uris", uri}, {"bind_dn_template", std::string("uid=%u,dc=x,,=")}}, "bind_dn_template"},
      {{{"uris", uri}, {"bind_dn_template", std::string("uid=%q,dc=x")}}, "bind_dn_template"},
      {{{"uris", uri}, {"base", std::string("not a dn")}}, "base"},
      {{{"uris", uri}, {"base", base}, {"filter", std::string("(objectClass=*)")}}, "filter"},
      {{{"uris", uri}, {"base", base}, {"filter", std::string("(uid=%u")}}, "filter"},
      {{{"uris", uri}, {"base", base}, {"filter", std::string("(a=%u)(b=1)")}}, "filter"},
      {{{"uris", uri}, {"base", base}, {"disabled_filter", std::string("description=off")}}, "disabled_filter"},
      {{{"uris", uri}, {"base", base}, {"scope", std::string("subtree")}}, "scope"},
      {{{"uris", uri}, {"base", base}, {"service_dn", std::string("cn=service,dc=example,dc=com")}},
       "service_password"},
      {{{"uris", uri}, {"base", base}, {"service_password", std::string("secret")}}, "service_dn"},
      {{{"uris", std::vector<std::string>{"ldaps://127.0.0.1:1/"}}, {"base", base}, {"starttls", true}}, "starttls"},
      {{{"uris", uri}, {"base", base}, {"starttls", true}, {"ca_file", std::string("/nonexistent/ca.pem")}},
       "ca_file"},
      {{{"uris", uri}, {"mode", std::string("lookup")}, {"base", base}, {"password_attribute", std::string()}},
       "password_attribute"},
  };
  for (const auto& c : cases) {
    try {
      host.make(c.settings);
      ADD_FAILURE() << "accepted; expected a problem with " << c.key;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), c.key) << e.what();
    }
  }
  // The service password is a secret: never in a message.
  try {
    host.make({{"uris", uri}, {"base", base}, {"service_password", std::string("hunter2")}});
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
  }
}

// One slapd for the tests of this file that do not stop it.
class LdapDirectory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto& registry = passwords::Registry::instance();
    std::vector<LdapUser> users = bulk_users();
    users.push_back({"multi", "example.com",
                     {registry.encode("SSHA", Secret("first value")), "second value"}, false, false});
    users.push_back({"nopw", "example.com", {}, false, false});
    users.push_back({"off", "example.com", {registry.encode("SSHA", Secret("right"))}, true, false});
    users.push_back({"dup", "a.example", {registry.encode("SSHA", Secret("dup a"))}, false, false});
    users.push_back({"dup", "b.example", {registry.encode("SSHA", Secret("dup b"))}, false, false});
    users.push_back({"h1", "hidden.example", {registry.encode("SSHA", Secret("hidden one"))}, false, false});
    users.push_back({"h2", "hidden.example", {registry.encode("SSHA", Secret("hidden two"))}, false, false});
    slapd_ = new Slapd(users);
  }
  static void TearDownTestSuite() {
    delete slapd_;
    slapd_ = nullptr;
  }
  static std::string uri() { return slapd_->uri(); }

  static std::unique_ptr<EngineHarness> harness(const std::string& backend_extra, const std::string& engine = "") {
    return std::make_unique<EngineHarness>(
        engine_config("workers = 8\n" + engine, ldap_backend_toml("l", {uri()}, backend_extra) + one_route("l")));
  }

  // Right and wrong passwords of every bulk user, 100 requests in flight.
  static void check_bulk(EngineHarness& h, const std::function<bool(BulkKind)>& accepted) {
    int seq = 0;
    for (int first = 0; first < bulk_count; first += 50) {
      std::map<int, std::string> expected;
      std::string batch;
      for (int i = first; i < std::min(bulk_count, first + 50); ++i) {
        const std::string account = bulk_name(i) + "@example.com";
        expected[++seq] = accepted(bulk_kind(i)) ? "OK" : uniform;
        batch += vrfy_line(seq, account, bulk_password(i)) + "\n";
        expected[++seq] = uniform;
        batch += vrfy_line(seq, account, bulk_password(i) + "!") + "\n";
      }
      h.send(batch);
      const Answers answers = read_answers(h, expected.size(), 20s);
      ASSERT_EQ(answers.by_seq.size(), expected.size());
      EXPECT_TRUE(answers.repeated.empty());
      for (const auto& [n, answer] : expected) EXPECT_EQ(answers.by_seq.at(n), answer) << "request " << n;
    }
  }

  static Slapd* slapd_;
};
Slapd* LdapDirectory::slapd_ = nullptr;

TEST_F(LdapDirectory, EmptyPasswordNeverReachesABind) {
  const std::string dn = Slapd::dn_of(bulk_name(0), "example.com");
  // The trap is real: this server takes a DN with an empty password as an
  // anonymous bind, and says it succeeded.
  {
    ldap::Status status;
    auto connection = ldap::Connection::open(0, uri(), {}, ldap::Clock::now() + 2s, status);
    ASSERT_TRUE(connection) << status.text;
    LDAP* raw = nullptr;
    ASSERT_EQ(ldap_initialize(&raw, uri().c_str()), LDAP_SUCCESS);
    const int version = LDAP_VERSION3;
    ldap_set_option(raw, LDAP_OPT_PROTOCOL_VERSION, &version);
    berval empty{0, nullptr};
    EXPECT_EQ(ldap_sasl_bind_s(raw, dn.c_str(), LDAP_SASL_SIMPLE, &empty, nullptr, nullptr, nullptr), LDAP_SUCCESS);
    ldap_unbind_ext_s(raw, nullptr, nullptr);
    // The connection refuses to send one.
    EXPECT_EQ(connection->simple_bind(dn, "", ldap::Clock::now() + 2s).code, LDAP_UNWILLING_TO_PERFORM);
  }
  DirectHost host;
  const std::vector<std::string> uris{uri()};
  const std::string name = bulk_name(0);
  const Account account{name, "example.com"};
  for (const auto& settings : std::vector<std::map<std::string, SettingValue>>{
           {{"uris", uris}, {"bind_dn_template", std::string("uid=%u,ou=%d,ou=people,dc=example,dc=com")}},
           {{"uris", uris}, {"base", std::string(Slapd::people)}},
           {{"uris", uris},
            {"base", std::string(Slapd::people)},
            {"mode", std::string("lookup")},
            {"service_dn", std::string(Slapd::service_dn)},
            {"service_password", std::string(Slapd::service_password)}},
       }) {
    auto backend = host.make(settings);
    const Verdict verdict = backend->verify(account, Secret(), "IMAP");
    EXPECT_EQ(verdict.kind, VerdictKind::Reject);
    EXPECT_EQ(verdict.reason, RejectReason::EmptyPassword);
    const Verdict right = backend->verify(account, Secret(bulk_password(0)), "IMAP");
    EXPECT_TRUE(right.accepted()) << right.detail;
  }
}

TEST_F(LdapDirectory, SearchThenBindChecksEveryKindSlapdKnows) {
  auto h = harness(search_bind_toml + service_account_toml());
  // slapd cannot check {CRAM-MD5} values; bind-only entries bind fine.
  check_bulk(*h, [](BulkKind kind) { return kind != BulkKind::CramMd5; });
}

TEST_F(LdapDirectory, DirectBindChecksEveryKindSlapdKnows) {
  auto h = harness("bind_dn_template = \"uid=%u,ou=%d,ou=people,dc=example,dc=com\"\n");
  check_bulk(*h, [](BulkKind kind) { return kind != BulkKind::CramMd5; });
}

TEST_F(LdapDirectory, LookupChecksEveryKindItMayRead) {
  auto h = harness(lookup_toml + service_account_toml(), "allow_weak_schemes = true");
  // Bind-only entries hide their password from the service account.
  check_bulk(*h, [](BulkKind kind) { return kind != BulkKind::BindOnly; });
}

TEST_F(LdapDirectory, LookupRefusesWeakSchemesUnlessAllowed) {
  auto h = harness(lookup_toml + service_account_toml());
  for (int i = 0; i < 10; ++i) {
    const bool weak = bulk_kind(i) == BulkKind::Clear || bulk_kind(i) == BulkKind::CramMd5;
    const bool readable = bulk_kind(i) != BulkKind::BindOnly;
    EXPECT_EQ(h->ask(vrfy_line(i + 1, bulk_name(i) + "@example.com", bulk_password(i))),
              std::to_string(i + 1) + (weak || !readable ? " " + uniform : " OK"))
        << bulk_name(i);
  }
}

TEST_F(LdapDirectory, SaslFromLookupMode) {
  auto h = harness(lookup_toml + service_account_toml(), "allow_weak_schemes = true");
  const std::string challenge = "<1896.697170952@postoffice.example.net>";
  auto cram = [&](int i) {
    passwords::CramMd5Context context;
    EXPECT_TRUE(passwords::Registry::instance().cram_md5_context("{PLAIN}" + bulk_password(i), context));
    return passwords::cram_md5_response(context, challenge);
  };
  int seq = 0;
  // The answer to one request, without its sequence number.
  auto ask = [&](const std::string& request) {
    const std::string answer = h->ask(std::to_string(++seq) + " " + request);
    return answer.substr(answer.find(' ') + 1);
  };
  for (int i = 0; i < 5; ++i) {
    const BulkKind kind = bulk_kind(i);
    const bool usable = kind == BulkKind::Clear || kind == BulkKind::CramMd5;
    EXPECT_EQ(ask("SASL(CRAM-MD5) (IMAP) " + bulk_name(i) + "@example.com " + cram(i) + " " + challenge),
              usable ? "OK" : uniform)
        << bulk_name(i);
  }
  EXPECT_EQ(ask("SASL(CRAM-MD5) " + bulk_name(2) + "@example.com " + cram(3) + " " + challenge), uniform);
  EXPECT_EQ(ask("SASL(CRAM-MD5) nobody@example.com " + cram(2) + " " + challenge), uniform);
  // APOP needs clear text: a {CRAM-MD5} value cannot serve it.
  const std::string apop = "<1896.697170952@dbc.example.org>";
  EXPECT_EQ(ask("SASL(APOP) " + bulk_name(2) + "@example.com " + passwords::apop_digest(apop, Secret(bulk_password(2))) +
                " " + apop),
            "OK");
  EXPECT_EQ(ask("SASL(APOP) " + bulk_name(3) + "@example.com " + passwords::apop_digest(apop, Secret(bulk_password(3))) +
                " " + apop),
            uniform);
  // A clear-text value is preferred over a hash of the same entry.
  EXPECT_EQ(ask("SASL(APOP) multi@example.com " + passwords::apop_digest(apop, Secret("second value")) + " " + apop),
            "OK");
}

TEST_F(LdapDirectory, SaslIsNotOfferedInBindMode) {
  auto h = harness(search_bind_toml + service_account_toml());
  EXPECT_EQ(h->ask("1 SASL(CRAM-MD5) user0002@example.com 00112233445566778899aabbccddeeff <x@y>"),
            "1 ERROR unsupported SASL method");
}

TEST_F(LdapDirectory, UserBindsNeverChangeTheSearchIdentity) {
  // One connection of each kind, so that every request uses the same ones.
  // Only the service account may see ou=hidden.example: had a user bind
  // been made on the search connection, the next search would find nothing.
  auto h = harness(search_bind_toml + service_account_toml() + "connections = 1\n");
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(h->ask(vrfy_line(1, "h1@hidden.example", "hidden one")), "1 OK");
    EXPECT_EQ(h->ask(vrfy_line(2, "h2@hidden.example", "hidden two")), "2 OK");
    EXPECT_EQ(h->ask(vrfy_line(3, "h1@hidden.example", "hidden two")), "3 " + uniform);
    EXPECT_EQ(h->ask("4 NEW h2@hidden.example"), "4 OK");
  }
}

TEST_F(LdapDirectory, AmbiguousEntriesFailTemporarily) {
  auto h = harness("mode = \"bind\"\nbase = \"ou=people,dc=example,dc=com\"\n" + service_account_toml());
  EXPECT_EQ(h->ask(vrfy_line(1, "dup@a.example", "dup a")), "1 FAILURE temporarily unavailable");
  EXPECT_EQ(h->ask(vrfy_line(2, "user0000@example.com", bulk_password(0))), "2 OK");
  EXPECT_NE(h->log_text().find("ambiguous"), std::string::npos);
}

TEST_F(LdapDirectory, AnyValueOfAMultiValuedPasswordIsAccepted) {
  for (const std::string& mode : {search_bind_toml, lookup_toml}) {
    auto h = harness(mode + service_account_toml(), "allow_weak_schemes = true");
    EXPECT_EQ(h->ask(vrfy_line(1, "multi@example.com", "first value")), "1 OK");
    EXPECT_EQ(h->ask(vrfy_line(2, "multi@example.com", "second value")), "2 OK");
    EXPECT_EQ(h->ask(vrfy_line(3, "multi@example.com", "third value")), "3 " + uniform);
  }
}

TEST_F(LdapDirectory, EntriesWithoutAPasswordAreRejected) {
  for (const std::string& mode : {search_bind_toml, lookup_toml}) {
    auto h = harness(mode + service_account_toml());
    EXPECT_EQ(h->ask(vrfy_line(1, "nopw@example.com", "anything")), "1 " + uniform);
    EXPECT_EQ(h->ask("2 NEW nopw@example.com"), "2 OK");
  }
}

TEST_F(LdapDirectory, DisabledEntriesExistButCannotLogIn) {
  for (const std::string& mode : {search_bind_toml, lookup_toml}) {
    auto h = harness(mode + service_account_toml() + "disabled_filter = \"(description=disabled)\"\n");
    EXPECT_EQ(h->ask(vrfy_line(1, "off@example.com", "right")), "1 " + uniform);
    EXPECT_EQ(h->ask("2 NEW off@example.com"), "2 OK");
  }
  auto h = harness("bind_dn_template = \"uid=%u,ou=%d,ou=people,dc=example,dc=com\"\n"
                   "disabled_filter = \"(description=disabled)\"\n");
  EXPECT_EQ(h->ask(vrfy_line(1, "off@example.com", "right")), "1 " + uniform);
  EXPECT_EQ(h->ask(vrfy_line(2, "user0000@example.com", bulk_password(0))), "2 OK");
}

TEST_F(LdapDirectory, NamesTheDirectoryLacksGoOnToTheNextBackend) {
  TempDir dir;
  const auto& registry = passwords::Registry::instance();
  const std::string file = dir.file("users.passwd", "only-here@example.com:" +
                                                        registry.encode("SSHA", Secret("file pw")) + "\n" +
                                                        "user0000@example.com:" +
                                                        registry.encode("SSHA", Secret("file pw")) + "\n");
  const std::string passwd = "[[backend]]\nname = \"f\"\ntype = \"passwd-file\"\npath = \"" + file + "\"\n";
  for (const std::string& mode : {std::string("bind_dn_template = \"uid=%u,ou=%d,ou=people,dc=example,dc=com\"\n"),
                                  search_bind_toml + service_account_toml()}) {
    EngineHarness h(engine_config("workers = 4", ldap_backend_toml("l", {uri()}, mode) + passwd +
                                                     "[[route]]\ndomains = [\"*\"]\nbackends = [\"l\", \"f\"]\n"));
    EXPECT_EQ(h.ask(vrfy_line(1, "only-here@example.com", "file pw")), "1 OK");
    // A name the directory holds is decided there, wrong password or not.
    EXPECT_EQ(h.ask(vrfy_line(2, "user0000@example.com", "file pw")), "2 " + uniform);
    EXPECT_EQ(h.ask(vrfy_line(3, "user0000@example.com", bulk_password(0))), "3 OK");
  }
}

TEST_F(LdapDirectory, SecretsNeverReachTheLog) {
  auto h = harness(search_bind_toml + service_account_toml());
  EXPECT_EQ(h->ask(vrfy_line(1, "user0000@example.com", bulk_password(0))), "1 OK");
  EXPECT_EQ(h->ask(vrfy_line(2, "user0000@example.com", "wrong horse")), "2 " + uniform);
  EXPECT_EQ(h->ask(vrfy_line(3, "nopw@example.com", "no such value")), "3 " + uniform);
  const std::string log = h->log_text();
  EXPECT_NE(log.find("user0000@example.com"), std::string::npos);
  for (const std::string& secret : {std::string(Slapd::service_password), bulk_password(0), std::string("wrong horse"),
                                    std::string("no such value")})
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
}

TEST(LdapTls, LdapsAndStartTlsWithTheServersCa) {
  Slapd slapd(bulk_users(), {true});
  const std::string ca = "ca_file = \"" + slapd.ca_file() + "\"\n";
  const std::string other = "ca_file = \"" + slapd.other_ca_file() + "\"\n";
  const std::string bind = "bind_dn_template = \"uid=%u,ou=%d,ou=people,dc=example,dc=com\"\n";
  struct Case {
    std::string uri, extra;
    bool trusted;
  };
  for (const auto& c : std::vector<Case>{{slapd.tls_uri(), ca, true},
                                         {slapd.uri(), ca + "starttls = true\n", true},
                                         {slapd.tls_uri(), other, false},
                                         {slapd.uri(), other + "starttls = true\n", false}}) {
    EngineHarness h(engine_config("workers = 2", ldap_backend_toml("l", {c.uri}, bind + c.extra) + one_route("l")));
    if (c.trusted) {
      EXPECT_EQ(h.ask(vrfy_line(1, "user0000@example.com", bulk_password(0))), "1 OK") << c.uri << " " << c.extra;
      EXPECT_EQ(h.ask(vrfy_line(2, "user0000@example.com", "wrong")), "2 " + uniform);
    } else {
      // A server whose certificate is not trusted is never used.
      EXPECT_EQ(h.ask(vrfy_line(1, "user0000@example.com", bulk_password(0))), "1 FAILURE temporarily unavailable")
          << c.uri << " " << c.extra;
    }
  }
  // A server that accepts the connection and then never answers: the TLS
  // handshake (ldaps://) and StartTLS are bounded by connect_timeout_ms.
  slapd.freeze();
  for (const auto& c : std::vector<Case>{{slapd.tls_uri(), ca, true}, {slapd.uri(), ca + "starttls = true\n", true}}) {
    EngineHarness h(engine_config("workers = 2", ldap_backend_toml("l", {c.uri}, bind + c.extra +
                                                                                 "connect_timeout_ms = 300\n") +
                                                     one_route("l")));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(h.ask(vrfy_line(1, "user0000@example.com", bulk_password(0))), "1 FAILURE temporarily unavailable");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << c.uri << " " << c.extra;
  }
  slapd.thaw();
}

}  // namespace
}  // namespace authd::testing
