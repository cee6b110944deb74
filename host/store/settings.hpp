// The host's settings: every name, its type, default and the levels that
// may hold it, and how a value is inherited.
//
// A setting is resolved from the narrowest level that holds it:
//   account  ->  domain-wide default  ->  server-wide default  ->  built-in default
// The level of a setting is the narrowest one it may be given at: account
// settings may also be given domain-wide and server-wide (as defaults),
// domain settings server-wide, server settings only there. Password is the
// exception: it belongs to one account and is never inherited.
//
// Values are stored as text in their canonical spelling (set_value checks
// and normalises them); the typed getters of Effective never fail on a
// stored value, since nothing else is ever stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/store/store.hpp"

namespace authd::host {

enum class SettingLevel { Server, Domain, Account };
enum class SettingKind { Boolean, Integer, Duration, String, AddressList, Scheme, Choice };

struct HostSettingSpec {
  std::string_view name;
  SettingKind kind;
  SettingLevel level;
  std::string_view default_value;  // canonical text
  std::string_view help;
  std::int64_t min = 0;             // Integer: the value; Duration: milliseconds
  std::int64_t max = INT64_MAX;     // Integer: the value; Duration: milliseconds
  bool inherited = true;            // false: the account's own value or nothing
  bool secret = false;              // never shown by settings listings
  // Decides which program or OS account checks passwords: changed only on
  // the host's own command line, never over the administration interface.
  bool local_only = false;
  // Decides how an existing account's password is checked: changing it for
  // a domain or the server changes every account that inherits it, so the
  // caller must hold every right those accounts hold (host.hpp).
  bool decides_login = false;
  // Choice: the values it takes, separated by '|', in canonical spelling
  // (matched without regard to case).
  std::string_view choices = {};
};

namespace setting {
inline constexpr std::string_view password = "Password";
inline constexpr std::string_view use_internal_password = "UseAppPassword";
inline constexpr std::string_view use_os_password = "UseSystemPassword";
inline constexpr std::string_view use_external_password = "UseExtPassword";
inline constexpr std::string_view os_user_name = "OSUserName";
inline constexpr std::string_view secure_method_required = "RequireSecureMethod";
inline constexpr std::string_view password_encoding = "PasswordEncryption";
inline constexpr std::string_view consult_external = "ConsultExternalAuthenticator";
inline constexpr std::string_view hide_unknown = "HideUnknownAccounts";
inline constexpr std::string_view failed_login_limit = "FailedLoginLimit";
inline constexpr std::string_view failed_login_window = "FailedLoginWindow";
inline constexpr std::string_view lockout_table_size = "LockoutTableSize";
inline constexpr std::string_view reject_non_clients = "RejectNonClientAddresses";
inline constexpr std::string_view client_addresses = "ClientIPAddresses";
inline constexpr std::string_view external_authenticator = "ExternalAuthenticator";
inline constexpr std::string_view external_timeout = "ExternalTimeout";
inline constexpr std::string_view os_password_service = "OSPasswordService";
inline constexpr std::string_view failure_answer_time = "FailureAnswerTime";
inline constexpr std::string_view os_user_min_uid = "OSUserMinUID";
inline constexpr std::string_view os_password_max_concurrent = "OSPasswordMaxConcurrent";
// PKI (host/pki/): a domain's mode, its client-certificate request, and
// the server-wide TLS parameters the login fronts use.
inline constexpr std::string_view pki_mode = "PKIMode";
inline constexpr std::string_view client_certificate_issuer = "ClientCertificateIssuer";
inline constexpr std::string_view client_certificate_required = "ClientCertificateRequired";
inline constexpr std::string_view tls_oldest_accepted = "TLSOldestAccepted";
inline constexpr std::string_view tls_process_target_domain = "TLSProcessTargetDomain";
inline constexpr std::string_view tls_session_time_to_live = "TLSSessionTimeToLive";
inline constexpr std::string_view tls_abort_on_wrong_client_certificate = "TLSAbortOnWrongClientCertificate";
inline constexpr std::string_view tls_log_level = "TLSLogLevel";
}  // namespace setting

// Every setting, in the order listings show them.
const std::vector<HostSettingSpec>& setting_specs();
const HostSettingSpec* find_setting(std::string_view name);

// For the name of a setting the host no longer offers (the TLS switches
// for CBC ciphers, weak ciphers and SSLv2 hellos): why, for the refusal.
// nullopt for every other name.
std::optional<std::string> obsolete_setting(std::string_view name);

// For a value that is accepted with a caveat (TLS 1.0 or 1.1 as the oldest
// accepted version): the warning to show; "" otherwise.
std::string setting_warning(const HostSettingSpec& spec, std::string_view canonical_value);

// Whether `spec` may be given at `level`.
bool settable_at(const HostSettingSpec& spec, SettingLevel level) noexcept;

// The canonical text of `value` for `spec`, or nullopt with `error` saying
// what is wrong and what is expected.
std::optional<std::string> normalise_setting(const HostSettingSpec& spec, std::string_view value, std::string& error);

// Where this process's PAM library reads its services: /etc/pam.d, or
// pam_wrapper's directory when pam_wrapper is loaded (PAM_WRAPPER=1).
std::filesystem::path pam_service_dir();

// "" when `service` is a plain file name (no '/', not "." or "..") of a
// file under pam_dir; otherwise what is wrong. Checked at set time.
std::string check_pam_service(std::string_view service, const std::filesystem::path& pam_dir = pam_service_dir());

// "1500ms", "30s", "10m", "2h": a duration; nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The resolved settings of one account (or of a domain, or the server).
class Effective {
 public:
  Effective(SettingMap server, SettingMap domain, SettingMap account);

  // The value and the level it came from ("account", "domain", "server",
  // "default").
  std::string text(std::string_view name) const;
  std::string_view origin(std::string_view name) const;

  bool boolean(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  // Within the setting's bounds, whatever the store holds (a value written
  // before the bounds existed is clamped to them).
  std::chrono::milliseconds duration(std::string_view name) const;

 private:
  const std::string* lookup(const HostSettingSpec& spec, std::string_view* origin) const;

  SettingMap server_, domain_, account_;
};

}  // namespace authd::host
