// The host: a data directory of domains, accounts, settings and rights, the
// login path, and the administrative operations on them.
//
// The data directory (--data DIR):
//   DIR/authhost.sqlite                          domains, accounts, settings, lockout state (store.hpp)
//   DIR/Domains/<domain>/Settings/Access.settings  that domain's access rights (access_rights.hpp)
//
// Every administrative operation takes the calling account (already
// authenticated by whoever calls: the administration server, a local tool)
// and checks its rights before it acts; a caller without them gets
// PermissionDenied naming the right it lacks. Rights:
//   create/remove domains                      CanModifyUserAccounts
//   accounts and settings of domain D          CanModifyUserAccounts, or CanModifyThisDomain held in D
//   server-wide settings                       CanModifyServerSettings (read: also CanMonitorServer)
//   lockout state of every name                CanMonitorServer
//   grant or revoke rights                     CanModifyAccessRights
// CanModifyAccessRights implies every other right; the server rights count
// only for accounts of the main domain; postmaster of the main domain holds
// unlimited access always.
//
// No right is reached by changing someone who holds it: an operation on an
// account (its password, settings, removal, lockout) also needs every right
// that account holds (RightSet::covers), and postmaster of the main domain
// is changed by holders of unlimited access only. Changing a setting that
// decides how passwords are checked (HostSettingSpec::decides_login) for a
// domain or the server needs every right held in that domain or anywhere.
// Settings marked local_only (the external authenticator, the PAM service,
// the lowest OS uid) are changed with ChangeOrigin::CommandLine only: the
// administration interface never passes it.
//
// The data directory and every file in it are the host user's alone
// (0700/0600): open() refuses wider modes, naming the fix.
//
// Operations return a Status (or a Result); faults of the data directory
// (an unwritable file, a corrupt Access.settings, a lock held too long) are
// reported there too, with the file named, and leave nothing half done.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authd/api/secret.hpp"
#include "host/rights/access_rights.hpp"
#include "host/login/client_addresses.hpp"
#include "host/login/lockout.hpp"
#include "host/login/login.hpp"
#include "host/pki/pki.hpp"
#include "host/store/names.hpp"
#include "host/store/settings.hpp"
#include "host/store/store.hpp"

namespace authd::host {

class HelperClient;

enum class ErrorCode {
  Ok,
  PermissionDenied,
  NotFound,
  AlreadyExists,
  InvalidName,
  InvalidValue,
  CorruptRights,  // an Access.settings that cannot be read
  Storage,        // the database or a file could not be read or written
};

std::string_view error_code_name(ErrorCode code) noexcept;

struct Status {
  ErrorCode code = ErrorCode::Ok;
  std::string message;
  // Done, but the administrator should know (an expired certificate set,
  // a deprecated TLS version allowed): shown after the answer.
  std::vector<std::string> warnings;

  bool ok() const noexcept { return code == ErrorCode::Ok; }
  static Status success() { return {}; }
  static Status error(ErrorCode code, std::string message) { return {code, std::move(message), {}}; }
};

template <typename T>
struct Result {
  Status status;
  T value{};
  bool ok() const noexcept { return status.ok(); }
};

// What GETSTATISTICS shows: logins through this Host object since it was
// opened (a process's own), and counts the data directory gives.
struct HostStatistics {
  std::uint64_t logins_accepted = 0;
  std::uint64_t logins_rejected = 0;
  std::uint64_t logins_temp_failed = 0;
  std::uint64_t logins_address_refused = 0;
  std::int64_t domains = 0;
  std::int64_t names_counted = 0;  // names with failed logins in the lockout table
  std::int64_t names_suspended = 0;
  bool helper_running = false;     // the external authenticator was started
  unsigned helper_version = 0;
  std::uint64_t helper_sent = 0, helper_answered = 0, helper_resent = 0, helper_restarts = 0;
};

// Thrown by Host::open for a data directory that cannot be used at all.
class HostError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Which settings an operation is about: the server (both empty), a domain
// (account empty) or an account.
struct SettingsScope {
  std::string domain;
  std::string account;
};

struct SettingView {
  std::string name;
  std::string value;   // the effective value ("(set)" for a secret that is set)
  std::string origin;  // "account", "domain", "server", "default"
};

// An update: a value to set, or nullopt to remove it (the inherited value
// applies again).
using SettingChanges = std::map<std::string, std::optional<std::string>, std::less<>>;

// Who asks for a settings change: the host's own command line (the machine's
// administrator) or a network client.
enum class ChangeOrigin { Network, CommandLine };

class Host {
 public:
  using Logger = std::function<void(std::string_view)>;

  static constexpr const char* database_file = "authhost.sqlite";

  // Create a data directory with its main domain and postmaster@main_domain
  // (unlimited rights, this password). Refuses a directory set up already.
  static Status init(const std::filesystem::path& dir, std::string_view main_domain, const Secret& postmaster_password);

  // Open a data directory made by init(). Throws HostError saying what is
  // wrong and how to fix it. `detail_log` takes the lines logged only on
  // request (the helper's information lines).
  static std::unique_ptr<Host> open(const std::filesystem::path& dir, Logger log = {}, Logger detail_log = {});

  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const std::string& main_domain() const noexcept { return main_domain_; }
  const std::filesystem::path& data_dir() const noexcept { return dir_; }
  std::filesystem::path access_file(std::string_view domain) const;

  // The login path (login/login.hpp), run by the login service.
  LoginResult login(const LoginRequest& request);
  // After a successful login (most usefully through the OS or external
  // password), the user sets an internal password for the same account.
  Status set_own_password(const LoginResult& login, const Secret& password);

  // Administration: `caller` is an authenticated account.
  Status create_domain(const Address& caller, std::string_view domain);
  Status delete_domain(const Address& caller, std::string_view domain);
  Result<std::vector<std::string>> list_domains(const Address& caller);
  // `password`: nullptr for none (the account cannot log in with an internal password).
  Status create_account(const Address& caller, std::string_view address, const Secret* password);
  Status delete_account(const Address& caller, std::string_view address);
  Result<std::vector<std::string>> list_accounts(const Address& caller, std::string_view domain);
  // Stored as the account's PasswordEncryption says.
  Status set_password(const Address& caller, std::string_view address, const Secret& password);

  Result<std::vector<SettingView>> get_settings(const Address& caller, const SettingsScope& scope);
  // All changes or none; each checked against its declaration and level.
  Status update_settings(const Address& caller, const SettingsScope& scope, const SettingChanges& changes,
                         ChangeOrigin origin = ChangeOrigin::Network);

  Result<RightSet> get_rights(const Address& caller, std::string_view address);
  Status set_rights(const Address& caller, std::string_view address, RightSet rights);

  // Lift a suspension and clear the name's failures; success also when
  // nothing was counted (`*was_locked` says which).
  Status unlock(const Address& caller, std::string_view name, bool* was_locked = nullptr);
  Result<std::vector<LockoutRow>> lockout_state(const Address& caller);
  // CanMonitorServer.
  Result<HostStatistics> statistics(const Address& caller);

  // PKI (pki/pki.hpp). A domain's key, certificates, chain and trusted set
  // need the right to change that domain; the server-wide trusted set and
  // the test certificate need CanModifyServerSettings (reading them also
  // CanMonitorServer). A trusted set decides which client certificates log
  // accounts in: changing one also needs every right held by an account it
  // reaches (require_covers_scope), as the settings that decide logins do.
  // Warnings come in the status's warnings.
  Result<pki::KeyReport> pki_generate_key(const Address& caller, std::string_view domain, pki::KeyType type);
  Result<pki::KeyReport> pki_import_key(const Address& caller, std::string_view domain, std::string_view pem);
  Status pki_remove_key(const Address& caller, std::string_view domain);
  // The private key leaves the host on its own command line only.
  Result<Secret> pki_export_key(const Address& caller, std::string_view domain, ChangeOrigin origin);
  Result<pki::CertificateView> pki_self_sign(const Address& caller, std::string_view domain,
                                             const pki::CertificateAttributes& attributes, int days);
  Result<std::string> pki_signing_request(const Address& caller, std::string_view domain,
                                          const pki::CertificateAttributes& attributes);
  Result<pki::CertificateView> pki_set_certificate(const Address& caller, std::string_view domain,
                                                   std::string_view pem);
  Result<pki::CertificateView> pki_refresh_certificate(const Address& caller, std::string_view domain, int days);
  Status pki_remove_certificate(const Address& caller, std::string_view domain);
  Result<std::vector<pki::CertificateView>> pki_set_chain(const Address& caller, std::string_view domain,
                                                          std::string_view pem);
  Status pki_remove_chain(const Address& caller, std::string_view domain);
  struct PkiOverview {
    std::string mode;  // the domain's PKIMode
    pki::DomainState state;
  };
  Result<PkiOverview> pki_show(const Address& caller, std::string_view domain);
  Result<std::string> pki_export_certificate(const Address& caller, std::string_view domain, bool with_chain);
  // PKIMode of the domain (the same as update_settings with it).
  Status pki_set_mode(const Address& caller, std::string_view domain, std::string_view mode);
  // `domain` "" is the server-wide set.
  Result<std::vector<pki::CertificateView>> pki_trusted(const Address& caller, std::string_view domain);
  Result<std::vector<pki::CertificateView>> pki_trust_add(const Address& caller, std::string_view domain,
                                                          std::string_view pem);
  Result<pki::CertificateView> pki_trust_remove(const Address& caller, std::string_view domain,
                                                std::string_view which);
  Result<std::optional<pki::CertificateView>> pki_test_certificate(const Address& caller);
  // The certificates in use that end within `days` (CanMonitorServer).
  Result<std::vector<pki::CheckFinding>> pki_check(const Address& caller, int days);
  // The test certificate made anew, valid 30 days: by a caller with
  // CanModifyServerSettings, and by a server at its start.
  Result<pki::CertificateView> pki_refresh_test_certificate(const Address& caller);
  Result<pki::CertificateView> refresh_test_certificate();

  // For the login path, the fronts and tests.
  pki::Pki& pki() noexcept { return pki_; }
  Store& store() noexcept { return *store_; }
  Effective effective(const std::string& domain, const std::string& account);

 private:
  Host(std::filesystem::path dir, std::unique_ptr<Store> store, std::string main_domain, Logger log,
       Logger detail_log);


  // The caller's rights, or an error (unknown caller, corrupt file).
  Result<RightSet> rights_of(const Address& caller);
  Status require_server_right(const Address& caller, Right right);
  Status require_domain_right(const Address& caller, const std::string& domain);
  Status require_scope_right(const Address& caller, const SettingsScope& scope, bool for_reading);
  // The caller may act on `target`'s domain and holds every right `target` holds.
  Status require_account_right(const Address& caller, const Address& target);
  // The caller holds every right held by an account in `domain` (every
  // domain when empty).
  Status require_covers_scope(const Address& caller, const std::string& domain);
  bool is_main_postmaster(const Address& a) const { return a.domain == main_domain_ && a.name == "postmaster"; }
  // The checks of local_only and decides_login settings (host.hpp, top).
  Status check_os_user_name(const std::string& domain, const std::string& account, const std::string& templ,
                            ChangeOrigin origin);
  Status create_domain_files(const std::string& domain, const AccessTable& rights);
  // `body` in one write transaction, its status the result; faults of the
  // data directory (thrown inside) roll it back and become a Status. A body
  // that refuses does so before it writes anything.
  Status transact(const std::function<Status(StoreWriter&)>& body);
  // For the PKI operations: `raw` as a canonical domain that exists, after
  // the caller's right to change (or read) it is checked.
  Status pki_domain(const Address& caller, std::string_view raw, std::string& domain, bool for_reading);
  // A change of a domain's PKI: the caller's right and the name checked,
  // then `change(domain)` (a pki::Checked<T>) under the write lock, the
  // domain still there. `domain` receives the canonical name.
  template <typename T, typename Change>
  Result<T> pki_domain_change(const Address& caller, std::string_view raw, std::string& domain, Change&& change);
  // Encoded as the account's PasswordEncryption says, on an account that exists.
  Status store_password(const Address& address, const Secret& password);
  std::optional<std::string> encode_password(const std::string& domain, const std::string& account,
                                             const Secret& password, std::string& error);
  // The helper for the current ExternalAuthenticator, started on first use;
  // nullptr when none is configured.
  std::shared_ptr<HelperClient> helper(const Effective& server);
  void log(std::string_view line) const;

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::string main_domain_;
  Logger log_;
  Logger detail_log_;
  LoginService login_service_;
  pki::Pki pki_;
  std::mutex helper_mutex_;
  std::shared_ptr<HelperClient> helper_;
  std::string helper_command_;
};

}  // namespace authd::host
