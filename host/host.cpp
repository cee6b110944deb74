#include "host/host.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include "host/helper/helper_client.hpp"
#include "host/host_internal.hpp"
#include "host/store/private_files.hpp"
#include "os/os_user.hpp"
#include "os/user_template.hpp"
#include "passwords/registry.hpp"

namespace authd::host {

namespace fs = std::filesystem;

using internal::guarded;
using internal::invalid_address;
using internal::invalid_domain;

namespace {

constexpr const char* meta_main_domain = "main_domain";

// Refuses a data directory that others may read: it holds passwords.
void check_private(const fs::path& dir) {
  std::vector<std::string> open_to_others;
  const auto check = [&](const fs::path& p, const fs::file_status& status) {
    struct stat st {};
    const bool foreign = ::lstat(p.c_str(), &st) == 0 && st.st_uid != ::geteuid();
    if (foreign || (status.permissions() & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none)
      open_to_others.push_back(p.string());
  };
  std::error_code ec;
  check(dir, fs::symlink_status(dir, ec));
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    check(it->path(), it->symlink_status());
  if (ec) throw HostError("cannot read the data directory " + dir.string() + ": " + ec.message());
  if (open_to_others.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < open_to_others.size() && i < 3; ++i) list += (i ? ", " : "") + open_to_others[i];
  if (open_to_others.size() > 3) list += " and " + std::to_string(open_to_others.size() - 3) + " more";
  throw HostError("the data directory holds passwords, but " + list +
                  " can be read or entered by other users, or belongs to another user; make it the host "
                  "user's alone: chown -R $(id -u) " +
                  dir.string() + " && chmod -R go= " + dir.string());
}

// Words split at spaces; "..." keeps spaces inside one word.
std::vector<std::string> split_command_line(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false, quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (c == ' ' && !quoted) {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

}  // namespace

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Ok: return "ok";
    case ErrorCode::PermissionDenied: return "permission denied";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::AlreadyExists: return "already exists";
    case ErrorCode::InvalidName: return "invalid name";
    case ErrorCode::InvalidValue: return "invalid value";
    case ErrorCode::CorruptRights: return "unreadable access rights";
    case ErrorCode::Storage: return "storage fault";
  }
  return "error";
}

Host::Host(fs::path dir, std::unique_ptr<Store> store, std::string main_domain, Logger log, Logger detail_log)
    : dir_(std::move(dir)), store_(std::move(store)), main_domain_(std::move(main_domain)), log_(std::move(log)),
      detail_log_(std::move(detail_log)),
      login_service_(
          *store_, [this](const Effective& server) { return helper(server); },
          [this](std::string_view line) { this->log(line); }),
      pki_(dir_, main_domain_) {
  pki_.remove_leftovers();
}

LoginResult Host::login(const LoginRequest& request) { return login_service_.login(request); }

Host::~Host() {
  std::shared_ptr<HelperClient> helper;
  {
    std::lock_guard lock(helper_mutex_);
    helper = std::move(helper_);
  }
  if (helper) helper->shutdown();
}

void Host::log(std::string_view line) const {
  if (log_) log_(line);
}

fs::path Host::access_file(std::string_view domain) const {
  return dir_ / "Domains" / std::string(domain) / "Settings" / "Access.settings";
}

Status Host::init(const fs::path& dir, std::string_view main_domain, const Secret& postmaster_password) {
  const auto domain = canonical_domain(main_domain);
  if (!domain) return invalid_domain(main_domain);
  // Without a password nobody could ever log in to administer the host.
  if (postmaster_password.empty())
    return Status::error(ErrorCode::InvalidValue,
                         "postmaster@" + *domain + " needs a password: give one on standard input or with "
                         "--postmaster-password");
  if (postmaster_password.view().find('\0') != std::string_view::npos)
    return Status::error(ErrorCode::InvalidValue, "a password may not hold a NUL byte");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec))
    return Status::error(ErrorCode::Storage, "cannot create the data directory " + dir.string() + ": " +
                                                 (ec ? ec.message() : std::string("not a directory")));
  const fs::path db = dir / database_file;
  if (fs::exists(db, ec))
    return Status::error(ErrorCode::AlreadyExists, "the data directory " + dir.string() + " is set up already");
  // It will hold passwords, some in clear text: the host's user's alone.
  if (::chmod(dir.c_str(), 0700) != 0)
    return Status::error(ErrorCode::Storage, "cannot make " + dir.string() + " private (mode 0700): " +
                                                 std::strerror(errno));
  const Status status = guarded([&] {
    Store store(db, true);
    const std::string encoded = passwords::Registry::instance().encode("SSHA512", postmaster_password);
    store.write([&](StoreWriter& w) {
      w.set_meta(meta_main_domain, *domain);
      w.insert_domain(*domain);
      // The login fronts serve TLS with the test certificate from the start.
      w.set_setting({*domain, ""}, std::string(setting::pki_mode), "test");
      w.insert_account(*domain, "postmaster");
      w.set_setting({*domain, "postmaster"}, std::string(setting::password), encoded);
      const fs::path settings_dir = dir / "Domains" / *domain / "Settings";
      create_private_directories(dir, settings_dir);
      write_access_file(settings_dir / "Access.settings", *domain,
                        AccessTable{{"postmaster", RightSet(Right::ModifyAccessRights)}});
    });
    return Status::success();
  });
  if (!status.ok()) {
    // Nothing was committed: leave the directory as it was, so init can run again.
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix, ec);
  }
  return status;
}

std::unique_ptr<Host> Host::open(const fs::path& dir, Logger log, Logger detail_log) {
  const std::string how = "create it with: authhost --data " + dir.string() + " init --main-domain DOMAIN";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw HostError("no data directory at " + dir.string() + "; " + how);
  const fs::path db = dir / database_file;
  if (!fs::exists(db, ec)) throw HostError("the data directory " + dir.string() + " holds no " + database_file + "; " + how);
  check_private(dir);
  try {
    auto store = std::make_unique<Store>(db, false);
    const auto main = store->meta(meta_main_domain);
    if (!main) throw HostError("database " + db.string() + " names no main domain: it was not made by authhost init");
    return std::unique_ptr<Host>(new Host(dir, std::move(store), *main, std::move(log), std::move(detail_log)));
  } catch (const StoreError& e) {
    throw HostError(e.what());
  }
}

Effective Host::effective(const std::string& domain, const std::string& account) {
  return Effective(store_->settings({}), domain.empty() ? SettingMap{} : store_->settings({domain, ""}),
                   account.empty() ? SettingMap{} : store_->settings({domain, account}));
}

Result<RightSet> Host::rights_of(const Address& caller) {
  Result<RightSet> out;
  out.status = guarded([&] {
    if (!store_->account_exists(caller.domain, caller.name))
      return Status::error(ErrorCode::PermissionDenied, "the caller " + caller.full() + " is not an account");
    // Whatever its file says, so that a damaged file can be repaired.
    if (is_main_postmaster(caller)) {
      out.value = RightSet(Right::ModifyAccessRights);
      return Status::success();
    }
    const AccessTable table = read_access_file(access_file(caller.domain), caller.domain == main_domain_);
    if (auto it = table.find(caller.name); it != table.end()) out.value = it->second;
    return Status::success();
  });
  return out;
}

Status Host::require_server_right(const Address& caller, Right right) {
  const auto rights = rights_of(caller);
  if (!rights.ok()) return rights.status;
  if (caller.domain == main_domain_ && rights.value.grants(right)) return Status::success();
  return Status::error(ErrorCode::PermissionDenied,
                       caller.full() + " lacks the right " + std::string(right_name(right)) +
                           (caller.domain == main_domain_ ? std::string()
                                                          : " (held by accounts of the main domain " +
                                                                main_domain_ + " only)"));
}

Status Host::require_domain_right(const Address& caller, const std::string& domain) {
  const auto rights = rights_of(caller);
  if (!rights.ok()) return rights.status;
  if (caller.domain == main_domain_ && rights.value.grants(Right::ModifyUserAccounts)) return Status::success();
  if (caller.domain == domain && rights.value.grants(Right::ModifyThisDomain)) return Status::success();
  return Status::error(ErrorCode::PermissionDenied,
                       caller.full() + " may not change domain " + domain +
                           ": that needs CanModifyUserAccounts, or CanModifyThisDomain held in " + domain);
}

Status Host::require_account_right(const Address& caller, const Address& target) {
  if (Status s = require_domain_right(caller, target.domain); !s.ok()) return s;
  const auto mine = rights_of(caller);
  if (!mine.ok()) return mine.status;
  const bool unlimited = caller.domain == main_domain_ && mine.value.grants(Right::ModifyAccessRights);
  if (unlimited) return Status::success();
  if (is_main_postmaster(target))
    return Status::error(ErrorCode::PermissionDenied, caller.full() + " may not change " + target.full() +
                                                          ": that needs unlimited access (CanModifyAccessRights)");
  const auto theirs = rights_of(target);
  if (!theirs.ok()) {
    // An account that does not exist holds no rights; the operation says so.
    if (theirs.status.code != ErrorCode::PermissionDenied) return theirs.status;
    return Status::success();
  }
  // Server rights count in the main domain only (the file refuses them elsewhere).
  if (mine.value.covers(theirs.value)) return Status::success();
  return Status::error(ErrorCode::PermissionDenied, caller.full() + " may not change " + target.full() +
                                                        ", who holds rights the caller lacks (" +
                                                        format_rights(theirs.value) + ")");
}

Status Host::require_covers_scope(const Address& caller, const std::string& domain) {
  const auto mine = rights_of(caller);
  if (!mine.ok()) return mine.status;
  if (caller.domain == main_domain_ && mine.value.grants(Right::ModifyAccessRights)) return Status::success();
  return guarded([&] {
    const std::vector<std::string> domains = domain.empty() ? store_->domains() : std::vector<std::string>{domain};
    for (const auto& d : domains) {
      AccessTable table = read_access_file(access_file(d), d == main_domain_);
      if (d == main_domain_) table["postmaster"] = RightSet(Right::ModifyAccessRights);
      for (const auto& [name, held] : table) {
        if (mine.value.covers(held)) continue;
        return Status::error(ErrorCode::PermissionDenied,
                             caller.full() + " may not change how passwords are checked " +
                                 (domain.empty() ? "server-wide" : "in " + d) + ": accounts of " + d +
                                 " hold rights the caller lacks (" + format_rights(held) +
                                 "); set it for single accounts instead");
      }
    }
    return Status::success();
  });
}

Status Host::check_os_user_name(const std::string& domain, const std::string& account, const std::string& text,
                                ChangeOrigin origin) {
  std::string error;
  const auto templ = pam::UserTemplate::parse(text, error);
  if (!templ) return Status::error(ErrorCode::InvalidValue, std::string(setting::os_user_name) + ": " + error);
  if (origin == ChangeOrigin::CommandLine) return Status::success();
  const std::int64_t min_uid = effective({}, {}).integer(setting::os_user_min_uid);
  return guarded([&] {
    std::vector<Address> accounts;
    for (const auto& d : domain.empty() ? store_->domains() : std::vector<std::string>{domain})
      for (const auto& name : account.empty() ? store_->accounts(d) : std::vector<std::string>{account})
        accounts.push_back({name, d});
    for (const auto& a : accounts) {
      const std::string user = templ->expand(a.name, a.domain);
      const auto os = pam::find_os_user(user, error);
      if (!os) return Status::error(ErrorCode::Storage, error);
      if (os->found && os->uid < min_uid)
        return Status::error(ErrorCode::PermissionDenied,
                             std::string(setting::os_user_name) + " '" + text + "' makes " + a.full() +
                                 " the OS user " + user + " (uid " + std::to_string(os->uid) +
                                 "), below OSUserMinUID " + std::to_string(min_uid) +
                                 ": root and system accounts are set on the host's command line only");
    }
    return Status::success();
  });
}

Status Host::require_scope_right(const Address& caller, const SettingsScope& scope, bool for_reading) {
  if (!scope.domain.empty()) return require_domain_right(caller, scope.domain);
  Status status = require_server_right(caller, Right::ModifyServerSettings);
  if (!status.ok() && for_reading && status.code == ErrorCode::PermissionDenied) {
    if (require_server_right(caller, Right::MonitorServer).ok()) return Status::success();
  }
  return status;
}

Status Host::create_domain_files(const std::string& domain, const AccessTable& rights) {
  const fs::path file = access_file(domain);
  create_private_directories(dir_, file.parent_path());
  write_access_file(file, domain, rights);
  pki_.forget_domain(domain);
  return Status::success();
}

Status Host::create_domain(const Address& caller, std::string_view raw) {
  const auto domain = canonical_domain(raw);
  if (!domain) return invalid_domain(raw);
  if (Status s = require_server_right(caller, Right::ModifyUserAccounts); !s.ok()) return s;
  const Status result = transact([&](StoreWriter& w) {
    if (w.domain_exists(*domain))
      return Status::error(ErrorCode::AlreadyExists, "domain " + *domain + " exists already");
    w.insert_domain(*domain);
    // Inside the transaction: if the files cannot be written, the domain is
    // not created either. A fresh file also clears the rights an earlier
    // domain of this name may have left behind.
    create_domain_files(*domain, {});
    return Status::success();
  });
  if (result.ok()) log("domain " + *domain + " created by " + caller.full());
  return result;
}

Status Host::delete_domain(const Address& caller, std::string_view raw) {
  const auto domain = canonical_domain(raw);
  if (!domain) return invalid_domain(raw);
  if (Status s = require_server_right(caller, Right::ModifyUserAccounts); !s.ok()) return s;
  if (*domain == main_domain_)
    return Status::error(ErrorCode::InvalidValue, "the main domain " + main_domain_ + " cannot be removed");
  const Status result = transact([&](StoreWriter& w) {
    if (!w.domain_exists(*domain)) return Status::error(ErrorCode::NotFound, "no domain " + *domain);
    w.delete_domain(*domain);
    return Status::success();
  });
  if (!result.ok()) return result;
  // After the commit: a directory left over by a crash here is harmless,
  // since creating the domain again writes a fresh Access.settings.
  std::error_code ec;
  fs::remove_all(dir_ / "Domains" / *domain, ec);
  if (ec) log("domain " + *domain + " removed, but not its directory: " + ec.message());
  log("domain " + *domain + " removed by " + caller.full());
  return result;
}

Result<std::vector<std::string>> Host::list_domains(const Address& caller) {
  Result<std::vector<std::string>> out;
  out.status = require_server_right(caller, Right::ModifyUserAccounts);
  if (!out.ok() && out.status.code == ErrorCode::PermissionDenied)
    out.status = require_server_right(caller, Right::MonitorServer);
  if (out.ok()) out.status = guarded([&] {
      out.value = store_->domains();
      return Status::success();
    });
  return out;
}

std::optional<std::string> Host::encode_password(const std::string& domain, const std::string& account,
                                                 const Secret& password, std::string& error) {
  if (password.empty()) return std::string();
  if (password.view().find('\0') != std::string_view::npos) {
    error = "a password may not hold a NUL byte";
    return std::nullopt;
  }
  const std::string scheme = effective(domain, account).text(setting::password_encoding);
  if (scheme == "clear") return "{PLAIN}" + std::string(password.view());
  try {
    return passwords::Registry::instance().encode(scheme, password);
  } catch (const std::invalid_argument& e) {
    error = "cannot store the password with " + scheme + ": " + e.what();
    return std::nullopt;
  }
}

Status Host::create_account(const Address& caller, std::string_view raw, const Secret* password) {
  const auto address = parse_address(raw);
  if (!address) return invalid_address(raw);
  if (Status s = require_domain_right(caller, address->domain); !s.ok()) return s;
  return guarded([&] {
    // A line of Access.settings written for this name before the account
    // exists (by hand, or left over) grants its rights to whoever creates
    // it: only a caller who holds them may.
    // Outside the main domain a line can hold CanModifyThisDomain only, which
    // every caller allowed to create accounts there holds or covers.
    const auto mine = rights_of(caller);
    if (!mine.ok()) return mine.status;
    if (address->domain == main_domain_ && !mine.value.covers(RightSet(Right::ModifyAccessRights))) {
      const AccessTable table = read_access_file(access_file(address->domain), true);
      if (auto it = table.find(address->name); it != table.end()) {
        if (!mine.value.covers(it->second))
          return Status::error(ErrorCode::PermissionDenied,
                               access_file(address->domain).string() + " grants " + address->full() + " " +
                                   format_rights(it->second) + ", which " + caller.full() +
                                   " does not hold: it may not create that account");
      }
    }
    std::string error;
    std::optional<std::string> encoded = std::string();
    if (password != nullptr) encoded = encode_password(address->domain, address->name, *password, error);
    if (!encoded) return Status::error(ErrorCode::InvalidValue, error);
    const Status result = transact([&](StoreWriter& w) {
      if (!w.domain_exists(address->domain))
        return Status::error(ErrorCode::NotFound, "no domain " + address->domain + "; create it first");
      if (w.account_exists(address->domain, address->name))
        return Status::error(ErrorCode::AlreadyExists, "account " + address->full() + " exists already");
      // Nothing an earlier account of this name left behind applies.
      w.delete_account(address->domain, address->name);
      w.insert_account(address->domain, address->name);
      if (!encoded->empty())
        w.set_setting({address->domain, address->name}, std::string(setting::password), *encoded);
      return Status::success();
    });
    if (result.ok()) log("account " + address->full() + " created by " + caller.full());
    return result;
  });
}

Status Host::delete_account(const Address& caller, std::string_view raw) {
  const auto address = parse_address(raw);
  if (!address) return invalid_address(raw);
  if (Status s = require_account_right(caller, *address); !s.ok()) return s;
  if (address->domain == main_domain_ && address->name == "postmaster")
    return Status::error(ErrorCode::InvalidValue, "postmaster@" + main_domain_ + " cannot be removed");
  const Status result = transact([&](StoreWriter& w) {
    if (!w.account_exists(address->domain, address->name))
      return Status::error(ErrorCode::NotFound, "no account " + address->full());
    w.delete_account(address->domain, address->name);
    w.erase_lockout(address->full());
    // Its rights go with it, or a new account of the same name would
    // inherit them. A corrupt file stops the removal here.
    const fs::path file = access_file(address->domain);
    AccessTable table = read_access_file(file, address->domain == main_domain_);
    if (table.erase(address->name) != 0) write_access_file(file, address->domain, table);
    return Status::success();
  });
  if (result.ok()) log("account " + address->full() + " removed by " + caller.full());
  return result;
}

Result<std::vector<std::string>> Host::list_accounts(const Address& caller, std::string_view raw) {
  Result<std::vector<std::string>> out;
  const auto domain = canonical_domain(raw);
  if (!domain) {
    out.status = invalid_domain(raw);
    return out;
  }
  out.status = require_domain_right(caller, *domain);
  if (out.ok()) out.status = guarded([&] {
      if (!store_->domain_exists(*domain)) return Status::error(ErrorCode::NotFound, "no domain " + *domain);
      out.value = store_->accounts(*domain);
      return Status::success();
    });
  return out;
}

Status Host::transact(const std::function<Status(StoreWriter&)>& body) {
  return guarded([&] {
    Status result;
    store_->write([&](StoreWriter& w) { result = body(w); });
    return result;
  });
}

Status Host::store_password(const Address& address, const Secret& password) {
  return guarded([&] {
    if (!store_->account_exists(address.domain, address.name))
      return Status::error(ErrorCode::NotFound, "no account " + address.full());
    std::string error;
    const auto encoded = encode_password(address.domain, address.name, password, error);
    if (!encoded) return Status::error(ErrorCode::InvalidValue, error);
    return transact([&](StoreWriter& w) {
      // Checked again inside the transaction: an account removed meanwhile
      // must not leave a password behind for the next account of its name.
      if (!w.account_exists(address.domain, address.name))
        return Status::error(ErrorCode::NotFound, "no account " + address.full());
      w.set_setting({address.domain, address.name}, std::string(setting::password), *encoded);
      return Status::success();
    });
  });
}

Status Host::set_password(const Address& caller, std::string_view raw, const Secret& password) {
  const auto address = parse_address(raw);
  if (!address) return invalid_address(raw);
  if (Status s = require_account_right(caller, *address); !s.ok()) return s;
  return store_password(*address, password);
}

Status Host::set_own_password(const LoginResult& login, const Secret& password) {
  if (login.status != LoginStatus::Accepted || login.account.empty())
    return Status::error(ErrorCode::PermissionDenied, "only a user who has just logged in may set a password");
  const auto address = parse_address(login.account);
  if (!address) return invalid_address(login.account);
  const Status result = store_password(*address, password);
  if (result.ok()) log("account " + address->full() + " set its internal password");
  return result;
}

namespace {

// The canonical scope, or an error for names that break the rules.
Status canonical_scope(const SettingsScope& in, SettingsScope& out, SettingLevel& level) {
  out = {};
  level = SettingLevel::Server;
  if (in.domain.empty() && in.account.empty()) return Status::success();
  const auto domain = canonical_domain(in.domain);
  if (!domain) return invalid_domain(in.domain);
  out.domain = *domain;
  level = SettingLevel::Domain;
  if (in.account.empty()) return Status::success();
  const auto name = canonical_account_name(in.account);
  if (!name) return invalid_address(in.account + "@" + in.domain);
  out.account = *name;
  level = SettingLevel::Account;
  return Status::success();
}

}  // namespace

Result<std::vector<SettingView>> Host::get_settings(const Address& caller, const SettingsScope& raw) {
  Result<std::vector<SettingView>> out;
  SettingsScope scope;
  SettingLevel level;
  if (out.status = canonical_scope(raw, scope, level); !out.ok()) return out;
  if (out.status = require_scope_right(caller, scope, true); !out.ok()) return out;
  out.status = guarded([&] {
    if (!scope.domain.empty() && !store_->domain_exists(scope.domain))
      return Status::error(ErrorCode::NotFound, "no domain " + scope.domain);
    if (!scope.account.empty() && !store_->account_exists(scope.domain, scope.account))
      return Status::error(ErrorCode::NotFound, "no account " + scope.account + "@" + scope.domain);
    const Effective values = effective(scope.domain, scope.account);
    for (const auto& spec : setting_specs()) {
      if (!settable_at(spec, level)) continue;
      std::string value = values.text(spec.name);
      if (spec.secret && !value.empty()) value = "(set)";
      out.value.push_back({std::string(spec.name), value, std::string(values.origin(spec.name))});
    }
    return Status::success();
  });
  return out;
}

Status Host::update_settings(const Address& caller, const SettingsScope& raw, const SettingChanges& changes,
                             ChangeOrigin origin) {
  SettingsScope scope;
  SettingLevel level;
  if (Status s = canonical_scope(raw, scope, level); !s.ok()) return s;
  if (Status s = require_scope_right(caller, scope, false); !s.ok()) return s;
  if (level == SettingLevel::Account) {
    if (Status s = require_account_right(caller, {scope.account, scope.domain}); !s.ok()) return s;
  }
  // Every change is checked before any is written.
  std::vector<std::pair<std::string, std::optional<std::string>>> normalised;
  std::vector<std::string> warnings;
  // Who may change a setting is decided before its value is looked at (the
  // check of ClientCertificateIssuer reads the trusted sets).
  for (const auto& [name, value] : changes) {
    const auto* spec = find_setting(name);
    if (spec != nullptr && spec->decides_login && level != SettingLevel::Account) {
      if (Status s = require_covers_scope(caller, scope.domain); !s.ok()) return s;
    }
  }
  for (const auto& [name, value] : changes) {
    const auto* spec = find_setting(name);
    if (spec == nullptr) {
      if (auto why = obsolete_setting(name)) return Status::error(ErrorCode::InvalidValue, *why);
      return Status::error(ErrorCode::InvalidValue, "no setting is called '" + name + "'");
    }
    if (spec->local_only && origin != ChangeOrigin::CommandLine)
      return Status::error(ErrorCode::PermissionDenied,
                           name + " decides which program or OS account checks passwords: it is set on the "
                                  "host's own command line only (authhost --data DIR settings set " +
                               name + "=...)");
    if (!settable_at(*spec, level))
      return Status::error(ErrorCode::InvalidValue, name + " cannot be set " +
                                                        (level == SettingLevel::Server   ? "server-wide"
                                                         : level == SettingLevel::Domain ? "for a domain"
                                                                                         : "for an account"));
    if (!value) {
      normalised.emplace_back(name, std::nullopt);
      continue;
    }
    std::string error;
    auto text = normalise_setting(*spec, *value, error);
    if (!text) return Status::error(ErrorCode::InvalidValue, error);
    if (spec->name == setting::os_password_service) {
      if (error = check_pam_service(*text, pam_service_dir()); !error.empty())
        return Status::error(ErrorCode::InvalidValue, error);
    }
    if (spec->name == setting::external_authenticator && !text->empty() && split_command_line(*text).empty())
      return Status::error(ErrorCode::InvalidValue, name + " names no program; remove the setting (" + name +
                                                        "=) to run without an external authenticator");
    if (spec->name == setting::os_user_name) {
      if (Status s = check_os_user_name(scope.domain, scope.account, *text, origin); !s.ok()) return s;
    }
    if (spec->name == setting::client_certificate_issuer && !text->empty()) {
      const Status s = guarded([&] {
        if (pki_.trusts_subject(scope.domain, *text)) return Status::success();
        return Status::error(ErrorCode::InvalidValue,
                             name + ": no trusted certificate " +
                                 (scope.domain.empty() ? "of the server" : "of " + scope.domain + " or the server") +
                                 " has the subject '" + *text + "'; add the issuer's certificate first (authhost "
                                 "pki trust add" + (scope.domain.empty() ? "" : " --domain " + scope.domain) +
                                 " FILE) and give its subject as pki trust list prints it");
      });
      if (!s.ok()) return s;
    }
    if (auto warning = setting_warning(*spec, *text); !warning.empty()) warnings.push_back(std::move(warning));
    normalised.emplace_back(name, std::move(*text));
  }
  Status result = transact([&](StoreWriter& w) {
    if (!scope.domain.empty() && !w.domain_exists(scope.domain))
      return Status::error(ErrorCode::NotFound, "no domain " + scope.domain);
    if (!scope.account.empty() && !w.account_exists(scope.domain, scope.account))
      return Status::error(ErrorCode::NotFound, "no account " + scope.account + "@" + scope.domain);
    for (const auto& [name, value] : normalised) {
      if (value)
        w.set_setting({scope.domain, scope.account}, name, *value);
      else
        w.erase_setting({scope.domain, scope.account}, name);
    }
    return Status::success();
  });
  if (result.ok()) result.warnings = std::move(warnings);
  return result;
}

Result<RightSet> Host::get_rights(const Address& caller, std::string_view raw) {
  Result<RightSet> out;
  const auto address = parse_address(raw);
  if (!address) {
    out.status = invalid_address(raw);
    return out;
  }
  out.status = require_server_right(caller, Right::ModifyAccessRights);
  if (!out.ok() && out.status.code == ErrorCode::PermissionDenied)
    out.status = require_domain_right(caller, address->domain);
  if (!out.ok()) return out;
  out.status = guarded([&] {
    if (!store_->account_exists(address->domain, address->name))
      return Status::error(ErrorCode::NotFound, "no account " + address->full());
    const AccessTable table = read_access_file(access_file(address->domain), address->domain == main_domain_);
    if (auto it = table.find(address->name); it != table.end()) out.value = it->second;
    return Status::success();
  });
  return out;
}

Status Host::set_rights(const Address& caller, std::string_view raw, RightSet rights) {
  const auto address = parse_address(raw);
  if (!address) return invalid_address(raw);
  if (Status s = require_server_right(caller, Right::ModifyAccessRights); !s.ok()) return s;
  if (is_main_postmaster(*address))
    return Status::error(ErrorCode::InvalidValue, address->full() + " always holds unlimited access (CanModifyAccessRights)");
  if (address->domain != main_domain_ && !rights.only_domain_rights())
    return Status::error(ErrorCode::InvalidValue, "only accounts of the main domain " + main_domain_ +
                                                      " may hold " + format_rights(rights) +
                                                      "; others may hold CanModifyThisDomain");
  // The write transaction is the lock that keeps two processes from
  // changing the same file at once.
  const Status result = transact([&](StoreWriter& w) {
    if (!w.account_exists(address->domain, address->name))
      return Status::error(ErrorCode::NotFound, "no account " + address->full());
    const fs::path file = access_file(address->domain);
    std::error_code ec;
    // A missing file is written anew: the rights it held are set again one
    // by one. A damaged one must be fixed first (its error names the line).
    const bool missing = !fs::exists(file, ec) && !ec;
    AccessTable table = missing ? AccessTable{} : read_access_file(file, address->domain == main_domain_);
    if (missing && address->domain == main_domain_) table["postmaster"] = RightSet(Right::ModifyAccessRights);
    if (rights.empty())
      table.erase(address->name);
    else
      table[address->name] = rights;
    create_private_directories(dir_, file.parent_path());
    write_access_file(file, address->domain, table);
    if (missing) log(file.string() + " was missing: written anew by " + caller.full());
    return Status::success();
  });
  if (result.ok()) log("rights of " + address->full() + " set to '" + format_rights(rights) + "' by " + caller.full());
  return result;
}

Status Host::unlock(const Address& caller, std::string_view raw, bool* was_locked) {
  const auto address = parse_address(raw);
  if (!address) return invalid_address(raw);
  if (Status s = require_account_right(caller, *address); !s.ok()) return s;
  return guarded([&] {
    const bool had = login_service_.lockout().unlock(address->full());
    if (was_locked != nullptr) *was_locked = had;
    if (had) log("lockout of " + address->full() + " lifted by " + caller.full());
    return Status::success();
  });
}

Result<std::vector<LockoutRow>> Host::lockout_state(const Address& caller) {
  Result<std::vector<LockoutRow>> out;
  out.status = require_server_right(caller, Right::MonitorServer);
  if (out.ok()) out.status = guarded([&] {
      out.value = store_->lockout_rows();
      return Status::success();
    });
  return out;
}

Result<HostStatistics> Host::statistics(const Address& caller) {
  Result<HostStatistics> out;
  out.status = require_server_right(caller, Right::MonitorServer);
  if (!out.ok()) return out;
  HostStatistics& s = out.value;
  const LoginCounts counts = login_service_.counts();
  s.logins_accepted = counts.accepted;
  s.logins_rejected = counts.rejected;
  s.logins_temp_failed = counts.temp_failed;
  s.logins_address_refused = counts.address_refused;
  out.status = guarded([&] {
    s.domains = static_cast<std::int64_t>(store_->domains().size());
    const std::int64_t now = Lockout::now_ms();
    for (const auto& row : store_->lockout_rows()) {
      ++s.names_counted;
      if (row.locked_until_ms > now) ++s.names_suspended;
    }
    return Status::success();
  });
  std::shared_ptr<HelperClient> helper;
  {
    std::lock_guard lock(helper_mutex_);
    helper = helper_;
  }
  if (helper) {
    const HelperStats h = helper->stats();
    s.helper_running = true;
    s.helper_version = helper->helper_version();
    s.helper_sent = h.sent;
    s.helper_answered = h.answered;
    s.helper_resent = h.resent;
    s.helper_restarts = h.restarts;
  }
  return out;
}

std::shared_ptr<HelperClient> Host::helper(const Effective& server) {
  const std::string command = server.text(setting::external_authenticator);
  std::shared_ptr<HelperClient> old;
  std::lock_guard lock(helper_mutex_);
  if (command.empty()) return nullptr;
  if (helper_ && command == helper_command_) return helper_;
  old = std::move(helper_);
  HelperOptions options;
  options.command = split_command_line(command);
  options.request_timeout = server.duration(setting::external_timeout);
  helper_ = std::make_shared<HelperClient>(std::move(options), [this](HelperLogLevel level, const std::string& line) {
    if (level == HelperLogLevel::Major) log(line);
    else if (detail_log_) detail_log_(line);
  });
  helper_command_ = command;
  return helper_;
}

}  // namespace authd::host
