// PBKDF2-HMAC in OpenLDAP's pw-pbkdf2 form, "<iterations>$<salt>$<key>"
// with both in adapted base64, and Dovecot's {PBKDF2} form,
// "$1$<salt text>$<iterations>$<hex key>" (SHA-1 only).
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "passwords/encoding.hpp"
#include "passwords/scheme_handler.hpp"

namespace authd::passwords::detail {
namespace {

// A stored value is configuration, but one with an absurd count would stall
// a worker for minutes per login; past this it is treated as malformed.
constexpr std::uint32_t kMaxIterations = 10'000'000;
constexpr std::size_t kMaxSaltSize = 256;
constexpr std::size_t kDefaultSaltSize = 16;
// A derived key shorter than this would let too many passwords match.
constexpr std::size_t kMinKeySize = 16;
constexpr std::size_t kMaxKeySize = 128;
constexpr std::string_view kDovecotMarker = "$1$";

enum class Form { OpenLdap, Dovecot };

struct Pbkdf2Value {
  Form form = Form::OpenLdap;
  std::uint32_t iterations = 0;
  std::array<std::uint8_t, kMaxSaltSize> salt_buffer{};
  std::span<const std::uint8_t> salt;
  std::array<std::uint8_t, kMaxKeySize> key{};
  std::size_t key_size = 0;
  // The text of the key inside the value, so a value made "like" it can
  // keep everything before it verbatim.
  std::string_view key_text;
};

// Split "a$b$c" into exactly three fields.
bool split_three(std::string_view text, std::string_view (&fields)[3]) noexcept {
  for (int i = 0; i < 2; ++i) {
    const auto dollar = text.find('$');
    if (dollar == std::string_view::npos) return false;
    fields[i] = text.substr(0, dollar);
    text.remove_prefix(dollar + 1);
  }
  if (text.find('$') != std::string_view::npos) return false;
  fields[2] = text;
  return true;
}

bool parse_openldap(std::string_view body, Pbkdf2Value& value) noexcept {
  std::string_view fields[3];
  if (!split_three(body, fields)) return false;
  const auto iterations = parse_decimal(fields[0], 1, kMaxIterations);
  if (!iterations) return false;
  const auto salt_size = base64_decode(fields[1], value.salt_buffer, Base64Alphabet::Adapted);
  const auto key_size = base64_decode(fields[2], value.key, Base64Alphabet::Adapted);
  if (!salt_size || *salt_size == 0 || !key_size || *key_size < kMinKeySize) return false;
  value.form = Form::OpenLdap;
  value.iterations = *iterations;
  value.salt = std::span(value.salt_buffer.data(), *salt_size);
  value.key_size = *key_size;
  value.key_text = fields[2];
  return true;
}

// Dovecot uses its salt text as the salt bytes.
bool parse_dovecot(std::string_view body, Pbkdf2Value& value) noexcept {
  if (!body.starts_with(kDovecotMarker)) return false;
  std::string_view fields[3];
  if (!split_three(body.substr(kDovecotMarker.size()), fields)) return false;
  const auto iterations = parse_decimal(fields[1], 1, kMaxIterations);
  const std::size_t key_size = fields[2].size() / 2;
  if (!iterations || fields[0].empty() || fields[0].size() > kMaxSaltSize || key_size < kMinKeySize ||
      key_size > kMaxKeySize || !hex_decode(fields[2], std::span(value.key.data(), key_size))) {
    return false;
  }
  value.form = Form::Dovecot;
  value.iterations = *iterations;
  value.salt = as_bytes(fields[0]);
  value.key_size = key_size;
  value.key_text = fields[2];
  return true;
}

// Wipes the derived key however the check ends.
struct KeyBuffer {
  std::array<std::uint8_t, kMaxKeySize> bytes;
  KeyBuffer() = default;
  KeyBuffer(const KeyBuffer&) = delete;
  KeyBuffer& operator=(const KeyBuffer&) = delete;
  ~KeyBuffer() { wipe_memory(bytes.data(), bytes.size()); }
};

class Pbkdf2Handler final : public SchemeHandler {
 public:
  explicit Pbkdf2Handler(DigestAlgorithm algorithm) : algorithm_(algorithm) {}

  Check check(std::string_view body, std::string_view password) const override {
    Pbkdf2Value value;
    if (!parse(body, value)) return Check::Malformed;
    if (password.size() > INT_MAX) return Check::Mismatch;
    KeyBuffer derived;
    if (!derive(password, value.salt, value.iterations, std::span(derived.bytes.data(), value.key_size))) {
      return Check::Malformed;
    }
    return CRYPTO_memcmp(derived.bytes.data(), value.key.data(), value.key_size) == 0 ? Check::Match
                                                                                     : Check::Mismatch;
  }

  std::string encode(std::string_view password) const override {
    if (password.size() > INT_MAX) throw std::invalid_argument("password too long for PBKDF2");
    std::array<std::uint8_t, kDefaultSaltSize> salt;
    random_bytes(salt);
    const std::uint32_t iterations = default_iterations();
    KeyBuffer derived;
    const std::span<std::uint8_t> key(derived.bytes.data(), digest_size(algorithm_));
    if (!derive(password, salt, iterations, key)) throw std::runtime_error("PBKDF2 failed in OpenSSL");
    return std::to_string(iterations) + '$' + base64_encode(salt, Base64Alphabet::Adapted, false) + '$' +
           base64_encode(key, Base64Alphabet::Adapted, false);
  }

  std::optional<std::string> encode_like(std::string_view like, std::string_view password) const override {
    Pbkdf2Value value;
    if (!parse(like, value) || password.size() > INT_MAX) return std::nullopt;
    KeyBuffer derived;
    const std::span<std::uint8_t> key(derived.bytes.data(), value.key_size);
    if (!derive(password, value.salt, value.iterations, key)) return std::nullopt;
    std::string out(like.substr(0, like.size() - value.key_text.size()));
    if (value.form == Form::Dovecot) {
      out += hex_encode(key, has_upper_hex(value.key_text));
    } else {
      out += base64_encode(key, Base64Alphabet::Adapted, value.key_text.ends_with('='));
    }
    return out;
  }

 private:
  bool parse(std::string_view body, Pbkdf2Value& value) const noexcept {
    if (algorithm_ == DigestAlgorithm::Sha1 && body.starts_with(kDovecotMarker)) return parse_dovecot(body, value);
    return parse_openldap(body, value);
  }

  // passlib's defaults, which OpenLDAP users commonly generate with.
  std::uint32_t default_iterations() const noexcept {
    switch (algorithm_) {
      case DigestAlgorithm::Sha1:
        return 131000;
      case DigestAlgorithm::Sha256:
        return 29000;
      default:
        return 25000;
    }
  }

  bool derive(std::string_view password, std::span<const std::uint8_t> salt, std::uint32_t iterations,
              std::span<std::uint8_t> key) const noexcept {
    const EVP_MD* md = fetch_digest(algorithm_);
    return md != nullptr &&
           PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                             static_cast<int>(salt.size()), static_cast<int>(iterations), md,
                             static_cast<int>(key.size()), key.data()) == 1;
  }

  DigestAlgorithm algorithm_;
};

}  // namespace

std::unique_ptr<const SchemeHandler> make_pbkdf2_handler(DigestAlgorithm algorithm) {
  return std::make_unique<Pbkdf2Handler>(algorithm);
}

}  // namespace authd::passwords::detail
