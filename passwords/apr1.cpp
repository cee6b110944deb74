// Apache's "$apr1$": MD5-crypt with its own magic string, which libxcrypt
// does not know, computed here over OpenSSL's MD5.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "passwords/challenge.hpp"
#include "passwords/encoding.hpp"
#include "passwords/md5_state.hpp"
#include "passwords/scheme_handler.hpp"

namespace authd::passwords::detail {
namespace {

constexpr std::string_view kMagic = "$apr1$";
constexpr std::size_t kMaxSaltLength = 8;
constexpr int kRounds = 1000;
constexpr std::string_view kCryptDigits = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

using Md5Digest = std::array<std::uint8_t, 16>;

// The salt runs to the next '$' and is cut at eight characters, as Apache
// reads it; the rest of the value is whatever follows.
std::optional<std::string_view> salt_of(std::string_view value) noexcept {
  if (!value.starts_with(kMagic)) return std::nullopt;
  std::string_view salt = value.substr(kMagic.size());
  salt = salt.substr(0, std::min(salt.find('$'), kMaxSaltLength));
  return salt;
}

void append_crypt64(std::string& out, std::uint32_t value, int digits) {
  for (int i = 0; i < digits; ++i) {
    out.push_back(kCryptDigits[value & 63]);
    value >>= 6;
  }
}

// MD5-crypt's digest: a first digest mixing password, magic and salt, then
// a thousand rounds that alternate the inputs to defeat shortcuts.
bool apr1_digest(std::string_view password, std::string_view salt, Md5Digest& out) noexcept {
  // A thousand short digests: the in-house MD5 avoids the per-digest set-up
  // of OpenSSL's EVP interface, which would cost more than the hashing.
  Md5Digest mixed;
  {
    Md5 md5;
    md5.update(password);
    md5.update(salt);
    md5.update(password);
    md5.finish(mixed);
  }
  {
    Md5 md5;
    md5.update(password);
    md5.update(kMagic);
    md5.update(salt);
    for (std::size_t left = password.size(); left > 0;) {
      const std::size_t take = std::min<std::size_t>(left, mixed.size());
      md5.update(std::span<const std::uint8_t>(mixed.data(), take));
      left -= take;
    }
    // Each bit of the password length picks a zero byte or the password's
    // first character.
    const std::uint8_t zero = 0;
    for (std::size_t bits = password.size(); bits != 0; bits >>= 1) {
      if (bits & 1) {
        md5.update(std::span<const std::uint8_t>(&zero, 1));
      } else {
        md5.update(password.substr(0, 1));
      }
    }
    md5.finish(out);
  }
  for (int round = 0; round < kRounds; ++round) {
    Md5 md5;
    if (round & 1) {
      md5.update(password);
    } else {
      md5.update(out);
    }
    if (round % 3 != 0) md5.update(salt);
    if (round % 7 != 0) md5.update(password);
    if (round & 1) {
      md5.update(out);
    } else {
      md5.update(password);
    }
    md5.finish(out);
  }
  wipe_memory(mixed.data(), mixed.size());
  return true;
}

std::optional<std::string> apr1(std::string_view password, std::string_view salt) {
  Md5Digest digest;
  if (!apr1_digest(password, salt, digest)) return std::nullopt;
  std::string out;
  out.reserve(kMagic.size() + salt.size() + 1 + 22);
  out.append(kMagic).append(salt).push_back('$');
  // The digest bytes are emitted in MD5-crypt's fixed permutation.
  constexpr std::array<std::array<int, 3>, 5> kGroups = {{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}}};
  for (const auto& group : kGroups) {
    append_crypt64(out, std::uint32_t{digest[group[0]]} << 16 | std::uint32_t{digest[group[1]]} << 8 | digest[group[2]],
                   4);
  }
  append_crypt64(out, digest[11], 2);
  wipe_memory(digest.data(), digest.size());
  return out;
}

class Apr1Handler final : public SchemeHandler {
 public:
  Check check(std::string_view body, std::string_view password) const override {
    const auto salt = salt_of(body);
    if (!salt) return Check::Malformed;
    const auto hashed = apr1(password, *salt);
    // As for crypt: a value of the wrong length matches no password.
    if (!hashed || hashed->size() != body.size()) return Check::Malformed;
    return equal_constant_time(*hashed, body) ? Check::Match : Check::Mismatch;
  }

  std::string encode(std::string_view password) const override {
    std::array<std::uint8_t, kMaxSaltLength> random;
    random_bytes(random);
    std::string salt;
    for (const std::uint8_t byte : random) salt.push_back(kCryptDigits[byte & 63]);
    auto hashed = apr1(password, salt);
    if (!hashed) throw std::runtime_error("MD5 is not available from OpenSSL");
    return std::move(*hashed);
  }

  std::optional<std::string> encode_like(std::string_view like, std::string_view password) const override {
    const auto salt = salt_of(like);
    if (!salt) return std::nullopt;
    auto hashed = apr1(password, *salt);
    if (!hashed || hashed->size() != like.size()) return std::nullopt;
    return hashed;
  }
};

}  // namespace

std::unique_ptr<const SchemeHandler> make_apr1_handler() { return std::make_unique<Apr1Handler>(); }

}  // namespace authd::passwords::detail
