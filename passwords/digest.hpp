// OpenSSL message digests for the scheme implementations, and random salt.
// Internal to passwords/.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace authd::passwords::detail {

enum class DigestAlgorithm { Md5, Sha1, Sha256, Sha512 };

inline constexpr std::size_t kMaxDigestSize = 64;

std::size_t digest_size(DigestAlgorithm algorithm) noexcept;

// The algorithm's implementation, fetched from the default provider once per
// process; nullptr if the provider does not offer it (MD5 under FIPS).
const EVP_MD* fetch_digest(DigestAlgorithm algorithm) noexcept;

// An incremental digest on the calling thread's EVP context, which is
// allocated once per thread so the hot path does not allocate. Only one
// Hasher may be alive per thread at a time.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm) noexcept;
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view data) noexcept;
  void update(std::span<const std::uint8_t> data) noexcept;
  // Write the digest to the front of `out` (at least digest_size bytes) and
  // start over for the next one. False if any step failed since the start.
  bool finish(std::span<std::uint8_t> out) noexcept;

 private:
  void start_if_needed() noexcept;

  EVP_MD_CTX* context_;
  const EVP_MD* md_;
  bool ok_;
  bool started_;
};

// Digest of the concatenation of `parts` into the front of `out`.
bool digest_of(DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts,
               std::span<std::uint8_t> out) noexcept;

// Fill `out` from the OpenSSL CSPRNG; throws std::runtime_error if it fails.
void random_bytes(std::span<std::uint8_t> out);

}  // namespace authd::passwords::detail
