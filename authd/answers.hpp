// The one place where a verdict becomes a protocol answer.
//
// Name-harvesting protection lives here and nowhere else: with hide_unknown
// on, every credential failure (unknown name, wrong password, disabled entry,
// empty password, malformed name, unusable stored value) is answered with
// the same ERROR text. Backends report what they found; they never choose
// the words the client sees.
#pragma once

#include <string>
#include <string_view>

#include "authd/api/verdict.hpp"

namespace authd {

struct AnswerPolicy {
  bool hide_unknown = true;
  std::string reject_text = "incorrect account name or password";
};

enum class Question {
  Password,  // VRFY and SASL: is this credential right?
  Existence, // NEW: may the helper supply this name?
};

// The protocol answer to `verdict`, appended to `out` as one response line.
void append_answer(std::string& out, std::string_view seq, Question question, const Verdict& verdict,
                   const AnswerPolicy& policy);

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
