#include "ldap/escaping.hpp"

namespace authd::ldap {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool printable_ascii(unsigned char c) noexcept { return c >= 0x20 && c < 0x7f; }

void append_hex_escape(std::string& out, unsigned char c) {
  out.push_back('\\');
  out.push_back(hex_digits[c >> 4]);
  out.push_back(hex_digits[c & 0x0f]);
}

}  // namespace

std::string ldap_filter_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size() + value.size() / 4);
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (printable_ascii(c) && c != '*' && c != '(' && c != ')' && c != '\\') out.push_back(ch);
    else append_hex_escape(out, c);
  }
  return out;
}

std::string ldap_dn_value_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size() + value.size() / 4);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (!printable_ascii(c)) {
      append_hex_escape(out, c);
      continue;
    }
    switch (c) {
      case '"': case '+': case ',': case ';': case '<': case '>': case '=': case '\\':
        out.push_back('\\');
        break;
      case ' ':
        if (i == 0 || i + 1 == value.size()) out.push_back('\\');
        break;
      case '#':
        if (i == 0) out.push_back('\\');
        break;
      default:
        break;
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

}  // namespace authd::ldap
