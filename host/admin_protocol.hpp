// The administration protocol's grammar: command lines in, answer lines
// out. Pure (no sockets, no Host): admin_server.hpp runs it; docs/
// admin-protocol.md is the user's description.
//
//   line      = verb *( SP argument ) [CR] LF        at most max_line_length bytes
//   verb      = a word of letters, any case
//   argument  = atom / quoted string                 protocol/quoting.hpp, the project's one rule
//   setting   = argument whose decoded text is NAME=VALUE (VALUE empty: remove it)
//   answer    = *( code "-" data CRLF ) code SP text CRLF
//   code      = "200" done / "400" temporary failure, try again / "500" refused or malformed
//
// Data lines are arguments in the same quoting: a setting line is
// `NAME=VALUE ORIGIN`, so what GET*SETTINGS prints can be sent back to
// UPDATE*SETTINGS byte for byte.
//
// Bad input never throws: parse_command returns the text of a 500 answer.
// That text never holds a password: PASS, SETACCOUNTPASSWORD and
// CREATEACCOUNT's password are reported by position only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authd/api/secret.hpp"
#include "host/host.hpp"

namespace authd::host::admin {

// A line longer than this (its line end not counted) is answered 500 and
// the connection closed: nothing legitimate comes near it.
inline constexpr std::size_t max_line_length = 8192;

enum class Verb {
  User,
  Pass,
  Quit,
  CreateDomain,
  DeleteDomain,
  ListDomains,
  CreateAccount,
  DeleteAccount,
  ListAccounts,
  SetAccountPassword,
  GetAccountSettings,
  UpdateAccountSettings,
  GetAccountRights,
  SetAccountRights,
  GetServerSettings,
  UpdateServerSettings,
  GetDomainSettings,
  UpdateDomainSettings,
  UnlockAccount,
  GetStatistics,
};

struct VerbInfo {
  Verb verb;
  std::string_view name;   // upper case, as documented
  std::string_view usage;  // the arguments, for error messages and HELP-like documentation
  bool before_login;       // allowed before the login (USER, PASS, QUIT)
};

// Every verb, in the order the documentation lists them.
const std::vector<VerbInfo>& verbs();
// Case-insensitive; nullptr for an unknown word.
const VerbInfo* find_verb(std::string_view word);

struct Command {
  Verb verb = Verb::Quit;
  std::string address;     // canonical name@domain: USER and the account commands
  std::string domain;      // canonical domain: the domain commands; the account commands' domain
  std::string account;     // canonical account name of `address`
  Secret password;         // PASS, SETACCOUNTPASSWORD, CREATEACCOUNT (has_password)
  bool has_password = false;
  SettingChanges changes;  // UPDATE*SETTINGS
  RightSet rights;         // SETACCOUNTRIGHTS
};

struct Parsed {
  std::optional<Command> command;
  std::string error;  // when there is no command: the text of the 500 answer
};

// One line without its line end.
Parsed parse_command(std::string_view line);

// The name of the server setting that holds the external authenticator's
// command line. Setting it would let whoever may change server settings run
// any program as the host: the network interface refuses it (see the docs).
bool is_refused_over_network(std::string_view setting_name) noexcept;

// The settings arguments of UPDATE*SETTINGS (exposed for the tests).
std::optional<SettingChanges> parse_setting_arguments(const std::vector<std::string>& arguments, std::string& error);

enum class Code { Ok = 200, Temporary = 400, Error = 500 };

struct Answer {
  Code code = Code::Ok;
  std::string text = "OK";
  std::vector<std::string> data;  // lines sent before the final one, already in protocol form
  bool close = false;             // close the connection after this answer
};

Answer ok(std::string text = "OK");
Answer error(std::string text);
Answer temporary(std::string text);
// A Host status: 200 OK, or 500/400 with the error's name and message.
Answer from_status(const Status& status);

// The answer as sent: CRLF line ends; control bytes in `text` shown as
// \ddd so that an error quoting the client's input stays one line.
std::string format_answer(const Answer& answer);

// Data lines.
std::string setting_line(const SettingView& view);
std::string value_line(std::string_view name, std::string_view value);

// One received answer line, for the client.
struct AnswerLine {
  int code = 0;         // 0: not an answer line
  bool last = false;    // "200 text" (true) or "200-data" (false)
  std::string text;
};
AnswerLine parse_answer_line(std::string_view line);

// Text for an answer, safe to put on one line: control bytes and DEL as
// \ddd, cut at `limit` bytes.
std::string printable(std::string_view text, std::size_t limit = 200);

}  // namespace authd::host::admin
