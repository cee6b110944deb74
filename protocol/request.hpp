// Parsing of one request line (helper side).
//
//   request = seq SP command [SP args]
//   seq     = 1*20DIGIT (kept byte for byte, leading zeros included)
//
// | command      | arguments                                   |
// | INTF         | serverVersion                               |
// | VRFY         | [(mode)] name@domain password               |
// | SASL(method) | [(mode)] name@domain response challenge     |
// | NEW          | name@domain                                 |
// | QUIT         |                                             |
//
// Arguments past those listed are ignored. A line without a usable sequence
// number gives a RequestError with an empty seq: it gets no answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/secret.hpp"

namespace authd::protocol {

enum class Command { Intf, Vrfy, Sasl, New, Quit };

struct Request {
  std::string seq;
  Command command = Command::Quit;
  std::string method;     // SASL(method): the method as sent, e.g. "CRAM-MD5"
  std::string mode;       // "(IMAP)" -> "IMAP"; empty when absent
  std::string account;    // name@domain as sent (unquoted), not yet split or checked
  Secret secret;          // VRFY: the password; SASL: the client's response
  std::string challenge;  // SASL: the challenge the host issued
  std::uint64_t version = 0;  // INTF: the host's interface version
};

struct RequestError {
  std::string seq;      // empty: no usable sequence number, answer nothing
  std::string message;  // the text for "seq ERROR message"
};

using ParsedRequest = std::variant<Request, RequestError>;

ParsedRequest parse_request(std::string_view line);

// The sequence number that starts `line`: 1-20 digits followed by a space or
// the end of the line; nullopt otherwise. Used for overlong lines too.
std::optional<std::string_view> leading_sequence(std::string_view line) noexcept;

}  // namespace authd::protocol
