// Templates for DNs, search bases and filters with the account's parts in
// them: %u the name, %d the domain, %n name@domain, %% a percent sign.
// Every substituted value goes through the escaping of the template's kind
// (escaping.hpp); the template's own text is used as written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "authd/api/plugin.hpp"

namespace authd::ldap {

enum class TemplateKind {
  Dn,      // a distinguished name: values escaped by ldap_dn_value_escape
  Filter,  // a search filter: values escaped by ldap_filter_escape
};

class NameTemplate {
 public:
  NameTemplate() = default;
  // Parse `text`; throws ConfigError(key, ...) for an unknown placeholder or
  // a '%' at the end.
  NameTemplate(std::string_view key, std::string_view text, TemplateKind kind);

  std::string expand(const Account& account) const;
  bool empty() const noexcept { return parts_.empty(); }
  // Whether the template depends on the account name (%u or %n).
  bool names_the_account() const noexcept;
  const std::string& text() const noexcept { return text_; }

 private:
  enum class Part { Literal, Name, Domain, Full };
  struct Piece {
    Part part;
    std::string literal;
  };
  std::string text_;
  TemplateKind kind_ = TemplateKind::Dn;
  std::vector<Piece> parts_;
};

}  // namespace authd::ldap
