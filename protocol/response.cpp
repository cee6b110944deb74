#include "protocol/response.hpp"

#include <algorithm>
#include <charconv>

#include "base/ascii.hpp"
#include "protocol/limits.hpp"

namespace authd::protocol {

namespace {

using base::is_ascii_digit;

bool is_continuation_byte(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Cuts `text` to at most `budget` bytes. The host logs this text, so a cut
// that would split a UTF-8 sequence drops the whole sequence instead; bytes
// that are not UTF-8 are simply cut.
std::string_view cut_text(std::string_view text, std::size_t budget) noexcept {
  if (text.size() <= budget) return text;
  std::size_t cut = budget;
  for (int back = 0; back < 3 && cut > 0 && is_continuation_byte(text[cut]); ++back) --cut;
  const bool at_lead_byte = static_cast<unsigned char>(text[cut]) >= 0xC0;
  return text.substr(0, at_lead_byte || cut == budget ? cut : budget);
}

// A byte that would end or corrupt the response line becomes a space.
void append_sanitized(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out.append(text);
  for (std::size_t i = start; i < out.size(); ++i) {
    const char c = out[i];
    if (c == '\r' || c == '\n' || c == '\0') out[i] = ' ';
  }
}

// Appends " text" if any of it fits, given the bytes the line holds so far.
void append_text(std::string& out, std::size_t used, std::string_view text) {
  // One byte for the separating space, one for the LF.
  if (text.empty() || used + 2 >= max_response_line) return;
  const std::string_view kept = cut_text(text, max_response_line - used - 2);
  if (kept.empty()) return;
  out.push_back(' ');
  append_sanitized(out, kept);
}

std::optional<std::uint64_t> parse_version(std::string_view text) noexcept {
  if (text.empty() || text.size() > max_sequence_digits) return std::nullopt;
  for (const char c : text) {
    if (!is_ascii_digit(c)) return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Status> parse_status(std::string_view word) noexcept {
  if (word == "OK") return Status::Ok;
  if (word == "ERROR") return Status::Error;
  if (word == "FAILURE") return Status::Failure;
  return std::nullopt;
}

}  // namespace

std::string_view status_word(Status status) noexcept {
  switch (status) {
    case Status::Ok:
      return "OK";
    case Status::Error:
      return "ERROR";
    case Status::Failure:
      return "FAILURE";
  }
  return "FAILURE";
}

void append_response(std::string& out, std::string_view seq, Status status, std::string_view text) {
  const std::size_t start = out.size();
  out.append(seq);
  out.push_back(' ');
  out.append(status_word(status));
  append_text(out, out.size() - start, text);
  out.push_back('\n');
}

void append_intf_response(std::string& out, std::string_view seq, std::uint64_t version, bool intf_form) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, version);
  out.append(seq);
  out.append(intf_form ? " INTF " : " OK ");
  out.append(digits, result.ptr);
  out.push_back('\n');
}

void append_info(std::string& out, std::string_view text) {
  out.push_back('*');
  append_text(out, 1, text);
  out.push_back('\n');
}

ParsedResponse parse_response(std::string_view line) {
  if (line.size() >= max_response_line) {
    return ResponseError{"response line longer than 4096 bytes (LF included)"};
  }
  if (line.find('\0') != std::string_view::npos) return ResponseError{"NUL byte in response line"};

  if (!line.empty() && line.front() == '*') {
    if (line.size() == 1) return InfoLine{};
    if (line[1] == ' ') return InfoLine{std::string(line.substr(2))};
    return ResponseError{"information line without a space after '*'"};
  }

  std::size_t digits = 0;
  while (digits < line.size() && is_ascii_digit(line[digits])) ++digits;
  if (digits == 0) return ResponseError{"response line does not start with a sequence number or '*'"};
  if (digits > max_sequence_digits) return ResponseError{"sequence number longer than 20 digits in response"};
  if (digits == line.size() || line[digits] != ' ') {
    return ResponseError{"sequence number not followed by a space and a status word in response"};
  }

  Response response;
  response.seq.assign(line.substr(0, digits));
  std::string_view rest = line.substr(digits + 1);
  const std::size_t word_end = std::min(rest.find(' '), rest.size());
  const std::string_view word = rest.substr(0, word_end);
  const std::string_view text = word_end < rest.size() ? rest.substr(word_end + 1) : std::string_view{};

  if (word == "INTF") {
    response.version = parse_version(text);
    if (!response.version) return ResponseError{"INTF response without a numeric version"};
    response.intf_form = true;
    response.text.assign(text);
    return response;
  }
  const auto status = parse_status(word);
  if (!status) return ResponseError{"unknown status word in response (expected OK, ERROR, FAILURE or INTF)"};
  response.status = *status;
  response.text.assign(text);
  if (*status == Status::Ok) response.version = parse_version(text);
  return response;
}

}  // namespace authd::protocol
