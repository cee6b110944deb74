#include "host/admin/admin_client.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>
#include <memory>
#include <ostream>
#include <utility>

#include "base/fd.hpp"
#include "base/secret.hpp"
#include "host/admin/admin_protocol.hpp"
#include "protocol/line_reader.hpp"

namespace authd::host::admin {

namespace {

// The exit statuses, worst last.
constexpr int exit_ok = 0;
constexpr int exit_refused = 1;
constexpr int exit_unavailable = 2;

// Longer answer lines than this mean the peer is not an authhost.
constexpr std::size_t max_answer_line = 64 * 1024;

class Connection {
 public:
  explicit Connection(base::Fd fd) : fd_(std::move(fd)) {}

  bool send_line(std::string_view line) {
    std::string bytes(line);
    bytes += "\r\n";
    std::string_view rest = bytes;
    bool sent = true;
    while (!rest.empty()) {
      const ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        sent = false;
        break;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    wipe_memory(bytes.data(), bytes.size());
    return sent;
  }

  // One line without its line end; false on end of stream, time-out or an
  // overlong line.
  bool read_line(std::string& line) {
    for (;;) {
      if (const auto next = reader_.next()) {
        if (next->overlong) return false;
        line.assign(next->text);
        return true;
      }
      if (reader_.in_overlong_line()) return false;
      const auto space = reader_.prepare(4096);
      const ssize_t n = ::recv(fd_.get(), space.data(), space.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      reader_.commit(static_cast<std::size_t>(n));
    }
  }

 private:
  base::Fd fd_;
  protocol::LineReader reader_{max_answer_line};
};

struct Received {
  int code = 0;  // 0: the connection broke
  std::vector<std::string> lines;
};

// One answer: its line, and after "200 data follow" the data's line too.
Received read_answer(Connection& connection) {
  Received out;
  std::string line;
  if (!connection.read_line(line)) return out;
  out.lines.push_back(line);
  const AnswerLine parsed = parse_answer_line(line);
  if (parsed.code == 0) return out;
  if (parsed.code == 200 && parsed.text == "data follow") {
    if (!connection.read_line(line)) return out;
    out.lines.push_back(line);
  }
  out.code = parsed.code;
  return out;
}

int status_of(int code) {
  if (code >= 200 && code < 300) return exit_ok;
  if (code >= 500 && code < 600) return exit_refused;
  return exit_unavailable;
}

// A socket connected to host:port, or none (and `error` says why).
base::Fd connect_to(const std::string& host, const std::string& port, std::chrono::milliseconds timeout,
                    std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error = ::gai_strerror(rc);
    return {};
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    base::Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd) continue;
    const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                     static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) return fd;
    error = std::strerror(errno);
  }
  return {};
}

bool read_password(std::istream& in, Secret& out) {
  out.clear();
  char c;
  bool any = false;
  while (in.get(c)) {
    any = true;
    if (c == '\n') break;
    out.push_back(c);
  }
  if (!out.empty() && out.view().back() == '\r') {
    Secret trimmed(out.view().substr(0, out.size() - 1));
    out = std::move(trimmed);
  }
  return any;
}

void print(std::ostream& out, const Received& answer) {
  for (const auto& line : answer.lines) out << line << "\n";
  out.flush();
}

}  // namespace

bool split_host_port(const std::string& text, std::string& host, std::string& port) {
  std::size_t colon;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = text.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return false;
    host = text.substr(0, colon);
  }
  port = text.substr(colon + 1);
  if (host.empty() || port.empty() || port.size() > 5) return false;
  for (const char c : port)
    if (c < '0' || c > '9') return false;
  return std::stoi(port) > 0 && std::stoi(port) < 65536;
}

int run_client(const ClientOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  std::string host, port;
  if (!split_host_port(options.connect, host, port)) {
    err << "authhost admin: --connect " << options.connect << ": expected HOST:PORT, e.g. 127.0.0.1:8106\n";
    return exit_unavailable;
  }
  Secret password;
  if (!read_password(in, password)) {
    err << "authhost admin: no password on standard input (its first line)\n";
    return exit_refused;
  }
  std::string error;
  base::Fd fd = connect_to(host, port, options.timeout, error);
  if (!fd) {
    err << "authhost admin: cannot connect to " << options.connect << ": " << error << "\n";
    return exit_unavailable;
  }
  Connection connection(std::move(fd));
  const Received greeting = read_answer(connection);
  if (greeting.code != 200) {
    print(err, greeting);
    if (greeting.code == 0) err << "authhost admin: " << options.connect << " closed the connection\n";
    return greeting.code == 0 ? exit_unavailable : std::max(status_of(greeting.code), exit_unavailable);
  }

  const auto exchange = [&](std::string_view line, Received& answer) {
    if (!connection.send_line(line)) return false;
    answer = read_answer(connection);
    return answer.code != 0;
  };
  Received answer;
  if (!exchange("USER " + format_value(Value::string(options.user)), answer) || answer.code != 300) {
    print(err, answer);
    return answer.code == 0 ? exit_unavailable : std::max(status_of(answer.code), exit_refused);
  }
  Value secret = Value::string(std::string(password.view()));
  std::string pass = "PASS " + format_value(secret);
  wipe(secret);
  const bool sent = exchange(pass, answer);
  wipe_memory(pass.data(), pass.size());
  if (!sent || answer.code != 200) {
    print(err, answer);
    if (!sent && answer.code == 0) err << "authhost admin: the connection was closed during the login\n";
    return answer.code == 0 ? exit_unavailable : status_of(answer.code);
  }

  // Data on the answer line ("201 {...}"): one line per answer.
  if (!exchange("INLINE", answer) || answer.code != 200) {
    print(err, answer);
    return answer.code == 0 ? exit_unavailable : status_of(answer.code);
  }

  int worst = exit_ok;
  const auto run = [&](const std::string& line) {
    if (!exchange(line, answer)) {
      print(out, answer);
      err << "authhost admin: the connection was closed\n";
      worst = exit_unavailable;
      return false;
    }
    print(out, answer);
    worst = std::max(worst, status_of(answer.code));
    return true;
  };
  if (!options.command.empty()) {
    // Each word one argument: a word that starts with { or ( is sent as it
    // is (a dictionary or an array), any other as one string.
    std::string line = options.command.front();
    for (std::size_t i = 1; i < options.command.size(); ++i) {
      const std::string& word = options.command[i];
      line += ' ';
      line += !word.empty() && (word.front() == '{' || word.front() == '(') ? word : format_value(Value::string(word));
    }
    if (!run(line)) return worst;
  } else {
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line.front() == '#') continue;
      if (!run(line)) return worst;
      if (find_verb(line.substr(0, line.find(' '))) != nullptr &&
          find_verb(line.substr(0, line.find(' ')))->verb == Verb::Quit)
        return worst;
    }
  }
  Received bye;
  exchange("QUIT", bye);
  return worst;
}

}  // namespace authd::host::admin
