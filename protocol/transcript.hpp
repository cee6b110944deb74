// Scripted sessions: files of "I:" (host to helper) and "O:" (helper to
// host) lines.
//
//   # a comment line        (ignored, as are blank lines)
//   ordered                 (optional, alone on a line: answers must come in file order)
//   I: 00001 INTF 1
//   O: 00001 OK 1
//   O: 00002 ERROR *        (a trailing '*' matches any rest of the line)
//
// Leading spaces before "I:"/"O:" are ignored; after the colon one space is
// expected and the rest of the line is the protocol line byte for byte.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace authd::protocol {

struct TranscriptLine {
  enum class Direction { Input, Output };
  Direction direction = Direction::Input;
  std::string text;
  int line_number = 0;  // in the transcript file, from 1
};

struct Transcript {
  bool ordered = false;
  std::vector<TranscriptLine> lines;
};

struct TranscriptError {
  int line_number = 0;
  std::string message;
};

std::variant<Transcript, TranscriptError> parse_transcript(std::string_view content);

// Whether an actual response line matches an expected one ("...*" matches
// any line that starts with "...").
bool transcript_line_matches(std::string_view expected, std::string_view actual) noexcept;

}  // namespace authd::protocol
