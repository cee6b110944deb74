// Running a scripted session (protocol/transcript.hpp) against any helper.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace authd::host {

struct ReplayResult {
  // Empty: every expected line arrived as expected. In session order (the
  // expected line's place in the file); answers that no line expected, and
  // lines that are not responses, come last, in the order they arrived.
  std::vector<std::string> mismatches;
  std::vector<std::string> received;  // every line the helper wrote, information lines too, in arrival order
  std::size_t expected = 0;           // the session's "O:" lines
  std::size_t as_expected = 0;        // of those, the ones that arrived and matched
};

// Start `command` (a program named without a slash is looked up on PATH),
// send the session's input lines (after the helper's INTF handshake, which
// the session may contain itself), and compare what comes back with the
// session's output lines. An answer to INTF n matches in either form the
// host accepts ("OK v" or "INTF v"), by the version the host would use,
// min(v, n). `limit` bounds the wait for answers.
ReplayResult replay_session(const std::string& session_text, const std::vector<std::string>& command,
                            std::chrono::milliseconds limit);

}  // namespace authd::host
