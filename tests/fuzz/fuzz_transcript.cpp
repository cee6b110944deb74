// Fuzz target: the transcript parser and the expected-line matcher.
#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "protocol/transcript.hpp"

namespace {

using authd::fuzz::check;
using namespace authd::protocol;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = authd::fuzz::as_text(data, size);
  const int line_count = static_cast<int>(std::count(input.begin(), input.end(), '\n')) + 1;

  const auto parsed = parse_transcript(input);
  if (const auto* error = std::get_if<TranscriptError>(&parsed)) {
    check(error->line_number >= 1 && error->line_number <= line_count, "an error names a line of the file");
    check(!error->message.empty(), "an error says what is wrong");
  } else {
    const auto& transcript = std::get<Transcript>(parsed);
    int previous = 0;
    for (const auto& line : transcript.lines) {
      check(line.line_number > previous && line.line_number <= line_count, "line numbers rise within the file");
      previous = line.line_number;
      check(line.text.find('\n') == std::string::npos, "a protocol line holds no LF");
      check(input.find(line.text) != std::string_view::npos, "a protocol line is taken from the file as it is");
      check(transcript_line_matches(line.text, line.text), "a line matches itself");
    }
  }

  // Split the input into an expected and an actual line.
  const std::size_t half = size / 2;
  const std::string_view expected = input.substr(0, half);
  const std::string_view actual = input.substr(half);
  const bool matches = transcript_line_matches(expected, actual);
  if (expected.ends_with('*')) {
    check(matches == actual.starts_with(expected.substr(0, expected.size() - 1)), "a wildcard matches a prefix");
  } else {
    check(matches == (expected == actual), "without a wildcard only equal lines match");
  }
  return 0;
}
