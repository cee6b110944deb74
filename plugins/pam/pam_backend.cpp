#include "pam/pam_backend.hpp"

#include <security/pam_appl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/ascii.hpp"
#include "os/os_user.hpp"
#include "os/pam_authenticate.hpp"
#include "os/pam_results.hpp"

namespace authd::pam {

std::vector<SettingSpec> PamBackend::settings() {
  return {
      {"service", SettingType::String, std::string("authd"),
       "the PAM service whose stack checks the passwords: /etc/pam.d/<service> (packaging/pam.d/authd is one "
       "for Debian); lower-case letters, digits, '.', '_' and '-'"},
      {"user_template", SettingType::String, std::string("*"),
       "the OS user name of an account: '*' is the account name and appears exactly once, '$d' is the domain; "
       "\"*\" makes joe@example.com joe, \"*%comp1\" makes it joe%comp1, \"*@$d\" keeps joe@example.com"},
      {"max_concurrent", SettingType::Integer, std::int64_t{0},
       "the most PAM transactions at once; past it a request is answered FAILURE at once instead of holding "
       "another worker. 0: only [authd] workers bounds them. Keep it below workers, so that a slow PAM stack "
       "(pam_unix waits about 2 s after a wrong password) leaves workers to the other backends; 1 serialises "
       "PAM modules that are not thread-safe",
       0, 256},
  };
}

namespace {

void check_service_name(const std::string& service) {
  if (service.empty() || service.size() > 255)
    throw ConfigError("service", "the PAM service name must be 1 to 255 characters long");
  for (char c : service) {
    const bool allowed = base::is_ascii_lower(c) || base::is_ascii_digit(c) || c == '.' || c == '_' || c == '-';
    if (allowed) continue;
    // Linux-PAM lower-cases the name and keeps only what follows the last
    // '/', so anything else would silently name another service.
    throw ConfigError("service", "the PAM service name '" + service +
                                     "' may hold only lower-case letters, digits, '.', '_' and '-' "
                                     "(it names the file /etc/pam.d/<service>)");
  }
  if (service.front() == '.') throw ConfigError("service", "the PAM service name may not start with '.'");
}

UserTemplate parse_user_template(const std::string& text) {
  std::string error;
  auto parsed = UserTemplate::parse(text, error);
  if (!parsed) throw ConfigError("user_template", error);
  return std::move(*parsed);
}

bool service_file_exists(const std::string& service) {
  std::error_code ignored;
  for (const char* dir : {"/etc/pam.d/", "/usr/lib/pam.d/"})
    if (std::filesystem::exists(std::string(dir) + service, ignored)) return true;
  return false;
}

class ActiveSlot {
 public:
  explicit ActiveSlot(std::atomic<int>& active) : active_(active) {}
  ActiveSlot(const ActiveSlot&) = delete;
  ActiveSlot& operator=(const ActiveSlot&) = delete;
  ~ActiveSlot() { active_.fetch_sub(1, std::memory_order_acq_rel); }

 private:
  std::atomic<int>& active_;
};

}  // namespace

Verdict to_verdict(const PamResult& result) {
  switch (result.outcome) {
    case Outcome::Accepted: return Verdict::accept();
    case Outcome::UnknownUser: return Verdict::unknown_name();
    case Outcome::WrongPassword: return Verdict::reject(RejectReason::WrongPassword, result.detail);
    case Outcome::Disabled: return Verdict::reject(RejectReason::Disabled, result.detail);
    case Outcome::Unavailable: break;
  }
  return Verdict::temp_fail(result.detail);
}

Verdict authenticate_verdict(int status) { return to_verdict(authenticate_result(status)); }
Verdict account_verdict(int status) { return to_verdict(account_result(status)); }

PamBackend::PamBackend(const BackendContext& context)
    : name_(context.name),
      service_(context.settings.string("service")),
      user_template_(parse_user_template(context.settings.string("user_template"))),
      max_concurrent_(static_cast<int>(context.settings.integer("max_concurrent"))),
      host_(context.host) {
  check_service_name(service_);
  if (!service_file_exists(service_)) {
    host_.log(LogLevel::Warning, "backend " + name_ + ": no /etc/pam.d/" + service_ +
                                     ": Linux-PAM checks passwords with the stack of the 'other' service "
                                     "instead; install packaging/pam.d/authd as /etc/pam.d/" + service_);
  }
  host_.log(LogLevel::Info, "backend " + name_ + ": PAM service '" + service_ + "', OS user name '" +
                                user_template_.text() + "'" +
                                (max_concurrent_ > 0 ? ", at most " + std::to_string(max_concurrent_) + " at once"
                                                     : std::string()));
}

// getpwnam_r may ask a directory server and PAM modules may sleep: nothing
// here belongs on the dispatcher thread.
Cost PamBackend::cost(Operation, const Account&) const { return Cost::Blocking; }

Verdict PamBackend::verify(const Account& account, const Secret& password, std::string_view) {
  if (!try_enter())
    return Verdict::temp_fail("PAM is busy: max_concurrent = " + std::to_string(max_concurrent_) +
                              " transactions are running already");
  ActiveSlot slot(active_);
  return to_verdict(pam::authenticate(service_, user_template_.expand(account.name, account.domain), password));
}

Verdict PamBackend::exists(const Account& account) {
  const std::string user = user_template_.expand(account.name, account.domain);
  std::string error;
  const auto found = find_os_user(user, error);
  if (!found) return Verdict::temp_fail(error);
  return found->found ? Verdict::accept() : Verdict::unknown_name();
}

bool PamBackend::try_enter() noexcept {
  const int now = active_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (max_concurrent_ == 0 || now <= max_concurrent_) return true;
  active_.fetch_sub(1, std::memory_order_acq_rel);
  return false;
}

}  // namespace authd::pam
