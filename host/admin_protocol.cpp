#include "host/admin_protocol.hpp"

#include <algorithm>

#include "protocol/quoting.hpp"

namespace authd::host::admin {

namespace {

// What a verb takes, in order. Settings are one or more trailing arguments.
enum class Arg { Text, Address, Domain, Password, OptionalPassword, Rights, Settings };

struct Shape {
  Verb verb;
  std::vector<Arg> args;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> all = {
      {Verb::User, {Arg::Text}},
      {Verb::Pass, {Arg::Password}},
      {Verb::Quit, {}},
      {Verb::CreateDomain, {Arg::Domain}},
      {Verb::DeleteDomain, {Arg::Domain}},
      {Verb::ListDomains, {}},
      {Verb::CreateAccount, {Arg::Address, Arg::OptionalPassword}},
      {Verb::DeleteAccount, {Arg::Address}},
      {Verb::ListAccounts, {Arg::Domain}},
      {Verb::SetAccountPassword, {Arg::Address, Arg::Password}},
      {Verb::GetAccountSettings, {Arg::Address}},
      {Verb::UpdateAccountSettings, {Arg::Address, Arg::Settings}},
      {Verb::GetAccountRights, {Arg::Address}},
      {Verb::SetAccountRights, {Arg::Address, Arg::Rights}},
      {Verb::GetServerSettings, {}},
      {Verb::UpdateServerSettings, {Arg::Settings}},
      {Verb::GetDomainSettings, {Arg::Domain}},
      {Verb::UpdateDomainSettings, {Arg::Domain, Arg::Settings}},
      {Verb::UnlockAccount, {Arg::Address}},
      {Verb::GetStatistics, {}},
  };
  return all;
}

const Shape& shape_of(Verb verb) {
  for (const auto& s : shapes())
    if (s.verb == verb) return s;
  return shapes().front();
}

std::string_view what_is_missing(Arg arg) {
  switch (arg) {
    case Arg::Text: return "the account name (name@domain)";
    case Arg::Address: return "the account address (name@domain)";
    case Arg::Domain: return "the domain";
    case Arg::Password:
    case Arg::OptionalPassword: return "the password";
    case Arg::Rights: return "the rights (\"CanModifyUserAccounts, CanMonitorServer\", or \"\" for none)";
    case Arg::Settings: return "at least one setting (NAME=VALUE)";
  }
  return "an argument";
}

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string quoting_error(protocol::ArgumentStatus status) {
  return status == protocol::ArgumentStatus::Unterminated ? "a quoted string without its closing quote"
                                                          : "a bad escape (\\ddd above 255, or a NUL byte)";
}

}  // namespace

const std::vector<VerbInfo>& verbs() {
  static const std::vector<VerbInfo> all = {
      {Verb::User, "USER", "name@domain", true},
      {Verb::Pass, "PASS", "password", true},
      {Verb::Quit, "QUIT", "", true},
      {Verb::CreateDomain, "CREATEDOMAIN", "domain", false},
      {Verb::DeleteDomain, "DELETEDOMAIN", "domain", false},
      {Verb::ListDomains, "LISTDOMAINS", "", false},
      {Verb::CreateAccount, "CREATEACCOUNT", "name@domain [password]", false},
      {Verb::DeleteAccount, "DELETEACCOUNT", "name@domain", false},
      {Verb::ListAccounts, "LISTACCOUNTS", "domain", false},
      {Verb::SetAccountPassword, "SETACCOUNTPASSWORD", "name@domain password", false},
      {Verb::GetAccountSettings, "GETACCOUNTSETTINGS", "name@domain", false},
      {Verb::UpdateAccountSettings, "UPDATEACCOUNTSETTINGS", "name@domain NAME=VALUE...", false},
      {Verb::GetAccountRights, "GETACCOUNTRIGHTS", "name@domain", false},
      {Verb::SetAccountRights, "SETACCOUNTRIGHTS", "name@domain \"Right, Right...\"", false},
      {Verb::GetServerSettings, "GETSERVERSETTINGS", "", false},
      {Verb::UpdateServerSettings, "UPDATESERVERSETTINGS", "NAME=VALUE...", false},
      {Verb::GetDomainSettings, "GETDOMAINSETTINGS", "domain", false},
      {Verb::UpdateDomainSettings, "UPDATEDOMAINSETTINGS", "domain NAME=VALUE...", false},
      {Verb::UnlockAccount, "UNLOCKACCOUNT", "name@domain", false},
      {Verb::GetStatistics, "GETSTATISTICS", "", false},
  };
  return all;
}

const VerbInfo* find_verb(std::string_view word) {
  for (const auto& v : verbs())
    if (equal_ignoring_case(v.name, word)) return &v;
  return nullptr;
}

bool is_refused_over_network(std::string_view setting_name) noexcept {
  return equal_ignoring_case(setting_name, setting::external_authenticator);
}

std::optional<SettingChanges> parse_setting_arguments(const std::vector<std::string>& arguments, std::string& error) {
  SettingChanges changes;
  for (const auto& argument : arguments) {
    const auto eq = argument.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "'" + printable(argument, 80) + "' is not NAME=VALUE (NAME= removes the value)";
      return std::nullopt;
    }
    std::string name = argument.substr(0, eq);
    if (is_refused_over_network(name)) {
      error = std::string(setting::external_authenticator) +
              " cannot be changed through the administration interface: it names a program the host runs. "
              "Change it on the server: authhost --data DIR settings set " +
              std::string(setting::external_authenticator) + "=...";
      return std::nullopt;
    }
    std::string value = argument.substr(eq + 1);
    if (changes.contains(name)) {
      error = "the setting " + printable(name, 80) + " is given twice";
      return std::nullopt;
    }
    changes.emplace(std::move(name), value.empty() ? std::nullopt : std::optional<std::string>(std::move(value)));
  }
  return changes;
}

Parsed parse_command(std::string_view line) {
  Parsed out;
  const auto space = line.find(' ');
  const std::string_view word = line.substr(0, space);
  if (word.empty()) {
    out.error = line.empty() ? "empty line: send a command, such as GETSTATISTICS or QUIT"
                             : "a command line starts with its command word, not with a space";
    return out;
  }
  const VerbInfo* info = find_verb(word);
  if (info == nullptr) {
    out.error = "unknown command '" + printable(word, 40) + "'";
    return out;
  }
  const std::string usage = "; usage: " + std::string(info->name) + (info->usage.empty() ? "" : " ") +
                            std::string(info->usage);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  Command command;
  command.verb = info->verb;
  // The usage helps with the shape of a line, not with a value it holds.
  const auto fail = [&](std::string text, bool with_usage = true) -> Parsed {
    out.error = std::string(info->name) + ": " + std::move(text) + (with_usage ? usage : std::string());
    return std::move(out);
  };

  int position = 0;
  for (const Arg arg : shape_of(info->verb).args) {
    ++position;
    const std::string where = "argument " + std::to_string(position) + ": ";
    if (arg == Arg::Password || arg == Arg::OptionalPassword) {
      const auto status = protocol::next_argument(rest, command.password);
      if (status == protocol::ArgumentStatus::End) {
        if (arg == Arg::OptionalPassword) break;
        return fail("missing " + std::string(what_is_missing(arg)));
      }
      // The password's bytes are never part of an error.
      if (status != protocol::ArgumentStatus::Ok) return fail(where + quoting_error(status));
      command.has_password = true;
      continue;
    }
    if (arg == Arg::Settings) {
      std::vector<std::string> items;
      for (std::string item;;) {
        const auto status = protocol::next_argument(rest, item);
        if (status == protocol::ArgumentStatus::End) break;
        if (status != protocol::ArgumentStatus::Ok)
          return fail("argument " + std::to_string(position + static_cast<int>(items.size())) + ": " +
                      quoting_error(status));
        items.push_back(item);
      }
      if (items.empty()) return fail("missing " + std::string(what_is_missing(arg)));
      std::string error;
      auto changes = parse_setting_arguments(items, error);
      if (!changes) return fail(error, false);
      command.changes = std::move(*changes);
      continue;
    }
    std::string text;
    const auto status = protocol::next_argument(rest, text);
    if (status == protocol::ArgumentStatus::End) return fail("missing " + std::string(what_is_missing(arg)));
    if (status != protocol::ArgumentStatus::Ok) return fail(where + quoting_error(status));
    switch (arg) {
      case Arg::Text: command.address = text; break;
      case Arg::Address: {
        const auto address = parse_address(text);
        if (!address)
          return fail("'" + printable(text, 80) +
                          "' is not an account address: name@domain, the name of 1 to 64 of a-z 0-9 . _ - "
                          "(not starting with . or -) and the domain of DNS labels",
                      false);
        command.address = address->full();
        command.account = address->name;
        command.domain = address->domain;
        break;
      }
      case Arg::Domain: {
        const auto domain = canonical_domain(text);
        if (!domain)
          return fail("'" + printable(text, 80) + "' is not a domain name: DNS labels of a-z 0-9 and '-', joined by '.'",
                      false);
        command.domain = *domain;
        break;
      }
      case Arg::Rights: {
        std::string error;
        const auto rights = parse_rights(text, error);
        if (!rights) return fail(printable(error, 200), false);
        command.rights = *rights;
        break;
      }
      default: break;
    }
  }
  std::string extra;
  if (protocol::next_argument(rest, extra) != protocol::ArgumentStatus::End)
    return fail("too many arguments");
  out.command = std::move(command);
  return out;
}

Answer ok(std::string text) { return {Code::Ok, std::move(text), {}, false}; }
Answer error(std::string text) { return {Code::Error, std::move(text), {}, false}; }
Answer temporary(std::string text) { return {Code::Temporary, std::move(text), {}, false}; }

Answer from_status(const Status& status) {
  if (status.ok()) return ok();
  std::string text = std::string(error_code_name(status.code)) + ": " + status.message;
  // A database that is locked or cannot be written now may work later; the
  // rest will not change by trying again.
  return status.code == ErrorCode::Storage ? temporary(std::move(text)) : error(std::move(text));
}

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += '\\';
      out += static_cast<char>('0' + byte / 100);
      out += static_cast<char>('0' + byte / 10 % 10);
      out += static_cast<char>('0' + byte % 10);
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_answer(const Answer& answer) {
  const std::string code = std::to_string(static_cast<int>(answer.code));
  std::string out;
  for (const auto& line : answer.data) out += code + "-" + printable(line, max_line_length) + "\r\n";
  out += code + " " + printable(answer.text, 1000) + "\r\n";
  return out;
}

std::string setting_line(const SettingView& view) {
  return protocol::quote_argument(view.name + "=" + view.value) + " " + protocol::quote_argument(view.origin);
}

std::string value_line(std::string_view name, std::string_view value) {
  return protocol::quote_argument(name) + " " + protocol::quote_argument(value);
}

AnswerLine parse_answer_line(std::string_view line) {
  AnswerLine out;
  if (line.size() < 3 || !std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }))
    return out;
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return out;
  out.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  out.last = line.size() == 3 || line[3] == ' ';
  out.text = std::string(line.size() > 4 ? line.substr(4) : std::string_view());
  return out;
}

}  // namespace authd::host::admin
