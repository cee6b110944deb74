#include "protocol/request.hpp"

#include <algorithm>
#include <optional>

#include "base/ascii.hpp"
#include "protocol/limits.hpp"
#include "protocol/quoting.hpp"

namespace authd::protocol {

namespace {

// Longer than any real interface version and short enough for a uint64_t.
constexpr std::size_t max_version_digits = 10;

constexpr std::string_view malformed_quoted = "malformed quoted string";

using base::is_ascii_digit;

bool all_digits(std::string_view text) noexcept {
  for (const char c : text) {
    if (!is_ascii_digit(c)) return false;
  }
  return true;
}

// The next space-delimited token of `rest`, after any run of spaces.
std::string_view take_token(std::string_view& rest) noexcept {
  const std::size_t first = rest.find_first_not_of(' ');
  if (first == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(first);
  const std::size_t end = std::min(rest.find(' '), rest.size());
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

// The helper logs this text, so it says what was expected.
std::string_view why_no_sequence(std::string_view line) noexcept {
  if (line.empty()) return "empty line";
  if (line.front() == ' ') return "line starts with a space instead of a sequence number";
  if (!is_ascii_digit(line.front())) return "line does not start with a sequence number";
  std::size_t digits = 0;
  while (digits < line.size() && is_ascii_digit(line[digits])) ++digits;
  if (digits > max_sequence_digits) return "sequence number longer than 20 digits";
  return "sequence number not followed by a space";
}

// A leading "(...)" atom names the service that asked; anything else is
// already the account and stays in `rest`.
void take_mode(std::string_view& rest, std::string& mode) {
  std::string_view after = rest;
  const std::string_view token = take_token(after);
  if (token.size() >= 3 && token.front() == '(' && token.back() == ')') {
    mode.assign(token.substr(1, token.size() - 2));
    rest = after;
  }
}

struct Parser {
  std::string_view seq;
  std::string_view rest;
  Request request;

  RequestError fail(std::string_view message) const { return {std::string(seq), std::string(message)}; }

  // Takes one required argument; nullopt on success, the error otherwise.
  template <typename Out>
  std::optional<RequestError> take(Out& out, std::string_view missing) {
    switch (next_argument(rest, out)) {
      case ArgumentStatus::Ok:
        return std::nullopt;
      case ArgumentStatus::End:
        return fail(missing);
      case ArgumentStatus::Unterminated:
      case ArgumentStatus::BadEscape:
        break;
    }
    return fail(malformed_quoted);
  }

  ParsedRequest vrfy() {
    request.command = Command::Vrfy;
    take_mode(rest, request.mode);
    constexpr std::string_view missing = "VRFY needs name@domain and password";
    if (auto error = take(request.account, missing)) return std::move(*error);
    if (auto error = take(request.secret, missing)) return std::move(*error);
    return std::move(request);
  }

  ParsedRequest sasl(std::string_view word) {
    constexpr std::string_view needs_method = "SASL needs a method: SASL(method)";
    // "SASL(" + at least one byte + ")"
    if (word.size() < 7 || word[4] != '(' || word.back() != ')') return fail(needs_method);
    request.command = Command::Sasl;
    request.method.assign(word.substr(5, word.size() - 6));
    take_mode(rest, request.mode);
    constexpr std::string_view missing = "SASL needs name@domain, response and challenge";
    if (auto error = take(request.account, missing)) return std::move(*error);
    if (auto error = take(request.secret, missing)) return std::move(*error);
    if (auto error = take(request.challenge, missing)) return std::move(*error);
    return std::move(request);
  }

  ParsedRequest intf() {
    request.command = Command::Intf;
    constexpr std::string_view needs_version = "INTF needs a numeric version";
    std::string version;
    if (auto error = take(version, needs_version)) return std::move(*error);
    if (version.empty() || version.size() > max_version_digits || !all_digits(version)) return fail(needs_version);
    std::uint64_t value = 0;
    for (const char c : version) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    request.version = value;
    return std::move(request);
  }

  ParsedRequest new_account() {
    request.command = Command::New;
    if (auto error = take(request.account, "NEW needs name@domain")) return std::move(*error);
    return std::move(request);
  }

  ParsedRequest parse() {
    const std::string_view word = take_token(rest);
    if (word.empty()) return fail("missing command after the sequence number");
    // CommuniGate sends command words in upper case; other hosts may not.
    if (base::equal_ignoring_case(word, "VRFY")) return vrfy();
    if (word.size() >= 4 && base::equal_ignoring_case(word.substr(0, 4), "SASL")) {
      if (word.size() == 4 || word[4] == '(') return sasl(word);
      return fail("unknown command");
    }
    if (base::equal_ignoring_case(word, "INTF")) return intf();
    if (base::equal_ignoring_case(word, "NEW")) return new_account();
    if (base::equal_ignoring_case(word, "QUIT")) {
      request.command = Command::Quit;
      return std::move(request);
    }
    return fail("unknown command");
  }
};

}  // namespace

std::optional<std::string_view> leading_sequence(std::string_view line) noexcept {
  std::size_t digits = 0;
  while (digits < line.size() && digits <= max_sequence_digits && is_ascii_digit(line[digits])) ++digits;
  if (digits == 0 || digits > max_sequence_digits) return std::nullopt;
  if (digits < line.size() && line[digits] != ' ') return std::nullopt;
  return line.substr(0, digits);
}

ParsedRequest parse_request(std::string_view line) {
  const auto seq = leading_sequence(line);
  if (line.find('\0') != std::string_view::npos) {
    return RequestError{seq ? std::string(*seq) : std::string(), "invalid NUL byte in request"};
  }
  if (!seq) return RequestError{std::string(), std::string(why_no_sequence(line))};
  Parser parser{*seq, line.substr(seq->size()), {}};
  parser.request.seq.assign(*seq);
  return parser.parse();
}

}  // namespace authd::protocol
