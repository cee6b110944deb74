// Account and domain names: the one place that says which names exist.
//
//   account name  1 to 64 of [a-z0-9._-], not starting with '.' or '-'
//   domain        DNS labels joined by '.': each 1 to 63 of [a-z0-9-], not
//                 starting or ending with '-'; 253 bytes at most
//   address       name@domain
//
// Names compare without ASCII case; the canonical form is lower case. These
// rules keep every name usable as a file name (Domains/<domain>/...) and as
// a key in Access.settings without any escaping.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/ascii.hpp"

namespace authd::host {

inline constexpr std::size_t max_account_name_length = 64;
inline constexpr std::size_t max_domain_length = 253;

// The canonical form, or nullopt when `raw` breaks the rules.
std::optional<std::string> canonical_account_name(std::string_view raw);
std::optional<std::string> canonical_domain(std::string_view raw);

struct Address {
  std::string name;    // canonical account name
  std::string domain;  // canonical domain
  std::string full() const { return name + "@" + domain; }
};

// Split "name@domain" and canonicalise both parts; nullopt when malformed.
std::optional<Address> parse_address(std::string_view raw);

// ASCII lower case of any bytes: how a name that breaks the rules is still
// counted (by the lockout) in one form whatever its case.
using base::lower_ascii;

}  // namespace authd::host
