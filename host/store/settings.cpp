#include "host/store/settings.hpp"

#include <openssl/opensslconf.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "base/ascii.hpp"
#include "host/login/client_addresses.hpp"
#include "host/store/names.hpp"
#include "passwords/registry.hpp"

namespace authd::host {

namespace {

using L = SettingLevel;
using K = SettingKind;

std::vector<HostSettingSpec> make_specs() {
  return {
      {setting::password, K::String, L::Account, "",
       "the account's own (internal) password: {PLAIN}text, or one-way encoded ({SSHA512}..., {MD5}..., {SHA}..., "
       "$6$...); a value no scheme recognises is clear text; empty never matches",
       0, INT64_MAX, false, true},
      {setting::use_internal_password, K::Boolean, L::Account, "true", "check the internal password first", 0,
       INT64_MAX, true, false, false, true},
      {setting::use_os_password, K::Boolean, L::Account, "false",
       "then the OS password, through PAM, for the OS User Name", 0, INT64_MAX, true, false, false, true},
      {setting::use_external_password, K::Boolean, L::Account, "false",
       "then the external authenticator (VRFY, SASL(method))", 0, INT64_MAX, true, false, false, true},
      {setting::os_user_name, K::String, L::Account, "*",
       "the OS user name: '*' is the account name (\"*\" -> joe, \"*%comp1\" -> joe%comp1); over the "
       "administration interface only names of OS users with a uid of at least OSUserMinUID",
       0, INT64_MAX, true, false, false, true},
      {setting::secure_method_required, K::Boolean, L::Account, "false",
       "refuse clear-text login methods on connections that are not encrypted", 0, INT64_MAX, true, false, false,
       true},
      {setting::password_encoding, K::Scheme, L::Account, "SSHA512",
       "how new internal passwords are stored: a scheme of the registry (SSHA512, SHA512-CRYPT, ...) or "
       "'clear' (needed for CRAM-MD5 and APOP)"},
      {setting::consult_external, K::Boolean, L::Domain, "false",
       "ask the external authenticator (NEW) about names this domain does not know"},
      {setting::hide_unknown, K::Boolean, L::Server, "true",
       "unknown names, wrong passwords and suspended accounts get one answer, in one time"},
      {setting::failed_login_limit, K::Integer, L::Server, "5",
       "suspend a name after this many failed logins within FailedLoginWindow; 0: never", 0, 1000000},
      {setting::failed_login_window, K::Duration, L::Server, "10m",
       "the window of FailedLoginLimit, and how long a suspension lasts (1s to 30 days)", 1000,
       30LL * 24 * 3600 * 1000},
      {setting::lockout_table_size, K::Integer, L::Server, "100000",
       "the most names whose failures are counted; past it the least recently failed are forgotten", 1,
       100000000},
      {setting::reject_non_clients, K::Boolean, L::Server, "false",
       "accept logins only from loopback and ClientIPAddresses"},
      {setting::client_addresses, K::AddressList, L::Server, "",
       "addresses and networks of clients: 192.0.2.0/24, 2001:db8::/32, 198.51.100.7 (loopback always)"},
      {setting::external_authenticator, K::String, L::Server, "",
       "the external authenticator's command line (words split at spaces, \"...\" keeps one together; a "
       "program without a '/' is looked up on PATH); set on the host's command line only",
       0, INT64_MAX, true, false, true},
      {setting::external_timeout, K::Duration, L::Server, "5s",
       "how long the host waits for the helper's answer (100ms to 10m)", 100, 600000},
      {setting::os_password_service, K::String, L::Server, "authd",
       "the PAM service that checks OS passwords: a file name under /etc/pam.d; set on the host's command line "
       "only",
       0, INT64_MAX, true, false, true},
      {setting::os_user_min_uid, K::Integer, L::Server, "1000",
       "OS passwords are never checked for OS users with a lower uid (root, system accounts); set on the host's "
       "command line only",
       0, 4294967295LL, true, false, true},
      {setting::os_password_max_concurrent, K::Integer, L::Server, "0",
       "the most OS password checks (PAM transactions) at once, across every login; past it a login that needs "
       "one is a temporary failure at once, so that a slow or stuck PAM stack holds no more threads; 0: no bound",
       0, 1024},
      {setting::failure_answer_time, K::Duration, L::Server, "500ms",
       "with HideUnknownAccounts, a rejection is answered no sooner than this after the request (0 to 1m)", 0,
       60000},
      {setting::pki_mode, K::Choice, L::Domain, "disabled",
       "the domain's PKI: disabled (no TLS for it), test (the server-wide test key and certificate) or enabled "
       "(its own key, certificate and chain: authhost pki)",
       0, INT64_MAX, true, false, false, true, "disabled|test|enabled"},
      {setting::client_certificate_issuer, K::String, L::Domain, "",
       "ask TLS clients of the domain for a certificate issued by the trusted certificate with this subject (as "
       "authhost pki trust list prints it); the certificate then logs its account in. Empty: ask for none",
       0, INT64_MAX, true, false, false, true},
      {setting::client_certificate_required, K::Boolean, L::Domain, "false",
       "with ClientCertificateIssuer, refuse TLS clients of the domain that present no valid certificate"},
      {setting::tls_oldest_accepted, K::Choice, L::Server, "TLS1.2",
       "the oldest TLS version the fronts accept (TLS1.0 and TLS1.1 are deprecated, RFC 8996)", 0, INT64_MAX, true,
       false, false, false, "TLS1.0|TLS1.1|TLS1.2|TLS1.3"},
      {setting::tls_process_target_domain, K::Boolean, L::Server, "true",
       "pick the domain (its certificate) by the name a TLS client asks for (SNI)"},
      {setting::tls_session_time_to_live, K::Duration, L::Server, "5m",
       "how long a TLS session stays cached for resumption after its last connection (0 to 24h; 0: none)", 0,
       24LL * 3600 * 1000},
      {setting::tls_abort_on_wrong_client_certificate, K::Boolean, L::Server, "false",
       "end the TLS handshake when a client sends an invalid certificate (otherwise it is ignored)"},
      {setting::tls_log_level, K::Choice, L::Server, "problems",
       "what the TLS layer logs: none, major, problems, low or all", 0, INT64_MAX, true, false, false, false,
       "none|major|problems|low|all"},
  };
}

std::optional<bool> parse_boolean(std::string_view text) {
  const std::string v = lower_ascii(text);
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return std::nullopt;
}

// Whether this OpenSSL build has the TLS version ("TLS1.0" ... "TLS1.3").
bool tls_version_available(std::string_view version) {
#ifdef OPENSSL_NO_TLS1
  if (version == "TLS1.0") return false;
#endif
#ifdef OPENSSL_NO_TLS1_1
  if (version == "TLS1.1") return false;
#endif
#ifdef OPENSSL_NO_TLS1_3
  if (version == "TLS1.3") return false;
#endif
  (void)version;
  return true;
}

std::string oldest_tls_version() {
  for (const char* v : {"TLS1.0", "TLS1.1", "TLS1.2"})
    if (tls_version_available(v)) return v;
  return "TLS1.2";
}

// The canonical spelling of `value` among `choices` ("a|b|c"), matched
// without regard to case.
std::optional<std::string> find_choice(std::string_view choices, std::string_view value) {
  while (!choices.empty()) {
    const auto bar = choices.find('|');
    const std::string_view choice = choices.substr(0, bar);
    if (base::equal_ignoring_case(choice, value)) return std::string(choice);
    if (bar == std::string_view::npos) break;
    choices.remove_prefix(bar + 1);
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<std::string> canonical_scheme(std::string_view text) {
  const std::string upper = base::upper_ascii(text);
  if (upper == "CLEAR" || upper == "PLAIN") return std::string("clear");
  for (const auto* scheme : passwords::Registry::instance().schemes())
    if (scheme->name == upper) return upper;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> obsolete_setting(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> obsolete[] = {
      {"TLSCBCCiphers",
       "CBC cipher suites for SSL 3.0 and TLS 1.0 are open to padding-oracle attacks (BEAST, Lucky Thirteen, "
       "POODLE); the fronts offer OpenSSL's default suites for the versions from TLSOldestAccepted on"},
      {"TLSWeakCiphers",
       "ciphers of less than 128 bits are broken (FREAK, Logjam, SWEET32) and OpenSSL 3 no longer has them"},
      {"TLSAcceptSSLv2Hello",
       "SSLv2-style hellos come only from clients older than TLS 1.0, and OpenSSL 3 no longer accepts them"},
  };
  for (const auto& [old_name, why] : obsolete) {
    const std::string_view bare = old_name.substr(3);  // also without the TLS prefix
    if (base::equal_ignoring_case(name, old_name) || base::equal_ignoring_case(name, bare))
      return std::string(old_name) + " is obsolete and not offered: " + std::string(why);
  }
  return std::nullopt;
}

std::string setting_warning(const HostSettingSpec& spec, std::string_view canonical_value) {
  if (spec.name == setting::tls_oldest_accepted && (canonical_value == "TLS1.0" || canonical_value == "TLS1.1"))
    return std::string(spec.name) + "=" + std::string(canonical_value) +
           ": TLS 1.0 and 1.1 are deprecated (RFC 8996); the fronts lower OpenSSL's security level to 0 for "
           "them, which also admits SHA-1 signatures and short keys";
  return {};
}

const std::vector<HostSettingSpec>& setting_specs() {
  static const std::vector<HostSettingSpec> specs = make_specs();
  return specs;
}

const HostSettingSpec* find_setting(std::string_view name) {
  for (const auto& spec : setting_specs())
    if (spec.name == name) return &spec;
  return nullptr;
}

bool settable_at(const HostSettingSpec& spec, SettingLevel level) noexcept {
  if (!spec.inherited) return level == spec.level;
  return static_cast<int>(level) <= static_cast<int>(spec.level);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  const auto number = parse_integer(text.substr(0, digits));
  const auto unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60000;
  else if (unit == "h") scale = 3600000;
  if (!number || scale == 0) return std::nullopt;
  return std::chrono::milliseconds(*number * scale);
}

std::optional<std::string> normalise_setting(const HostSettingSpec& spec, std::string_view value, std::string& error) {
  const std::string name(spec.name);
  switch (spec.kind) {
    case K::Boolean:
      if (auto b = parse_boolean(value)) return std::string(*b ? "true" : "false");
      error = name + " takes true or false (yes/no, on/off, 1/0)";
      return std::nullopt;
    case K::Integer: {
      const auto n = parse_integer(value);
      if (n && *n >= spec.min && *n <= spec.max) return std::to_string(*n);
      error = name + " takes a whole number from " + std::to_string(spec.min) + " to " + std::to_string(spec.max);
      return std::nullopt;
    }
    case K::Duration:
      if (auto d = parse_duration(value); d && d->count() >= spec.min && d->count() <= spec.max)
        return format_duration(*d);
      error = name + " takes a duration from " + format_duration(std::chrono::milliseconds(spec.min)) + " to " +
              format_duration(std::chrono::milliseconds(spec.max)) +
              ": a number and ms, s, m or h (\"500ms\", \"10m\")";
      return std::nullopt;
    case K::AddressList: {
      std::string why;
      if (!parse_client_addresses(value, why)) {
        error = name + ": " + why + " (give addresses or address/prefix networks, IPv4 or IPv6)";
        return std::nullopt;
      }
      return std::string(value);
    }
    case K::Scheme:
      if (auto s = canonical_scheme(value)) return s;
      error = name + ": '" + std::string(value) + "' is not a password scheme (authd --list-schemes names them; "
              "'clear' keeps clear text)";
      return std::nullopt;
    case K::Choice: {
      if (auto choice = find_choice(spec.choices, value)) {
        if (spec.name == setting::tls_oldest_accepted && !tls_version_available(*choice)) {
          error = name + ": this OpenSSL build has no " + *choice + "; the oldest it offers is " + oldest_tls_version();
          return std::nullopt;
        }
        return choice;
      }
      std::string list(spec.choices);
      for (auto& c : list)
        if (c == '|') c = ',';
      error = name + " takes one of " + list;
      return std::nullopt;
    }
    case K::String:
      for (unsigned char c : value)
        if (c == '\0' || c == '\n' || c == '\r') {
          error = name + " may not hold NUL, CR or LF";
          return std::nullopt;
        }
      return std::string(value);
  }
  error = name + ": unknown setting type";
  return std::nullopt;
}

Effective::Effective(SettingMap server, SettingMap domain, SettingMap account)
    : server_(std::move(server)), domain_(std::move(domain)), account_(std::move(account)) {}

const std::string* Effective::lookup(const HostSettingSpec& spec, std::string_view* origin) const {
  const auto find = [&](const SettingMap& map, SettingLevel level, std::string_view where) -> const std::string* {
    if (!settable_at(spec, level)) return nullptr;
    auto it = map.find(spec.name);
    if (it == map.end()) return nullptr;
    if (origin) *origin = where;
    return &it->second;
  };
  if (auto v = find(account_, L::Account, "account")) return v;
  if (auto v = find(domain_, L::Domain, "domain")) return v;
  if (auto v = find(server_, L::Server, "server")) return v;
  if (origin) *origin = "default";
  return nullptr;
}

std::string Effective::text(std::string_view name) const {
  const auto* spec = find_setting(name);
  if (spec == nullptr) throw std::logic_error("unknown setting " + std::string(name));
  const auto* value = lookup(*spec, nullptr);
  return value ? *value : std::string(spec->default_value);
}

std::string_view Effective::origin(std::string_view name) const {
  const auto* spec = find_setting(name);
  if (spec == nullptr) throw std::logic_error("unknown setting " + std::string(name));
  std::string_view where = "default";
  lookup(*spec, &where);
  return where;
}

bool Effective::boolean(std::string_view name) const { return text(name) == "true"; }

std::int64_t Effective::integer(std::string_view name) const {
  const auto v = parse_integer(text(name));
  if (!v) throw std::logic_error("setting " + std::string(name) + " holds no number");
  return *v;
}

std::chrono::milliseconds Effective::duration(std::string_view name) const {
  const auto v = parse_duration(text(name));
  if (!v) throw std::logic_error("setting " + std::string(name) + " holds no duration");
  const auto* spec = find_setting(name);
  return std::chrono::milliseconds(std::clamp<std::int64_t>(v->count(), spec->min, spec->max));
}

std::filesystem::path pam_service_dir() {
  const char* wrapped = std::getenv("PAM_WRAPPER");
  const char* dir = std::getenv("PAM_WRAPPER_SERVICE_DIR");
  if (wrapped != nullptr && std::string_view(wrapped) == "1" && dir != nullptr && *dir != '\0') return dir;
  return "/etc/pam.d";
}

std::string check_pam_service(std::string_view service, const std::filesystem::path& pam_dir) {
  const std::string quoted = "'" + std::string(service) + "'";
  if (service.empty() || service == "." || service == ".." || service.find('/') != std::string_view::npos ||
      service.find('\0') != std::string_view::npos)
    return std::string(setting::os_password_service) + ": " + quoted +
           " is not a PAM service: give the plain name of a file under " + pam_dir.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(pam_dir / std::string(service), ec))
    return std::string(setting::os_password_service) + ": there is no PAM service " + quoted + " (no file " +
           (pam_dir / std::string(service)).string() + ")";
  return {};
}

}  // namespace authd::host
