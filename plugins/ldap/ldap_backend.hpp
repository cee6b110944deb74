// The LDAP backend: accounts in a directory server, through OpenLDAP's
// libldap.
//
// Modes
//   bind, with bind_dn_template: the user's DN is made from the template and
//     the password checked by binding as it ("direct bind").
//   bind, with base: the entry is searched for (base, scope, filter) on a
//     connection of the service account (or anonymous) and the password
//     checked by binding as the entry found ("search then bind").
//   lookup: the entry is searched for and its password attribute read; the
//     values are checked with authd's scheme registry. This mode also gives
//     the stored secret to SASL(CRAM-MD5) and SASL(APOP).
//
// User binds run on connections of their own, never on those used for
// searches: a bind changes the identity of its connection. An empty password
// is refused before any bind (RFC 4513 5.1.2: on permissive servers a simple
// bind with a DN and no password is an anonymous bind, and succeeds).
//
// Results: a wrong password (invalidCredentials) is Reject(WrongPassword);
// no entry is UnknownName; more than one entry is TempFail (ambiguous, and
// logged); a server that is down, hung or times out is TempFail. In direct
// bind mode a refused bind is followed by a base search of the DN, so that
// a name the directory does not hold is UnknownName and the next backend of
// the route is asked; if that search fails, it stays a wrong password. (A
// server that hides an entry from the search connections reports it as
// missing too: give them a service_dn that may read the entries.)
//
// Lookup mode reads every value of password_attribute: a value
// "{SCHEME}..." of a scheme the registry knows is used as it is, any other
// value is clear text (as OpenLDAP itself reads userPassword). A password is
// accepted if any value matches it. For SASL the first clear-text value is
// given, else the first {CRAM-MD5} value, else the first value.
//
// Every request has operation_timeout_ms for all its LDAP work, the retry
// included; keep it below [authd] request_timeout_ms so that a hung server
// is answered FAILURE by the backend, not by the engine's deadline.
//
// The calls are synchronous, on the engine's workers. While a server hangs,
// each LDAP request in flight holds its worker until its time limit; once
// one has timed out the server is marked down and later requests fail at
// once (see server_list.hpp). Other backends' requests that need a worker
// (slow hashes) find one only if [authd] workers exceeds the LDAP requests
// in flight; cheap schemes are checked on the dispatcher and never wait.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "authd/api/plugin.hpp"
#include "ldap/name_template.hpp"

namespace authd::ldap {

class ConnectionPool;
class ServerList;
struct FoundEntry;

class LdapBackend final : public Backend {
 public:
  static constexpr const char* type = "ldap";
  static constexpr const char* description =
      "accounts in an LDAP directory, checked by a bind or by reading the password attribute";
  static std::vector<SettingSpec> settings();

  explicit LdapBackend(const BackendContext& context);
  ~LdapBackend() override;

  Verdict verify(const Account& account, const Secret& password, std::string_view mode) override;
  bool supports_credentials() const override { return mode_ == Mode::Lookup; }
  Verdict credentials(const Account& account, Secret& stored) override;
  Verdict exists(const Account& account) override;

 private:
  enum class Mode { DirectBind, SearchBind, Lookup };
  using Clock = std::chrono::steady_clock;

  // mode_ from mode, bind_dn_template and base; ConfigError if they do not fit.
  void choose_mode(const Settings& settings);

  // The account's entry: found (with its DN, and the password values when
  // asked for), not there, or a failure to report.
  struct Entry {
    enum class Outcome { Found, Missing, Failed } outcome = Outcome::Failed;
    std::string dn;
    std::vector<Secret> values;
    Verdict failure;
  };
  Entry find_entry(const Account& account, bool with_password, Clock::time_point deadline);
  // Whether the DN names an entry (direct bind mode has no search to tell).
  Entry read_entry(const std::string& dn, Clock::time_point deadline);
  // Reject(Disabled) if the entry matches disabled_filter, TempFail if that
  // cannot be known, nullopt if it is not disabled.
  std::optional<Verdict> disabled(const std::string& dn, const Account& account, Clock::time_point deadline);
  Verdict user_bind(const std::string& dn, const Secret& password, Clock::time_point deadline);
  Verdict check_values(const std::vector<Secret>& values, const Secret& password);
  // The value as authd's registry reads it: "{SCHEME}..." when a known
  // scheme, clear text made "{PLAIN}..." otherwise.
  Secret as_stored_value(const Secret& value) const;

  std::string name_;
  const HostServices& host_;
  Mode mode_ = Mode::SearchBind;
  NameTemplate bind_dn_;
  NameTemplate base_;
  NameTemplate filter_;
  NameTemplate disabled_filter_;
  int scope_ = 0;
  std::string password_attribute_;
  std::chrono::milliseconds budget_;
  std::unique_ptr<ServerList> servers_;
  std::unique_ptr<ConnectionPool> search_pool_;
  std::unique_ptr<ConnectionPool> bind_pool_;
};

}  // namespace authd::ldap
