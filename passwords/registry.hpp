// The password scheme registry: the one place that knows how passwords are
// stored. Every backend, the engine and the host check passwords through it.
//
// A stored value is either "{NAME}rest" (the scheme by its prefix, matched
// case-insensitively) or a bare crypt string ("$6$...", "$2b$...", a 13-char
// DES hash). Comparisons of derived values are constant-time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "passwords/challenge.hpp"

namespace authd::passwords {

struct Scheme {
  std::string_view name;  // canonical name: "SSHA", "SHA512-CRYPT", "CRAM-MD5", ...
  bool weak;              // plain text, unsalted digests, DES: refused unless allowed by policy
  bool slow;              // costly to check (crypt family, PBKDF2, Argon2): belongs on the worker pool
  int cost_rank;          // relative cost of one check, higher is slower; orders schemes for timing dummies
};

// What a stored value can serve of the challenge-response methods, from the
// least to the most; a source holding several values for one account hands
// over the one that serves most.
enum class ChallengeFit {
  Unrecognised,  // no scheme recognises it
  OneWay,        // a hash: no challenge-response method
  CramMd5Only,   // a {CRAM-MD5} context
  Every,         // clear text
};

// The default-scheme rule: a value stored without its scheme is read in a
// default scheme. What counts as carrying its scheme differs by source:
enum class SchemeMark {
  AnyPrefix,    // any "{NAME}" prefix, known or not, so that a value in a scheme authd lacks stays
                // unusable instead of becoming a password (SQL's default_scheme)
  KnownPrefix,  // a "{NAME}" prefix the registry recognises; bare crypt strings do not count (LDAP's
                // userPassword, where crypt is written "{CRYPT}")
  Recognised,   // anything the registry recognises, bare crypt strings included (the host's internal
                // passwords)
};

enum class Check {
  Match,
  Mismatch,
  Malformed,  // the stored value is not valid for its scheme (bad length, bad base64, unknown crypt id)
};

class Registry {
 public:
  static const Registry& instance();

  // The scheme of a stored value, or nullptr if no scheme recognises it.
  const Scheme* identify(std::string_view stored) const;

  // Check `password` against `stored`. Never throws for bad input.
  Check check(std::string_view stored, const Secret& password) const;

  // The clear text held by a {PLAIN}/{CLEARTEXT} value; false otherwise.
  bool clear_text(std::string_view stored, Secret& out) const;

  // The CRAM-MD5 context of a {CRAM-MD5} value, or computed from a clear-text
  // value; false for one-way hashes.
  bool cram_md5_context(std::string_view stored, CramMd5Context& out) const;

  // Check a challenge-response `response` (hex, either case) to `challenge`
  // under `method` against `stored`: clear text serves every method, a
  // {CRAM-MD5} context serves CRAM-MD5. Constant-time. Never throws for bad
  // input.
  ChallengeCheck check_challenge(std::string_view stored, SaslMethod method, std::string_view challenge,
                                 const Secret& response) const;

  // What `stored` can serve of the challenge-response methods, by its scheme.
  ChallengeFit challenge_fit(std::string_view stored) const;

  // The scheme a default-scheme setting of `name` reads bare values in:
  // nullptr when `name` is no "{NAME}" prefix the registry knows, or names
  // crypt strings (those are recognised bare and need no default).
  const Scheme* default_scheme(std::string_view name) const;

  // `stored` under the default-scheme rule: as it is when `mark` says it
  // carries its scheme, else with "{default_scheme}" in front. An empty
  // `default_scheme` leaves every value as it is.
  Secret with_default_scheme(std::string_view stored, std::string_view default_scheme, SchemeMark mark) const;

  // A new stored value for `password` in scheme `scheme_name` (a canonical
  // name), with a fresh random salt and default parameters. Returns the value
  // with its "{NAME}" prefix, or the bare crypt string for crypt schemes.
  // Throws std::invalid_argument for an unknown scheme name.
  std::string encode(std::string_view scheme_name, const Secret& password) const;

  // The value `like` would have for `password`: same scheme, salt and
  // parameters. Used for timing dummies. nullopt if `like` is malformed.
  std::optional<std::string> encode_like(std::string_view like, const Secret& password) const;

  // Every scheme, for documentation and tests.
  std::vector<const Scheme*> schemes() const;
};

}  // namespace authd::passwords
