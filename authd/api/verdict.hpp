// authd plugin API: what a backend answers.
//
// Results are values. A backend never throws for a wrong password or an
// unknown name; it returns one of the kinds below. Exceptions are reserved
// for bugs and broken configuration, and the engine turns any that escape
// into a temporary failure for that one request.
#pragma once

#include <string>
#include <utility>

namespace authd {

enum class VerdictKind {
  Accept,       // the password (or challenge response) is right
  Reject,       // a definitive credential failure: wrong password, disabled entry, ...
  UnknownName,  // this backend does not know the name: the next backend of the route is asked
  TempFail,     // cannot decide now (backend down, timed out, overloaded); never counted as a wrong password
};

// Why a request was rejected. The engine turns every credential reason into
// one uniform answer when name-harvesting protection is on; the reason is
// kept for the log and for the answer when protection is off.
enum class RejectReason {
  WrongPassword,
  Disabled,
  EmptyPassword,
  MalformedName,
  UnusableSecret,  // the stored value cannot be used (weak scheme refused, malformed hash)
  UnsupportedMethod,  // the stored value cannot serve this challenge-response method (a one-way hash)
  Other,
};

struct Verdict {
  VerdictKind kind = VerdictKind::TempFail;
  RejectReason reason = RejectReason::Other;  // meaningful for Reject only
  std::string detail;  // for the log: never a password, never a secret

  static Verdict accept() { return {VerdictKind::Accept, RejectReason::Other, {}}; }
  static Verdict reject(RejectReason why, std::string detail = {}) {
    return {VerdictKind::Reject, why, std::move(detail)};
  }
  static Verdict unknown_name() { return {VerdictKind::UnknownName, RejectReason::Other, {}}; }
  static Verdict temp_fail(std::string why) {
    return {VerdictKind::TempFail, RejectReason::Other, std::move(why)};
  }

  bool accepted() const noexcept { return kind == VerdictKind::Accept; }
};

}  // namespace authd
