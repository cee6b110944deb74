#include "passwords/registry.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>

#include "base/ascii.hpp"
#include "passwords/scheme_handler.hpp"

namespace authd::passwords {
namespace {

using detail::DigestAlgorithm;

enum SchemeId : std::size_t {
  kPlain,
  kCramMd5,
  kMd5,
  kSha,
  kSha256,
  kSha512,
  kSmd5,
  kSsha,
  kSsha256,
  kSsha512,
  kDesCrypt,
  kBsdiCrypt,
  kMd5Crypt,
  kApr1,
  kSha256Crypt,
  kSha512Crypt,
  kPbkdf2Sha1,
  kPbkdf2Sha256,
  kPbkdf2Sha512,
  kBcrypt,
  kScrypt,
  kYescrypt,
  kArgon2,
  kSchemeCount,
};

// Indexed by SchemeId. `weak` follows what a policy must be able to refuse:
// clear text, unsalted digests and DES; `slow` marks what belongs on the
// worker pool.
constexpr std::array<Scheme, kSchemeCount> kSchemes = {{
    {"PLAIN", true, false, 0},
    {"CRAM-MD5", true, false, 1},
    {"MD5", true, false, 1},
    {"SHA", true, false, 1},
    {"SHA256", true, false, 1},
    {"SHA512", true, false, 1},
    {"SMD5", false, false, 2},
    {"SSHA", false, false, 2},
    {"SSHA256", false, false, 2},
    {"SSHA512", false, false, 2},
    {"DES-CRYPT", true, true, 3},
    {"BSDI-CRYPT", true, true, 3},
    {"MD5-CRYPT", false, true, 4},
    {"APR1", false, true, 4},
    {"SHA256-CRYPT", false, true, 5},
    {"SHA512-CRYPT", false, true, 5},
    {"PBKDF2-SHA1", false, true, 6},
    {"PBKDF2-SHA256", false, true, 6},
    {"PBKDF2-SHA512", false, true, 6},
    {"BCRYPT", false, true, 7},
    {"SCRYPT", false, true, 8},
    {"YESCRYPT", false, true, 8},
    {"ARGON2", false, true, 9},
}};

static_assert(std::ranges::none_of(kSchemes, [](const Scheme& scheme) { return scheme.name.empty(); }),
              "every SchemeId needs its Scheme");

// Crypt-family values are stored bare; the others carry "{NAME}".
constexpr bool is_crypt_family(std::size_t id) noexcept {
  switch (id) {
    case kDesCrypt:
    case kBsdiCrypt:
    case kMd5Crypt:
    case kApr1:
    case kSha256Crypt:
    case kSha512Crypt:
    case kBcrypt:
    case kScrypt:
    case kYescrypt:
      return true;
    default:
      return false;
  }
}

// How the text after a "{NAME}" prefix is read.
enum class Body {
  Own,            // the named scheme's own format
  CryptString,    // a crypt(3) string, whose own id decides the scheme
  DigestOrCrypt,  // Dovecot once wrote MD5-crypt strings under {MD5}
};

constexpr std::size_t kNoScheme = kSchemeCount;

struct Prefix {
  std::string_view name;
  std::size_t scheme;  // what encode() makes for this name; kNoScheme for none
  Body body;
};

// The prefixes OpenLDAP and Dovecot write, and the scheme each name encodes
// to when given to encode().
constexpr Prefix kPrefixes[] = {
    {"PLAIN", kPlain, Body::Own},
    {"CLEARTEXT", kPlain, Body::Own},
    {"CLEAR", kPlain, Body::Own},
    {"MD5", kMd5, Body::DigestOrCrypt},
    {"LDAP-MD5", kMd5, Body::Own},
    {"PLAIN-MD5", kMd5, Body::Own},
    {"SMD5", kSmd5, Body::Own},
    {"SHA", kSha, Body::Own},
    {"SHA1", kSha, Body::Own},
    {"SSHA", kSsha, Body::Own},
    {"SHA256", kSha256, Body::Own},
    {"SSHA256", kSsha256, Body::Own},
    {"SHA512", kSha512, Body::Own},
    {"SSHA512", kSsha512, Body::Own},
    {"CRAM-MD5", kCramMd5, Body::Own},
    {"HMAC-MD5", kCramMd5, Body::Own},
    {"PBKDF2", kPbkdf2Sha1, Body::Own},
    {"PBKDF2-SHA1", kPbkdf2Sha1, Body::Own},
    {"PBKDF2-SHA256", kPbkdf2Sha256, Body::Own},
    {"PBKDF2-SHA512", kPbkdf2Sha512, Body::Own},
    {"ARGON2", kArgon2, Body::Own},
    {"ARGON2I", kArgon2, Body::Own},
    {"ARGON2ID", kArgon2, Body::Own},
    {"CRYPT", kNoScheme, Body::CryptString},
    {"DES-CRYPT", kDesCrypt, Body::CryptString},
    {"BSDI-CRYPT", kBsdiCrypt, Body::CryptString},
    {"MD5-CRYPT", kMd5Crypt, Body::CryptString},
    {"SHA256-CRYPT", kSha256Crypt, Body::CryptString},
    {"SHA512-CRYPT", kSha512Crypt, Body::CryptString},
    {"BLF-CRYPT", kBcrypt, Body::CryptString},
    {"BCRYPT", kBcrypt, Body::CryptString},
    {"SCRYPT", kScrypt, Body::CryptString},
    {"YESCRYPT", kYescrypt, Body::CryptString},
};

// Prefix names are short; anything longer is not a prefix we know.
constexpr std::size_t kMaxPrefixName = 16;

using base::equal_ignoring_case;

bool is_crypt_digit(char c) noexcept {
  return c == '.' || c == '/' || base::is_ascii_alnum(c);
}

bool all_crypt_digits(std::string_view text) noexcept {
  for (const char c : text) {
    if (!is_crypt_digit(c)) return false;
  }
  return true;
}

// The scheme of a crypt(3) string by its id; kNoScheme if none of ours.
std::size_t classify_crypt(std::string_view value) noexcept {
  struct Id {
    std::string_view prefix;
    std::size_t scheme;
  };
  static constexpr Id kIds[] = {
      {"$apr1$", kApr1},
      {"$1$", kMd5Crypt},
      {"$5$", kSha256Crypt},
      {"$6$", kSha512Crypt},
      {"$2a$", kBcrypt},
      {"$2b$", kBcrypt},
      {"$2y$", kBcrypt},
      {"$y$", kYescrypt},
      {"$7$", kScrypt},
  };
  for (const Id& id : kIds) {
    if (value.starts_with(id.prefix)) return id.scheme;
  }
  // Traditional DES: two salt characters and eleven of hash. BSDi: '_', four
  // of count, four of salt, eleven of hash.
  if (value.size() == 13 && all_crypt_digits(value)) return kDesCrypt;
  if (value.size() == 20 && value[0] == '_' && all_crypt_digits(value.substr(1))) return kBsdiCrypt;
  return kNoScheme;
}

struct Identified {
  std::size_t scheme;
  std::string_view prefix;  // as written, braces included; empty for bare crypt
  std::string_view body;
};

const Prefix* find_prefix(std::string_view name) noexcept {
  for (const Prefix& prefix : kPrefixes) {
    if (equal_ignoring_case(prefix.name, name)) return &prefix;
  }
  return nullptr;
}

std::optional<Identified> identify_value(std::string_view stored) noexcept {
  if (!stored.starts_with('{')) {
    const std::size_t scheme = classify_crypt(stored);
    if (scheme == kNoScheme) return std::nullopt;
    return Identified{scheme, {}, stored};
  }
  const auto close = stored.find('}');
  if (close == std::string_view::npos || close - 1 > kMaxPrefixName) return std::nullopt;
  const Prefix* prefix = find_prefix(stored.substr(1, close - 1));
  if (prefix == nullptr) return std::nullopt;
  const std::string_view body = stored.substr(close + 1);
  std::size_t scheme = prefix->scheme;
  if (prefix->body == Body::CryptString || (prefix->body == Body::DigestOrCrypt && body.starts_with("$1$"))) {
    scheme = classify_crypt(body);
    if (scheme == kNoScheme) return std::nullopt;
  }
  return Identified{scheme, stored.substr(0, close + 1), body};
}

// The scheme encode() makes for a canonical name or an alias.
std::size_t scheme_named(std::string_view name) noexcept {
  for (std::size_t id = 0; id < kSchemes.size(); ++id) {
    if (equal_ignoring_case(kSchemes[id].name, name)) return id;
  }
  const Prefix* prefix = find_prefix(name);
  return prefix == nullptr ? kNoScheme : prefix->scheme;
}

bool is_prefix_name_char(char c) noexcept { return base::is_ascii_alnum(c) || c == '-' || c == '_' || c == '.'; }

// Whether `value` starts with "{NAME}" of a name's form, known or not.
bool has_prefix_form(std::string_view value) noexcept {
  if (!value.starts_with('{')) return false;
  const auto close = value.find('}');
  if (close == std::string_view::npos) return false;
  const std::string_view name = value.substr(1, close - 1);
  return !name.empty() && name.size() <= kMaxPrefixName && std::ranges::all_of(name, is_prefix_name_char);
}

bool carries_scheme(std::string_view value, SchemeMark mark) noexcept {
  switch (mark) {
    case SchemeMark::AnyPrefix: return has_prefix_form(value);
    case SchemeMark::KnownPrefix: return value.starts_with('{') && identify_value(value).has_value();
    case SchemeMark::Recognised: return identify_value(value).has_value();
  }
  return false;
}

using HandlerTable = std::array<std::unique_ptr<const detail::SchemeHandler>, kSchemeCount>;

HandlerTable make_handlers() {
  HandlerTable handlers;
  handlers[kPlain] = detail::make_plain_handler();
  handlers[kCramMd5] = detail::make_cram_md5_handler();
  handlers[kMd5] = detail::make_digest_handler(DigestAlgorithm::Md5);
  handlers[kSha] = detail::make_digest_handler(DigestAlgorithm::Sha1);
  handlers[kSha256] = detail::make_digest_handler(DigestAlgorithm::Sha256);
  handlers[kSha512] = detail::make_digest_handler(DigestAlgorithm::Sha512);
  handlers[kSmd5] = detail::make_salted_digest_handler(DigestAlgorithm::Md5);
  handlers[kSsha] = detail::make_salted_digest_handler(DigestAlgorithm::Sha1);
  handlers[kSsha256] = detail::make_salted_digest_handler(DigestAlgorithm::Sha256);
  handlers[kSsha512] = detail::make_salted_digest_handler(DigestAlgorithm::Sha512);
  // libxcrypt's defaults except bcrypt, whose default cost (5) is too cheap.
  handlers[kDesCrypt] = detail::make_crypt_handler("", 0);
  handlers[kBsdiCrypt] = detail::make_crypt_handler("_", 0);
  handlers[kMd5Crypt] = detail::make_crypt_handler("$1$", 0);
  handlers[kApr1] = detail::make_apr1_handler();
  handlers[kSha256Crypt] = detail::make_crypt_handler("$5$", 0);
  handlers[kSha512Crypt] = detail::make_crypt_handler("$6$", 0);
  handlers[kPbkdf2Sha1] = detail::make_pbkdf2_handler(DigestAlgorithm::Sha1);
  handlers[kPbkdf2Sha256] = detail::make_pbkdf2_handler(DigestAlgorithm::Sha256);
  handlers[kPbkdf2Sha512] = detail::make_pbkdf2_handler(DigestAlgorithm::Sha512);
  handlers[kBcrypt] = detail::make_crypt_handler("$2b$", 10);
  handlers[kScrypt] = detail::make_crypt_handler("$7$", 0);
  handlers[kYescrypt] = detail::make_crypt_handler("$y$", 0);
  handlers[kArgon2] = detail::make_argon2_handler();
  return handlers;
}

const detail::SchemeHandler& handler(std::size_t scheme) {
  static const HandlerTable handlers = make_handlers();
  return *handlers[scheme];
}

}  // namespace

const Registry& Registry::instance() {
  static const Registry registry;
  return registry;
}

const Scheme* Registry::identify(std::string_view stored) const {
  const auto identified = identify_value(stored);
  return identified ? &kSchemes[identified->scheme] : nullptr;
}

Check Registry::check(std::string_view stored, const Secret& password) const {
  const auto identified = identify_value(stored);
  if (!identified) return Check::Malformed;
  return handler(identified->scheme).check(identified->body, password.view());
}

bool Registry::clear_text(std::string_view stored, Secret& out) const {
  const auto identified = identify_value(stored);
  if (!identified || identified->scheme != kPlain) return false;
  out.assign(identified->body);
  return true;
}

bool Registry::cram_md5_context(std::string_view stored, CramMd5Context& out) const {
  const auto identified = identify_value(stored);
  if (!identified) return false;
  if (identified->scheme == kCramMd5) return CramMd5Context::from_hex(identified->body, out);
  if (identified->scheme == kPlain) {
    CramMd5Context::from_password(identified->body, out);
    return true;
  }
  return false;
}

ChallengeCheck Registry::check_challenge(std::string_view stored, SaslMethod method, std::string_view challenge,
                                         const Secret& response) const {
  const auto identified = identify_value(stored);
  if (!identified) return ChallengeCheck::Malformed;
  std::string expected;
  CramMd5Context context;
  switch (identified->scheme) {
    case kPlain:
      if (method == SaslMethod::Apop) {
        expected = apop_digest(challenge, Secret(identified->body));
        break;
      }
      CramMd5Context::from_password(identified->body, context);
      expected = cram_md5_response(context, challenge);
      break;
    case kCramMd5:
      if (method != SaslMethod::CramMd5) return ChallengeCheck::CannotServe;
      if (!CramMd5Context::from_hex(identified->body, context)) return ChallengeCheck::Malformed;
      expected = cram_md5_response(context, challenge);
      break;
    default:
      return ChallengeCheck::CannotServe;
  }
  const bool match = equal_hex_constant_time(expected, response.view());
  wipe_memory(expected.data(), expected.size());
  return match ? ChallengeCheck::Match : ChallengeCheck::Mismatch;
}

ChallengeFit Registry::challenge_fit(std::string_view stored) const {
  const auto identified = identify_value(stored);
  if (!identified) return ChallengeFit::Unrecognised;
  switch (identified->scheme) {
    case kPlain: return ChallengeFit::Every;
    case kCramMd5: return ChallengeFit::CramMd5Only;
    default: return ChallengeFit::OneWay;
  }
}

const Scheme* Registry::default_scheme(std::string_view name) const {
  const Prefix* prefix = find_prefix(name);
  if (prefix == nullptr || prefix->body == Body::CryptString) return nullptr;
  return &kSchemes[prefix->scheme];
}

Secret Registry::with_default_scheme(std::string_view stored, std::string_view default_scheme,
                                     SchemeMark mark) const {
  if (default_scheme.empty() || carries_scheme(stored, mark)) return Secret(stored);
  Secret value;
  value.reserve(default_scheme.size() + 2 + stored.size());
  value.push_back('{');
  value.append(default_scheme);
  value.push_back('}');
  value.append(stored);
  return value;
}

std::string Registry::encode(std::string_view scheme_name, const Secret& password) const {
  const std::size_t scheme = scheme_named(scheme_name);
  if (scheme == kNoScheme) {
    throw std::invalid_argument("unknown password scheme \"" + std::string(scheme_name) +
                                "\"; see the list of supported schemes");
  }
  std::string body = handler(scheme).encode(password.view());
  if (is_crypt_family(scheme)) return body;
  std::string value;
  value.reserve(kSchemes[scheme].name.size() + 2 + body.size());
  value.append("{").append(kSchemes[scheme].name).append("}").append(body);
  wipe_memory(body.data(), body.size());
  return value;
}

std::optional<std::string> Registry::encode_like(std::string_view like, const Secret& password) const {
  const auto identified = identify_value(like);
  if (!identified) return std::nullopt;
  auto body = handler(identified->scheme).encode_like(identified->body, password.view());
  if (!body) return std::nullopt;
  if (identified->prefix.empty()) return body;
  std::string value;
  value.reserve(identified->prefix.size() + body->size());
  value.append(identified->prefix).append(*body);
  wipe_memory(body->data(), body->size());
  return value;
}

std::vector<const Scheme*> Registry::schemes() const {
  std::vector<const Scheme*> all;
  all.reserve(kSchemes.size());
  for (const Scheme& scheme : kSchemes) all.push_back(&scheme);
  return all;
}

}  // namespace authd::passwords
