// One login through the whole path, and what it answers.
//
// The path (LoginService::login runs it; login.cpp holds it, one step per
// function):
//   1. client address: with RejectNonClientAddresses, only loopback and
//      ClientIPAddresses may log in; others are refused (AddressRefused),
//      which is not counted as a failure;
//   2. the lockout slot for the canonical name is reserved before any
//      password is looked at; a suspended name is refused;
//   3. the name is looked up; an unknown one in a domain with
//      ConsultExternalAuthenticator goes to the helper as NEW, and on OK it
//      is looked up again (the helper may have created it meanwhile);
//   4. RequireSecureMethod refuses clear-text methods on unencrypted
//      connections;
//   5. the passwords the account enables, in order: internal, OS (PAM),
//      external (the helper); the first that matches grants access. Secure
//      methods (CRAM-MD5, APOP) are served by a clear-text internal password
//      or by the helper (SASL(method)); OS and one-way passwords cannot;
//   6. the outcome goes back to the lockout: a rejection of a password
//      counts, a success clears; a temporary failure (PAM or the helper
//      could not decide), a refused clear-text method (step 4: no
//      password was looked at) and a secure method no password could
//      serve (CRAM-MD5 against a hashed password) do not count.
// With HideUnknownAccounts, every rejection (unknown name, wrong password,
// suspended name, a secure method required) and every temporary failure
// reads "incorrect account name or password" and is a rejection; a dummy
// hash is checked where no password was, and the answer is held back until
// FailureAnswerTime has passed since the request came in, so that the time
// does not tell them apart either. (A temporary failure is still not counted
// toward the lockout; the log says what happened.)
// Outages with hiding on: once a backend could not decide (the helper or
// PAM failed or was silent), every failure of every name is answered as a
// temporary failure, held the same way, until outage_answer_window has
// passed without another one. A client whose password could not be checked
// is told to try again instead of being told it is wrong, and, since the
// answer then holds for every name, it still does not tell which exist.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "authd/api/secret.hpp"
#include "host/login/client_addresses.hpp"
#include "host/login/lockout.hpp"

namespace authd::host {

// Certificate: the front verified a client certificate that names `name`
// (pki::Pki::verify_client); no password is checked, every other step is.
enum class LoginMethod { Plain, CramMd5, Apop, Certificate };

struct LoginRequest {
  std::string name;              // name@domain as the client typed it
  LoginMethod method = LoginMethod::Plain;
  Secret secret;                 // Plain: the password; CRAM-MD5, APOP: the client's hex digest
  std::string challenge;         // CRAM-MD5, APOP: what the server issued
  std::string client_address = "127.0.0.1";
  bool secure = false;           // the connection is encrypted (TLS)
  std::string mode;              // the service: "IMAP", "POP", ... or empty
  // With HideUnknownAccounts a failure is held until FailureAnswerTime has
  // passed since the login began: here (false: the caller waits until
  // LoginResult::answer_at, as an event loop does with a timer).
  bool hold_answer = true;
};

enum class LoginStatus {
  Accepted,
  Rejected,        // a definitive rejection; counted toward the lockout unless it says otherwise
  TempFail,        // nothing could decide now; try again later
  AddressRefused,  // not a client address: close the connection
};

enum class PasswordKind { None, Internal, OS, External };

// Unavailable: a temporary failure answered as a rejection because
// HideUnknownAccounts is on (never counted toward the lockout); with
// hiding on during an outage, a failure of any kind answered as temporary
// keeps its reason here.
enum class RejectWhy { None, UnknownName, WrongPassword, Suspended, SecureMethodRequired, Unavailable };

struct LoginResult {
  LoginStatus status = LoginStatus::TempFail;
  std::string text;             // the answer for the client
  std::string account;          // canonical name@domain when known
  PasswordKind matched = PasswordKind::None;
  RejectWhy why = RejectWhy::None;  // for the log and the tests, never for the client
  std::string detail;           // for the log: never a secret
  // Not before this may the answer be given (hold_answer false); the epoch
  // when it may go at once.
  std::chrono::steady_clock::time_point answer_at{};
};

std::string_view login_status_name(LoginStatus status) noexcept;
std::string_view password_kind_name(PasswordKind kind) noexcept;

namespace login_text {
inline constexpr std::string_view hidden = "incorrect account name or password";
inline constexpr std::string_view unknown = "unknown account";
inline constexpr std::string_view wrong_password = "incorrect password";
inline constexpr std::string_view suspended = "account suspended after too many failed logins; try again later";
inline constexpr std::string_view secure_required = "a secure login method is required on unencrypted connections";
inline constexpr std::string_view address_refused = "logins from this address are not accepted";
inline constexpr std::string_view temporary = "temporarily unavailable, try again later";
inline constexpr std::string_view accepted = "welcome";
}  // namespace login_text

class Store;
class HelperClient;
class Effective;

struct LoginCounts {
  std::uint64_t accepted = 0, rejected = 0, temp_failed = 0, address_refused = 0;
};

// The login service: it runs the path above for each login, owns the
// lockout and the client address list as last parsed, and counts outcomes.
// The host facade (host.hpp) holds one and passes logins to it.
// How long after a backend last could not decide every hidden failure is
// answered as temporary (HideUnknownAccounts).
inline constexpr std::chrono::seconds outage_answer_window{60};

class LoginService {
 public:
  using Logger = std::function<void(std::string_view)>;
  // The helper for the server's current ExternalAuthenticator; nullptr when
  // none is configured.
  using HelperSource = std::function<std::shared_ptr<HelperClient>(const Effective& server)>;

  LoginService(Store& store, HelperSource helpers, Logger log);
  LoginService(const LoginService&) = delete;
  LoginService& operator=(const LoginService&) = delete;

  // Never throws: a fault of the store or of a helper set-up is a temporary
  // failure, logged.
  LoginResult login(const LoginRequest& request);

  Lockout& lockout() noexcept { return lockout_; }
  LoginCounts counts() const noexcept;

 private:
  friend class LoginPath;
  // ClientIPAddresses, parsed once per change of its text (a list the store
  // holds was checked when set; an unreadable one is logged once and admits
  // loopback only).
  std::shared_ptr<const std::vector<IpNetwork>> client_networks(const std::string& list);
  void count(LoginStatus status) noexcept;
  void log(std::string_view line) const;
  void note_outage() noexcept;
  bool in_outage() const noexcept;

  Store& store_;
  HelperSource helpers_;
  Logger log_;
  Lockout lockout_;
  std::mutex client_networks_mutex_;
  std::string client_networks_text_;
  std::shared_ptr<const std::vector<IpNetwork>> client_networks_;
  // PAM transactions running, for OSPasswordMaxConcurrent: one bound across
  // every login of this host.
  std::atomic<std::int64_t> pam_active_{0};
  // steady_clock ticks of the last temporary failure of a backend; 0: none.
  std::atomic<std::int64_t> last_outage_{0};
  // Relaxed: they are statistics, ordering nothing.
  std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, temp_failed_{0}, address_refused_{0};
};

}  // namespace authd::host
