// The administration protocol's grammar: command lines in, answer lines
// out. Pure (no sockets, no Host): admin_server.hpp runs it; docs/
// admin-protocol.md is the user's description.
//
// The protocol is CommuniGate Pro's CLI (as spoken over its PWD port) for
// the commands the host implements, so that scripts written for it (CGP's
// Perl CLI.pm among them) work unchanged:
//
//   line      = verb *( SP object ) [CR] LF            at most max_line_length bytes
//   verb      = a word of letters, any case
//   object    = string / array / dictionary
//   string    = atom / quoted                          UTF-8, never a NUL byte
//   atom      = bytes up to a space (in an argument) or up to one of
//               space = ; , ( ) { } " (inside an array or a dictionary)
//   quoted    = '"' *( char / '\"' / '\\' / '\r' / '\n' / '\t' / '\e' / '\' 3DIGIT ) '"'
//   array     = "(" [ object *( "," object ) ] ")"
//   dictionary= "{" *( string "=" object ";" ) "}"
//   answer    = code SP text CRLF                      200 OK, 300 send PASS, 4xx, 5xx
//             / "200 data follow" CRLF object CRLF     a command that returns data
//             / "201" SP object CRLF                   the same after INLINE
//
// Settings are given as a dictionary ({UseExtPassword=YES;Password="a b";});
// the value `default` (or CLI.pm's #NULL#) removes a setting. The project's
// older forms (NAME=VALUE arguments, a password after CREATEACCOUNT's
// address, rights as one comma-separated string) are still accepted.
//
// Bad input never throws: parse_command returns the text of a 500 answer.
// That text never holds a password: PASS, SETACCOUNTPASSWORD, CREATEACCOUNT's
// password and a dictionary's Password are reported by position only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "authd/api/secret.hpp"
#include "host/host.hpp"
#include "host/pki/certificates.hpp"

namespace authd::host::admin {

// A line longer than this (its line end not counted) is answered 500 and
// the connection closed: nothing legitimate comes near it (the longest is a
// PEM chain of pki::max_pem_input bytes, quoted).
inline constexpr std::size_t max_line_length = 2 * pki::max_pem_input + 4096;
// Arrays and dictionaries nested deeper than this are refused.
inline constexpr int max_nesting = 16;

// ---------------------------------------------------------------------------
// CGP data objects.

struct Value {
  enum class Kind { String, Array, Dictionary };
  Kind kind = Kind::String;
  std::string text;                                   // String
  std::vector<Value> items;                           // Array
  std::vector<std::pair<std::string, Value>> entries;  // Dictionary, in the order given

  static Value string(std::string text);
  static Value array(std::vector<Value> items = {});
  static Value dictionary(std::vector<std::pair<std::string, Value>> entries = {});
  bool is_string() const noexcept { return kind == Kind::String; }
};

// Reads one object from the front of `rest` (leading spaces skipped) and
// advances `rest` past it. `top_level`: an atom runs to the next space (an
// argument such as bob@example.com or a=b), otherwise to the next delimiter.
// nullopt with `error` saying what is wrong (unterminated, too deep, a NUL
// byte, invalid UTF-8, a bad escape, a missing '=' or ';', a key given
// twice); `rest` is then unspecified.
// `utf8`: strings must be UTF-8 (false only for PASS: a password may be any bytes but NUL).
std::optional<Value> read_value(std::string_view& rest, bool top_level, std::string& error, bool utf8 = true);

// The text form, on one line: strings of letters and digits as atoms, the
// rest quoted (\" \\ and control bytes as \ddd). read_value(format_value(v)) == v.
std::string format_value(const Value& value);
void wipe(Value& value) noexcept;

// ---------------------------------------------------------------------------
// Commands.

enum class Verb {
  User,
  Pass,
  Quit,
  Inline,
  Noop,
  CreateDomain,
  DeleteDomain,
  ListDomains,
  CreateAccount,
  DeleteAccount,
  ListAccounts,
  SetAccountPassword,
  GetAccountSettings,
  GetAccountEffectiveSettings,
  UpdateAccountSettings,
  GetAccountRights,
  SetAccountRights,
  GetServerSettings,
  UpdateServerSettings,
  GetDomainSettings,
  UpdateDomainSettings,
  UnlockAccount,
  GetStatistics,
  // PKI (docs/admin-protocol.md, docs/pki.md).
  GetDomainPki,
  GenerateDomainKey,
  ImportDomainKey,
  RemoveDomainKey,
  SelfSignDomainCertificate,
  MakeDomainCsr,
  SetDomainCertificate,
  RefreshDomainCertificate,
  RemoveDomainCertificate,
  SetDomainCaChain,
  RemoveDomainCaChain,
  ExportDomainCertificate,
  SetDomainPkiMode,
  GetServerTrustedCerts,
  AddServerTrustedCert,
  RemoveServerTrustedCert,
  GetDomainTrustedCerts,
  AddDomainTrustedCert,
  RemoveDomainTrustedCert,
  CheckPki,
  GetTestCertificate,
  RefreshTestCertificate,
};

struct VerbInfo {
  Verb verb;
  std::string_view name;   // upper case, as documented
  std::string_view usage;  // the arguments, for error messages and documentation
  bool before_login;       // allowed before the login (USER, PASS, QUIT, INLINE, NOOP)
};

// Every verb, in the order the documentation lists them.
const std::vector<VerbInfo>& verbs();
// Case-insensitive; nullptr for an unknown word.
const VerbInfo* find_verb(std::string_view word);

struct Command {
  Verb verb = Verb::Quit;
  std::string address;     // canonical name@domain: USER (as typed) and the account commands
  std::string domain;      // canonical domain: the domain commands; the account commands' domain
  std::string account;     // canonical account name of `address`
  Secret password;         // PASS, SETACCOUNTPASSWORD, CREATEACCOUNT, a settings dictionary's Password
  bool has_password = false;
  bool remove_password = false;  // Password=default in a settings dictionary
  SettingChanges changes;  // UPDATE*SETTINGS, CREATEACCOUNT's and CREATEDOMAIN's settings
  RightSet rights;         // SETACCOUNTRIGHTS
  // PKI: a certificate's or chain's PEM, a serial number or fingerprint, a
  // PKI mode, a key type (IMPORTDOMAINKEY's key is in `password`: a secret).
  std::string argument;
  pki::CertificateAttributes attributes;  // SELFSIGNDOMAINCERTIFICATE, MAKEDOMAINCSR
  int days = -1;                          // -1: the default
  bool with_chain = false;                // EXPORTDOMAINCERTIFICATE ... CHAIN
};

struct Parsed {
  std::optional<Command> command;
  std::string error;  // when there is no command: the text of the 500 answer
};

// One line without its line end. `own_domain`: the domain of an account
// name given without @domain, and of the domain commands that omit their
// domain (the logged-in account's domain); empty before the login.
Parsed parse_command(std::string_view line, std::string_view own_domain = {});

// Settings that name a program the host runs, or how it checks passwords:
// whoever may change settings over the network must not reach them (see
// the docs).
bool is_refused_over_network(std::string_view setting_name) noexcept;

// The settings arguments of UPDATE*SETTINGS in the older NAME=VALUE form
// (exposed for the tests).
std::optional<SettingChanges> parse_setting_arguments(const std::vector<std::string>& arguments, std::string& error);

// A settings dictionary: names matched to the host's without case, values
// strings, `default` or #NULL# removes. `password` receives a Password key
// when `password_allowed` (it is never part of the changes).
std::optional<SettingChanges> parse_settings_dictionary(Value& dictionary, bool password_allowed, Command& command,
                                                        std::string& error);

// ---------------------------------------------------------------------------
// Answers.

enum class Code { Ok = 200, Inline = 201, Password = 300, Temporary = 400, Error = 500 };

struct Answer {
  Code code = Code::Ok;
  std::string text = "OK";
  std::optional<Value> data;  // an answer with data: "200 data follow" + the object, or "201 object"
  bool close = false;         // close the connection after this answer
};

Answer ok(std::string text = "OK");
Answer error(std::string text);
Answer temporary(std::string text);
Answer with_data(Value data);
// A Host status: 200 OK, or 500/400 with the error's name and message.
Answer from_status(const Status& status);

// The answer as sent: CRLF line ends; control bytes in `text` shown as
// \ddd so that an error quoting the client's input stays one line. With
// `inline_data` (after INLINE) data comes on the answer line as 201.
std::string format_answer(const Answer& answer, bool inline_data = false);

// One received answer line, for the client.
struct AnswerLine {
  int code = 0;         // 0: not an answer line
  std::string text;
};
AnswerLine parse_answer_line(std::string_view line);

// Text for an answer, safe to put on one line: control bytes and DEL as
// \ddd, cut at `limit` bytes.
std::string printable(std::string_view text, std::size_t limit = 200);

}  // namespace authd::host::admin
