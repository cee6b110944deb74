#include "authd/answers.hpp"

#include "protocol/response.hpp"

namespace authd {

namespace {

std::string_view reject_text(RejectReason reason) {
  switch (reason) {
    case RejectReason::WrongPassword: return "incorrect password";
    case RejectReason::Disabled: return "account is disabled";
    case RejectReason::EmptyPassword: return "empty password";
    case RejectReason::MalformedName: return "malformed account name";
    case RejectReason::UnusableSecret: return "the stored password cannot be used";
    case RejectReason::UnsupportedMethod: return answer_text::unsupported_method;
    case RejectReason::Other: break;
  }
  return "access denied";
}

}  // namespace

bool held_until_failure_time(Question question, const Verdict& verdict, const AnswerPolicy& policy) {
  if (!policy.hide_unknown || policy.failure_answer_time.count() <= 0 || question != Question::Password) return false;
  return verdict.kind == VerdictKind::UnknownName || verdict.kind == VerdictKind::Reject;
}

void append_answer(std::string& out, std::string_view seq, Question question, const Verdict& verdict,
                   const AnswerPolicy& policy) {
  using protocol::Status;
  switch (verdict.kind) {
    case VerdictKind::Accept:
      protocol::append_response(out, seq, Status::Ok);
      return;
    case VerdictKind::TempFail:
      protocol::append_response(out, seq, Status::Failure, answer_text::temporary);
      return;
    case VerdictKind::UnknownName:
    case VerdictKind::Reject:
      break;
  }
  if (question == Question::Existence) {
    protocol::append_response(out, seq, Status::Error,
                              verdict.reason == RejectReason::MalformedName ? reject_text(verdict.reason)
                                                                           : answer_text::unknown_account);
    return;
  }
  if (policy.hide_unknown) {
    protocol::append_response(out, seq, Status::Error, policy.reject_text);
    return;
  }
  protocol::append_response(out, seq, Status::Error,
                            verdict.kind == VerdictKind::UnknownName ? std::string_view("unknown account name")
                                                                     : reject_text(verdict.reason));
}

}  // namespace authd
