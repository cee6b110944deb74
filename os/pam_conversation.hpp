// The PAM conversation: how authd answers what a PAM stack asks.
//
// authd has nobody to ask, only the request, so it answers from the request
// alone and fails closed on anything else:
//   PAM_PROMPT_ECHO_OFF           the request's password (every such prompt,
//                                 up to max_password_prompts per transaction:
//                                 stacks without use_first_pass ask again)
//   PAM_TEXT_INFO, PAM_ERROR_MSG  nothing: they are information for a person
//   PAM_PROMPT_ECHO_ON, binary and radio prompts, unknown styles
//                                 refused with PAM_CONV_ERR (nothing in the
//                                 request answers them: a one-time code, a
//                                 user name prompt, a challenge)
// A refused prompt is remembered, so a failure it caused is reported as a
// problem of the PAM set-up (TempFail) and not as a wrong password.
#pragma once

#include <security/pam_appl.h>

#include "base/secret.hpp"

namespace authd::pam {

inline constexpr int max_password_prompts = 8;

struct ConversationState {
  const Secret* password = nullptr;  // never empty, never holds a NUL byte
  int password_prompts = 0;
  bool refused = false;              // some prompt was answered PAM_CONV_ERR
  int refused_style = 0;             // the msg_style of the first refused prompt
};

// The pam_conv function; appdata_ptr is a ConversationState. Every response
// is allocated with malloc, as PAM frees it; on failure nothing is left
// allocated and every password copy made so far is wiped first.
int converse(int num_msg, const struct pam_message** msg, struct pam_response** resp, void* appdata_ptr) noexcept;

}  // namespace authd::pam
