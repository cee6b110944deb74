// What the host asks of the OS user database (getpwnam_r): the uid of an OS
// user, to keep OS passwords away from root and system accounts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace authd::host {

struct OsUser {
  bool found = false;
  std::int64_t uid = -1;
};

// The OS user `name`, or nullopt (with `error`) when the user database
// could not answer.
std::optional<OsUser> find_os_user(const std::string& name, std::string& error);

}  // namespace authd::host
