// Reading answer lines from a pipe in tests, with a time limit.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

namespace authd::testing {

// The next LF-terminated line from `fd` (without its LF), using `buffer`
// for bytes read past it; nullopt after `limit` or at end of input.
inline std::optional<std::string> read_line_from(int fd, std::string& buffer, std::chrono::milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + limit;
  for (;;) {
    if (auto nl = buffer.find('\n'); nl != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left)) <= 0) continue;
    char chunk[65536];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

// mkdtemp's template: a name with six X characters for it to replace.
inline std::string mkdtemp_template(const std::string& prefix) { return prefix + std::string(6, 'X'); }

}  // namespace authd::testing
