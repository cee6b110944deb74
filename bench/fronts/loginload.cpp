// loginload: logs in to an IMAP or POP3 server over and over, a new
// connection per login, and checks every answer.
//
// Each worker is a thread with blocking sockets: connect, optionally a TLS
// handshake (implicit TLS, as on ports 993/995; with --resume it offers the
// session of its previous connection), the greeting, `a LOGIN name pass` or
// USER/PASS, the answer, close. Latency runs from the connect() to the
// login's answer. A wrong answer, a refused connection, a failed handshake
// or a timeout counts as an error and makes the exit status 1.
//
// --idle N opens N connections (handshake and greeting done) and keeps them
// open, says so on standard output, then times one login on connection
// N+1; with --hold it keeps the N open until standard input is closed, so
// that a script can read the server's memory meanwhile.
//
// Results go to standard output as `key=value` lines.
#include <arpa/inet.h>
#include <signal.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/common/credentials.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using authd::bench::Credential;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string protocol = "imap";
  bool tls = false;
  bool resume = false;
  std::string cacert;
  std::string servername;
  std::string credentials;
  double wrong_share = 0;
  std::uint64_t seed = 1;
  unsigned workers = 2;
  double duration = 0;
  std::uint64_t count = 0;
  std::size_t idle = 0;
  bool hold = false;
  double timeout = 10;
  unsigned max_error_lines = 5;
  std::uint64_t max_errors = 100;
};

// A failed connection or a wrong answer: what the run reports and counts.
class LoginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string("no OpenSSL error queued") : text;
}

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
struct SessionFree {
  void operator()(SSL_SESSION* session) const noexcept { SSL_SESSION_free(session); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

SslCtxPtr make_client_context(const Options& options) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw std::runtime_error("SSL_CTX_new: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Sessions are kept by each worker (--resume), not by OpenSSL's cache.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (!options.cacert.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options.cacert.c_str(), nullptr) != 1) {
      throw std::runtime_error("cannot read --cacert " + options.cacert + ": " + openssl_errors());
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

sockaddr_storage resolve(const std::string& host, std::uint16_t port, socklen_t& length) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error("cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  length = found->ai_addrlen;
  ::freeaddrinfo(found);
  return address;
}

// One client connection: a socket, TLS on top when asked, line reads.
class Connection {
 public:
  Connection(const sockaddr_storage& address, socklen_t length, double timeout) {
    fd_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw LoginError(std::string("socket: ") + std::strerror(errno));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout);
    tv.tv_usec = static_cast<suseconds_t>((timeout - std::floor(timeout)) * 1e6);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
      const int error = errno;
      ::close(fd_);
      throw LoginError(std::string("connect: ") + std::strerror(error));
    }
  }
  ~Connection() {
    if (ssl_) SSL_shutdown(ssl_.get());  // close_notify; the answer is not awaited
    ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Returns whether the server resumed `previous`.
  bool start_tls(SSL_CTX* ctx, const std::string& servername, SSL_SESSION* previous) {
    ssl_.reset(SSL_new(ctx));
    if (!ssl_) throw LoginError("SSL_new: " + openssl_errors());
    SSL_set_fd(ssl_.get(), fd_);
    if (!servername.empty()) {
      SSL_set_tlsext_host_name(ssl_.get(), servername.c_str());
      SSL_set1_host(ssl_.get(), servername.c_str());
    }
    if (previous != nullptr) SSL_set_session(ssl_.get(), previous);
    ERR_clear_error();
    if (SSL_connect(ssl_.get()) != 1) {
      const long verify = SSL_get_verify_result(ssl_.get());
      std::string why = openssl_errors();
      if (verify != X509_V_OK) why += std::string(" (verification: ") + X509_verify_cert_error_string(verify) + ")";
      if (errno == EAGAIN || errno == EWOULDBLOCK) why += " (timed out)";
      ssl_.reset();
      throw LoginError("TLS handshake: " + why);
    }
    return SSL_session_reused(ssl_.get()) == 1;
  }

  // The session to offer on the next connection (after the answer, so that
  // TLS 1.3 tickets sent after the handshake have been read).
  SessionPtr session() const { return SessionPtr(ssl_ ? SSL_get1_session(ssl_.get()) : nullptr); }

  void write(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      if (ssl_) {
        const int n = SSL_write(ssl_.get(), bytes.data() + done, static_cast<int>(bytes.size() - done));
        if (n <= 0) throw LoginError("TLS write: " + openssl_errors());
        done += static_cast<std::size_t>(n);
      } else {
        const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw LoginError(std::string("write: ") + std::strerror(errno));
        done += static_cast<std::size_t>(n);
      }
    }
  }

  // One line without its CRLF.
  std::string read_line() {
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buffer_.size() > 64 * 1024) throw LoginError("a line of more than 64 KiB");
      char chunk[4096];
      if (ssl_) {
        const int n = SSL_read(ssl_.get(), chunk, sizeof chunk);
        if (n <= 0) {
          const int error = SSL_get_error(ssl_.get(), n);
          if (error == SSL_ERROR_ZERO_RETURN) throw LoginError("the server closed the connection");
          if (errno == EAGAIN || errno == EWOULDBLOCK) throw LoginError("no answer (timed out)");
          throw LoginError("TLS read: " + openssl_errors());
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
      } else {
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) throw LoginError("no answer (timed out)");
        if (n < 0) throw LoginError(std::string("read: ") + std::strerror(errno));
        if (n == 0) throw LoginError("the server closed the connection");
        buffer_.append(chunk, static_cast<std::size_t>(n));
      }
    }
  }

 private:
  int fd_ = -1;
  SslPtr ssl_;
  std::string buffer_;
};

// IMAP quoted string (RFC 3501); the credentials file cannot hold CR or LF.
std::string imap_quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string shown(const std::string& line) { return line.size() > 200 ? line.substr(0, 200) + "..." : line; }

// The greeting; throws unless the server is ready.
void read_greeting(Connection& connection, bool imap) {
  const std::string greeting = connection.read_line();
  if (!greeting.starts_with(imap ? "* OK" : "+OK")) throw LoginError("unexpected greeting: " + shown(greeting));
}

// Logs in on a connection whose greeting was read; throws LoginError
// unless the answer is the one expected.
void log_in(Connection& connection, bool imap, const Credential& credential, bool expect_success) {
  if (imap) {
    connection.write("a LOGIN " + imap_quoted(credential.account) + " " + imap_quoted(credential.password) + "\r\n");
    for (;;) {
      const std::string line = connection.read_line();
      if (line.starts_with("* ")) {
        if (line.starts_with("* BYE")) throw LoginError("BYE before the answer: " + shown(line));
        continue;
      }
      const bool ok = line.starts_with("a OK");
      const bool no = line.starts_with("a NO");
      if (!ok && !no) throw LoginError("unexpected answer to LOGIN: " + shown(line));
      if (ok != expect_success) {
        throw LoginError(std::string(expect_success ? "login refused" : "wrong password accepted") + " for " +
                         credential.account + ": " + shown(line));
      }
      return;
    }
  }
  connection.write("USER " + credential.account + "\r\n");
  if (const std::string line = connection.read_line(); !line.starts_with("+OK")) {
    throw LoginError("unexpected answer to USER: " + shown(line));
  }
  connection.write("PASS " + credential.password + "\r\n");
  const std::string line = connection.read_line();
  const bool ok = line.starts_with("+OK");
  if (!ok && !line.starts_with("-ERR")) throw LoginError("unexpected answer to PASS: " + shown(line));
  if (ok != expect_success) {
    throw LoginError(std::string(expect_success ? "login refused" : "wrong password accepted") + " for " +
                     credential.account + ": " + shown(line));
  }
}

// What every worker shares.
struct Run {
  Run(const Options& o, const std::vector<Credential>& c) : options(o), credentials(c) {}
  const Options& options;
  const std::vector<Credential>& credentials;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  SSL_CTX* ctx = nullptr;  // null: plain
  bool imap = true;

  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> errors{0};
  std::mutex error_mutex;
  unsigned error_lines = 0;

  // Past --max-errors the workers stop: a run that fails is not measured.
  bool too_many_errors() const { return errors.load(std::memory_order_relaxed) >= options.max_errors; }

  void report_error(const std::string& what) {
    errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(error_mutex);
    if (error_lines < options.max_error_lines) {
      std::cerr << "loginload: " << what << "\n";
      if (++error_lines == options.max_error_lines) std::cerr << "loginload: (further errors are only counted)\n";
    }
  }
};

struct WorkerResult {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t resumed = 0;
  std::uint64_t handshakes = 0;
};

// Opens one connection ready for a login: TLS handshake and greeting.
std::unique_ptr<Connection> open_connection(Run& run, SSL_SESSION* previous, bool& resumed) {
  auto connection = std::make_unique<Connection>(run.address, run.address_length, run.options.timeout);
  resumed = false;
  if (run.ctx != nullptr) resumed = connection->start_tls(run.ctx, run.options.servername, previous);
  read_greeting(*connection, run.imap);
  return connection;
}

void run_worker(Run& run, unsigned index, Clock::time_point deadline, WorkerResult& result) {
  std::mt19937_64 random(run.options.seed * 1000003 + index);
  std::uniform_int_distribution<std::size_t> pick(0, run.credentials.size() - 1);
  std::uniform_real_distribution<double> share(0, 1);
  SessionPtr previous;
  for (;;) {
    if (run.too_many_errors()) break;
    if (run.options.count > 0) {
      if (run.started.fetch_add(1, std::memory_order_relaxed) >= run.options.count) break;
    } else if (Clock::now() >= deadline) {
      break;
    }
    Credential credential = run.credentials[pick(random)];
    const bool expect_success = share(random) >= run.options.wrong_share;
    if (!expect_success) credential.password += "-wrong";
    const auto start = Clock::now();
    try {
      bool resumed = false;
      auto connection = open_connection(run, run.options.resume ? previous.get() : nullptr, resumed);
      if (run.ctx != nullptr) {
        ++result.handshakes;
        if (resumed) ++result.resumed;
      }
      log_in(*connection, run.imap, credential, expect_success);
      const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
      result.latencies_us.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(elapsed, UINT32_MAX)));
      if (run.options.resume) previous = connection->session();
    } catch (const LoginError& error) {
      run.report_error(error.what());
      previous.reset();
    }
  }
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)] / 1000.0;
}

void print_value(const char* key, double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", value);
  std::cout << key << "=" << text << "\n";
}

int run_logins(Run& run) {
  const Options& options = run.options;
  std::vector<WorkerResult> results(options.workers);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.duration));
  for (unsigned i = 0; i < options.workers; ++i) {
    threads.emplace_back([&run, &results, i, deadline] { run_worker(run, i, deadline, results[i]); });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<std::uint32_t> latencies;
  std::uint64_t resumed = 0, handshakes = 0;
  for (const auto& result : results) {
    latencies.insert(latencies.end(), result.latencies_us.begin(), result.latencies_us.end());
    resumed += result.resumed;
    handshakes += result.handshakes;
  }
  std::sort(latencies.begin(), latencies.end());
  const std::uint64_t errors = run.errors.load();
  std::cout << "logins=" << latencies.size() << "\n" << "errors=" << errors << "\n";
  print_value("seconds", seconds);
  print_value("logins_per_s", static_cast<double>(latencies.size()) / seconds);
  print_value("p50_ms", percentile_ms(latencies, 0.50));
  print_value("p90_ms", percentile_ms(latencies, 0.90));
  print_value("p99_ms", percentile_ms(latencies, 0.99));
  print_value("max_ms", latencies.empty() ? 0 : latencies.back() / 1000.0);
  if (run.ctx != nullptr) std::cout << "handshakes=" << handshakes << "\n" << "resumed=" << resumed << "\n";
  std::cout.flush();
  if (latencies.empty() && errors == 0) {
    std::cerr << "loginload: no login was made (the duration or count is too small)\n";
    return 1;
  }
  return errors == 0 ? 0 : 1;
}

int run_idle(Run& run) {
  const Options& options = run.options;
  std::vector<std::vector<std::unique_ptr<Connection>>> held(options.workers);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (unsigned i = 0; i < options.workers; ++i) {
    threads.emplace_back([&run, &held, i] {
      const std::size_t share = run.options.idle / run.options.workers + (i < run.options.idle % run.options.workers ? 1 : 0);
      held[i].reserve(share);
      for (std::size_t k = 0; k < share && !run.too_many_errors(); ++k) {
        try {
          bool resumed = false;
          held[i].push_back(open_connection(run, nullptr, resumed));
        } catch (const LoginError& error) {
          run.report_error("idle connection: " + std::string(error.what()));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::size_t open = 0;
  for (const auto& list : held) open += list.size();
  std::cout << "idle_open=" << open << "\n";
  print_value("idle_open_seconds", std::chrono::duration<double>(Clock::now() - start).count());
  std::cout.flush();

  // The login on connection N+1, full handshake, a right password.
  const Credential& credential = run.credentials.front();
  const auto probe_start = Clock::now();
  try {
    bool resumed = false;
    auto connection = open_connection(run, nullptr, resumed);
    log_in(*connection, run.imap, credential, true);
    print_value("idle_login_ms", std::chrono::duration<double, std::milli>(Clock::now() - probe_start).count());
  } catch (const LoginError& error) {
    run.report_error("login after the idle connections: " + std::string(error.what()));
  }
  std::cout << "errors=" << run.errors.load() << "\n";
  std::cout.flush();
  if (options.hold) {
    // Until standard input ends: the caller measures the server meanwhile.
    char chunk[256];
    while (::read(STDIN_FILENO, chunk, sizeof chunk) > 0) {
    }
  }
  return run.errors.load() == 0 ? 0 : 1;
}

void raise_descriptor_limit(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, wanted);
  ::setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted) {
    std::cerr << "loginload: only " << limit.rlim_cur << " descriptors allowed (ulimit -Hn); " << wanted
              << " wanted\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"loginload: logs in to an IMAP or POP3 server, a new connection per login, and checks every answer"};
  app.add_option("--host", options.host, "the server's address (default 127.0.0.1)");
  app.add_option("--port", options.port, "the server's port")->required();
  app.add_option("--protocol", options.protocol, "imap (a LOGIN command) or pop3 (USER and PASS)")
      ->check(CLI::IsMember({"imap", "pop3"}));
  app.add_flag("--tls", options.tls, "TLS from the first byte (IMAPS, POP3S)");
  app.add_flag("--resume", options.resume,
               "offer each worker's previous TLS session on its next connection (session resumption)");
  app.add_option("--cacert", options.cacert, "verify the server's certificate against these CAs (default: no check)")
      ->check(CLI::ExistingFile);
  app.add_option("--servername", options.servername, "the name sent in SNI (and checked with --cacert)");
  app.add_option("--credentials", options.credentials, "name@domain TAB password lines (bench/README.md)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--wrong-share", options.wrong_share, "share of logins with a wrong password, expected to fail")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", options.seed, "which credentials each worker draws");
  app.add_option("--workers", options.workers, "concurrent clients, one thread each (default 2)")
      ->check(CLI::Range(1u, 4096u));
  auto* duration = app.add_option("--duration", options.duration, "seconds to run")->check(CLI::PositiveNumber);
  auto* count = app.add_option("--count", options.count, "logins to make in all")->check(CLI::PositiveNumber);
  duration->excludes(count);
  app.add_option("--idle", options.idle,
                 "open this many connections and keep them, then time one login on a further connection")
      ->excludes(duration)
      ->excludes(count);
  app.add_flag("--hold", options.hold, "with --idle: keep the connections open until standard input ends");
  app.add_option("--timeout", options.timeout, "seconds to wait for the server at each step (default 10)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-error-lines", options.max_error_lines, "errors shown on standard error (default 5)");
  app.add_option("--max-errors", options.max_errors, "stop after this many errors (default 100)")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  ::signal(SIGPIPE, SIG_IGN);  // a server that closes first: an error to count, not a death
  if (options.idle == 0 && options.duration == 0 && options.count == 0) {
    std::cerr << "loginload: give --duration, --count or --idle\n";
    return 2;
  }
  if (options.resume && !options.tls) {
    std::cerr << "loginload: --resume needs --tls\n";
    return 2;
  }

  try {
    const auto credentials = authd::bench::read_credentials_file(options.credentials);
    Run run(options, credentials);
    run.address = resolve(options.host, options.port, run.address_length);
    run.imap = options.protocol == "imap";
    SslCtxPtr ctx;
    if (options.tls) {
      ctx = make_client_context(options);
      run.ctx = ctx.get();
    }
    raise_descriptor_limit(options.idle + options.workers + 64);
    return options.idle > 0 ? run_idle(run) : run_logins(run);
  } catch (const std::exception& error) {
    std::cerr << "loginload: " << error.what() << "\n";
    return 2;
  }
}
