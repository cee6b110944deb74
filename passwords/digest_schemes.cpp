// Clear text, unsalted and salted digests, and Dovecot's {CRAM-MD5}: the
// cheap schemes, checked inline on the hot path, so no heap allocation here.
#include <openssl/crypto.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "passwords/challenge.hpp"
#include "passwords/encoding.hpp"
#include "passwords/scheme_handler.hpp"

namespace authd::passwords::detail {
namespace {

// A longer salt is not something any writer produces; refusing it keeps the
// decode buffer on the stack.
constexpr std::size_t kMaxSaltSize = 256;
constexpr std::size_t kDefaultSaltSize = 8;

bool wants_padding(std::string_view like) noexcept { return !like.empty() && like.back() == '='; }

// Wipes the derived digest however the check ends.
struct DigestBuffer {
  std::array<std::uint8_t, kMaxDigestSize> bytes;
  DigestBuffer() = default;
  DigestBuffer(const DigestBuffer&) = delete;
  DigestBuffer& operator=(const DigestBuffer&) = delete;
  ~DigestBuffer() { wipe_memory(bytes.data(), bytes.size()); }
};

class PlainHandler final : public SchemeHandler {
 public:
  Check check(std::string_view body, std::string_view password) const override {
    return equal_constant_time(body, password) ? Check::Match : Check::Mismatch;
  }
  std::string encode(std::string_view password) const override { return std::string(password); }
  std::optional<std::string> encode_like(std::string_view, std::string_view password) const override {
    return std::string(password);
  }
};

// {MD5}, {SHA}, {SHA256}, {SHA512}: base64 (OpenLDAP) or hex (Dovecot's
// PLAIN-MD5, and what people paste from md5sum); the lengths never collide.
class DigestHandler final : public SchemeHandler {
 public:
  explicit DigestHandler(DigestAlgorithm algorithm) : algorithm_(algorithm), size_(digest_size(algorithm)) {}

  Check check(std::string_view body, std::string_view password) const override {
    std::array<std::uint8_t, kMaxDigestSize> stored;
    if (!decode(body, stored)) return Check::Malformed;
    DigestBuffer computed;
    if (!digest_of(algorithm_, {password}, computed.bytes)) return Check::Malformed;
    return CRYPTO_memcmp(stored.data(), computed.bytes.data(), size_) == 0 ? Check::Match : Check::Mismatch;
  }

  std::string encode(std::string_view password) const override {
    DigestBuffer computed;
    if (!digest_of(algorithm_, {password}, computed.bytes)) {
      throw std::runtime_error("the digest is not available from OpenSSL");
    }
    return base64_encode(std::span(computed.bytes.data(), size_), Base64Alphabet::Standard, true);
  }

  std::optional<std::string> encode_like(std::string_view like, std::string_view password) const override {
    std::array<std::uint8_t, kMaxDigestSize> stored;
    if (!decode(like, stored)) return std::nullopt;
    DigestBuffer computed;
    if (!digest_of(algorithm_, {password}, computed.bytes)) return std::nullopt;
    const std::span<const std::uint8_t> digest(computed.bytes.data(), size_);
    if (is_hex_form(like)) return hex_encode(digest, has_upper_hex(like));
    return base64_encode(digest, Base64Alphabet::Standard, wants_padding(like));
  }

 private:
  bool is_hex_form(std::string_view body) const noexcept { return body.size() == 2 * size_; }

  bool decode(std::string_view body, std::span<std::uint8_t, kMaxDigestSize> out) const noexcept {
    if (is_hex_form(body)) return hex_decode(body, out.first(size_));
    const auto decoded = base64_decode(body, out, Base64Alphabet::Standard);
    return decoded && *decoded == size_;
  }

  DigestAlgorithm algorithm_;
  std::size_t size_;
};

// {SMD5}, {SSHA}, {SSHA256}, {SSHA512}: base64 of digest(password + salt)
// followed by the salt, which may be any length from one byte.
class SaltedDigestHandler final : public SchemeHandler {
 public:
  explicit SaltedDigestHandler(DigestAlgorithm algorithm)
      : algorithm_(algorithm), size_(digest_size(algorithm)) {}

  Check check(std::string_view body, std::string_view password) const override {
    std::array<std::uint8_t, kMaxDigestSize + kMaxSaltSize> stored;
    const auto decoded = base64_decode(body, stored, Base64Alphabet::Standard);
    if (!decoded || *decoded <= size_) return Check::Malformed;
    DigestBuffer computed;
    if (!salted_digest(password, std::span(stored.data() + size_, *decoded - size_), computed)) {
      return Check::Malformed;
    }
    return CRYPTO_memcmp(stored.data(), computed.bytes.data(), size_) == 0 ? Check::Match : Check::Mismatch;
  }

  std::string encode(std::string_view password) const override {
    std::array<std::uint8_t, kDefaultSaltSize> salt;
    random_bytes(salt);
    auto encoded = encode_with_salt(password, salt, true);
    if (!encoded) throw std::runtime_error("the digest is not available from OpenSSL");
    return std::move(*encoded);
  }

  std::optional<std::string> encode_like(std::string_view like, std::string_view password) const override {
    std::array<std::uint8_t, kMaxDigestSize + kMaxSaltSize> stored;
    const auto decoded = base64_decode(like, stored, Base64Alphabet::Standard);
    if (!decoded || *decoded <= size_) return std::nullopt;
    return encode_with_salt(password, std::span(stored.data() + size_, *decoded - size_), wants_padding(like));
  }

 private:
  bool salted_digest(std::string_view password, std::span<const std::uint8_t> salt,
                     DigestBuffer& out) const noexcept {
    return digest_of(algorithm_, {password, as_chars(salt)}, out.bytes);
  }

  std::optional<std::string> encode_with_salt(std::string_view password, std::span<const std::uint8_t> salt,
                                              bool pad) const {
    DigestBuffer combined;
    std::array<std::uint8_t, kMaxDigestSize + kMaxSaltSize> value;
    if (!salted_digest(password, salt, combined)) return std::nullopt;
    std::memcpy(value.data(), combined.bytes.data(), size_);
    std::memcpy(value.data() + size_, salt.data(), salt.size());
    std::string encoded = base64_encode(std::span(value.data(), size_ + salt.size()), Base64Alphabet::Standard, pad);
    wipe_memory(value.data(), size_);
    return encoded;
  }

  DigestAlgorithm algorithm_;
  std::size_t size_;
};

class CramMd5Handler final : public SchemeHandler {
 public:
  Check check(std::string_view body, std::string_view password) const override {
    CramMd5Context stored;
    if (!CramMd5Context::from_hex(body, stored)) return Check::Malformed;
    CramMd5Context computed;
    CramMd5Context::from_password(password, computed);
    return CRYPTO_memcmp(stored.bytes.data(), computed.bytes.data(), stored.bytes.size()) == 0 ? Check::Match
                                                                                             : Check::Mismatch;
  }

  std::string encode(std::string_view password) const override {
    CramMd5Context computed;
    CramMd5Context::from_password(password, computed);
    return computed.to_hex();
  }

  std::optional<std::string> encode_like(std::string_view like, std::string_view password) const override {
    CramMd5Context stored;
    if (!CramMd5Context::from_hex(like, stored)) return std::nullopt;
    CramMd5Context computed;
    CramMd5Context::from_password(password, computed);
    return hex_encode(computed.bytes, has_upper_hex(like));
  }
};

}  // namespace

std::unique_ptr<const SchemeHandler> make_plain_handler() { return std::make_unique<PlainHandler>(); }

std::unique_ptr<const SchemeHandler> make_digest_handler(DigestAlgorithm algorithm) {
  return std::make_unique<DigestHandler>(algorithm);
}

std::unique_ptr<const SchemeHandler> make_salted_digest_handler(DigestAlgorithm algorithm) {
  return std::make_unique<SaltedDigestHandler>(algorithm);
}

std::unique_ptr<const SchemeHandler> make_cram_md5_handler() { return std::make_unique<CramMd5Handler>(); }

}  // namespace authd::passwords::detail
