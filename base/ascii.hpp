// ASCII character classes and case, independent of the locale: protocol
// words, scheme names, account names and settings are ASCII, and their case
// rules must not change with the environment a program runs in. Bytes
// outside A-Z and a-z are never changed.
#pragma once

#include <string>
#include <string_view>

namespace authd::base {

constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_ascii_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_ascii_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_ascii_alpha(char c) noexcept { return is_ascii_upper(c) || is_ascii_lower(c); }
constexpr bool is_ascii_alnum(char c) noexcept { return is_ascii_alpha(c) || is_ascii_digit(c); }

constexpr char lower_ascii(char c) noexcept { return is_ascii_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char upper_ascii(char c) noexcept { return is_ascii_lower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

inline void lower_ascii_in_place(std::string& text) noexcept {
  for (char& c : text) c = lower_ascii(c);
}

inline std::string lower_ascii(std::string_view text) {
  std::string out(text);
  lower_ascii_in_place(out);
  return out;
}

inline std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = upper_ascii(c);
  return out;
}

// Equal when each byte is, ignoring the case of ASCII letters.
constexpr bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  return true;
}

}  // namespace authd::base
