#include "pam/pam_backend.hpp"

#include <security/pam_appl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/ascii.hpp"
#include "pam/os_user.hpp"
#include "pam/pam_conversation.hpp"
#include "pam/pam_results.hpp"

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

// Ends the transaction with the status of its last step, which Linux-PAM
// hands to the modules' cleanup functions.
class Transaction {
 public:
  Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (handle_ != nullptr) ::pam_end(handle_, last_status_);
  }

  int start(const std::string& service, const std::string& user, const pam_conv& conversation) {
    const int status = ::pam_start(service.c_str(), user.c_str(), &conversation, &handle_);
    if (status != PAM_SUCCESS) handle_ = nullptr;  // a failed pam_start has freed the handle itself
    return status;
  }
  int authenticate() {
    return last_status_ = ::pam_authenticate(handle_, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  }
  int check_account() {
    return last_status_ = ::pam_acct_mgmt(handle_, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  }

 private:
  pam_handle_t* handle_ = nullptr;
  int last_status_ = PAM_SUCCESS;
};

// A failure that followed a prompt authd refused is the PAM set-up's fault,
// not the password's: it must not count as a wrong password, nor send the
// route on to its next backend.
std::string style_name(int style) {
  switch (style) {
    case PAM_PROMPT_ECHO_ON: return "an echoed prompt, PAM_PROMPT_ECHO_ON";
    case PAM_BINARY_PROMPT: return "a binary prompt, PAM_BINARY_PROMPT";
    case PAM_RADIO_TYPE: return "a choice, PAM_RADIO_TYPE";
    default: return "message style " + std::to_string(style);
  }
}

Verdict blame_refused_prompt(const ConversationState& state, const Verdict& verdict) {
  std::string why = state.refused_style == PAM_PROMPT_ECHO_OFF
                        ? "the PAM stack asked for the password more than " + std::to_string(max_password_prompts) +
                              " times"
                        : "the PAM stack asked something other than the password (" +
                              style_name(state.refused_style) + "), which authd cannot answer";
  if (!verdict.detail.empty()) why += "; " + verdict.detail;
  return Verdict::temp_fail(std::move(why));
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
  if (password.size() > max_password_length)
    return Verdict::reject(RejectReason::WrongPassword, "password longer than " +
                                                            std::to_string(max_password_length) +
                                                            " bytes: not passed to PAM");
  // PAM takes C strings: a NUL byte would cut the password short and let a
  // prefix of it pass.
  if (password.view().find('\0') != std::string_view::npos)
    return Verdict::reject(RejectReason::WrongPassword, "password holds a NUL byte: not passed to PAM");
  if (!try_enter())
    return Verdict::temp_fail("PAM is busy: max_concurrent = " + std::to_string(max_concurrent_) +
                              " transactions are running already");
  ActiveSlot slot(active_);
  return authenticate(user_template_.expand(account), password);
}

Verdict PamBackend::authenticate(const std::string& user, const Secret& password) {
  ConversationState state;
  state.password = &password;
  const pam_conv conversation{&converse, &state};
  Transaction transaction;
  if (const int status = transaction.start(service_, user, conversation); status != PAM_SUCCESS)
    return Verdict::temp_fail("cannot start PAM service '" + service_ + "': " + status_name(status));

  Verdict verdict = authenticate_verdict(transaction.authenticate());
  if (verdict.kind == VerdictKind::Accept) verdict = account_verdict(transaction.check_account());
  if (state.refused && verdict.kind != VerdictKind::Accept) return blame_refused_prompt(state, verdict);
  return verdict;
}

Verdict PamBackend::exists(const Account& account) {
  const std::string user = user_template_.expand(account);
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
