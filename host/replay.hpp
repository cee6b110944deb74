// Running a scripted session (protocol/transcript.hpp) against any helper.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace authd::host {

struct ReplayResult {
  std::vector<std::string> mismatches;  // empty: every expected line arrived as expected
  std::vector<std::string> received;    // every answer line, in arrival order
};

// Start `command`, send the session's input lines (after the helper's INTF
// handshake, which the session may contain itself), and compare what comes
// back with the session's output lines. `limit` bounds the wait for answers.
ReplayResult replay_session(const std::string& session_text, const std::vector<std::string>& command,
                            std::chrono::milliseconds limit);

}  // namespace authd::host
