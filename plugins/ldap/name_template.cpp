#include "ldap/name_template.hpp"

#include "ldap/escaping.hpp"

namespace authd::ldap {

NameTemplate::NameTemplate(std::string_view key, std::string_view text, TemplateKind kind)
    : text_(text), kind_(kind) {
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) parts_.push_back({Part::Literal, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      literal.push_back(text[i]);
      continue;
    }
    if (i + 1 == text.size())
      throw ConfigError(std::string(key), "'%' at the end of \"" + std::string(text) +
                                              "\"; write %% for a percent sign");
    const char what = text[++i];
    switch (what) {
      case '%': literal.push_back('%'); break;
      case 'u': flush(); parts_.push_back({Part::Name, {}}); break;
      case 'd': flush(); parts_.push_back({Part::Domain, {}}); break;
      case 'n': flush(); parts_.push_back({Part::Full, {}}); break;
      default:
        throw ConfigError(std::string(key), "unknown placeholder %" + std::string(1, what) + " in \"" +
                                                std::string(text) +
                                                "\" (known: %u name, %d domain, %n name@domain, %% percent sign)");
    }
  }
  flush();
}

bool NameTemplate::names_the_account() const noexcept {
  for (const auto& piece : parts_)
    if (piece.part == Part::Name || piece.part == Part::Full) return true;
  return false;
}

std::string NameTemplate::expand(const Account& account) const {
  auto escape = [this](std::string_view value) {
    return kind_ == TemplateKind::Dn ? ldap_dn_value_escape(value) : ldap_filter_escape(value);
  };
  std::string out;
  for (const auto& piece : parts_) {
    switch (piece.part) {
      case Part::Literal: out += piece.literal; break;
      case Part::Name: out += escape(account.name); break;
      case Part::Domain: out += escape(account.domain); break;
      case Part::Full: {
        std::string full;
        full.reserve(account.name.size() + 1 + account.domain.size());
        full.append(account.name).append("@").append(account.domain);
        out += escape(full);
        break;
      }
    }
  }
  return out;
}

}  // namespace authd::ldap
