// Text encodings of binary hash material: base64 in the two alphabets stored
// values use, and hex. Internal to passwords/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace authd::passwords::detail {

enum class Base64Alphabet {
  Standard,  // RFC 4648 "+/"
  Adapted,   // passlib's "ab64" used by OpenLDAP's PBKDF2: '.' stands for '+'
};

// Base64 of `bytes`, with '=' padding if `pad`.
std::string base64_encode(std::span<const std::uint8_t> bytes, Base64Alphabet alphabet, bool pad);

// Decode `text` into the front of `out`. Padding is optional. Returns the
// decoded size, or nullopt for a character outside the alphabet, misplaced
// padding, an impossible length, or a result larger than `out`.
std::optional<std::size_t> base64_decode(std::string_view text, std::span<std::uint8_t> out,
                                         Base64Alphabet alphabet) noexcept;

// Lower-case hex, or upper-case if `upper`.
std::string hex_encode(std::span<const std::uint8_t> bytes, bool upper = false);

// Decode exactly 2 * out.size() hex digits of either case; false otherwise.
bool hex_decode(std::string_view text, std::span<std::uint8_t> out) noexcept;

// Whether `text` is non-empty and made of hex digits only.
bool is_hex(std::string_view text) noexcept;

// Whether `text` has an upper-case hex letter, so a value re-encoded "like"
// it can keep its spelling.
bool has_upper_hex(std::string_view text) noexcept;

// A decimal number of digits only (no sign, no spaces) in [minimum, maximum].
std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint32_t minimum,
                                           std::uint32_t maximum) noexcept;

// Bytes of a string_view and back, for the OpenSSL and libargon2 interfaces.
inline std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}
inline std::string_view as_chars(std::span<const std::uint8_t> bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace authd::passwords::detail
