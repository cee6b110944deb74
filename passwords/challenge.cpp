#include "passwords/challenge.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <stdexcept>

#include "base/ascii.hpp"
#include "passwords/digest.hpp"
#include "passwords/encoding.hpp"
#include "passwords/md5_state.hpp"

namespace authd::passwords {
namespace {

using detail::Md5;

// Dovecot's layout: the outer (opad) state first, then the inner (ipad)
// state, each as four little-endian words.
constexpr std::size_t kOuterOffset = 0;
constexpr std::size_t kInnerOffset = 16;

void store_state(const Md5::State& state, std::uint8_t* out) noexcept {
  for (std::size_t i = 0; i < state.size(); ++i) {
    for (std::size_t j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(state[i] >> (8 * j));
  }
}

Md5::State load_state(const std::uint8_t* in) noexcept {
  Md5::State state{};
  for (std::size_t i = 0; i < state.size(); ++i) {
    for (std::size_t j = 0; j < 4; ++j) state[i] |= std::uint32_t{in[4 * i + j]} << (8 * j);
  }
  return state;
}

// The state after one block of the key XOR `pad`.
void padded_key_state(const std::array<std::uint8_t, Md5::kBlockSize>& key, std::uint8_t pad,
                      std::uint8_t* out) noexcept {
  std::array<std::uint8_t, Md5::kBlockSize> block;
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = key[i] ^ pad;
  Md5 md5;
  md5.update(block);
  store_state(md5.state(), out);
  wipe_memory(block.data(), block.size());
}

// Case-fold a hex digit (digits already have the 0x20 bit) and record
// whether it was one, with comparisons rather than branches on the byte so
// the time does not depend on where two digests differ.
unsigned fold_hex(unsigned char c, unsigned& invalid) noexcept {
  const unsigned folded = c | 0x20u;
  const unsigned is_digit = static_cast<unsigned>(c >= '0') & static_cast<unsigned>(c <= '9');
  const unsigned is_letter = static_cast<unsigned>(folded >= 'a') & static_cast<unsigned>(folded <= 'f');
  invalid |= (is_digit | is_letter) ^ 1u;
  return folded;
}

}  // namespace

std::optional<SaslMethod> SaslMethod::parse(std::string_view name) noexcept {
  for (const SaslMethod method : {SaslMethod(CramMd5), SaslMethod(Apop)}) {
    if (base::equal_ignoring_case(name, method.name())) return method;
  }
  return std::nullopt;
}

std::string_view SaslMethod::name() const noexcept {
  switch (id_) {
    case CramMd5: return "CRAM-MD5";
    case Apop: return "APOP";
  }
  return {};
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool equal_hex_constant_time(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned difference = 0;
  unsigned invalid = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= fold_hex(static_cast<unsigned char>(a[i]), invalid) ^
                  fold_hex(static_cast<unsigned char>(b[i]), invalid);
  }
  return (difference | invalid) == 0;
}

void CramMd5Context::from_password(std::string_view password, CramMd5Context& out) {
  // HMAC: a key longer than a block is replaced by its digest.
  std::array<std::uint8_t, Md5::kBlockSize> key{};
  if (password.size() > key.size()) {
    Md5 md5;
    md5.update(password);
    md5.finish(std::span<std::uint8_t, Md5::kDigestSize>(key.data(), Md5::kDigestSize));
  } else if (!password.empty()) {
    std::memcpy(key.data(), password.data(), password.size());
  }
  padded_key_state(key, 0x5c, out.bytes.data() + kOuterOffset);
  padded_key_state(key, 0x36, out.bytes.data() + kInnerOffset);
  wipe_memory(key.data(), key.size());
}

bool CramMd5Context::from_hex(std::string_view hex, CramMd5Context& out) {
  return detail::hex_decode(hex, out.bytes);
}

std::string CramMd5Context::to_hex() const { return detail::hex_encode(bytes); }

std::string cram_md5_response(const CramMd5Context& context, std::string_view challenge) {
  std::array<std::uint8_t, Md5::kDigestSize> inner_digest;
  Md5::State state = load_state(context.bytes.data() + kInnerOffset);
  {
    Md5 inner(state, Md5::kBlockSize);
    inner.update(challenge);
    inner.finish(inner_digest);
  }
  state = load_state(context.bytes.data() + kOuterOffset);
  std::array<std::uint8_t, Md5::kDigestSize> response;
  {
    Md5 outer(state, Md5::kBlockSize);
    outer.update(inner_digest);
    outer.finish(response);
  }
  wipe_memory(state.data(), sizeof state);
  wipe_memory(inner_digest.data(), inner_digest.size());
  return detail::hex_encode(response);
}

std::string apop_digest(std::string_view challenge, const Secret& password) {
  std::array<std::uint8_t, detail::kMaxDigestSize> digest;
  if (!detail::digest_of(detail::DigestAlgorithm::Md5, {challenge, password.view()}, digest)) {
    throw std::runtime_error("MD5 is not available from OpenSSL; APOP cannot be checked");
  }
  std::string hex = detail::hex_encode(std::span(digest.data(), 16));
  wipe_memory(digest.data(), digest.size());
  return hex;
}

}  // namespace authd::passwords
