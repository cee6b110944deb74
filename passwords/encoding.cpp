#include "passwords/encoding.hpp"

#include <array>

namespace authd::passwords::detail {
namespace {

constexpr std::string_view kStandardDigits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kAdaptedDigits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./";

constexpr std::int8_t kInvalid = -1;

// Adapted decoding also takes '+', so a value whose writer forgot to adapt
// it still verifies; the two cannot be confused because '.' is not standard.
constexpr std::array<std::int8_t, 256> make_decode_table(Base64Alphabet alphabet) {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  const std::string_view digits = alphabet == Base64Alphabet::Standard ? kStandardDigits : kAdaptedDigits;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    table[static_cast<unsigned char>(digits[i])] = static_cast<std::int8_t>(i);
  }
  if (alphabet == Base64Alphabet::Adapted) table['+'] = 62;
  return table;
}

constexpr auto kStandardTable = make_decode_table(Base64Alphabet::Standard);
constexpr auto kAdaptedTable = make_decode_table(Base64Alphabet::Adapted);

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes, Base64Alphabet alphabet, bool pad) {
  const std::string_view digits = alphabet == Base64Alphabet::Standard ? kStandardDigits : kAdaptedDigits;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out.push_back(digits[(group >> 18) & 63]);
    out.push_back(digits[(group >> 12) & 63]);
    out.push_back(digits[(group >> 6) & 63]);
    out.push_back(digits[group & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest != 0) {
    std::uint32_t group = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) group |= std::uint32_t{bytes[i + 1]} << 8;
    out.push_back(digits[(group >> 18) & 63]);
    out.push_back(digits[(group >> 12) & 63]);
    if (rest == 2) out.push_back(digits[(group >> 6) & 63]);
    if (pad) out.append(3 - rest, '=');
  }
  return out;
}

std::optional<std::size_t> base64_decode(std::string_view text, std::span<std::uint8_t> out,
                                         Base64Alphabet alphabet) noexcept {
  const auto& table = alphabet == Base64Alphabet::Standard ? kStandardTable : kAdaptedTable;
  if (!text.empty() && text.back() == '=') {
    // Padding is only meaningful on a whole number of quads.
    if (text.size() % 4 != 0) return std::nullopt;
    text.remove_suffix(1);
    if (!text.empty() && text.back() == '=') text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  const std::size_t decoded = text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
  if (decoded > out.size()) return std::nullopt;

  std::uint32_t accumulator = 0;
  int bits = 0;
  std::size_t written = 0;
  for (const char c : text) {
    const std::int8_t value = table[static_cast<unsigned char>(c)];
    if (value == kInvalid) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = static_cast<std::uint8_t>(accumulator >> bits);
    }
  }
  return written;
}

std::string hex_encode(std::span<const std::uint8_t> bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

bool hex_decode(std::string_view text, std::span<std::uint8_t> out) noexcept {
  if (text.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return true;
}

bool is_hex(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char c : text) {
    if (hex_value(c) < 0) return false;
  }
  return true;
}

bool has_upper_hex(std::string_view text) noexcept {
  for (const char c : text) {
    if (c >= 'A' && c <= 'F') return true;
  }
  return false;
}

std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint32_t minimum,
                                           std::uint32_t maximum) noexcept {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value < minimum || value > maximum) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

}  // namespace authd::passwords::detail
