// Fuzz target: the password-scheme registry reading stored values. The
// input is split at its first NUL-free newline into a stored value and a
// password; every scheme's parser sees arbitrary bytes.
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "passwords/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using authd::fuzz::check;
  using namespace authd::passwords;
  const std::string_view input = authd::fuzz::as_text(data, size);
  const auto newline = input.find('\n');
  const std::string_view stored = input.substr(0, newline);
  const authd::Secret password(newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1));

  const auto& registry = Registry::instance();
  const Scheme* scheme = registry.identify(stored);
  // Slow schemes with attacker-chosen parameters are bounded by the registry;
  // keep the fuzzer on the parsers rather than on hashing time.
  if (scheme != nullptr && scheme->cost_rank >= 5) return 0;
  const Check result = registry.check(stored, password);
  if (scheme == nullptr) check(result == Check::Malformed || result == Check::Mismatch, "unknown schemes never match");
  if (result == Check::Match) {
    check(scheme != nullptr, "a match has a scheme");
    const auto again = registry.encode_like(stored, password);
    check(again.has_value(), "a matching value can be re-encoded");
  }
  authd::Secret clear;
  if (registry.clear_text(stored, clear)) check(scheme != nullptr && scheme->name == "PLAIN", "only PLAIN has clear text");
  CramMd5Context context;
  (void)registry.cram_md5_context(stored, context);
  // The password doubles as challenge and response.
  const ChallengeFit fit = registry.challenge_fit(stored);
  for (const SaslMethod method : {SaslMethod(SaslMethod::CramMd5), SaslMethod(SaslMethod::Apop)}) {
    const ChallengeCheck challenge = registry.check_challenge(stored, method, password.view(), password);
    if (challenge == ChallengeCheck::Match || challenge == ChallengeCheck::Mismatch)
      check(fit == ChallengeFit::Every || (fit == ChallengeFit::CramMd5Only && method == SaslMethod::CramMd5),
            "only clear text and CRAM-MD5 contexts answer challenges");
  }
  for (const SchemeMark mark : {SchemeMark::AnyPrefix, SchemeMark::KnownPrefix, SchemeMark::Recognised}) {
    const authd::Secret read = registry.with_default_scheme(stored, "PLAIN", mark);
    check(read.view() == stored || read.view() == "{PLAIN}" + std::string(stored), "the default only adds a prefix");
    if (mark != SchemeMark::AnyPrefix) check(registry.identify(read.view()) != nullptr, "the result is recognised");
  }
  return 0;
}
