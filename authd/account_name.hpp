// Account names as requests carry them: "name@domain".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "authd/api/plugin.hpp"

namespace authd {

inline constexpr std::size_t max_name_length = 255;
inline constexpr std::size_t max_domain_length = 255;

// A name@domain split at its '@' and lower-cased (ASCII), the canonical form
// in which names are compared and looked up.
class CanonicalAccount {
 public:
  std::string_view name() const noexcept { return std::string_view(text_).substr(0, at_); }
  std::string_view domain() const noexcept { return std::string_view(text_).substr(at_ + 1); }
  std::string_view full() const noexcept { return text_; }
  Account account() const noexcept { return {name(), domain()}; }

 private:
  friend std::optional<CanonicalAccount> split_account_name(std::string_view);
  std::string text_;
  std::size_t at_ = 0;
};

// Split and canonicalise. nullopt for a malformed name: no '@' or more than
// one, an empty name or domain, a part over its length limit, or a control
// byte, space or DEL anywhere.
std::optional<CanonicalAccount> split_account_name(std::string_view raw);

}  // namespace authd
