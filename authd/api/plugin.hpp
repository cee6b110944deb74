// authd plugin API: the backend interface and the plugin entry point.
//
// A backend answers three questions about an account: is this password right
// (verify), what secret is stored for it (credentials, for challenge-response
// methods), and does it exist (exists, for NEW). Built-in backends and
// plugins loaded from shared objects implement the same interface and are
// described by the same PluginDescriptor.
//
// The error contract
// ------------------
// * Results are values: every method returns a Verdict. Wrong passwords,
//   unknown names and disabled entries are ordinary results, never exceptions.
// * Return VerdictKind::UnknownName only when this backend does not hold the
//   name at all; the engine then asks the next backend of the route. A known
//   name with a wrong password is Reject, never UnknownName.
// * Return TempFail when the backend cannot decide (server down, time-out,
//   locked database). It is answered as FAILURE and never counts as a wrong
//   password. Never answer Accept when in doubt.
// * Methods may be called concurrently from several threads, and must be
//   safe to call so. cost() must return at once.
// * The engine calls a method on its dispatcher thread when cost() says
//   Cost::Cheap: such a call must finish in microseconds and never block.
//   Everything else runs on the worker pool, bounded by the request deadline.
// * An exception thrown by a method is a bug: the engine logs it and answers
//   FAILURE for that request. For plugins loaded with dlopen, the code that
//   AUTHD_PLUGIN generates catches it inside the plugin, so no exception ever
//   crosses the shared-object boundary.
// * Secrets (passwords, stored hashes) must never reach a log line, an
//   exception message or a Verdict's detail.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authd/api/secret.hpp"
#include "authd/api/settings.hpp"
#include "authd/api/verdict.hpp"

namespace authd {

// An account name as the engine hands it to backends: split at the '@' and
// in canonical (ASCII lower-case) form. Both parts are non-empty.
struct Account {
  std::string_view name;
  std::string_view domain;
};

enum class Operation { Verify, Credentials, Exists };

enum class Cost {
  Cheap,     // runs on the dispatcher thread: microseconds, never blocks
  Blocking,  // runs on the worker pool
};

enum class LogLevel { Debug, Info, Warning, Error };

// A password scheme as the registry describes it.
struct SchemeTraits {
  std::string_view name;  // canonical name, e.g. "SSHA", "SHA512-CRYPT"
  bool weak = false;      // plain text, unsalted digests, DES
  bool allowed = true;    // false when weak and the configuration refuses weak schemes
  bool slow = false;      // costly to check: belongs on the worker pool
  int cost_rank = 0;      // relative cost of one check; higher is slower
};

// What authd offers to every backend.
class HostServices {
 public:
  virtual ~HostServices() = default;
  // Check a password against a stored value ("{SCHEME}..." or a crypt
  // string) with authd's scheme registry and its weak-scheme policy.
  // Accept, Reject(WrongPassword) or Reject(UnusableSecret). authd notes the
  // scheme of every value checked here: an unknown name is checked against a
  // dummy of the slowest scheme a backend has checked or reported, so that it
  // costs what a wrong password costs.
  virtual Verdict check_password(std::string_view stored, const Secret& password) const = 0;
  // What the registry knows of the scheme of `stored`; nullopt when no
  // scheme recognises it.
  virtual std::optional<SchemeTraits> scheme_of(std::string_view stored) const = 0;
  // A stored value with the scheme, salt and parameters of `like` but for a
  // random password nobody knows, for a backend that overrides
  // Backend::timing_reference(). Empty if `like` is malformed.
  virtual std::string timing_dummy(std::string_view like) const = 0;
  // Write a line to authd's log. Never pass a secret.
  virtual void log(LogLevel level, std::string_view message) const = 0;
  // Report a stored value this backend holds without having checked it yet
  // (a file read at start, say), so that unknown names cost what a wrong
  // password for it would cost from the start. Only its scheme, salt and
  // parameters are kept, never the value.
  virtual void note_stored(std::string_view stored) const { (void)stored; }
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Where the engine should run `op` for `account`.
  virtual Cost cost(Operation op, const Account& account) const {
    (void)op;
    (void)account;
    return Cost::Blocking;
  }

  // Check a clear-text password. `mode` is the service that asked ("IMAP",
  // "POP", ...) or empty. The engine never passes an empty password.
  virtual Verdict verify(const Account& account, const Secret& password, std::string_view mode) = 0;

  // Whether this backend can ever supply stored secrets (credentials()).
  virtual bool supports_credentials() const { return false; }

  // The stored secret of `account` for challenge-response methods, written
  // to `stored` as "{SCHEME}value" (for instance "{PLAIN}..." or
  // "{CRAM-MD5}..."). Accept when `stored` was filled; UnknownName;
  // Reject(Disabled); TempFail.
  virtual Verdict credentials(const Account& account, Secret& stored) {
    (void)account;
    (void)stored;
    return Verdict::temp_fail("this backend does not supply stored secrets");
  }

  // Whether the backend knows `account`: Accept (it does), UnknownName or TempFail.
  virtual Verdict exists(const Account& account) = 0;

  // A stored value of the slowest scheme this backend holds, or empty. An
  // unknown name is checked against the slowest of this and what authd has
  // learnt through HostServices (check_password, note_stored), so that it
  // costs the time a wrong password costs; the result of that check is
  // always discarded. Backends that check through HostServices need not
  // override it.
  virtual std::string timing_reference() const { return {}; }
};

struct BackendContext {
  std::string_view name;  // the backend's name in the configuration
  const Settings& settings;
  const HostServices& host;
};

// Result of PluginDescriptor::create: a backend, or the key and message of
// the setting that made creation fail.
struct CreateResult {
  std::unique_ptr<Backend> backend;
  std::string error_key;
  std::string error;
};

// Identifies the C++ library ABI a plugin was built with; it must match
// authd's, since C++ types cross the boundary.
#if defined(_LIBCPP_VERSION)
#define AUTHD_PLUGIN_STDLIB "libc++"
#elif defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define AUTHD_PLUGIN_STDLIB "libstdc++/cxx11"
#else
#define AUTHD_PLUGIN_STDLIB "libstdc++/old"
#endif

// The ABI version a plugin is built for, and the oldest this authd still
// loads. Version 2 added HostServices::note_stored at the end of its table:
// a version 1 plugin never calls it and loads here, while an authd that
// speaks only version 1 refuses a version 2 plugin (which might call it).
inline constexpr std::uint32_t plugin_abi_version = 2;
inline constexpr std::uint32_t plugin_abi_oldest = 1;

struct PluginDescriptor {
  std::uint32_t abi_version;       // plugin_abi_version at build time
  std::uint32_t descriptor_size;   // sizeof(PluginDescriptor) at build time
  const char* stdlib;              // AUTHD_PLUGIN_STDLIB at build time
  const char* type;                // the backend type named in [[backend]] type = "..."
  const char* description;         // one line for --help and logs
  bool (*settings)(std::vector<SettingSpec>& out) noexcept;  // the declared settings; false on error
  CreateResult (*create)(const BackendContext& context) noexcept;
};

namespace detail {

// Wraps a plugin's backend so that an exception thrown by any of its methods
// is caught inside the plugin's own code and turned into a TempFail.
template <typename Inner>
class GuardedBackend final : public Backend {
 public:
  explicit GuardedBackend(std::unique_ptr<Inner> inner) : inner_(std::move(inner)) {}

  Cost cost(Operation op, const Account& account) const override {
    try {
      return inner_->cost(op, account);
    } catch (...) {
      return Cost::Blocking;
    }
  }
  Verdict verify(const Account& account, const Secret& password, std::string_view mode) override {
    return guard([&] { return inner_->verify(account, password, mode); });
  }
  bool supports_credentials() const override {
    try {
      return inner_->supports_credentials();
    } catch (...) {
      return false;
    }
  }
  Verdict credentials(const Account& account, Secret& stored) override {
    return guard([&] { return inner_->credentials(account, stored); });
  }
  Verdict exists(const Account& account) override {
    return guard([&] { return inner_->exists(account); });
  }
  std::string timing_reference() const override {
    try {
      return inner_->timing_reference();
    } catch (...) {
      return {};
    }
  }

 private:
  template <typename F>
  static Verdict guard(F&& call) noexcept {
    try {
      return call();
    } catch (const std::exception& e) {
      try {
        return Verdict::temp_fail(std::string("backend error: ") + e.what());
      } catch (...) {
      }
    } catch (...) {
    }
    return Verdict{};  // TempFail with no detail: even building the message failed
  }

  std::unique_ptr<Inner> inner_;
};

template <typename T>
CreateResult create_guarded(const BackendContext& context) noexcept {
  CreateResult result;
  try {
    result.backend = std::make_unique<GuardedBackend<T>>(std::make_unique<T>(context));
  } catch (const ConfigError& e) {
    result.error_key = e.key();
    result.error = e.what();
  } catch (const std::exception& e) {
    result.error = e.what();
  } catch (...) {
    result.error = "unknown error while creating the backend";
  }
  return result;
}

template <typename T>
bool settings_guarded(std::vector<SettingSpec>& out) noexcept {
  try {
    out = T::settings();
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace detail

// The descriptor of backend type T. T provides:
//   static constexpr const char* type = "my-backend";
//   static constexpr const char* description = "one line";
//   static std::vector<authd::SettingSpec> settings();
//   explicit T(const authd::BackendContext&);  // may throw ConfigError
template <typename T>
const PluginDescriptor& describe_backend() noexcept {
  static const PluginDescriptor descriptor{
      plugin_abi_version, sizeof(PluginDescriptor), AUTHD_PLUGIN_STDLIB, T::type, T::description,
      &detail::settings_guarded<T>, &detail::create_guarded<T>,
  };
  return descriptor;
}

}  // namespace authd

// The versioned entry point that authd looks up with dlsym. A future,
// incompatible ABI gets a new symbol name, so an old authd never calls it.
#define AUTHD_PLUGIN_ENTRY_SYMBOL "authd_plugin_v1"

// Put AUTHD_PLUGIN(MyBackend) in exactly one source file of a plugin.
#define AUTHD_PLUGIN(BackendType)                                                  \
  extern "C" __attribute__((visibility("default"))) const ::authd::PluginDescriptor* \
  authd_plugin_v1() noexcept {                                                     \
    return &::authd::describe_backend<BackendType>();                              \
  }
