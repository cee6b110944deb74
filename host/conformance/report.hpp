// The conformance kit's report card, as text for a person and as one JSON
// object for scripts. Everything in a Report is already masked (no supplied
// password) and made safe to print; these functions only lay it out.
#pragma once

#include <string>

#include "host/conformance/conformance.hpp"

namespace authd::host::conformance {

// One line per case ("PASS  name  explanation: detail"), what was sent and
// received under each failure and finding, and a summary line.
std::string format_text(const Report& report);

// {"helper": [...], "accounts": [...], "unknown": "...", "timeout_ms": N,
//  "cases": [{"name", "result", "explanation", "detail", "sent", "received"}],
//  "summary": {"pass", "fail", "finding", "not_applicable"},
//  "exit_code": N, "error": "..." (only when the helper could not be run)}
std::string format_json(const Report& report);

}  // namespace authd::host::conformance
