// One login front's conversation without its socket: lines in, answers
// out. The connection layer (front_server.hpp) owns the socket, TLS, the
// timers and the limits; a Session owns the protocol (pop3.cpp, imap.cpp,
// smtp.cpp) and asks the connection, through Output::next, for what only
// the connection can do: read an IMAP literal, run a login through the
// host's whole path (off the event loop), start TLS, close.
//
// The rules every session follows:
//   * a name without '@' is a name in the connection's domain
//     (ConnectionState::domain);
//   * every credential failure gets one answer per protocol, built from
//     LoginResult::text (which HideUnknownAccounts makes the same for every
//     failure); a temporary failure gets the protocol's temporary answer
//     (POP3 "-ERR [SYS/TEMP]", IMAP "NO [UNAVAILABLE]", SMTP "454 4.7.0"),
//     never a wrong-password answer; LoginStatus::AddressRefused closes;
//   * clear-text methods (USER/PASS, LOGIN, AUTH PLAIN, AUTH LOGIN) on a
//     connection that is not TLS are neither advertised nor accepted when
//     ConnectionState::cleartext_allowed is false; CRAM-MD5 and APOP always
//     are; EXTERNAL only with a client certificate (certificate_account);
//   * after max_failed_logins rejected logins the connection is closed
//     after the answer; more than max_commands_before_login commands
//     without a login close it too;
//   * after STARTTLS the connection calls on_tls_started(): the session
//     forgets everything said before it (USER, EHLO, a SASL exchange);
//   * nothing a session logs or returns in Output::mechanism holds a
//     password or a SASL response.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "host/login/login.hpp"

namespace authd::host::fronts {

enum class Protocol { Pop3, Imap, Submission };

// A front as the command line names it: pop3, pop3s, imap, imaps,
// submission, smtps (the "s" ones start with TLS).
struct FrontKind {
  Protocol protocol = Protocol::Pop3;
  bool implicit_tls = false;
  friend bool operator==(const FrontKind&, const FrontKind&) = default;
};
std::optional<FrontKind> parse_front_kind(std::string_view name) noexcept;
std::string_view front_kind_name(FrontKind kind) noexcept;
// "POP", "IMAP", "SMTP": LoginRequest::mode, and the helper's mode.
std::string_view protocol_mode(Protocol protocol) noexcept;

// What the connection knows and the session reads; the connection updates
// it (after a TLS handshake) and keeps it alive as long as the session.
struct ConnectionState {
  std::string client_address;          // the peer's IP address
  std::string server_name = "authhost";// the greeting's host name
  std::string domain;                  // the domain served: the listener's, or the one SNI chose
  bool tls = false;                    // the connection is encrypted now
  std::string tls_version;             // "TLSv1.3" ... when tls
  bool starttls_available = false;     // STARTTLS may be offered (not tls yet, the domain has a TLS identity)
  bool cleartext_allowed = true;       // clear-text methods allowed without TLS (the domain's SecureMethodRequired)
  std::optional<std::string> certificate_account;  // a valid client certificate's account, name@domain
};

struct SessionLimits {
  std::size_t max_line = 8192;               // bytes of one line without CRLF (the connection enforces it)
  std::size_t max_literal = 64 * 1024;       // an IMAP literal larger than this is refused
  int max_commands_before_login = 32;
  int max_failed_logins = 3;
};

// What the session asks of the connection after each call.
struct Output {
  enum class Next {
    ReadLine,     // send, then read the next line
    ReadLiteral,  // send (the continuation, if synchronising), then read exactly literal_size bytes: on_literal()
    Login,        // send (normally nothing), then run `login` through the host's path: on_login()
    StartTls,     // send, drop any input received after the command, handshake: on_tls_started()
    Close,        // send, then close
  };
  std::string send;  // bytes to write, CRLF included
  Next next = Next::ReadLine;
  std::size_t literal_size = 0;  // ReadLiteral
  LoginRequest login;            // Login: method, name, secret, challenge (client_address, secure, mode filled in
                                 // by the session from ConnectionState)
  std::string mechanism;         // Login: for the log ("USER/PASS", "APOP", "LOGIN", "AUTH PLAIN", ...)
};

class Session {
 public:
  virtual ~Session() = default;
  virtual Output greeting() = 0;
  // One line without its CRLF (it may hold any byte but LF, NUL included).
  virtual Output on_line(std::string_view line) = 0;
  // The bytes of a literal asked for by ReadLiteral.
  virtual Output on_literal(std::string_view bytes) = 0;
  // The outcome of the login asked for by Login.
  virtual Output on_login(const LoginResult& result) = 0;
  // The handshake after StartTls succeeded; ConnectionState is updated.
  virtual Output on_tls_started() = 0;
  // A line longer than SessionLimits::max_line: the answer; normally Close.
  virtual Output on_line_too_long() = 0;
  // The idle or login timer ran out / the server stops: what to send before closing.
  virtual std::string on_timeout() = 0;
  virtual std::string on_shutdown() = 0;
  virtual bool logged_in() const = 0;
};

// `state` must outlive the session. Challenges (the APOP timestamp, a
// CRAM-MD5 challenge) carry a random part from OpenSSL's RAND_bytes.
std::unique_ptr<Session> make_session(Protocol protocol, const ConnectionState& state, const SessionLimits& limits);

}  // namespace authd::host::fronts
