// The interface each scheme family implements for the registry, and the
// families. Internal to passwords/: the registry owns prefixes and names, a
// handler only sees the value after its "{NAME}" prefix (the whole string for
// a bare crypt value).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "passwords/digest.hpp"
#include "passwords/registry.hpp"

namespace authd::passwords::detail {

class SchemeHandler {
 public:
  virtual ~SchemeHandler() = default;

  // Never throws for bad input; Malformed when `body` cannot be used.
  virtual Check check(std::string_view body, std::string_view password) const = 0;

  // A new body for `password`: fresh salt, default parameters. Throws
  // std::invalid_argument if the scheme cannot hold this password.
  virtual std::string encode(std::string_view password) const = 0;

  // The body `like` would be for `password`, same salt and parameters, in
  // the same spelling (hex case, variant form). nullopt if `like` is
  // malformed or the scheme cannot hold this password.
  virtual std::optional<std::string> encode_like(std::string_view like, std::string_view password) const = 0;
};

// Clear text ({PLAIN}).
std::unique_ptr<const SchemeHandler> make_plain_handler();

// Unsalted digests: base64 of the digest, or its hex.
std::unique_ptr<const SchemeHandler> make_digest_handler(DigestAlgorithm algorithm);

// Salted digests: base64 of digest(password + salt) + salt.
std::unique_ptr<const SchemeHandler> make_salted_digest_handler(DigestAlgorithm algorithm);

// Dovecot's {CRAM-MD5}: hex of the HMAC-MD5 context.
std::unique_ptr<const SchemeHandler> make_cram_md5_handler();

// crypt(3) strings through libxcrypt; `gensalt_prefix` and `gensalt_count`
// choose what encode() generates ("$6$" and 0 for the library's default).
std::unique_ptr<const SchemeHandler> make_crypt_handler(std::string_view gensalt_prefix, unsigned long gensalt_count);

// Apache's "$apr1$" variant of MD5-crypt.
std::unique_ptr<const SchemeHandler> make_apr1_handler();

// PBKDF2 as OpenLDAP's pw-pbkdf2 stores it; the SHA-1 handler also reads
// Dovecot's "$1$salt$rounds$hex" form of {PBKDF2}.
std::unique_ptr<const SchemeHandler> make_pbkdf2_handler(DigestAlgorithm algorithm);

// Argon2 encoded strings ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
std::unique_ptr<const SchemeHandler> make_argon2_handler();

}  // namespace authd::passwords::detail
