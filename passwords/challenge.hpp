// Challenge-response digests (CRAM-MD5, APOP) and constant-time comparison.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/secret.hpp"

namespace authd::passwords {

// A challenge-response method of the protocol's SASL(method) command. The
// methods authd serves are the only values; any other name does not parse.
class SaslMethod {
 public:
  enum Id : unsigned char { CramMd5, Apop };

  constexpr SaslMethod(Id id) noexcept : id_(id) {}

  // The method named `name` as the protocol writes it ("CRAM-MD5", "APOP"),
  // in any case; nullopt for a method authd does not serve.
  static std::optional<SaslMethod> parse(std::string_view name) noexcept;

  // The canonical name: "CRAM-MD5" or "APOP".
  std::string_view name() const noexcept;

  constexpr Id id() const noexcept { return id_; }
  friend constexpr bool operator==(SaslMethod, SaslMethod) noexcept = default;

 private:
  Id id_;
};

// The outcome of checking a challenge response against a stored value.
enum class ChallengeCheck {
  Match,
  Mismatch,     // the response is wrong (a response that is not hex included)
  CannotServe,  // the stored value cannot give the method's answer: a one-way hash, or a
                // CRAM-MD5 context asked for APOP
  Malformed,    // no scheme recognises the stored value, or its {CRAM-MD5} context is not 64 hex digits
};

// Constant-time equality of two byte strings (the lengths may leak, the
// contents do not).
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

// Hex digests compared case-insensitively in constant time.
bool equal_hex_constant_time(std::string_view a, std::string_view b) noexcept;

// The HMAC-MD5 context of a password: the MD5 states after the outer and the
// inner padded key blocks (32 bytes, each state as four little-endian words,
// Dovecot's order). It is what "{CRAM-MD5}" stores, as 64 hex digits, and it
// is password-equivalent for CRAM-MD5, so it wipes itself.
class CramMd5Context {
 public:
  CramMd5Context() = default;
  CramMd5Context(const CramMd5Context&) = delete;
  CramMd5Context& operator=(const CramMd5Context&) = delete;
  ~CramMd5Context() { wipe_memory(bytes.data(), bytes.size()); }

  static void from_password(std::string_view password, CramMd5Context& out);
  // Parse 64 hex digits; false if malformed.
  static bool from_hex(std::string_view hex, CramMd5Context& out);
  std::string to_hex() const;

  std::array<std::uint8_t, 32> bytes{};
};

// Lower-case hex HMAC-MD5 of `challenge` under the key the context stands for.
std::string cram_md5_response(const CramMd5Context& context, std::string_view challenge);

// Lower-case hex MD5 of challenge + password (RFC 1939 APOP).
std::string apop_digest(std::string_view challenge, const Secret& password);

}  // namespace authd::passwords
