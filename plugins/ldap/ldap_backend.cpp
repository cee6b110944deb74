#include "ldap/ldap_backend.hpp"

#include <ldap.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "base/ascii.hpp"
#include "ldap/connection.hpp"
#include "ldap/connection_pool.hpp"
#include "ldap/server_list.hpp"
#include "passwords/registry.hpp"

namespace authd::ldap {

std::vector<SettingSpec> LdapBackend::settings() {
  return {
      {"uris", SettingType::StringList, {},
       "LDAP servers in order of preference: ldap://host:port/, ldaps://host/ or ldapi://%2Fpath; the next is used "
       "while one is down"},
      {"mode", SettingType::String, std::string("bind"),
       "\"bind\": check the password by binding as the user; \"lookup\": read password_attribute and check it here "
       "(also serves SASL CRAM-MD5 and APOP)"},
      {"bind_dn_template", SettingType::String, std::string(),
       "bind mode without a search: the user's DN, e.g. \"uid=%u,ou=people,dc=example,dc=com\" (%u name, %d domain, "
       "%n name@domain; values are DN-escaped)"},
      {"base", SettingType::String, std::string(),
       "where to search for the user's entry (search then bind, and lookup); may contain %d, %u, %n"},
      {"filter", SettingType::String, std::string("(&(objectClass=inetOrgPerson)(uid=%u))"),
       "search filter for the user's entry; %u name, %d domain, %n name@domain (values are filter-escaped)"},
      {"scope", SettingType::String, std::string("sub"), "search scope below base: \"sub\", \"one\" or \"base\""},
      {"service_dn", SettingType::String, std::string(),
       "DN the search connections bind as; empty: they search anonymously"},
      {"service_password", SettingType::String, std::string(), "password of service_dn (a secret: never logged)"},
      {"password_attribute", SettingType::String, std::string("userPassword"),
       "lookup mode: the attribute holding the stored password"},
      {"disabled_filter", SettingType::String, std::string(),
       "an entry that matches this filter is disabled, e.g. \"(description=disabled)\"; empty: none are"},
      {"starttls", SettingType::Boolean, false, "upgrade ldap:// connections with StartTLS (certificate required)"},
      {"ca_file", SettingType::Path, std::string(),
       "PEM file of the CA certificates that sign the servers' certificates (ldaps:// and StartTLS); empty: the "
       "system's (TLS_CACERT of ldap.conf)"},
      {"connections", SettingType::Integer, std::int64_t{4},
       "persistent connections for searches, and as many for user binds; also the number of LDAP requests in "
       "flight at once",
       1, 256},
      {"connect_timeout_ms", SettingType::Integer, std::int64_t{1000},
       "limit for opening one connection (TCP, TLS, service bind)", 1, 60000},
      {"operation_timeout_ms", SettingType::Integer, std::int64_t{2000},
       "limit for all the LDAP work of one request, retry included; keep it below [authd] request_timeout_ms", 1,
       600000},
      {"failback_ms", SettingType::Integer, std::int64_t{30000},
       "how long a failed server is left alone before it is tried again (and preferred again)", 0, 86400000},
  };
}

namespace {

// Whether `text` parses as a DN (libldap's own parser).
bool valid_dn(const std::string& text) {
  LDAPDN dn = nullptr;
  berval value{static_cast<ber_len_t>(text.size()), const_cast<char*>(text.data())};
  const int rc = ldap_bv2dn(&value, &dn, LDAP_DN_FORMAT_LDAPV3);
  if (dn != nullptr) ldap_dnfree(dn);
  return rc == LDAP_SUCCESS;
}

// Parenthesised and balanced: what can be checked of a filter without a
// server. Substituted values are escaped and cannot unbalance it.
bool balanced_filter(std::string_view text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return false;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    else if (text[i] == ')' && --depth < 0) return false;
    if (depth == 0 && i + 1 != text.size()) return false;
  }
  return depth == 0;
}

const Account sample_account{"user", "example.com"};

std::string lower_scheme(std::string_view uri) {
  return base::lower_ascii(uri.substr(0, uri.find(':')));
}

// The URIs must be LDAP URIs libldap takes; StartTLS only on ldap://.
void check_uris(const std::vector<std::string>& uris, bool starttls) {
  if (uris.empty()) throw ConfigError("uris", "at least one server is needed, e.g. [\"ldap://ldap.example.com/\"]");
  for (const auto& uri : uris) {
    LDAPURLDesc* parsed = nullptr;
    if (ldap_url_parse(uri.c_str(), &parsed) != LDAP_URL_SUCCESS)
      throw ConfigError("uris", "\"" + uri + "\" is not an LDAP URI (ldap://host:port/, ldaps://host/ or ldapi://...)");
    ldap_free_urldesc(parsed);
    const std::string scheme = lower_scheme(uri);
    if (scheme != "ldap" && scheme != "ldaps" && scheme != "ldapi")
      throw ConfigError("uris", "\"" + uri + "\": only ldap://, ldaps:// and ldapi:// are supported");
    if (starttls && scheme != "ldap")
      throw ConfigError("starttls", "\"" + uri + "\" is " +
                                        (scheme == "ldaps" ? "already TLS (ldaps://)" : "a local socket (ldapi://)") +
                                        "; StartTLS is for ldap:// URIs");
  }
}

// A first handle per URI, made while authd starts, on one thread: libldap
// and its TLS library set up their global state on first use, which is not
// safe from several workers at once. It also finds TLS options libldap
// refuses (a CA file it cannot load) before any request comes.
void check_libldap_setup(const std::vector<std::string>& uris, const ConnectOptions& options) {
  for (const auto& uri : uris) {
    LDAP* probe = nullptr;
    if (ldap_initialize(&probe, uri.c_str()) != LDAP_SUCCESS || probe == nullptr)
      throw ConfigError("uris", "libldap cannot use \"" + uri + "\"");
    const bool ok = !uses_tls(uri, options) || set_tls_options(probe, options);
    ldap_unbind_ext(probe, nullptr, nullptr);
    if (!ok)
      throw ConfigError(options.ca_file.empty() ? "uris" : "ca_file",
                        "libldap cannot set up TLS" +
                            (options.ca_file.empty() ? std::string(" (no usable CA certificates: set ca_file)")
                                                     : " with \"" + options.ca_file + "\" (a PEM file of CA certificates?)"));
  }
}

Identity service_identity(const Settings& s) {
  Identity service;
  service.dn = s.string("service_dn");
  service.password.assign(s.string("service_password"));
  if (!service.dn.empty() && service.password.empty())
    throw ConfigError("service_password", "service_dn is set but service_password is empty: that bind would be "
                                          "unauthenticated (anonymous) on many servers");
  if (service.dn.empty() && !service.password.empty())
    throw ConfigError("service_dn", "service_password is set but service_dn is empty");
  if (!service.dn.empty() && !valid_dn(service.dn))
    throw ConfigError("service_dn", "\"" + service.dn + "\" is not a valid DN");
  return service;
}

int scope_of(const std::string& scope) {
  if (scope == "sub") return LDAP_SCOPE_SUBTREE;
  if (scope == "one") return LDAP_SCOPE_ONELEVEL;
  if (scope == "base") return LDAP_SCOPE_BASE;
  throw ConfigError("scope", "must be \"sub\", \"one\" or \"base\", not \"" + scope + "\"");
}

NameTemplate filter_template(std::string_view key, const std::string& text) {
  NameTemplate filter(key, text, TemplateKind::Filter);
  if (!balanced_filter(filter.expand(sample_account)))
    throw ConfigError(std::string(key), "\"" + text + "\" is not a filter: it must be in parentheses, balanced");
  return filter;
}

NameTemplate dn_template(std::string_view key, const std::string& text) {
  NameTemplate dn(key, text, TemplateKind::Dn);
  if (!valid_dn(dn.expand(sample_account)))
    throw ConfigError(std::string(key), "\"" + text + "\" does not make a valid DN");
  return dn;
}

}  // namespace

LdapBackend::LdapBackend(const BackendContext& context)
    : name_(context.name), host_(context.host), budget_(context.settings.integer("operation_timeout_ms")) {
  const Settings& s = context.settings;
  const auto& uris = s.list("uris");
  ConnectOptions options;
  options.connect_timeout = std::chrono::milliseconds(s.integer("connect_timeout_ms"));
  options.starttls = s.boolean("starttls");
  options.ca_file = s.string("ca_file");
  check_uris(uris, options.starttls);
  if (!options.ca_file.empty()) {
    if (::access(options.ca_file.c_str(), R_OK) != 0)
      throw ConfigError("ca_file", "cannot read \"" + options.ca_file + "\"");
    if (std::none_of(uris.begin(), uris.end(), [&](const std::string& uri) { return uses_tls(uri, options); }))
      host_.log(LogLevel::Warning, "backend " + name_ +
                                       ": ca_file is set but no URI is ldaps:// and starttls is false; it is not used");
  }

  choose_mode(s);
  if (mode_ == Mode::DirectBind) {
    bind_dn_ = dn_template("bind_dn_template", s.string("bind_dn_template"));
    if (!bind_dn_.names_the_account())
      throw ConfigError("bind_dn_template", "must contain %u or %n, or every user would bind as the same DN");
  } else {
    base_ = dn_template("base", s.string("base"));
    filter_ = filter_template("filter", s.string("filter"));
    if (!filter_.names_the_account())
      throw ConfigError("filter", "must contain %u or %n, or every name would find the same entries");
  }
  if (const auto& text = s.string("disabled_filter"); !text.empty())
    disabled_filter_ = filter_template("disabled_filter", text);
  scope_ = scope_of(s.string("scope"));
  password_attribute_ = s.string("password_attribute");
  if (mode_ == Mode::Lookup && password_attribute_.empty())
    throw ConfigError("password_attribute", "lookup mode needs the attribute that holds the password");
  Identity service = service_identity(s);
  check_libldap_setup(uris, options);

  const auto connections = static_cast<std::size_t>(s.integer("connections"));
  servers_ = std::make_unique<ServerList>(uris, std::chrono::milliseconds(s.integer("failback_ms")), name_, host_);
  search_pool_ = std::make_unique<ConnectionPool>("search", *servers_, options, std::move(service), connections);
  if (mode_ != Mode::Lookup)
    bind_pool_ = std::make_unique<ConnectionPool>("user bind", *servers_, options, std::nullopt, connections);

  std::string servers;
  for (const auto& uri : uris) servers += (servers.empty() ? "" : ", ") + uri;
  const char* how = mode_ == Mode::DirectBind ? "direct bind" : mode_ == Mode::SearchBind ? "search then bind"
                                                                                          : "lookup";
  host_.log(LogLevel::Info, "backend " + name_ + ": LDAP " + how + " with " + servers +
                                (options.starttls ? " (StartTLS)" : ""));
}

void LdapBackend::choose_mode(const Settings& s) {
  const std::string& mode = s.string("mode");
  const bool has_dn = !s.string("bind_dn_template").empty();
  const bool has_base = !s.string("base").empty();
  if (mode == "bind") {
    if (has_dn && has_base)
      throw ConfigError("bind_dn_template",
                        "set either bind_dn_template (bind as a DN made from the name) or base (search, then bind), "
                        "not both");
    if (!has_dn && !has_base)
      throw ConfigError("base", "bind mode needs bind_dn_template (bind as a DN made from the name) or base "
                                "(search for the entry, then bind as it)");
    mode_ = has_dn ? Mode::DirectBind : Mode::SearchBind;
  } else if (mode == "lookup") {
    if (has_dn)
      throw ConfigError("bind_dn_template", "lookup mode reads the password attribute and never binds as the user; "
                                            "remove bind_dn_template or use mode = \"bind\"");
    if (!has_base) throw ConfigError("base", "lookup mode needs base, where to search for the user's entry");
    mode_ = Mode::Lookup;
  } else {
    throw ConfigError("mode", "must be \"bind\" or \"lookup\", not \"" + mode + "\"");
  }
}

LdapBackend::~LdapBackend() = default;

LdapBackend::Entry LdapBackend::find_entry(const Account& account, bool with_password, Clock::time_point deadline) {
  SearchRequest request{base_.expand(account), scope_, filter_.expand(account),
                        with_password ? password_attribute_ : std::string()};
  std::vector<FoundEntry> entries;
  const Status status = search_pool_->run(
      deadline, [&](Connection& connection, Clock::time_point limit) { return connection.search(request, limit, entries); });
  Entry entry;
  if (status.code == LDAP_NO_SUCH_OBJECT || (status.ok() && entries.empty())) {
    entry.outcome = Entry::Outcome::Missing;
  } else if (!status.ok()) {
    entry.failure = Verdict::temp_fail("LDAP search failed: " + status.text);
  } else if (entries.size() > 1) {
    entry.failure = Verdict::temp_fail("LDAP search is ambiguous: more than one entry matches " + request.filter +
                                       " under " + request.base);
  } else {
    entry.outcome = Entry::Outcome::Found;
    entry.dn = std::move(entries.front().dn);
    entry.values = std::move(entries.front().values);
  }
  return entry;
}

LdapBackend::Entry LdapBackend::read_entry(const std::string& dn, Clock::time_point deadline) {
  SearchRequest request{dn, LDAP_SCOPE_BASE, "(objectClass=*)", {}};
  std::vector<FoundEntry> entries;
  const Status status = search_pool_->run(
      deadline, [&](Connection& connection, Clock::time_point limit) { return connection.search(request, limit, entries); });
  Entry entry;
  if (status.code == LDAP_NO_SUCH_OBJECT || status.code == LDAP_INVALID_DN_SYNTAX ||
      (status.ok() && entries.empty())) {
    entry.outcome = Entry::Outcome::Missing;
  } else if (!status.ok()) {
    entry.failure = Verdict::temp_fail("LDAP search failed: " + status.text);
  } else {
    entry.outcome = Entry::Outcome::Found;
    entry.dn = dn;
  }
  return entry;
}

std::optional<Verdict> LdapBackend::disabled(const std::string& dn, const Account& account,
                                             Clock::time_point deadline) {
  if (disabled_filter_.empty()) return std::nullopt;
  SearchRequest request{dn, LDAP_SCOPE_BASE, disabled_filter_.expand(account), {}};
  std::vector<FoundEntry> entries;
  const Status status = search_pool_->run(
      deadline, [&](Connection& connection, Clock::time_point limit) { return connection.search(request, limit, entries); });
  if (status.code == LDAP_NO_SUCH_OBJECT) return std::nullopt;
  if (!status.ok()) return Verdict::temp_fail("LDAP search for disabled_filter failed: " + status.text);
  if (entries.empty()) return std::nullopt;
  return Verdict::reject(RejectReason::Disabled, "entry matches disabled_filter");
}

Verdict LdapBackend::user_bind(const std::string& dn, const Secret& password, Clock::time_point deadline) {
  const Status status = bind_pool_->run(deadline, [&](Connection& connection, Clock::time_point limit) {
    return connection.simple_bind(dn, password.view(), limit);
  });
  switch (status.code) {
    case LDAP_SUCCESS: return Verdict::accept();
    case LDAP_INVALID_CREDENTIALS: return Verdict::reject(RejectReason::WrongPassword);
    case LDAP_INAPPROPRIATE_AUTH:
      return Verdict::reject(RejectReason::UnusableSecret, "the entry has no password the server can check");
    case LDAP_UNWILLING_TO_PERFORM: return Verdict::reject(RejectReason::Other, status.text);
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_NO_SUCH_OBJECT: return Verdict::unknown_name();
    default: return Verdict::temp_fail("LDAP bind failed: " + status.text);
  }
}

Secret LdapBackend::as_stored_value(const Secret& value) const {
  return passwords::Registry::instance().with_default_scheme(value.view(), "PLAIN",
                                                            passwords::SchemeMark::KnownPrefix);
}

Verdict LdapBackend::check_values(const std::vector<Secret>& values, const Secret& password) {
  if (values.empty())
    return Verdict::reject(RejectReason::UnusableSecret,
                           "the entry has no " + password_attribute_ + " value this backend may read");
  Verdict result = Verdict::reject(RejectReason::UnusableSecret, "no usable " + password_attribute_ + " value");
  for (const auto& value : values) {
    const Secret stored = as_stored_value(value);
    Verdict verdict = host_.check_password(stored.view(), password);
    if (verdict.accepted()) return verdict;
    if (verdict.kind == VerdictKind::Reject && verdict.reason == RejectReason::WrongPassword) result = std::move(verdict);
  }
  return result;
}

Verdict LdapBackend::verify(const Account& account, const Secret& password, std::string_view) {
  if (password.empty()) return Verdict::reject(RejectReason::EmptyPassword, "empty password refused before any bind");
  const auto deadline = Clock::now() + budget_;
  switch (mode_) {
    case Mode::DirectBind: {
      const std::string dn = bind_dn_.expand(account);
      Verdict verdict = user_bind(dn, password, deadline);
      if (verdict.accepted()) return disabled(dn, account, deadline).value_or(std::move(verdict));
      if (verdict.kind == VerdictKind::Reject && verdict.reason == RejectReason::WrongPassword) {
        // invalidCredentials also answers a DN that does not exist.
        const Entry entry = read_entry(dn, deadline);
        if (entry.outcome == Entry::Outcome::Missing) return Verdict::unknown_name();
      }
      return verdict;
    }
    case Mode::SearchBind: {
      Entry entry = find_entry(account, false, deadline);
      if (entry.outcome == Entry::Outcome::Missing) return Verdict::unknown_name();
      if (entry.outcome == Entry::Outcome::Failed) return entry.failure;
      if (auto off = disabled(entry.dn, account, deadline)) return *off;
      Verdict verdict = user_bind(entry.dn, password, deadline);
      // The entry was there a moment ago: a bind that finds no such DN is a
      // rename or delete in between, not an unknown name.
      if (verdict.kind == VerdictKind::UnknownName) return Verdict::reject(RejectReason::WrongPassword);
      return verdict;
    }
    case Mode::Lookup: {
      Entry entry = find_entry(account, true, deadline);
      if (entry.outcome == Entry::Outcome::Missing) return Verdict::unknown_name();
      if (entry.outcome == Entry::Outcome::Failed) return entry.failure;
      if (auto off = disabled(entry.dn, account, deadline)) return *off;
      return check_values(entry.values, password);
    }
  }
  return Verdict::temp_fail("unknown LDAP mode");
}

Verdict LdapBackend::credentials(const Account& account, Secret& stored) {
  if (mode_ != Mode::Lookup) return Verdict::temp_fail("the LDAP backend supplies stored secrets in lookup mode only");
  const auto deadline = Clock::now() + budget_;
  Entry entry = find_entry(account, true, deadline);
  if (entry.outcome == Entry::Outcome::Missing) return Verdict::unknown_name();
  if (entry.outcome == Entry::Outcome::Failed) return entry.failure;
  if (auto off = disabled(entry.dn, account, deadline)) return *off;
  if (entry.values.empty())
    return Verdict::reject(RejectReason::UnusableSecret,
                           "the entry has no " + password_attribute_ + " value this backend may read");
  // The first of the values that serve the most methods.
  std::optional<passwords::ChallengeFit> best;
  for (const auto& value : entry.values) {
    Secret candidate = as_stored_value(value);
    const auto fit = passwords::Registry::instance().challenge_fit(candidate.view());
    if (!best || fit > *best) {
      best = fit;
      stored = std::move(candidate);
    }
  }
  return Verdict::accept();
}

Verdict LdapBackend::exists(const Account& account) {
  const auto deadline = Clock::now() + budget_;
  const Entry entry = mode_ == Mode::DirectBind ? read_entry(bind_dn_.expand(account), deadline)
                                                : find_entry(account, false, deadline);
  switch (entry.outcome) {
    case Entry::Outcome::Found: return Verdict::accept();
    case Entry::Outcome::Missing: return Verdict::unknown_name();
    case Entry::Outcome::Failed: break;
  }
  return entry.failure;
}

}  // namespace authd::ldap
