#include "host/admin/admin_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "base/ascii.hpp"

namespace authd::host::admin {

namespace {

using base::equal_ignoring_case;
using base::is_ascii_digit;

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

void skip_spaces(std::string_view& rest) noexcept {
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
}

// Whether `bytes` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool is_utf8(std::string_view bytes) noexcept {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if (b >= 0xc2 && b <= 0xdf) {
      length = 2;
      code = b & 0x1fu;
    } else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      code = b & 0x0fu;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      code = b & 0x07u;
    } else {
      return false;
    }
    if (i + length > bytes.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(bytes[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      code = (code << 6) | (c & 0x3fu);
    }
    if ((length == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
        (length == 4 && (code < 0x10000 || code > 0x10ffff)))
      return false;
    i += length;
  }
  return true;
}

// Reads CGP objects (admin_protocol.hpp's grammar). Errors never quote a
// value, only a dictionary's key: a value may be a password.
class Reader {
 public:
  Reader(std::string_view& rest, std::string& error, bool utf8) : rest_(rest), error_(error), utf8_(utf8) {}

  std::optional<Value> value(bool top_level, int depth) {
    skip_spaces(rest_);
    if (rest_.empty()) return fail("an object was expected, the line ended");
    const char c = rest_.front();
    if (c == '{' || c == '(') {
      if (depth >= max_nesting)
        return fail("arrays and dictionaries nested deeper than " + std::to_string(max_nesting) + " levels");
      rest_.remove_prefix(1);
      return c == '{' ? dictionary(depth + 1) : array(depth + 1);
    }
    std::string text;
    if (!string(text, top_level)) return std::nullopt;
    return Value::string(std::move(text));
  }

  bool string(std::string& out, bool top_level) {
    skip_spaces(rest_);
    if (rest_.empty()) return fail_bool("a string was expected, the line ended");
    const char c = rest_.front();
    if (c == '"') return quoted(out);
    if (c == '[') return fail_bool("data blocks ([...]) are not used by any command here");
    if (c == '{' || c == '(') return fail_bool(std::string("a string was expected, not '") + c + "'");
    if (!top_level && (c == '}' || c == ')' || c == ';' || c == ',' || c == '='))
      return fail_bool(std::string("a string was expected, not '") + c + "'");
    std::size_t end = 0;
    while (end < rest_.size() && !is_space(rest_[end]) && (top_level || !is_delimiter(rest_[end]))) ++end;
    out.assign(rest_.substr(0, end));
    rest_.remove_prefix(end);
    return checked(out);
  }

 private:
  static bool is_delimiter(char c) noexcept {
    return c == '=' || c == ';' || c == ',' || c == '(' || c == ')' || c == '{' || c == '}' || c == '"';
  }

  bool quoted(std::string& out) {
    rest_.remove_prefix(1);
    out.clear();
    while (!rest_.empty()) {
      const char c = rest_.front();
      rest_.remove_prefix(1);
      if (c == '"') return checked(out);
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (rest_.empty()) break;
      const char e = rest_.front();
      if (rest_.size() >= 3 && std::all_of(rest_.begin(), rest_.begin() + 3, is_ascii_digit)) {
        const int byte = (rest_[0] - '0') * 100 + (rest_[1] - '0') * 10 + (rest_[2] - '0');
        if (byte > 255) return fail_bool("a bad escape: \\ddd above 255");
        out.push_back(static_cast<char>(byte));
        rest_.remove_prefix(3);
        continue;
      }
      rest_.remove_prefix(1);
      switch (e) {
        case 'r': out.push_back('\r'); break;
        case 'n':
        case 'e': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        default: out.push_back(e); break;  // \" \\ and any other byte: that byte
      }
    }
    return fail_bool("a quoted string without its closing quote");
  }

  bool checked(const std::string& text) {
    if (text.find('\0') != std::string::npos) return fail_bool("a NUL byte in a string (strings never hold one)");
    if (utf8_ && !is_utf8(text)) return fail_bool("a string that is not UTF-8");
    return true;
  }

  std::optional<Value> dictionary(int depth) {
    Value out = Value::dictionary();
    for (;;) {
      skip_spaces(rest_);
      if (rest_.empty()) return fail("a dictionary without its closing '}'");
      if (rest_.front() == '}') {
        rest_.remove_prefix(1);
        return out;
      }
      std::string key;
      if (!string(key, false)) return std::nullopt;
      skip_spaces(rest_);
      if (rest_.empty() || rest_.front() != '=')
        return fail(rest_.empty() ? "a dictionary without its closing '}'"
                                  : "'=' expected after the key '" + printable(key, 60) + "'");
      rest_.remove_prefix(1);
      auto item = value(false, depth);
      if (!item) return std::nullopt;
      skip_spaces(rest_);
      if (rest_.empty()) return fail("a dictionary without its closing '}'");
      if (rest_.front() != ';') return fail("';' expected after the value of '" + printable(key, 60) + "'");
      rest_.remove_prefix(1);
      for (const auto& [existing, ignored] : out.entries)
        if (existing == key) return fail("the key '" + printable(key, 60) + "' is given twice");
      out.entries.emplace_back(std::move(key), std::move(*item));
    }
  }

  std::optional<Value> array(int depth) {
    Value out = Value::array();
    skip_spaces(rest_);
    if (!rest_.empty() && rest_.front() == ')') {
      rest_.remove_prefix(1);
      return out;
    }
    for (;;) {
      auto item = value(false, depth);
      if (!item) return std::nullopt;
      out.items.push_back(std::move(*item));
      skip_spaces(rest_);
      if (rest_.empty()) return fail("an array without its closing ')'");
      const char c = rest_.front();
      rest_.remove_prefix(1);
      if (c == ')') return out;
      if (c != ',') return fail(std::string("',' or ')' expected in an array, not '") + printable(std::string(1, c)) + "'");
    }
  }

  std::nullopt_t fail(std::string text) {
    error_ = std::move(text);
    return std::nullopt;
  }
  bool fail_bool(std::string text) {
    error_ = std::move(text);
    return false;
  }

  std::string_view& rest_;
  std::string& error_;
  bool utf8_;
};

bool is_atom_text(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), base::is_ascii_alnum);
}

void append_string(std::string& out, std::string_view text) {
  if (is_atom_text(text)) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + byte / 100));
      out.push_back(static_cast<char>('0' + byte / 10 % 10));
      out.push_back(static_cast<char>('0' + byte % 10));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_value(std::string& out, const Value& value) {
  switch (value.kind) {
    case Value::Kind::String: append_string(out, value.text); return;
    case Value::Kind::Array:
      out.push_back('(');
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        if (i != 0) out.push_back(',');
        append_value(out, value.items[i]);
      }
      out.push_back(')');
      return;
    case Value::Kind::Dictionary:
      out.push_back('{');
      for (const auto& [key, item] : value.entries) {
        append_string(out, key);
        out.push_back('=');
        append_value(out, item);
        out.push_back(';');
      }
      out.push_back('}');
      return;
  }
}

// ---------------------------------------------------------------------------

// CGP's account types: accepted after CREATEACCOUNT's name and ignored (the
// host keeps no mail), as are the flags `external` and `legacy`.
constexpr std::string_view account_types[] = {"MultiMailbox", "TextMailbox", "MailDirMailbox", "SlicedMailbox",
                                              "AGrade",       "BGrade",      "CGrade",         "DGrade"};

bool is_account_type_word(std::string_view word) noexcept {
  if (equal_ignoring_case(word, "external") || equal_ignoring_case(word, "legacy")) return true;
  return std::any_of(std::begin(account_types), std::end(account_types),
                     [&](std::string_view t) { return equal_ignoring_case(t, word); });
}

std::string_view what_is_missing(Verb verb, std::size_t position) {
  switch (verb) {
    case Verb::User: return "the account name (name@domain)";
    case Verb::Pass: return "the password";
    case Verb::CreateDomain:
    case Verb::DeleteDomain:
    case Verb::ListAccounts:
    case Verb::GetDomainSettings: return "the domain";
    case Verb::UpdateDomainSettings: return position == 0 ? "the domain" : "at least one setting ({NAME=VALUE;})";
    case Verb::SetAccountPassword: return position == 0 ? "the account address (name@domain)" : "the password";
    case Verb::UpdateAccountSettings:
      return position == 0 ? "the account address (name@domain)" : "at least one setting ({NAME=VALUE;})";
    case Verb::SetAccountRights:
      return position == 0 ? "the account address (name@domain)"
                           : "the rights ((CanModifyUserAccounts,CanMonitorServer), or () for none)";
    case Verb::UpdateServerSettings: return "at least one setting ({NAME=VALUE;})";
    case Verb::GenerateDomainKey:
    case Verb::RemoveDomainKey:
    case Verb::SelfSignDomainCertificate:
    case Verb::MakeDomainCsr:
    case Verb::RefreshDomainCertificate:
    case Verb::RemoveDomainCertificate:
    case Verb::RemoveDomainCaChain:
    case Verb::ExportDomainCertificate: return "the domain";
    case Verb::ImportDomainKey: return position == 0 ? "the domain" : "the private key (one quoted string of PEM text)";
    case Verb::SetDomainCertificate:
    case Verb::SetDomainCaChain:
    case Verb::AddDomainTrustedCert:
      return position == 0 ? "the domain" : "the certificates (one quoted string of PEM text)";
    case Verb::AddServerTrustedCert: return "the certificates (one quoted string of PEM text)";
    case Verb::RemoveDomainTrustedCert:
      return position == 0 ? "the domain" : "the serial number or SHA-256 fingerprint";
    case Verb::RemoveServerTrustedCert: return "the serial number or SHA-256 fingerprint";
    case Verb::SetDomainPkiMode: return position == 0 ? "the domain" : "the mode (disabled, test or enabled)";
    default: return "the account address (name@domain)";
  }
}

std::string quoting_position(std::size_t position, const std::string& error) {
  return "argument " + std::to_string(position) + ": " + error;
}

}  // namespace

Value Value::string(std::string text) {
  Value v;
  v.text = std::move(text);
  return v;
}
Value Value::array(std::vector<Value> items) {
  Value v;
  v.kind = Kind::Array;
  v.items = std::move(items);
  return v;
}
Value Value::dictionary(std::vector<std::pair<std::string, Value>> entries) {
  Value v;
  v.kind = Kind::Dictionary;
  v.entries = std::move(entries);
  return v;
}

std::optional<Value> read_value(std::string_view& rest, bool top_level, std::string& error, bool utf8) {
  Reader reader(rest, error, utf8);
  return reader.value(top_level, 0);
}

std::string format_value(const Value& value) {
  std::string out;
  append_value(out, value);
  return out;
}

void wipe(Value& value) noexcept {
  wipe_memory(value.text.data(), value.text.size());
  for (auto& item : value.items) wipe(item);
  for (auto& [key, item] : value.entries) wipe(item);
}

const std::vector<VerbInfo>& verbs() {
  static const std::vector<VerbInfo> all = {
      {Verb::User, "USER", "name@domain", true},
      {Verb::Pass, "PASS", "password", true},
      {Verb::Quit, "QUIT", "", true},
      {Verb::Inline, "INLINE", "", true},
      {Verb::Noop, "NOOP", "", true},
      {Verb::CreateDomain, "CREATEDOMAIN", "domain [{settings}]", false},
      {Verb::DeleteDomain, "DELETEDOMAIN", "domain", false},
      {Verb::ListDomains, "LISTDOMAINS", "", false},
      {Verb::CreateAccount, "CREATEACCOUNT", "name@domain [accountType] [external] [{settings}]", false},
      {Verb::DeleteAccount, "DELETEACCOUNT", "name@domain", false},
      {Verb::ListAccounts, "LISTACCOUNTS", "[domain]", false},
      {Verb::SetAccountPassword, "SETACCOUNTPASSWORD", "name@domain [TO] password", false},
      {Verb::GetAccountSettings, "GETACCOUNTSETTINGS", "name@domain", false},
      {Verb::GetAccountEffectiveSettings, "GETACCOUNTEFFECTIVESETTINGS", "name@domain", false},
      {Verb::UpdateAccountSettings, "UPDATEACCOUNTSETTINGS", "name@domain {settings}", false},
      {Verb::GetAccountRights, "GETACCOUNTRIGHTS", "name@domain", false},
      {Verb::SetAccountRights, "SETACCOUNTRIGHTS", "name@domain (Right,Right...)", false},
      {Verb::GetServerSettings, "GETSERVERSETTINGS", "", false},
      {Verb::UpdateServerSettings, "UPDATESERVERSETTINGS", "{settings}", false},
      {Verb::GetDomainSettings, "GETDOMAINSETTINGS", "[domain]", false},
      {Verb::UpdateDomainSettings, "UPDATEDOMAINSETTINGS", "[domain] {settings}", false},
      {Verb::UnlockAccount, "UNLOCKACCOUNT", "name@domain", false},
      {Verb::GetStatistics, "GETSTATISTICS", "", false},
      {Verb::GetDomainPki, "GETDOMAINPKI", "[domain]", false},
      {Verb::GenerateDomainKey, "GENERATEDOMAINKEY", "domain [rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384]", false},
      {Verb::ImportDomainKey, "IMPORTDOMAINKEY", "domain \"PEM private key\"", false},
      {Verb::RemoveDomainKey, "REMOVEDOMAINKEY", "domain", false},
      {Verb::SelfSignDomainCertificate, "SELFSIGNDOMAINCERTIFICATE", "domain [{attributes}]", false},
      {Verb::MakeDomainCsr, "MAKEDOMAINCSR", "domain [{attributes}]", false},
      {Verb::SetDomainCertificate, "SETDOMAINCERTIFICATE", "domain \"PEM certificate\"", false},
      {Verb::RefreshDomainCertificate, "REFRESHDOMAINCERTIFICATE", "domain [days]", false},
      {Verb::RemoveDomainCertificate, "REMOVEDOMAINCERTIFICATE", "domain", false},
      {Verb::SetDomainCaChain, "SETDOMAINCACHAIN", "domain \"PEM certificates\"", false},
      {Verb::RemoveDomainCaChain, "REMOVEDOMAINCACHAIN", "domain", false},
      {Verb::ExportDomainCertificate, "EXPORTDOMAINCERTIFICATE", "domain [CHAIN]", false},
      {Verb::SetDomainPkiMode, "SETDOMAINPKIMODE", "domain disabled|test|enabled", false},
      {Verb::GetServerTrustedCerts, "GETSERVERTRUSTEDCERTS", "", false},
      {Verb::AddServerTrustedCert, "ADDSERVERTRUSTEDCERT", "\"PEM certificates\"", false},
      {Verb::RemoveServerTrustedCert, "REMOVESERVERTRUSTEDCERT", "serial|fingerprint", false},
      {Verb::GetDomainTrustedCerts, "GETDOMAINTRUSTEDCERTS", "[domain]", false},
      {Verb::AddDomainTrustedCert, "ADDDOMAINTRUSTEDCERT", "domain \"PEM certificates\"", false},
      {Verb::RemoveDomainTrustedCert, "REMOVEDOMAINTRUSTEDCERT", "domain serial|fingerprint", false},
      {Verb::CheckPki, "CHECKPKI", "[days]", false},
      {Verb::GetTestCertificate, "GETTESTCERTIFICATE", "", false},
      {Verb::RefreshTestCertificate, "REFRESHTESTCERTIFICATE", "", false},
  };
  return all;
}

const VerbInfo* find_verb(std::string_view word) {
  for (const auto& v : verbs())
    if (equal_ignoring_case(v.name, word)) return &v;
  return nullptr;
}

bool is_refused_over_network(std::string_view setting_name) noexcept {
  for (const auto& spec : setting_specs())
    if (spec.local_only && equal_ignoring_case(setting_name, spec.name)) return true;
  return false;
}

namespace {

std::string refused_text(std::string_view key) {
  std::string name(key);
  for (const auto& spec : setting_specs())
    if (equal_ignoring_case(spec.name, key)) name = std::string(spec.name);
  return name +
         " cannot be changed through the administration interface: it decides which program or OS account "
         "checks passwords. Change it on the server: authhost --data DIR settings set " +
         name + "=...";
}

}  // namespace

std::optional<SettingChanges> parse_setting_arguments(const std::vector<std::string>& arguments, std::string& error) {
  SettingChanges changes;
  for (const auto& argument : arguments) {
    const auto eq = argument.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "'" + printable(argument, 80) + "' is not NAME=VALUE (NAME= removes the value) nor a {NAME=VALUE;} dictionary";
      return std::nullopt;
    }
    std::string name = argument.substr(0, eq);
    if (is_refused_over_network(name)) {
      error = refused_text(name);
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

std::optional<SettingChanges> parse_settings_dictionary(Value& dictionary, bool password_allowed, Command& command,
                                                        std::string& error) {
  SettingChanges changes;
  for (auto& [key, value] : dictionary.entries) {
    if (is_refused_over_network(key)) {
      error = refused_text(key);
      return std::nullopt;
    }
    // The host's names follow CGP's; a script may spell them in any case.
    std::string name = key;
    for (const auto& spec : setting_specs())
      if (equal_ignoring_case(spec.name, key)) name = std::string(spec.name);
    if (!value.is_string()) {
      error = "the value of " + printable(name, 80) + " must be a string, not an array or a dictionary";
      return std::nullopt;
    }
    const bool remove = value.text == "default" || value.text == "#NULL#";
    if (name == setting::password) {
      if (!password_allowed) {
        error = "Password belongs to one account: set it with SETACCOUNTPASSWORD or in that account's settings";
        return std::nullopt;
      }
      if (command.has_password || command.remove_password) {
        error = "the setting Password is given twice";
        return std::nullopt;
      }
      if (remove) command.remove_password = true;
      else {
        command.password = Secret(value.text);
        command.has_password = true;
      }
      wipe(value);
      continue;
    }
    if (changes.contains(name)) {
      error = "the setting " + printable(name, 80) + " is given twice";
      return std::nullopt;
    }
    changes.emplace(std::move(name), remove ? std::nullopt : std::optional<std::string>(value.text));
  }
  return changes;
}

namespace {

// The verb a line starts with; nullptr with the text of the 500 answer in
// `error`. APOP gets an answer of its own, which says what to use instead.
const VerbInfo* read_verb(std::string_view word, bool empty_line, std::string& error) {
  if (word.empty()) {
    error = empty_line ? "empty line: send a command, such as GETSTATISTICS or QUIT"
                       : "a command line starts with its command word, not with a space";
    return nullptr;
  }
  const VerbInfo* info = find_verb(word);
  if (info == nullptr) {
    if (equal_ignoring_case(word, "APOP"))
      error = "APOP is not offered (the greeting carries no challenge): log in with USER and PASS";
    else
      error = "unknown command '" + printable(word, 40) + "'";
  }
  return info;
}

// Turns the arguments after one verb into a Command. Each step reads from
// the next unread argument and returns false with `error` set when the line
// is wrong, so a verb's steps chain with &&. Every argument is wiped when
// the reader goes: any of them may be a password.
class CommandReader {
 public:
  CommandReader(const VerbInfo& info, std::string_view own_domain) : info_(info), own_domain_(own_domain) {
    command_.verb = info.verb;
  }
  CommandReader(const CommandReader&) = delete;
  CommandReader& operator=(const CommandReader&) = delete;
  ~CommandReader() {
    for (auto& value : args_) wipe(value);
  }

  bool read_password_line(std::string_view rest);
  bool read_objects(std::string_view rest);
  bool read_verb_arguments();
  bool all_arguments_used() { return next_ >= args_.size() || fail("too many arguments"); }

  Command take_command() { return std::move(command_); }
  std::string take_error() { return std::move(error_); }

 private:
  // The usage helps with the shape of a line, not with a value it holds:
  // `with_usage` is false for an error about a value.
  bool fail(std::string text, bool with_usage = true) {
    error_ = std::string(info_.name) + ": " + std::move(text);
    if (with_usage)
      error_ += "; usage: " + std::string(info_.name) + (info_.usage.empty() ? "" : " ") + std::string(info_.usage);
    return false;
  }
  bool missing(std::size_t position) { return fail("missing " + std::string(what_is_missing(info_.verb, position))); }
  bool next_is(Value::Kind kind) const noexcept { return next_ < args_.size() && args_[next_].kind == kind; }
  bool take_password_value();

  bool take_string(std::size_t position, std::string& text);
  bool take_address(std::size_t position);
  bool take_domain(std::size_t position, bool optional);
  bool take_settings(std::size_t position, bool password_allowed);
  bool read_create_domain();
  bool read_create_account();
  bool read_set_account_password();
  bool read_set_account_rights();
  bool read_update_domain_settings();
  bool take_days(std::size_t position);
  bool take_attributes(std::size_t position);
  bool take_key_pem(std::size_t position);

  const VerbInfo& info_;
  std::string_view own_domain_;
  std::vector<Value> args_;
  std::size_t next_ = 0;
  Command command_;
  std::string error_;
};

// CGP's clients send the password as it is, up to the line end (CLI.pm
// does); a client that quotes it sends one quoted string.
bool CommandReader::read_password_line(std::string_view rest) {
  skip_spaces(rest);
  if (rest.empty()) return fail("missing the password");
  if (rest.front() == '"') {
    std::string_view probe = rest;
    std::string ignored;
    auto quoted = read_value(probe, true, ignored, false);
    skip_spaces(probe);
    if (quoted && probe.empty()) {
      command_.password = Secret(quoted->text);
      wipe(*quoted);
      command_.has_password = true;
      return true;
    }
  }
  command_.password = Secret(rest);
  command_.has_password = true;
  return true;
}

// Every argument, read as an object, before any is interpreted: a quoting
// fault is reported by position whatever the verb expects there.
bool CommandReader::read_objects(std::string_view rest) {
  for (;;) {
    skip_spaces(rest);
    if (rest.empty()) return true;
    std::string problem;
    auto value = read_value(rest, true, problem);
    if (!value) return fail(quoting_position(args_.size() + 1, problem));
    if (!rest.empty() && !is_space(rest.front()))
      return fail(quoting_position(args_.size() + 1, "a space was expected after it"));
    args_.push_back(std::move(*value));
  }
}

bool CommandReader::read_verb_arguments() {
  switch (info_.verb) {
    case Verb::User: return take_string(0, command_.address);
    case Verb::Pass:
    case Verb::Quit:
    case Verb::Inline:
    case Verb::Noop:
    case Verb::ListDomains:
    case Verb::GetServerSettings:
    case Verb::GetStatistics: return true;
    case Verb::CreateDomain: return read_create_domain();
    case Verb::DeleteDomain: return take_domain(0, false);
    case Verb::ListAccounts:
    case Verb::GetDomainSettings: return take_domain(0, true);
    case Verb::CreateAccount: return read_create_account();
    case Verb::DeleteAccount:
    case Verb::GetAccountSettings:
    case Verb::GetAccountEffectiveSettings:
    case Verb::GetAccountRights:
    case Verb::UnlockAccount: return take_address(0);
    case Verb::SetAccountPassword: return read_set_account_password();
    case Verb::UpdateAccountSettings: return take_address(0) && take_settings(1, true);
    case Verb::SetAccountRights: return read_set_account_rights();
    case Verb::UpdateServerSettings: return take_settings(0, false);
    case Verb::UpdateDomainSettings: return read_update_domain_settings();
    case Verb::GetDomainPki:
    case Verb::GetDomainTrustedCerts: return take_domain(0, true);
    case Verb::GenerateDomainKey:
      if (!take_domain(0, false)) return false;
      if (next_ >= args_.size()) {
        command_.argument = std::string(pki::key_type_name(pki::default_key_type));
        return true;
      }
      if (!take_string(1, command_.argument)) return false;
      if (!pki::parse_key_type(command_.argument))
        return fail("'" + printable(command_.argument, 40) + "' is not a key type: rsa-2048, rsa-3072, rsa-4096, "
                    "ec-p256 or ec-p384", false);
      return true;
    case Verb::ImportDomainKey: return take_domain(0, false) && take_key_pem(1);
    case Verb::RemoveDomainKey:
    case Verb::RemoveDomainCertificate:
    case Verb::RemoveDomainCaChain: return take_domain(0, false);
    case Verb::SelfSignDomainCertificate:
    case Verb::MakeDomainCsr: return take_domain(0, false) && (next_ >= args_.size() || take_attributes(1));
    case Verb::SetDomainCertificate:
    case Verb::SetDomainCaChain:
    case Verb::AddDomainTrustedCert:
    case Verb::RemoveDomainTrustedCert:
    case Verb::SetDomainPkiMode: return take_domain(0, false) && take_string(1, command_.argument);
    case Verb::RefreshDomainCertificate: return take_domain(0, false) && (next_ >= args_.size() || take_days(1));
    case Verb::ExportDomainCertificate:
      if (!take_domain(0, false)) return false;
      if (next_ < args_.size()) {
        if (!args_[next_].is_string() || !equal_ignoring_case(args_[next_].text, "CHAIN"))
          return fail("the only word after the domain is CHAIN");
        command_.with_chain = true;
        ++next_;
      }
      return true;
    case Verb::AddServerTrustedCert:
    case Verb::RemoveServerTrustedCert: return take_string(0, command_.argument);
    case Verb::CheckPki: return next_ >= args_.size() || take_days(0);
    case Verb::GetServerTrustedCerts:
    case Verb::GetTestCertificate:
    case Verb::RefreshTestCertificate: return true;
  }
  return true;
}

bool CommandReader::take_string(std::size_t position, std::string& text) {
  if (next_ >= args_.size()) return missing(position);
  if (!args_[next_].is_string())
    return fail(quoting_position(next_ + 1, "a string was expected, not an array or a dictionary"));
  text = args_[next_++].text;
  return true;
}

// A name without @domain belongs to the logged-in account's domain.
bool CommandReader::take_address(std::size_t position) {
  std::string text;
  if (!take_string(position, text)) return false;
  if (text.find('@') == std::string::npos && !own_domain_.empty() && !text.empty())
    text += "@" + std::string(own_domain_);
  const auto address = parse_address(text);
  if (!address)
    return fail("'" + printable(text, 80) +
                    "' is not an account address: name@domain, the name of 1 to 64 of a-z 0-9 . _ - "
                    "(not starting with . or -) and the domain of DNS labels",
                false);
  command_.address = address->full();
  command_.account = address->name;
  command_.domain = address->domain;
  return true;
}

// `optional`: an omitted domain is the logged-in account's own.
bool CommandReader::take_domain(std::size_t position, bool optional) {
  if (optional && !own_domain_.empty() && (next_ >= args_.size() || !args_[next_].is_string())) {
    command_.domain = std::string(own_domain_);
    return true;
  }
  std::string text;
  if (!take_string(position, text)) return false;
  const auto domain = canonical_domain(text);
  if (!domain)
    return fail("'" + printable(text, 80) + "' is not a domain name: DNS labels of a-z 0-9 and '-', joined by '.'",
                false);
  command_.domain = *domain;
  return true;
}

// A {dictionary}, or the older NAME=VALUE arguments up to the line end.
bool CommandReader::take_settings(std::size_t position, bool password_allowed) {
  if (next_ >= args_.size()) return missing(position);
  std::string problem;
  if (args_[next_].kind == Value::Kind::Dictionary) {
    auto changes = parse_settings_dictionary(args_[next_], password_allowed, command_, problem);
    if (!changes) return fail(problem, false);
    command_.changes = std::move(*changes);
    ++next_;
    return true;
  }
  std::vector<std::string> items;
  for (; next_ < args_.size(); ++next_) {
    if (!args_[next_].is_string())
      return fail(quoting_position(next_ + 1, "settings are one {NAME=VALUE;} dictionary or NAME=VALUE strings"));
    items.push_back(args_[next_].text);
  }
  auto changes = parse_setting_arguments(items, problem);
  if (!changes) return fail(problem, false);
  command_.changes = std::move(*changes);
  return true;
}

// The settings are optional here, and only in the dictionary form: a
// NAME=VALUE after the domain is "too many arguments".
bool CommandReader::read_create_domain() {
  if (!take_domain(0, false)) return false;
  return !next_is(Value::Kind::Dictionary) || take_settings(1, false);
}

// [accountType] [external] [{settings}], or the older lone password.
bool CommandReader::read_create_account() {
  if (!take_address(0)) return false;
  const std::size_t extra = args_.size() - next_;
  if (extra == 1 && args_[next_].is_string() && !is_account_type_word(args_[next_].text)) return take_password_value();
  while (next_is(Value::Kind::String)) {
    if (!is_account_type_word(args_[next_].text))
      return fail("too many arguments, or argument " + std::to_string(next_ + 1) +
                  " is not an account type (MultiMailbox, TextMailbox, MailDirMailbox, SlicedMailbox, AGrade to "
                  "DGrade) nor 'external'");
    ++next_;
  }
  return !next_is(Value::Kind::Dictionary) || take_settings(1, true);
}

// CGP: name TO password (CLI.pm) or name PASSWORD password; the older form: name password.
bool CommandReader::read_set_account_password() {
  if (!take_address(0)) return false;
  if (args_.size() - next_ == 2 && args_[next_].is_string() &&
      (equal_ignoring_case(args_[next_].text, "TO") || equal_ignoring_case(args_[next_].text, "PASSWORD")))
    ++next_;
  if (next_ >= args_.size()) return missing(1);
  if (!args_[next_].is_string())
    return fail(quoting_position(next_ + 1, "the password is a string, not an array or a dictionary"));
  return take_password_value();
}

bool CommandReader::take_password_value() {
  command_.password = Secret(args_[next_].text);
  command_.has_password = true;
  ++next_;
  return true;
}

// Rights as CGP's array, or the project's older comma-separated string;
// either way one list for parse_rights, which knows the names.
bool CommandReader::read_set_account_rights() {
  if (!take_address(0)) return false;
  if (next_ >= args_.size()) return missing(1);
  std::string list;
  if (args_[next_].kind == Value::Kind::Array) {
    for (const auto& item : args_[next_].items) {
      if (!item.is_string()) return fail(quoting_position(next_ + 1, "rights are strings"));
      list += (list.empty() ? "" : ",") + item.text;
    }
  } else if (args_[next_].is_string()) {
    list = args_[next_].text;
  } else {
    return fail(quoting_position(next_ + 1, "rights are an array of names, (CanModifyUserAccounts,CanMonitorServer)"));
  }
  ++next_;
  std::string problem;
  const auto rights = parse_rights(list, problem);
  if (!rights) return fail(printable(problem, 200), false);
  command_.rights = *rights;
  return true;
}

bool CommandReader::take_days(std::size_t position) {
  std::string text;
  if (!take_string(position, text)) return false;
  int days = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), days);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || days < 0 || days > 3650)
    return fail("'" + printable(text, 20) + "' is not a number of days (0 to 3650)", false);
  command_.days = days;
  return true;
}

// A private key is a secret: kept in `password`, wiped, never quoted back.
bool CommandReader::take_key_pem(std::size_t position) {
  if (next_ >= args_.size()) return missing(position);
  if (!args_[next_].is_string())
    return fail(quoting_position(next_ + 1, "the key is one quoted string of PEM text"));
  command_.password = Secret(args_[next_].text);
  wipe(args_[next_]);
  command_.has_password = true;
  ++next_;
  return true;
}

// {CommonName=...; AltNames=(a,b) or "a,b"; Country; Province; City;
// Organization; Unit; Contact; Days}, names without regard to case.
bool CommandReader::take_attributes(std::size_t position) {
  if (next_ >= args_.size()) return missing(position);
  if (args_[next_].kind != Value::Kind::Dictionary)
    return fail(quoting_position(next_ + 1, "the attributes are one {Name=value;} dictionary"));
  auto& a = command_.attributes;
  for (const auto& [key, value] : args_[next_].entries) {
    if (equal_ignoring_case(key, "AltNames")) {
      std::vector<std::string> names;
      if (value.kind == Value::Kind::Array) {
        for (const auto& item : value.items) {
          if (!item.is_string()) return fail("AltNames holds strings", false);
          names.push_back(item.text);
        }
      } else if (value.is_string()) {
        names = pki::split_names(value.text);
      } else {
        return fail("AltNames is a string or an array", false);
      }
      a.alt_names = std::move(names);
      continue;
    }
    if (!value.is_string()) return fail("the attribute " + printable(key, 40) + " is a string", false);
    if (equal_ignoring_case(key, "CommonName")) a.common_name = value.text;
    else if (equal_ignoring_case(key, "Country")) a.country = value.text;
    else if (equal_ignoring_case(key, "Province")) a.province = value.text;
    else if (equal_ignoring_case(key, "City")) a.city = value.text;
    else if (equal_ignoring_case(key, "Organization")) a.organization = value.text;
    else if (equal_ignoring_case(key, "Unit")) a.unit = value.text;
    else if (equal_ignoring_case(key, "Contact")) a.contact = value.text;
    else if (equal_ignoring_case(key, "Days")) {
      int days = 0;
      const auto& t = value.text;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), days);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size() || days < 1 || days > 3650)
        return fail("Days is a number of days", false);
      command_.days = days;
    } else {
      return fail("no certificate attribute is called '" + printable(key, 40) +
                      "' (CommonName, AltNames, Country, Province, City, Organization, Unit, Contact, Days)",
                  false);
    }
  }
  ++next_;
  return true;
}

// The domain may be left out only before a dictionary, where it cannot be
// mistaken for a setting.
bool CommandReader::read_update_domain_settings() {
  if (args_.empty() || args_.front().kind != Value::Kind::Dictionary || own_domain_.empty()) {
    if (!take_domain(0, false)) return false;
  } else {
    command_.domain = std::string(own_domain_);
  }
  return take_settings(1, false);
}

}  // namespace

Parsed parse_command(std::string_view line, std::string_view own_domain) {
  Parsed out;
  const auto space = line.find(' ');
  const VerbInfo* info = read_verb(line.substr(0, space), line.empty(), out.error);
  if (info == nullptr) return out;
  const std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  CommandReader reader(*info, own_domain);
  const bool read = info->verb == Verb::Pass
                        ? reader.read_password_line(rest)
                        : reader.read_objects(rest) && reader.read_verb_arguments() && reader.all_arguments_used();
  if (read) out.command = reader.take_command();
  else out.error = reader.take_error();
  return out;
}

Answer ok(std::string text) { return {Code::Ok, std::move(text), std::nullopt, false}; }
Answer error(std::string text) { return {Code::Error, std::move(text), std::nullopt, false}; }
Answer temporary(std::string text) { return {Code::Temporary, std::move(text), std::nullopt, false}; }
Answer with_data(Value data) { return {Code::Ok, "OK", std::move(data), false}; }

Answer from_status(const Status& status) {
  if (status.ok()) {
    std::string text = "OK";
    for (const auto& w : status.warnings) text += "; warning: " + w;
    return ok(std::move(text));
  }
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

std::string format_answer(const Answer& answer, bool inline_data) {
  if (answer.data && answer.code == Code::Ok) {
    if (inline_data) return "201 " + format_value(*answer.data) + "\r\n";
    return "200 data follow\r\n" + format_value(*answer.data) + "\r\n";
  }
  return std::to_string(static_cast<int>(answer.code)) + " " + printable(answer.text, 1000) + "\r\n";
}

AnswerLine parse_answer_line(std::string_view line) {
  AnswerLine out;
  if (line.size() < 3 || !std::all_of(line.begin(), line.begin() + 3, is_ascii_digit))
    return out;
  if (line.size() > 3 && line[3] != ' ') return out;
  out.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  out.text = std::string(line.size() > 4 ? line.substr(4) : std::string_view());
  return out;
}

}  // namespace authd::host::admin
