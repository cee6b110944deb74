#include "protocol/transcript.hpp"

namespace authd::protocol {

namespace {

std::string_view trim_leading(std::string_view text) noexcept {
  const std::size_t first = text.find_first_not_of(" \t");
  return first == std::string_view::npos ? std::string_view{} : text.substr(first);
}

std::string_view trim_trailing(std::string_view text) noexcept {
  const std::size_t last = text.find_last_not_of(" \t");
  return last == std::string_view::npos ? std::string_view{} : text.substr(0, last + 1);
}

}  // namespace

std::variant<Transcript, TranscriptError> parse_transcript(std::string_view content) {
  Transcript transcript;
  int line_number = 0;
  while (!content.empty()) {
    ++line_number;
    const std::size_t lf = content.find('\n');
    std::string_view line = content.substr(0, lf);
    content.remove_prefix(lf == std::string_view::npos ? content.size() : lf + 1);
    // Transcripts edited on Windows must still work.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    const std::string_view body = trim_leading(line);
    if (body.empty() || body.front() == '#') continue;
    if (trim_trailing(body) == "ordered") {
      transcript.ordered = true;
      continue;
    }
    const bool input = body.starts_with("I:");
    if (!input && !body.starts_with("O:")) {
      return TranscriptError{line_number, "expected I: or O: line (or a # comment, or 'ordered')"};
    }
    if (body.size() < 3 || body[2] != ' ') {
      return TranscriptError{line_number, "expected one space after I: or O:, then the protocol line"};
    }
    transcript.lines.push_back({input ? TranscriptLine::Direction::Input : TranscriptLine::Direction::Output,
                                std::string(body.substr(3)), line_number});
  }
  return transcript;
}

bool transcript_line_matches(std::string_view expected, std::string_view actual) noexcept {
  if (!expected.empty() && expected.back() == '*') {
    expected.remove_suffix(1);
    return actual.starts_with(expected);
  }
  return expected == actual;
}

}  // namespace authd::protocol
