// Argon2 in the PHC string form OpenLDAP's argon2 module and Dovecot store:
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", base64 without padding.
#include <argon2.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "passwords/encoding.hpp"
#include "passwords/scheme_handler.hpp"

namespace authd::passwords::detail {
namespace {

// OWASP's minimum for argon2id; a login should not need more than this.
constexpr std::uint32_t kDefaultMemoryKib = 19456;
constexpr std::uint32_t kDefaultPasses = 2;
constexpr std::uint32_t kDefaultLanes = 1;
constexpr std::size_t kDefaultSaltSize = 16;
constexpr std::size_t kDefaultHashSize = 32;

// Bounds on what a stored value may ask of a worker: past them it is treated
// as malformed rather than allocating gigabytes or spinning for minutes.
constexpr std::uint32_t kMaxMemoryKib = 1024 * 1024;
constexpr std::uint32_t kMaxPasses = 1024;
constexpr std::uint32_t kMaxLanes = 64;
constexpr std::size_t kMaxSaltSize = 64;
constexpr std::size_t kMinHashSize = 16;
constexpr std::size_t kMaxHashSize = 128;

struct Argon2Value {
  argon2_type type = Argon2_id;
  std::uint32_t version = ARGON2_VERSION_10;
  std::uint32_t memory_kib = 0;
  std::uint32_t passes = 0;
  std::uint32_t lanes = 0;
  std::array<std::uint8_t, kMaxSaltSize> salt{};
  std::size_t salt_size = 0;
  std::size_t hash_size = 0;
  std::string_view hash_text;
};

// Consume `prefix` from the front of `text`.
bool take(std::string_view& text, std::string_view prefix) noexcept {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// Consume the text up to `delimiter` (and the delimiter itself).
std::optional<std::string_view> take_until(std::string_view& text, char delimiter) noexcept {
  const auto at = text.find(delimiter);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view field = text.substr(0, at);
  text.remove_prefix(at + 1);
  return field;
}

std::optional<std::uint32_t> take_number(std::string_view& text, std::string_view name, char delimiter,
                                         std::uint32_t minimum, std::uint32_t maximum) noexcept {
  if (!take(text, name)) return std::nullopt;
  const auto field = take_until(text, delimiter);
  if (!field) return std::nullopt;
  return parse_decimal(*field, minimum, maximum);
}

bool parse(std::string_view body, Argon2Value& value) noexcept {
  if (take(body, "$argon2id$")) {
    value.type = Argon2_id;
  } else if (take(body, "$argon2i$")) {
    value.type = Argon2_i;
  } else if (take(body, "$argon2d$")) {
    value.type = Argon2_d;
  } else {
    return false;
  }
  // The first published version wrote no "v=" field.
  if (body.starts_with("v=")) {
    const auto version = take_number(body, "v=", '$', ARGON2_VERSION_10, ARGON2_VERSION_13);
    if (!version || (*version != ARGON2_VERSION_10 && *version != ARGON2_VERSION_13)) return false;
    value.version = *version;
  }
  const auto memory = take_number(body, "m=", ',', ARGON2_MIN_MEMORY, kMaxMemoryKib);
  const auto passes = take_number(body, "t=", ',', ARGON2_MIN_TIME, kMaxPasses);
  const auto lanes = take_number(body, "p=", '$', ARGON2_MIN_LANES, kMaxLanes);
  if (!memory || !passes || !lanes || *memory < 8 * *lanes) return false;
  const auto salt_text = take_until(body, '$');
  if (!salt_text) return false;
  const auto salt_size = base64_decode(*salt_text, value.salt, Base64Alphabet::Standard);
  std::array<std::uint8_t, kMaxHashSize> hash;
  const auto hash_size = base64_decode(body, hash, Base64Alphabet::Standard);
  if (!salt_size || *salt_size < ARGON2_MIN_SALT_LENGTH || !hash_size || *hash_size < kMinHashSize) return false;
  value.memory_kib = *memory;
  value.passes = *passes;
  value.lanes = *lanes;
  value.salt_size = *salt_size;
  value.hash_size = *hash_size;
  value.hash_text = body;
  return true;
}

struct HashBuffer {
  std::array<std::uint8_t, kMaxHashSize> bytes;
  HashBuffer() = default;
  HashBuffer(const HashBuffer&) = delete;
  HashBuffer& operator=(const HashBuffer&) = delete;
  ~HashBuffer() { wipe_memory(bytes.data(), bytes.size()); }
};

bool hash_raw(const Argon2Value& value, std::span<const std::uint8_t> salt, std::string_view password,
              std::span<std::uint8_t> out) noexcept {
  return argon2_hash(value.passes, value.memory_kib, value.lanes, password.data(), password.size(), salt.data(),
                     salt.size(), out.data(), out.size(), nullptr, 0, value.type,
                     static_cast<argon2_version>(value.version)) == ARGON2_OK;
}

class Argon2Handler final : public SchemeHandler {
 public:
  Check check(std::string_view body, std::string_view password) const override {
    Argon2Value value;
    if (!parse(body, value)) return Check::Malformed;
    // argon2_verify reads a C string.
    const std::string encoded(body);
    switch (argon2_verify(encoded.c_str(), password.data(), password.size(), value.type)) {
      case ARGON2_OK:
        return Check::Match;
      case ARGON2_VERIFY_MISMATCH:
        return Check::Mismatch;
      case ARGON2_PWD_TOO_LONG:
        return Check::Mismatch;
      default:
        return Check::Malformed;
    }
  }

  std::string encode(std::string_view password) const override {
    Argon2Value value;
    value.type = Argon2_id;
    value.version = ARGON2_VERSION_13;
    value.memory_kib = kDefaultMemoryKib;
    value.passes = kDefaultPasses;
    value.lanes = kDefaultLanes;
    random_bytes(std::span(value.salt.data(), kDefaultSaltSize));
    const std::span<const std::uint8_t> salt(value.salt.data(), kDefaultSaltSize);
    HashBuffer hash;
    const std::span<std::uint8_t> out(hash.bytes.data(), kDefaultHashSize);
    if (!hash_raw(value, salt, password, out)) throw std::runtime_error("libargon2 failed to hash");
    return "$argon2id$v=" + std::to_string(value.version) + "$m=" + std::to_string(value.memory_kib) +
           ",t=" + std::to_string(value.passes) + ",p=" + std::to_string(value.lanes) + '$' +
           base64_encode(salt, Base64Alphabet::Standard, false) + '$' +
           base64_encode(out, Base64Alphabet::Standard, false);
  }

  std::optional<std::string> encode_like(std::string_view like, std::string_view password) const override {
    Argon2Value value;
    if (!parse(like, value)) return std::nullopt;
    HashBuffer hash;
    const std::span<std::uint8_t> out(hash.bytes.data(), value.hash_size);
    if (!hash_raw(value, std::span(value.salt.data(), value.salt_size), password, out)) return std::nullopt;
    return std::string(like.substr(0, like.size() - value.hash_text.size())) +
           base64_encode(out, Base64Alphabet::Standard, value.hash_text.ends_with('='));
  }
};

}  // namespace

std::unique_ptr<const SchemeHandler> make_argon2_handler() { return std::make_unique<Argon2Handler>(); }

}  // namespace authd::passwords::detail
