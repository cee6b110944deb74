#include "host/login/login.hpp"

#include <thread>

#include "host/login/client_addresses.hpp"
#include "host/helper/helper_client.hpp"
#include "host/store/names.hpp"
#include "host/store/settings.hpp"
#include "host/store/store.hpp"
#include "os/pam_authenticate.hpp"
#include "os/os_user.hpp"
#include "os/user_template.hpp"
#include "passwords/challenge.hpp"
#include "passwords/registry.hpp"
#include "passwords/timing_reference.hpp"
#include "protocol/quoting.hpp"

namespace authd::host {

std::string_view login_status_name(LoginStatus status) noexcept {
  switch (status) {
    case LoginStatus::Accepted: return "accepted";
    case LoginStatus::Rejected: return "rejected";
    case LoginStatus::TempFail: return "temporary failure";
    case LoginStatus::AddressRefused: return "address refused";
  }
  return "unknown";
}

std::string_view password_kind_name(PasswordKind kind) noexcept {
  switch (kind) {
    case PasswordKind::None: return "none";
    case PasswordKind::Internal: return "internal";
    case PasswordKind::OS: return "OS";
    case PasswordKind::External: return "external";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

enum class Check { Match, Mismatch, TempFail, CannotServe };

struct CheckResult {
  Check check = Check::Mismatch;
  std::string detail;
  // A Mismatch that compared a password: the login then counts toward the
  // lockout even when a later check fails for now (a guess was checked).
  bool compared = true;
};

// A stored password may be clear text: the copy made for one check goes
// when the check does.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& text) : text_(text) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { wipe_memory(text_.data(), text_.size()); }

 private:
  std::string& text_;
};

}  // namespace

// The login path of login.hpp, one step per function.
class LoginPath {
 public:
  LoginPath(LoginService& service, const LoginRequest& request)
      : service_(service),
        request_(request),
        started_(Clock::now()),
        server_map_(service.store_.settings({})),
        server_(server_map_, {}, {}) {}

  LoginResult run() {
    if (!client_address_allowed()) {
      result_.status = LoginStatus::AddressRefused;
      result_.text = login_text::address_refused;
      result_.detail = "client address " + request_.client_address + " is not in ClientIPAddresses";
      return result_;
    }
    const auto address = parse_address(request_.name);
    // A name that breaks the rules is counted too, under its lower-case
    // form, cut to a bounded length so that the table stays bounded.
    const std::string key = address ? address->full() : lower_ascii(request_.name.substr(0, 320));
    if (address) result_.account = address->full();

    Reservation slot = service_.lockout_.reserve(key, lockout_policy());
    if (!slot.admitted()) return reject(RejectWhy::Suspended, "name suspended after failed logins");

    bool known = address && service_.store_.account_exists(address->domain, address->name);
    std::string unknown_detail = address ? "no account " + address->full() : "malformed name";
    if (!known && address && consult_external(address->domain)) {
      const HelperAnswer answer = ask_helper("NEW " + address->full());
      const std::string asked = "no account " + address->full() + "; NEW sent to the external authenticator, which ";
      if (answer.kind == AnswerKind::Failure || answer.kind == AnswerKind::TempFail) {
        slot.finish(LoginOutcome::TempFail);
        return temp_fail(asked + (answer.kind == AnswerKind::Failure ? "answered FAILURE: " : "gave no answer: ") +
                         answer.text);
      }
      if (answer.kind == AnswerKind::Ok) {
        known = service_.store_.account_exists(address->domain, address->name);
        unknown_detail = asked + "answered OK, but the account did not appear (the helper must create it, e.g. "
                                 "through the administration interface, before it answers)";
      } else {
        unknown_detail = asked + "answered ERROR" + (answer.text.empty() ? "" : ": " + answer.text);
      }
    }
    if (!known) {
      slot.finish(LoginOutcome::Failure);
      return reject(RejectWhy::UnknownName, std::move(unknown_detail));
    }

    if (request_.method == LoginMethod::Certificate) {
      // The front verified the certificate against the domain's trusted
      // set; the name it gives is known and not suspended.
      slot.finish(LoginOutcome::Success);
      result_.status = LoginStatus::Accepted;
      result_.text = login_text::accepted;
      result_.detail = "client certificate";
      return result_;
    }
    const Effective account = settings_of(address->domain, address->name);
    if (request_.method == LoginMethod::Plain && !request_.secure && account.boolean(setting::secure_method_required)) {
      // No password was looked at, so nothing was guessed: not counted (a
      // misconfigured client must not lock its user out of secure logins).
      slot.finish(LoginOutcome::TempFail);
      return reject(RejectWhy::SecureMethodRequired, "clear-text method on an unencrypted connection");
    }

    bool undecided = false, compared = false, cannot_serve = false;
    std::string why;
    const auto try_one = [&](PasswordKind kind, const CheckResult& r) {
      if (!r.detail.empty()) why += (why.empty() ? "" : "; ") + std::string(password_kind_name(kind)) + ": " + r.detail;
      if (r.check == Check::TempFail) undecided = true;
      if (r.check == Check::Mismatch && r.compared) compared = true;
      if (r.check == Check::CannotServe) cannot_serve = true;
      if (r.check != Check::Match) return false;
      result_.matched = kind;
      return true;
    };
    const bool empty = request_.secret.empty();
    const bool accepted =
        !empty && ((account.boolean(setting::use_internal_password) &&
                    try_one(PasswordKind::Internal, check_internal(*address, account))) ||
                   (account.boolean(setting::use_os_password) && try_one(PasswordKind::OS, check_os(*address, account))) ||
                   (account.boolean(setting::use_external_password) &&
                    try_one(PasswordKind::External, check_external(*address))));
    if (accepted) {
      slot.finish(LoginOutcome::Success);
      result_.status = LoginStatus::Accepted;
      result_.text = login_text::accepted;
      result_.detail = "password: " + std::string(password_kind_name(result_.matched));
      return result_;
    }
    if (undecided) {
      // A password that was compared and did not match counts, even though
      // a later check could not decide: otherwise a backend kept failing
      // would give unlimited guesses at the ones before it.
      slot.finish(compared ? LoginOutcome::Failure : LoginOutcome::TempFail);
      return temp_fail(why);
    }
    // No password could serve the method (CRAM-MD5 against a hashed or an
    // OS password): nothing was guessed, so nothing is counted; a client
    // that tries the strongest method first must not lock its user out.
    slot.finish(compared || empty || !cannot_serve ? LoginOutcome::Failure : LoginOutcome::TempFail);
    return reject(RejectWhy::WrongPassword, empty ? "empty password" : why.empty() ? "no password matched" : why);
  }

 private:
  bool client_address_allowed() const {
    if (!server_.boolean(setting::reject_non_clients)) return true;
    const auto address = parse_ip_address(request_.client_address);
    if (!address) return false;
    return is_client_address(*address, *service_.client_networks(server_.text(setting::client_addresses)));
  }

  // One read of each level per login: the server's in the constructor, the
  // domain's on first use.
  Effective settings_of(const std::string& domain, const std::string& account) {
    if (!domain_map_ || domain_of_map_ != domain) {
      domain_map_ = service_.store_.settings({domain, ""});
      domain_of_map_ = domain;
    }
    return Effective(server_map_, *domain_map_,
                     account.empty() ? SettingMap{} : service_.store_.settings({domain, account}));
  }

  LockoutPolicy lockout_policy() const {
    // A login lasts at most a NEW and a VRFY, each re-sent once, and the
    // answer hold; the rest is room for PAM.
    const auto ttl = 4 * server_.duration(setting::external_timeout) + server_.duration(setting::failure_answer_time) +
                     std::chrono::minutes(5);
    return {server_.integer(setting::failed_login_limit), server_.duration(setting::failed_login_window),
            server_.integer(setting::lockout_table_size), ttl};
  }

  bool consult_external(const std::string& domain) { return settings_of(domain, {}).boolean(setting::consult_external); }

  // "NEW name@domain" and the like: a command and arguments, no mode.
  HelperAnswer ask_helper(const std::string& request) { return ask_helper(HelperRequest::from_text(request)); }

  HelperAnswer ask_helper(HelperRequest request) {
    const auto helper = service_.helpers_(server_);
    if (!helper) return {AnswerKind::TempFail, "no ExternalAuthenticator is configured"};
    return helper->ask(std::move(request));
  }

  // The secure method of a login that is not Plain.
  passwords::SaslMethod sasl_method() const {
    return request_.method == LoginMethod::Apop ? passwords::SaslMethod::Apop : passwords::SaslMethod::CramMd5;
  }

  CheckResult check_internal(const Address&, const Effective& account) const {
    std::string text = account.text(setting::password);
    const WipeOnExit wipe(text);
    if (text.empty()) return {Check::Mismatch, "no internal password", false};
    const auto& registry = passwords::Registry::instance();
    // A value no scheme recognises is the password in clear text.
    const Secret stored = registry.with_default_scheme(text, "PLAIN", passwords::SchemeMark::Recognised);
    if (request_.method == LoginMethod::Plain) {
      switch (registry.check(stored.view(), request_.secret)) {
        case passwords::Check::Match: return {Check::Match, {}};
        case passwords::Check::Mismatch: return {Check::Mismatch, {}};
        case passwords::Check::Malformed: return {Check::CannotServe, "the stored internal password is malformed"};
      }
    }
    switch (registry.check_challenge(stored.view(), sasl_method(), request_.challenge, request_.secret)) {
      case passwords::ChallengeCheck::Match: return {Check::Match, {}};
      case passwords::ChallengeCheck::Mismatch: return {Check::Mismatch, {}};
      case passwords::ChallengeCheck::CannotServe:
      case passwords::ChallengeCheck::Malformed: break;
    }
    return {Check::CannotServe, "a one-way internal password cannot serve a secure method"};
  }

  CheckResult check_os(const Address& address, const Effective& account) const {
    if (request_.method != LoginMethod::Plain) return {Check::CannotServe, "OS passwords cannot serve a secure method"};
    std::string error;
    const auto templ = pam::UserTemplate::parse(account.text(setting::os_user_name), error);
    if (!templ) return {Check::TempFail, "OSUserName: " + error};
    const std::string user = templ->expand(address.name, address.domain);
    if (auto refused = os_user_refused(user)) return *refused;
    const std::int64_t bound = server_.integer(setting::os_password_max_concurrent);
    const std::int64_t running = service_.pam_active_.fetch_add(1, std::memory_order_acq_rel) + 1;
    struct Leave {
      std::atomic<std::int64_t>& active;
      ~Leave() { active.fetch_sub(1, std::memory_order_acq_rel); }
    } leave{service_.pam_active_};
    if (bound > 0 && running > bound)
      return {Check::TempFail, "OSPasswordMaxConcurrent = " + std::to_string(bound) +
                                   " OS password checks are running already"};
    const pam::PamResult result = pam::authenticate(server_.text(setting::os_password_service), user, request_.secret);
    switch (result.outcome) {
      case pam::Outcome::Accepted: return {Check::Match, {}};
      case pam::Outcome::Unavailable: return {Check::TempFail, result.detail};
      case pam::Outcome::UnknownUser: return {Check::Mismatch, "no OS user " + user, false};
      case pam::Outcome::WrongPassword:
      case pam::Outcome::Disabled: break;
    }
    return {Check::Mismatch, result.detail};
  }

  // Root and system accounts never log in through the host: whatever the
  // template, an OS user below OSUserMinUID is not asked for.
  std::optional<CheckResult> os_user_refused(const std::string& user) const {
    std::string error;
    const auto os = pam::find_os_user(user, error);
    if (!os) return CheckResult{Check::TempFail, error};
    const std::int64_t min_uid = server_.integer(setting::os_user_min_uid);
    if (os->found && os->uid < min_uid)
      return CheckResult{Check::Mismatch,
                         "OS user " + user + " has uid " + std::to_string(os->uid) + ", below OSUserMinUID " +
                             std::to_string(min_uid) + ": not checked",
                         false};
    return std::nullopt;
  }

  CheckResult check_external(const Address& address) {
    // The client adds "(mode)" for a helper that speaks version 1 or higher.
    const std::string command =
        request_.method == LoginMethod::Plain ? "VRFY" : "SASL(" + std::string(sasl_method().name()) + ")";
    HelperRequest request(command, request_.mode);
    request.argument(address.full()).secret_argument(request_.secret.view());
    if (request_.method != LoginMethod::Plain) request.argument(request_.challenge);
    const HelperAnswer answer = ask_helper(std::move(request));
    switch (answer.kind) {
      case AnswerKind::Ok: return {Check::Match, {}};
      case AnswerKind::Error: return {Check::Mismatch, "helper: " + answer.text};
      case AnswerKind::TooLong: return {Check::Mismatch, answer.text};
      case AnswerKind::Failure:
      case AnswerKind::TempFail: return {Check::TempFail, "helper: " + answer.text};
    }
    return {Check::TempFail, "helper gave no answer"};
  }

  // The cost of one password check, spent where no password was checked.
  void check_dummy() const {
    std::string scheme = server_.text(setting::password_encoding);
    if (scheme == "clear") scheme = "SSHA512";
    if (const auto dummy = passwords::timing_dummy_of_scheme(scheme))
      (void)passwords::Registry::instance().check(*dummy, request_.secret);
  }

  LoginResult reject(RejectWhy why, std::string detail) {
    const bool hide = server_.boolean(setting::hide_unknown);
    if (why == RejectWhy::UnknownName || why == RejectWhy::Suspended || why == RejectWhy::SecureMethodRequired)
      check_dummy();
    result_.status = LoginStatus::Rejected;
    result_.why = why;
    result_.detail = std::move(detail);
    if (hide) {
      result_.text = login_text::hidden;
      if (service_.in_outage()) answer_as_temporary();
      hold();
      return result_;
    }
    switch (why) {
      case RejectWhy::UnknownName: result_.text = login_text::unknown; break;
      case RejectWhy::Suspended: result_.text = login_text::suspended; break;
      case RejectWhy::SecureMethodRequired: result_.text = login_text::secure_required; break;
      default: result_.text = login_text::wrong_password; break;
    }
    return result_;
  }

  // Every failure with hiding on is answered FailureAnswerTime after the
  // login began: here, or by the caller (LoginRequest::hold_answer).
  void hold() {
    result_.answer_at = started_ + server_.duration(setting::failure_answer_time);
    if (request_.hold_answer) std::this_thread::sleep_until(result_.answer_at);
  }

  // With hiding on during an outage (login.hpp): the temporary answer, for
  // every name alike.
  void answer_as_temporary() {
    result_.status = LoginStatus::TempFail;
    result_.text = login_text::temporary;
    result_.detail = "answered as a temporary failure while a backend fails (HideUnknownAccounts): " + result_.detail;
  }

  LoginResult temp_fail(std::string detail) {
    service_.note_outage();
    if (server_.boolean(setting::hide_unknown)) {
      // Only a name that exists gets as far as a password check that can
      // fail for now (and with ConsultExternalAuthenticator, only an unknown
      // one asks NEW): with hiding on, the answer and its time must not tell
      // which, so from now on every failure is answered this way for a while
      // (note_outage). Not counted toward the lockout: the slot was given
      // back as a temporary failure.
      result_.why = RejectWhy::Unavailable;
      result_.detail = std::move(detail);
      answer_as_temporary();
      hold();
      return result_;
    }
    result_.status = LoginStatus::TempFail;
    result_.text = login_text::temporary;
    result_.detail = std::move(detail);
    return result_;
  }

  LoginService& service_;
  const LoginRequest& request_;
  Clock::time_point started_;
  SettingMap server_map_;
  std::optional<SettingMap> domain_map_;
  std::string domain_of_map_;
  Effective server_;
  LoginResult result_;
};

LoginService::LoginService(Store& store, HelperSource helpers, Logger log)
    : store_(store), helpers_(std::move(helpers)), log_(std::move(log)), lockout_(store, [this](std::string_view line) {
        this->log(line);
      }) {}

void LoginService::log(std::string_view line) const {
  if (log_) log_(line);
}

void LoginService::note_outage() noexcept {
  last_outage_.store(std::max<std::int64_t>(1, Clock::now().time_since_epoch().count()), std::memory_order_relaxed);
}

bool LoginService::in_outage() const noexcept {
  const auto last = last_outage_.load(std::memory_order_relaxed);
  return last != 0 && Clock::now() - Clock::time_point(Clock::duration(last)) < outage_answer_window;
}

LoginResult LoginService::login(const LoginRequest& request) {
  try {
    LoginResult result = LoginPath(*this, request).run();
    count(result.status);
    log("login " + (result.account.empty() ? std::string("(malformed name)") : result.account) + " from " +
        request.client_address + ": " + std::string(login_status_name(result.status)) +
        (result.detail.empty() ? std::string() : " (" + result.detail + ")"));
    return result;
  } catch (const std::exception& e) {
    // The store or a helper that could not be set up: nothing decided.
    log(std::string("login: ") + e.what());
    LoginResult result;
    result.status = LoginStatus::TempFail;
    result.text = login_text::temporary;
    result.detail = e.what();
    count(result.status);
    return result;
  }
}

void LoginService::count(LoginStatus status) noexcept {
  auto& counter = status == LoginStatus::Accepted   ? accepted_
                  : status == LoginStatus::Rejected ? rejected_
                  : status == LoginStatus::TempFail ? temp_failed_
                                                    : address_refused_;
  counter.fetch_add(1, std::memory_order_relaxed);
}

LoginCounts LoginService::counts() const noexcept {
  return {accepted_.load(std::memory_order_relaxed), rejected_.load(std::memory_order_relaxed),
          temp_failed_.load(std::memory_order_relaxed), address_refused_.load(std::memory_order_relaxed)};
}

std::shared_ptr<const std::vector<IpNetwork>> LoginService::client_networks(const std::string& list) {
  std::lock_guard lock(client_networks_mutex_);
  if (client_networks_ && list == client_networks_text_) return client_networks_;
  std::string error;
  auto parsed = parse_client_addresses(list, error);
  if (!parsed) {
    log(std::string(setting::client_addresses) + " cannot be read (" + error + "): only loopback may log in");
    parsed.emplace();
  }
  client_networks_ = std::make_shared<const std::vector<IpNetwork>>(std::move(*parsed));
  client_networks_text_ = list;
  return client_networks_;
}

}  // namespace authd::host
