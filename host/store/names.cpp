#include "host/store/names.hpp"

namespace authd::host {

namespace {

bool is_lower_alnum(char c) noexcept { return base::is_ascii_lower(c) || base::is_ascii_digit(c); }

bool valid_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label)
    if (!is_lower_alnum(c) && c != '-') return false;
  return true;
}

}  // namespace

std::optional<std::string> canonical_account_name(std::string_view raw) {
  if (raw.empty() || raw.size() > max_account_name_length) return std::nullopt;
  std::string name = lower_ascii(raw);
  if (name.front() == '.' || name.front() == '-') return std::nullopt;
  for (char c : name)
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-') return std::nullopt;
  return name;
}

std::optional<std::string> canonical_domain(std::string_view raw) {
  if (raw.empty() || raw.size() > max_domain_length) return std::nullopt;
  std::string domain = lower_ascii(raw);
  std::string_view rest = domain;
  for (;;) {
    const auto dot = rest.find('.');
    if (!valid_label(rest.substr(0, dot))) return std::nullopt;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return domain;
}

std::optional<Address> parse_address(std::string_view raw) {
  const auto at = raw.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto name = canonical_account_name(raw.substr(0, at));
  auto domain = canonical_domain(raw.substr(at + 1));
  if (!name || !domain) return std::nullopt;
  return Address{std::move(*name), std::move(*domain)};
}

}  // namespace authd::host
