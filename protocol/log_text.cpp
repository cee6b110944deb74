#include "protocol/log_text.hpp"

namespace authd::protocol {

namespace {

// Length of the valid UTF-8 sequence at the start of `rest` and its code
// point, or 0 when the first byte does not begin one (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view rest, char32_t& code_point) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(rest[i]); };
  const unsigned char lead = byte(0);
  std::size_t length;
  char32_t value;
  char32_t minimum;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, value = lead & 0x1fu, minimum = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, value = lead & 0x0fu, minimum = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, value = lead & 0x07u, minimum = 0x10000;
  } else {
    return 0;
  }
  if (rest.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0u) != 0x80u) return 0;
    value = (value << 6) | (byte(i) & 0x3fu);
  }
  if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0;
  code_point = value;
  return length;
}

bool unsafe_code_point(char32_t c) noexcept {
  return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string log_safe_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (out.size() + 1 > max_bytes) break;
      out.push_back(byte < 0x20 || byte == 0x7f ? log_replacement : static_cast<char>(byte));
      ++i;
      continue;
    }
    char32_t code_point = 0;
    if (const std::size_t length = utf8_sequence(text.substr(i), code_point); length != 0) {
      if (unsafe_code_point(code_point)) {
        if (out.size() + 1 > max_bytes) break;
        out.push_back(log_replacement);
      } else {
        if (out.size() + length > max_bytes) break;
        out.append(text.substr(i, length));
      }
      i += length;
      continue;
    }
    if (out.size() + 1 > max_bytes) break;
    out.push_back(byte <= 0x9f ? log_replacement : static_cast<char>(byte));
    ++i;
  }
  return out;
}

}  // namespace authd::protocol
