// Keys and certificates of the host's PKI (pki.hpp stores them): parsing
// what an administrator pastes, generating keys, certificates and signing
// requests, describing certificates, checking chains and client
// certificates. OpenSSL 3's EVP and X509 APIs do every operation (no
// hand-written ASN.1 or PEM); every handle is held by RAII.
//
// Nothing here knows the data directory, rights or settings. Errors are
// values: Checked<T> holds the result or a message for the administrator
// that says what is wrong and what to do. No message ever quotes a private
// key, and private keys leave this file only as Secret PEM text.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"

namespace authd::host::pki {

// PEM text given to any operation (a key, a certificate, a chain, a trust
// set) is at most this long: a chain of a dozen certificates fits, and a
// pasted file of megabytes is refused before it is parsed.
inline constexpr std::size_t max_pem_input = 64 * 1024;

// What a generated or accepted key is. Accepted on import: RSA of 2048 bits
// or more (up to 8192), EC on P-256, P-384 or P-521. Refused: DSA, DH,
// shorter RSA, other curves, Ed25519/Ed448 (few mail clients take them).
enum class KeyType { Rsa2048, Rsa3072, Rsa4096, EcP256, EcP384 };
inline constexpr KeyType default_key_type = KeyType::Rsa2048;

// "rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384".
std::string_view key_type_name(KeyType type) noexcept;
std::optional<KeyType> parse_key_type(std::string_view name) noexcept;

template <typename T>
struct Checked {
  std::optional<T> value;
  std::string error;  // when there is no value: what is wrong and what to do
  std::vector<std::string> warnings;  // accepted, but the administrator should know
  bool missing = false;  // the error is that something needed is not there (no key, no certificate)

  bool ok() const noexcept { return value.has_value(); }
  static Checked failure(std::string why) {
    Checked c;
    c.error = std::move(why);
    return c;
  }
};

// A private key (its public half included). Copies share the one OpenSSL
// object, which is never changed after it is made.
class Key {
 public:
  explicit Key(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  EVP_PKEY* get() const noexcept { return key_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

// One X.509 certificate. Copies share the one OpenSSL object.
class Certificate {
 public:
  explicit Certificate(std::shared_ptr<X509> cert) : cert_(std::move(cert)) {}
  X509* get() const noexcept { return cert_.get(); }

 private:
  std::shared_ptr<X509> cert_;
};

// ---------------------------------------------------------------------------
// Keys.

// A fresh random key.
Checked<Key> generate_key(KeyType type);

// A PEM private key: PKCS#1 (BEGIN RSA PRIVATE KEY), SEC1 (BEGIN EC PRIVATE
// KEY) or PKCS#8 (BEGIN PRIVATE KEY). Refused, each with its own message:
// empty or over max_pem_input; no PEM block at all; a certificate, a CSR or
// a public key instead of a private key; an encrypted key (PKCS#8 ENCRYPTED
// or Proc-Type: 4,ENCRYPTED: the message names `openssl pkey -in key.pem
// -out plain.pem`); truncated or base64-corrupt text; DSA and other
// algorithms; RSA under 2048 bits; an EC curve not listed above; a key that
// fails its own consistency check (EVP_PKEY_check).
Checked<Key> parse_private_key(std::string_view pem);

// PKCS#8 PEM, unencrypted: the form the host stores.
Secret private_key_pem(const Key& key);

// "RSA 2048 bits", "EC P-256 (prime256v1)".
std::string describe_key(const Key& key);

// Sign a test string with the key and verify the signature with its public
// half: "" when it works, else what failed.
std::string key_self_test(const Key& key);

// ---------------------------------------------------------------------------
// Certificates.

// One or more PEM certificates, in the order given. Refused, each with its
// own message: empty or over max_pem_input; no PEM certificate block; a
// private key instead (the message says so and does not quote it); a CSR
// instead; truncated or base64-corrupt text; text between blocks that is
// not whitespace is ignored (as openssl does) but a BEGIN without END is
// an error. `max_count` bounds how many are accepted, `max_bytes` the text
// (larger for a set the host stored than for a paste).
Checked<std::vector<Certificate>> parse_certificates(std::string_view pem, std::size_t max_count = 16,
                                                    std::size_t max_bytes = max_pem_input);

std::string certificate_pem(const Certificate& cert);
std::string certificates_pem(const std::vector<Certificate>& certs);

// Whether the certificate's public key is the key's public half.
bool certificate_matches_key(const Certificate& cert, const Key& key);

// A name as the show commands print it: one line, RFC 2253 order reversed
// as people read it ("C=US, O=Example, CN=mail.example.com"), control bytes
// escaped.
struct CertificateView {
  std::string subject;
  std::string issuer;
  std::string common_name;            // the subject's CN, "" when none
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  std::vector<std::string> emails;     // subjectAltName e-mail entries and the subject's emailAddress
  std::string serial;                  // upper-case hex, no separators, at least two digits
  std::chrono::system_clock::time_point not_before, not_after;
  std::string fingerprint_sha256;      // upper-case hex pairs joined with ':'
  std::string key;                     // describe_key of its public key, or the algorithm's name
  bool self_signed = false;            // issuer == subject and the signature verifies with its own key
  bool is_ca = false;                  // basicConstraints CA:TRUE
};
CertificateView describe_certificate(const Certificate& cert);

// "2026-12-04 17:38:09 UTC".
std::string format_time(std::chrono::system_clock::time_point t);

// ---------------------------------------------------------------------------
// Making certificates and signing requests.

// The subject and extensions of a domain certificate or a CSR.
struct CertificateAttributes {
  std::string common_name;             // "" means the domain itself
  std::vector<std::string> alt_names;  // DNS names; the common name is added first if missing
  std::string country;                 // two letters (ISO 3166), optional
  std::string province, city, organization, unit;  // optional, at most 64 bytes each
  std::string contact;                 // an e-mail address, optional
};

// "a.example, b.example" -> {"a.example", "b.example"}: the Alternative
// Names as an administrator types them, items trimmed of spaces; an empty
// item is kept (",," or a trailing comma) so that check_attributes names it.
std::vector<std::string> split_names(std::string_view comma_separated);

// The common names a certificate of `domain` may carry: the domain and its
// wildcard form ("*.example.com" for both example.com and mail.example.com:
// a two-component name gains a third component, a longer one has its first
// replaced). Any name under the domain (mail.example.com for example.com)
// is accepted too: it stands for a domain alias.
std::vector<std::string> common_name_choices(std::string_view domain);

// `attributes` completed (an empty common name becomes the domain) and
// checked for `domain`: the common name as above; each alternative name a
// DNS name (letters, digits, '-', dots, a leading "*." allowed, at most 253
// bytes, labels at most 63); the country two ASCII letters; the contact an
// e-mail address (local@domain, no spaces or control bytes); every field
// valid UTF-8 without control bytes and at most 64 bytes (CN: 64, the X.509
// upper bound). Returns the completed attributes or the first problem.
Checked<CertificateAttributes> check_attributes(const CertificateAttributes& attributes, std::string_view domain);

// A self-signed certificate for checked attributes: version 3, a random
// positive 64-bit serial number unless `serial` is given (hex), valid from
// now - 5 minutes (clocks differ) for `days`; SHA-256; extensions
// basicConstraints CA:FALSE (critical), keyUsage digitalSignature and (RSA)
// keyEncipherment, extendedKeyUsage serverAuth, subjectAltName (the DNS
// names, and the contact as an e-mail), subjectKeyIdentifier. The contact
// is in the subject as emailAddress too.
Checked<Certificate> self_sign(const Key& key, const CertificateAttributes& attributes, int days,
                               std::optional<std::string> serial = std::nullopt);

// The same self-signed certificate (subject, extensions and serial number)
// valid from now for `days`, signed again with `key`. Refused unless `cert`
// is self-signed by `key`.
Checked<Certificate> refresh_self_signed(const Certificate& cert, const Key& key, int days);

// A PEM certificate signing request (PKCS#10) for checked attributes:
// the same subject, and the subjectAltName in an extension request.
Checked<std::string> make_signing_request(const Key& key, const CertificateAttributes& attributes);

// The server-wide test certificate: subject CN=<main domain> with that name
// as its subjectAltName, issuer "O=authd, CN=authd test certificate
// authority" (a fixed name, never a real authority), signed with the test
// key, valid from `now` - 5 minutes to `now` + 30 days.
inline constexpr std::string_view test_issuer_organization = "authd";
inline constexpr std::string_view test_issuer_common_name = "authd test certificate authority";
inline constexpr int test_certificate_days = 30;
Checked<Certificate> make_test_certificate(const Key& key, std::string_view main_domain,
                                           std::chrono::system_clock::time_point now);

// ---------------------------------------------------------------------------
// Chains and trust.

// What an administrator should know about a chain sent with `leaf`, as
// warnings (never a refusal): a certificate of the chain that did not issue
// the one before it (by name and signature), "the chain is in the wrong
// order" when reordering would fix that, a certificate expired or not yet
// valid at `now`, and a last certificate that is neither self-signed nor
// issued by one of `trusted`. Empty when all is well.
std::vector<std::string> check_chain(const Certificate& leaf, const std::vector<Certificate>& chain,
                                     const std::vector<Certificate>& trusted,
                                     std::chrono::system_clock::time_point now);

// How a client certificate maps to an account: its first subjectAltName
// e-mail address whose domain is `domain` (its local part is the account
// name); otherwise its subject CN, as CN@domain when the CN has no '@', or
// as it is when its domain is `domain`. nullopt when neither names an
// account of `domain`.
std::optional<std::string> client_certificate_account(const Certificate& cert, std::string_view domain);

// Verify a client's certificate chain (`presented[0]` is the client's own)
// at `now` against `trusted` (the domain's set and the server-wide one):
// the chain must end at a trusted certificate, every signature and validity
// period must hold, and, when `issuer_subject` is not empty, some
// certificate on the verified path above the client's must have exactly
// that subject (as describe_certificate prints it). Returns the account
// name (client_certificate_account) or why the certificate is refused.
Checked<std::string> verify_client_certificate(const std::vector<Certificate>& presented,
                                               const std::vector<Certificate>& trusted,
                                               std::string_view issuer_subject, std::string_view domain,
                                               std::chrono::system_clock::time_point now);

}  // namespace authd::host::pki
