// The one place where a verdict becomes a protocol answer.
//
// Name-harvesting protection lives here and nowhere else: with hide_unknown
// on, every credential failure (unknown name, wrong password, disabled entry,
// empty password, malformed name, unusable stored value) is answered with
// the same ERROR text, and no sooner than failure_answer_time after its
// request came in (held_until_failure_time), so that neither its time nor
// its place among the answers tells which it was. Backends report what they
// found; they never choose the words the client sees or when.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "authd/api/verdict.hpp"

namespace authd {

struct AnswerPolicy {
  bool hide_unknown = true;
  std::string reject_text = "incorrect account name or password";
  std::chrono::milliseconds failure_answer_time{0};  // 0: credential failures are answered at once
};

enum class Question {
  Password,  // VRFY and SASL: is this credential right?
  Existence, // NEW: may the helper supply this name?
};

// The protocol answer to `verdict`, appended to `out` as one response line.
void append_answer(std::string& out, std::string_view seq, Question question, const Verdict& verdict,
                   const AnswerPolicy& policy);

// Whether the answer to `verdict` is a credential failure to hold until
// failure_answer_time after its request came in. The dispatcher holds such
// answers on its own timer (no worker waits) and releases them in the order
// their requests came in.
bool held_until_failure_time(Question question, const Verdict& verdict, const AnswerPolicy& policy);

// The texts that do not come from a verdict.
namespace answer_text {
inline constexpr std::string_view unsupported_method = "unsupported SASL method";
inline constexpr std::string_view timed_out = "request timed out";
inline constexpr std::string_view overloaded = "overloaded, try again later";
inline constexpr std::string_view shutting_down = "shutting down";
inline constexpr std::string_view temporary = "temporarily unavailable";
inline constexpr std::string_view unknown_account = "this account is not known";
inline constexpr std::string_view too_long = "request line too long";
}  // namespace answer_text

}  // namespace authd
