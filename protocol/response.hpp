// Writing (helper side) and parsing (host side) of response lines.
//
//   response = seq SP ( "OK" [SP text] / "ERROR" [SP text] / "FAILURE" [SP text] )
//   intf     = seq SP "INTF" SP version      ; compat answer to INTF
//   info     = "*" SP text                    ; a log line for the host
//
// A written line never holds CR, LF or NUL inside its text (each becomes a
// space) and is cut so that the whole line, LF included, fits in
// max_response_line bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace authd::protocol {

enum class Status { Ok, Error, Failure };

std::string_view status_word(Status status) noexcept;

void append_response(std::string& out, std::string_view seq, Status status, std::string_view text = {});

// The answer to INTF: "seq OK version", or "seq INTF version" with intf_form.
void append_intf_response(std::string& out, std::string_view seq, std::uint64_t version, bool intf_form);

void append_info(std::string& out, std::string_view text);

// A parsed response line (host side). The INTF form carries no status: it
// answers INTF only, and is never an OK to anything else.
struct Response {
  std::string seq;                      // as written, leading zeros kept
  std::optional<Status> status;         // the status word; none for "seq INTF v"
  std::string text;                     // after the status word and one space
  bool intf_form = false;               // "seq INTF v"
  std::optional<std::uint64_t> version; // for OK/INTF answers whose text is a version number
};
struct InfoLine {
  std::string text;
};
struct ResponseError {
  std::string message;  // why the line is not a valid response
};

using ParsedResponse = std::variant<Response, InfoLine, ResponseError>;

// `line` is without its LF (a CR before it already stripped).
ParsedResponse parse_response(std::string_view line);

}  // namespace authd::protocol
