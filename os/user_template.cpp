#include "os/user_template.hpp"

#include <algorithm>

namespace authd::pam {

namespace {

constexpr std::string_view domain_token = "$d";
constexpr std::size_t max_template_length = 256;

}  // namespace

std::optional<UserTemplate> UserTemplate::parse(std::string_view text, std::string& error) {
  if (text.size() > max_template_length) {
    error = "the OS user name template is longer than " + std::to_string(max_template_length) + " bytes";
    return std::nullopt;
  }
  // A ':' or a blank can never be part of an OS user name (passwd(5) fields
  // are separated by ':'), so a template holding one is a mistake.
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f || c == ':') {
      error = "the OS user name template may not contain spaces, control characters or ':'";
      return std::nullopt;
    }
  }
  if (std::count(text.begin(), text.end(), '*') != 1) {
    error = "the OS user name template must contain exactly one '*' (the account name), e.g. \"*\" or \"*%comp1\"";
    return std::nullopt;
  }
  return UserTemplate(std::string(text), text.find(domain_token) != std::string_view::npos);
}

std::string UserTemplate::expand(std::string_view name, std::string_view domain) const {
  std::string user;
  user.reserve(text_.size() + name.size() + domain.size());
  for (std::size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '*') {
      user.append(name);
    } else if (text_.compare(i, domain_token.size(), domain_token) == 0) {
      user.append(domain);
      i += domain_token.size() - 1;
    } else {
      user.push_back(text_[i]);
    }
  }
  return user;
}

}  // namespace authd::pam
