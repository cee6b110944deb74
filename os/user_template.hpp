// The OS user name made from an account: the "OS User Name" template.
//
//   "*"       joe@example.com -> joe
//   "*%comp1" joe@example.com -> joe%comp1
//   "*@$d"    joe@example.com -> joe@example.com
//
// `*` stands for the account name and must appear exactly once; every `$d`
// stands for the domain; all other bytes are kept as they are. The template
// is expanded in one pass, so a `*` or `$d` inside a name is never expanded
// again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>


namespace authd::pam {

class UserTemplate {
 public:
  // nullopt, with `error` saying why, when `text` is not a usable template.
  static std::optional<UserTemplate> parse(std::string_view text, std::string& error);

  std::string expand(std::string_view name, std::string_view domain) const;
  bool uses_domain() const noexcept { return uses_domain_; }
  const std::string& text() const noexcept { return text_; }

 private:
  explicit UserTemplate(std::string text, bool uses_domain) : text_(std::move(text)), uses_domain_(uses_domain) {}

  std::string text_;
  bool uses_domain_;
};

}  // namespace authd::pam
