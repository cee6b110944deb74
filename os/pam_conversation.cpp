#include "os/pam_conversation.hpp"

#include <cstdlib>
#include <cstring>

namespace authd::pam {

namespace {

void free_responses(pam_response* responses, int count) noexcept {
  for (int i = 0; i < count; ++i) {
    if (char* text = responses[i].resp; text != nullptr) {
      wipe_memory(text, std::strlen(text));
      std::free(text);
    }
  }
  std::free(responses);
}

char* copy_password(const Secret& password) noexcept {
  auto* copy = static_cast<char*>(std::malloc(password.size() + 1));
  if (copy == nullptr) return nullptr;
  std::memcpy(copy, password.data(), password.size());
  copy[password.size()] = '\0';
  return copy;
}

}  // namespace

int converse(int num_msg, const struct pam_message** msg, struct pam_response** resp, void* appdata_ptr) noexcept {
  if (resp == nullptr) return PAM_CONV_ERR;
  *resp = nullptr;
  auto* state = static_cast<ConversationState*>(appdata_ptr);
  if (state == nullptr || state->password == nullptr || msg == nullptr || num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
    return PAM_CONV_ERR;

  auto* responses = static_cast<pam_response*>(std::calloc(static_cast<std::size_t>(num_msg), sizeof(pam_response)));
  if (responses == nullptr) return PAM_BUF_ERR;

  // Linux-PAM passes an array of pointers, one per message (not a pointer to
  // an array of messages, as Solaris does).
  for (int i = 0; i < num_msg; ++i) {
    const pam_message* message = msg[i];
    const int style = message == nullptr ? -1 : message->msg_style;
    switch (style) {
      case PAM_PROMPT_ECHO_OFF:
        if (state->password_prompts < max_password_prompts) {
          ++state->password_prompts;
          responses[i].resp = copy_password(*state->password);
          if (responses[i].resp == nullptr) {
            free_responses(responses, i);
            return PAM_BUF_ERR;
          }
          continue;
        }
        break;
      case PAM_TEXT_INFO:
      case PAM_ERROR_MSG:
        continue;
      default:
        break;
    }
    if (!state->refused) state->refused_style = style;
    state->refused = true;
    free_responses(responses, i);
    return PAM_CONV_ERR;
  }
  *resp = responses;
  return PAM_SUCCESS;
}

}  // namespace authd::pam
