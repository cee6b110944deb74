// Fuzz target: the host's response parser and the helper's response writer.
#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "protocol/limits.hpp"
#include "protocol/response.hpp"

namespace {

using authd::fuzz::check;
using namespace authd::protocol;

bool is_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

void check_parse(std::string_view line) {
  const auto parsed = parse_response(line);
  if (const auto* error = std::get_if<ResponseError>(&parsed)) {
    check(!error->message.empty(), "an error says what is wrong");
    return;
  }
  check(line.size() < max_response_line, "an accepted line fits the limit");
  check(line.find('\0') == std::string_view::npos, "an accepted line holds no NUL");
  if (const auto* info = std::get_if<InfoLine>(&parsed)) {
    check(line.starts_with('*') && line.ends_with(info->text), "an information line keeps its text");
    return;
  }
  const auto& response = std::get<Response>(parsed);
  check(is_digits(response.seq) && response.seq.size() <= max_sequence_digits, "a sequence number is 1-20 digits");
  check(line.starts_with(response.seq + ' '), "the sequence number starts the line");
  check(line.ends_with(response.text), "the text ends the line");
  check(!response.intf_form || (!response.status && response.version.has_value()),
        "an INTF answer carries its version and no status");
  check(response.intf_form || response.status.has_value(), "every other answer carries a status");
  check(!response.version || is_digits(response.text), "a version is the whole text");
}

// The written line must stay within the limit, hold one LF at its end and
// none of CR or NUL, and read back as what was written.
void check_written(const std::string& out, bool info) {
  check(!out.empty() && out.size() <= max_response_line, "a written line fits the limit");
  check(out.find('\n') == out.size() - 1, "a written line holds exactly one LF, at its end");
  check(out.find('\r') == std::string::npos && out.find('\0') == std::string::npos, "no CR or NUL in a written line");
  const auto parsed = parse_response(std::string_view(out).substr(0, out.size() - 1));
  check(info ? std::holds_alternative<InfoLine>(parsed) : std::holds_alternative<Response>(parsed),
        "a written line reads back");
}

std::string sanitized(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = authd::fuzz::as_text(data, size);
  check_parse(input);

  const std::uint8_t selector = size == 0 ? 0 : data[0];
  // 1 to 20 digits, so the longest sequence number is covered too.
  std::string seq(1 + selector % max_sequence_digits, '0');
  seq.back() = static_cast<char>('0' + selector % 10);
  const Status status = static_cast<Status>(selector % 3);

  std::string out;
  append_response(out, seq, status, input);
  check_written(out, false);
  const auto parsed = std::get<Response>(parse_response(std::string_view(out).substr(0, out.size() - 1)));
  check(parsed.seq == seq && parsed.status == status, "seq and status survive");
  check(sanitized(input).starts_with(parsed.text), "the text is a sanitised prefix of what was given");

  out.clear();
  append_info(out, input);
  check_written(out, true);

  std::uint64_t version = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(size, 8); ++i) version = version << 8 | data[i];
  out.clear();
  append_intf_response(out, seq, version, selector & 1);
  check_written(out, false);
  const auto intf = std::get<Response>(parse_response(std::string_view(out).substr(0, out.size() - 1)));
  check(intf.version == version && intf.intf_form == static_cast<bool>(selector & 1), "INTF answers read back");
  return 0;
}
