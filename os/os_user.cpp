#include "os/os_user.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace authd::pam {

std::optional<OsUser> find_os_user(const std::string& name, std::string& error) {
  if (name.empty() || name.find('\0') != std::string::npos) return OsUser{};
  constexpr std::size_t max_buffer = std::size_t{1} << 20;
  const long suggested = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 16384);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    const int status = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (status == ERANGE && buffer.size() < max_buffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (found != nullptr) return OsUser{true, static_cast<std::int64_t>(entry.pw_uid)};
    // getpwnam_r(3): these all mean that the name was not found.
    if (status == 0 || status == ENOENT || status == ESRCH || status == EBADF || status == EPERM) return OsUser{};
    error = "cannot look up OS user '" + name + "': " + std::strerror(status);
    return std::nullopt;
  }
}

}  // namespace authd::pam
