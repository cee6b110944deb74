// One OS password check through PAM, as a plain function: the PAM backend
// and the reference host both call it, and it knows nothing of the plugin
// API.
//
// authenticate(service, user, password) runs one transaction:
// pam_start(service, user), pam_authenticate, then pam_acct_mgmt so that
// expired or locked OS accounts are refused, then pam_end. The conversation
// answers password prompts from `password` only (pam_conversation.hpp); the
// meaning of PAM's status codes is in pam_results.hpp. A password longer
// than max_password_length bytes, or holding a NUL byte (PAM takes C
// strings: a prefix would be checked), is a wrong password and never reaches
// PAM. A failure that followed a prompt this side refused is the PAM set-up's
// fault, not the password's: Unavailable.
//
// It blocks (a module may sleep about two seconds after a wrong password, or
// ask a network service): call it off any dispatcher or event loop.
#pragma once

#include <cstddef>
#include <string>

#include "base/secret.hpp"
#include "os/pam_results.hpp"

namespace authd::pam {

inline constexpr std::size_t max_password_length = 512;

PamResult authenticate(const std::string& service, const std::string& user, const Secret& password);

}  // namespace authd::pam
