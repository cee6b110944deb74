#include "os/pam_authenticate.hpp"

#include <security/pam_appl.h>

#include <string_view>

#include "os/pam_conversation.hpp"

namespace authd::pam {

namespace {

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

std::string style_name(int style) {
  switch (style) {
    case PAM_PROMPT_ECHO_ON: return "an echoed prompt, PAM_PROMPT_ECHO_ON";
    case PAM_BINARY_PROMPT: return "a binary prompt, PAM_BINARY_PROMPT";
    case PAM_RADIO_TYPE: return "a choice, PAM_RADIO_TYPE";
    default: return "message style " + std::to_string(style);
  }
}

// A failure that followed a prompt this side refused is the PAM set-up's
// fault, not the password's: it must not count as a wrong password, nor send
// a route on to its next backend.
PamResult blame_refused_prompt(const ConversationState& state, const PamResult& result) {
  std::string why = state.refused_style == PAM_PROMPT_ECHO_OFF
                        ? "the PAM stack asked for the password more than " + std::to_string(max_password_prompts) +
                              " times"
                        : "the PAM stack asked something other than the password (" +
                              style_name(state.refused_style) + "), which authd cannot answer";
  if (!result.detail.empty()) why += "; " + result.detail;
  return {Outcome::Unavailable, std::move(why)};
}

}  // namespace

PamResult authenticate(const std::string& service, const std::string& user, const Secret& password) {
  if (password.size() > max_password_length)
    return {Outcome::WrongPassword,
            "password longer than " + std::to_string(max_password_length) + " bytes: not passed to PAM"};
  if (password.view().find('\0') != std::string_view::npos)
    return {Outcome::WrongPassword, "password holds a NUL byte: not passed to PAM"};

  ConversationState state;
  state.password = &password;
  const pam_conv conversation{&converse, &state};
  Transaction transaction;
  if (const int status = transaction.start(service, user, conversation); status != PAM_SUCCESS)
    return {Outcome::Unavailable, "cannot start PAM service '" + service + "': " + status_name(status)};

  PamResult result = authenticate_result(transaction.authenticate());
  if (result.outcome == Outcome::Accepted) result = account_result(transaction.check_account());
  if (state.refused && result.outcome != Outcome::Accepted) return blame_refused_prompt(state, result);
  return result;
}

}  // namespace authd::pam
