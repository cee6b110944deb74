#include "authd/account_name.hpp"

#include "base/ascii.hpp"

namespace authd {

std::optional<CanonicalAccount> split_account_name(std::string_view raw) {
  const auto at = raw.find('@');
  if (at == std::string_view::npos || raw.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  const std::size_t name_length = at;
  const std::size_t domain_length = raw.size() - at - 1;
  if (name_length == 0 || domain_length == 0) return std::nullopt;
  if (name_length > max_name_length || domain_length > max_domain_length) return std::nullopt;
  for (unsigned char c : raw) {
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
  }
  CanonicalAccount result;
  result.text_.assign(raw);
  base::lower_ascii_in_place(result.text_);
  result.at_ = at;
  return result;
}

}  // namespace authd
