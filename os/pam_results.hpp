// What PAM's status codes mean: an Outcome each (the backend's verdict in the
// table; pam_backend.cpp turns one into the other).
//
// pam_authenticate:
//   PAM_SUCCESS                                  -> Accept (the account check follows)
//   PAM_USER_UNKNOWN                             -> UnknownName (the route asks its next backend)
//   PAM_AUTH_ERR                                 -> Reject(WrongPassword)
//   PAM_MAXTRIES, PAM_PERM_DENIED                -> Reject(Disabled)
//   anything else (PAM_AUTHINFO_UNAVAIL, PAM_SYSTEM_ERR, PAM_BUF_ERR,
//   PAM_CONV_ERR, PAM_CRED_INSUFFICIENT, PAM_ABORT, PAM_MODULE_UNKNOWN,
//   codes this table does not know)              -> TempFail
// pam_acct_mgmt, after a successful pam_authenticate:
//   PAM_SUCCESS                                  -> Accept
//   PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD, PAM_AUTHTOK_EXPIRED,
//   PAM_PERM_DENIED, PAM_AUTH_ERR, PAM_USER_UNKNOWN,
//   PAM_MAXTRIES                                 -> Reject(Disabled)
//   anything else                                -> TempFail
//
// PAM_CRED_INSUFFICIENT says the application lacks the privilege to check
// the password (it cannot read the shadow file, say): a fault of the set-up,
// not of the password, so it must not count as a wrong password.
#pragma once

#include <string>

namespace authd::pam {

// What one PAM check came to, in PAM's own terms (no plugin API here: the
// backend and the host both turn it into their own answers).
enum class Outcome {
  Accepted,       // Accept
  WrongPassword,  // Reject(WrongPassword)
  UnknownUser,    // UnknownName
  Disabled,       // Reject(Disabled)
  Unavailable,    // TempFail
};

struct PamResult {
  Outcome outcome = Outcome::Unavailable;
  std::string detail;  // for the log; never a password
};

// The symbolic name of a PAM status ("PAM_AUTH_ERR"), or "PAM status <n>".
std::string status_name(int status);

PamResult authenticate_result(int status);
PamResult account_result(int status);

}  // namespace authd::pam
