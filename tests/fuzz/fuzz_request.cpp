// Fuzz target: the helper's input path, LineReader -> parse_request, and the
// quoting that both sides share.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "protocol/line_reader.hpp"
#include "protocol/quoting.hpp"
#include "protocol/request.hpp"

namespace {

using authd::fuzz::check;
using namespace authd::protocol;

bool is_digits(std::string_view text) {
  return text.find_first_not_of("0123456789") == std::string_view::npos;
}

bool looks_like_mode(std::string_view argument) {
  return argument.size() >= 3 && argument.front() == '(' && argument.back() == ')' &&
         argument.find(' ') == std::string_view::npos;
}

// Writes a parsed request back as a line; parsing that line must give the
// same request. Returns false where the grammar cannot express the request
// (an account that would read as a mode).
bool write_request(const Request& request, std::string& line) {
  line = request.seq;
  switch (request.command) {
    case Command::Intf:
      line += " INTF " + std::to_string(request.version);
      return true;
    case Command::Quit:
      line += " QUIT";
      return true;
    case Command::New:
      line += " NEW ";
      append_quoted_argument(line, request.account);
      return true;
    case Command::Vrfy:
      line += " VRFY";
      break;
    case Command::Sasl:
      line += " SASL(" + request.method + ")";
      break;
  }
  if (request.mode.empty() && looks_like_mode(request.account)) return false;
  if (!request.mode.empty()) line += " (" + request.mode + ")";
  line += ' ';
  append_quoted_argument(line, request.account);
  line += ' ';
  append_quoted_argument(line, request.secret.view());
  if (request.command == Command::Sasl) {
    line += ' ';
    append_quoted_argument(line, request.challenge);
  }
  return true;
}

void check_parse(std::string_view line) {
  const auto parsed = parse_request(line);
  const auto seq = leading_sequence(line);
  if (const auto* error = std::get_if<RequestError>(&parsed)) {
    check(!error->message.empty(), "an error says what is wrong");
    check(error->seq.empty() || (seq && error->seq == *seq), "an error carries the line's own sequence number");
    return;
  }
  const auto& request = std::get<Request>(parsed);
  check(seq.has_value() && request.seq == *seq, "a request has the line's sequence number");
  check(!request.seq.empty() && request.seq.size() <= max_sequence_digits && is_digits(request.seq),
        "a sequence number is 1-20 digits");
  check(request.command != Command::Intf || request.version <= 9999999999u, "INTF versions have at most 10 digits");
  check(request.command != Command::Sasl || !request.method.empty(), "SASL has a method");
  check(request.mode.find(' ') == std::string::npos, "a mode is one atom");

  std::string again;
  if (!write_request(request, again)) return;
  const auto reparsed = parse_request(again);
  check(std::holds_alternative<Request>(reparsed), "a written request parses");
  const auto& copy = std::get<Request>(reparsed);
  check(copy.seq == request.seq && copy.command == request.command && copy.method == request.method &&
            copy.mode == request.mode && copy.account == request.account &&
            copy.secret.view() == request.secret.view() && copy.challenge == request.challenge &&
            copy.version == request.version,
        "a written request parses to the same request");
}

struct Seen {
  std::string text;
  bool overlong;
};

// What LineReader must produce for `input`, computed the slow, obvious way.
std::vector<Seen> expected_lines(std::string_view input, std::size_t max_line) {
  std::vector<Seen> lines;
  const std::size_t head = std::min(LineReader::overlong_head, max_line + 1);
  while (!input.empty()) {
    const std::size_t lf = input.find('\n');
    std::string_view line = input.substr(0, lf);
    input.remove_prefix(lf == std::string_view::npos ? input.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) {
      lines.push_back({std::string(line.substr(0, head)), true});
    } else {
      lines.push_back({std::string(line), false});
    }
  }
  return lines;
}

void check_reader(std::string_view input, std::size_t max_line, std::uint8_t chunk_seed) {
  LineReader reader(max_line);
  std::vector<Seen> lines;
  std::size_t chunk = 1 + chunk_seed % 97;
  auto take = [&](std::optional<LineReader::Line> line) {
    if (!line) return false;
    check(line->text.find('\n') == std::string_view::npos, "a line holds no LF");
    check(line->overlong || line->text.size() <= max_line, "a line that is not overlong fits the limit");
    check(!line->overlong || line->text.size() <= LineReader::overlong_head, "an overlong report is a head only");
    lines.push_back({std::string(line->text), line->overlong});
    return true;
  };
  for (std::size_t at = 0; at < input.size();) {
    reader.feed(input.substr(at, chunk));
    at += chunk;
    while (take(reader.next())) {
    }
    check(reader.pending_bytes() <= max_line + 1, "pending bytes stay within one line");
    chunk = 1 + (chunk * 31 + chunk_seed) % 257;
  }
  while (take(reader.finish())) {
  }
  const auto expected = expected_lines(input, max_line);
  check(lines.size() == expected.size(), "LineReader finds every line once");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    check(lines[i].overlong == expected[i].overlong && lines[i].text == expected[i].text,
          "LineReader agrees with the reference split");
  }
}

void check_quoting(std::string_view input) {
  std::string bytes(input);
  std::erase(bytes, '\0');
  const std::string quoted = quote_argument(bytes);
  check(quoted.find_first_of(std::string("\r\n\0", 3)) == std::string::npos, "a quoted argument stays on its line");
  check(!is_atom(bytes) || quoted == bytes, "an atom is sent as it is");
  std::string_view rest = quoted;
  std::string decoded;
  check(next_argument(rest, decoded) == ArgumentStatus::Ok, "a quoted argument decodes");
  check(decoded == bytes, "quoting round-trips");
  check(rest.empty(), "a quoted argument is one argument");

  // Decoding arbitrary text must stay inside it and never yield NUL.
  rest = input;
  authd::Secret secret;
  while (next_argument(rest, secret) == ArgumentStatus::Ok) {
    check(secret.view().find('\0') == std::string_view::npos, "no decoded NUL");
    check(secret.size() <= input.size(), "decoding never grows");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = authd::fuzz::as_text(data, size);
  check_parse(input);
  const std::uint8_t seed = size == 0 ? 0 : data[0];
  check_reader(input, max_request_line, seed);
  // A small limit reaches the overlong paths with short inputs.
  check_reader(input, 1 + seed % 40, seed);
  LineReader reader;
  reader.feed(input);
  while (auto line = reader.next()) check_parse(line->text);
  while (auto line = reader.finish()) check_parse(line->text);
  check_quoting(input);
  return 0;
}
