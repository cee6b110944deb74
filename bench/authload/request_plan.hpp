// What authload sends: every request line built before the run, back to
// back in one buffer, so the hot loop writes slices of it and never formats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/common/credentials.hpp"

namespace authd::bench {

enum class WireProtocol {
  Authd,  // sequence-numbered requests, answers in any order
  Squid,  // Squid basic-auth helper: "user password", answers in order
};

enum class RequestKind : std::uint8_t {
  RightPassword,  // expects OK
  WrongPassword,  // expects ERROR / ERR
  UnknownName,    // expects ERROR / ERR
  MalformedName,  // authd only; expects ERROR
  SlowBackend,    // authd only; the --slow-account, routed to a slow backend; expects OK
};
inline constexpr std::size_t request_kind_count = 5;

std::string_view describe(RequestKind kind) noexcept;

constexpr bool expects_ok(RequestKind kind) noexcept {
  return kind == RequestKind::RightPassword || kind == RequestKind::SlowBackend;
}

struct PlanSettings {
  WireProtocol protocol = WireProtocol::Authd;
  std::size_t requests = 0;
  double wrong_share = 0;
  double unknown_share = 0;
  double malformed_share = 0;
  double slow_share = 0;
  std::string slow_account;         // name@domain answered by a slow backend
  std::string slow_password;        // its right password
  std::uint64_t seed = 1;
  std::string mode = "IMAP";        // authd: "(mode)" in VRFY; empty leaves it out
  bool squid_strip_domain = false;  // squid: send the name without "@domain"
};

class RequestPlan {
 public:
  // Throws std::invalid_argument when no unknown name can be made up (every
  // candidate exists) or a credential cannot be sent in the protocol.
  RequestPlan(const PlanSettings& settings, const std::vector<Credential>& credentials);

  std::size_t size() const noexcept { return kinds_.size(); }
  RequestKind kind(std::size_t index) const noexcept { return kinds_[index]; }
  // The sequence number of request `index` (authd): index + 1; 0 is the INTF.
  static std::uint64_t sequence_of(std::size_t index) noexcept { return index + 1; }

  // All request lines, LF included.
  const std::string& bytes() const noexcept { return bytes_; }
  // One past the LF of request `index`; the line starts where the previous ends.
  std::size_t line_end(std::size_t index) const noexcept { return line_ends_[index]; }
  std::size_t line_begin(std::size_t index) const noexcept { return index == 0 ? 0 : line_ends_[index - 1]; }

  // Request `index` for a diagnostic: everything but its password.
  std::string describe_request(std::size_t index) const;

  std::size_t count(RequestKind kind) const noexcept { return counts_[static_cast<std::size_t>(kind)]; }

 private:
  std::size_t fields_before_password_;  // space-separated fields that precede the password
  std::string bytes_;
  std::vector<std::size_t> line_ends_;
  std::vector<RequestKind> kinds_;
  std::size_t counts_[request_kind_count] = {};
};

// Squid's helper encoding (rfc1738_escape): '%', space, control bytes and
// bytes from DEL up as %XX.
void append_url_escaped(std::string& out, std::string_view bytes);

}  // namespace authd::bench
