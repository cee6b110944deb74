// A blocking TCP client for the host's server tests: lines out, answers in.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace authd::host::testing {

class SocketClient {
 public:
  explicit SocketClient(std::uint16_t port, const char* address = "127.0.0.1", const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      (void)::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from);
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, address, &sa.sin_addr);
    const timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~SocketClient() { ::close(fd_); }
  SocketClient(const SocketClient&) = delete;
  SocketClient& operator=(const SocketClient&) = delete;

  bool connected() const { return connected_; }
  void send(std::string_view bytes) { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // The lines of one answer: "NNN text", or "200 data follow" and the
  // data's line. Empty on end of stream.
  std::vector<std::string> answer() {
    std::vector<std::string> lines;
    std::string line;
    if (!read_line(line)) return lines;
    lines.push_back(line);
    if (line == "200 data follow" && read_line(line)) lines.push_back(line);
    return lines;
  }
  std::string last(std::string_view line) {
    send(std::string(line) + "\r\n");
    const auto lines = answer();
    return lines.empty() ? std::string("(closed)") : lines.back();
  }
  bool at_end() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

  // One line without its CRLF; false at the end of the stream.
  bool read_line(std::string& line) {
    line.clear();
    char c;
    while (::recv(fd_, &c, 1, 0) == 1) {
      if (c == '\n') {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return true;
      }
      line += c;
    }
    return false;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace authd::host::testing
