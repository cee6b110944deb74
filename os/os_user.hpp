// One look-up in the OS user database (getpwnam_r, which may ask a
// directory server: call it off any dispatcher): whether a user exists and
// its uid. The PAM backend's NEW and the host's OSUserMinUID check use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace authd::pam {

struct OsUser {
  bool found = false;
  std::int64_t uid = -1;
};

// The OS user `name`, or nullopt (with `error`) when the user database
// could not answer.
std::optional<OsUser> find_os_user(const std::string& name, std::string& error);

}  // namespace authd::pam
