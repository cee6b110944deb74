// MD5 with a chaining state that can be read and restored. CRAM-MD5 stores
// the HMAC-MD5 states after the padded key blocks and resumes from them; the
// OpenSSL 3 API no longer exposes MD5 state, so this small implementation
// exists for that one purpose. Internal to passwords/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace authd::passwords::detail {

class Md5 {
 public:
  static constexpr std::size_t kBlockSize = 64;
  static constexpr std::size_t kDigestSize = 16;
  using State = std::array<std::uint32_t, 4>;

  Md5() noexcept;
  // Resume from `state`, reached after hashing `length` bytes (a multiple of
  // the block size).
  Md5(const State& state, std::uint64_t length) noexcept;
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  ~Md5();

  void update(std::span<const std::uint8_t> data) noexcept;
  void update(std::string_view data) noexcept;
  void finish(std::span<std::uint8_t, kDigestSize> digest) noexcept;

  // The chaining state; meaningful between whole blocks.
  const State& state() const noexcept { return state_; }

 private:
  void compress(const std::uint8_t* block) noexcept;

  State state_;
  std::uint64_t length_;
  std::array<std::uint8_t, kBlockSize> buffer_{};
};

}  // namespace authd::passwords::detail
