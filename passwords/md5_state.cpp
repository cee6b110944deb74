#include "passwords/md5_state.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/secret.hpp"

namespace authd::passwords::detail {
namespace {

constexpr Md5::State kInitialState = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

// RFC 1321: the integer part of 2^32 * |sin(i + 1)|.
constexpr std::array<std::uint32_t, 64> kSine = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Rotation per step, four values per round.
constexpr std::array<int, 16> kShift = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

void store_le32(std::uint32_t value, std::uint8_t* p) noexcept {
  p[0] = static_cast<std::uint8_t>(value);
  p[1] = static_cast<std::uint8_t>(value >> 8);
  p[2] = static_cast<std::uint8_t>(value >> 16);
  p[3] = static_cast<std::uint8_t>(value >> 24);
}

}  // namespace

Md5::Md5() noexcept : state_(kInitialState), length_(0) {}

Md5::Md5(const State& state, std::uint64_t length) noexcept : state_(state), length_(length) {}

Md5::~Md5() {
  wipe_memory(state_.data(), sizeof state_);
  wipe_memory(buffer_.data(), buffer_.size());
}

void Md5::compress(const std::uint8_t* block) noexcept {
  std::array<std::uint32_t, 16> words;
  for (std::size_t i = 0; i < words.size(); ++i) words[i] = load_le32(block + 4 * i);

  std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  // One loop per round, each with its own mixing function, so that the
  // compiler can unroll them; a switch inside a single loop runs at half speed.
  auto step = [&](unsigned i, std::uint32_t mixed, unsigned word) {
    const std::uint32_t sum = a + mixed + kSine[i] + words[word];
    a = d;
    d = c;
    c = b;
    b += std::rotl(sum, kShift[(i / 16) * 4 + i % 4]);
  };
  for (unsigned i = 0; i < 16; ++i) step(i, (b & c) | (~b & d), i);
  for (unsigned i = 16; i < 32; ++i) step(i, (d & b) | (~d & c), (5 * i + 1) % 16);
  for (unsigned i = 32; i < 48; ++i) step(i, b ^ c ^ d, (3 * i + 5) % 16);
  for (unsigned i = 48; i < 64; ++i) step(i, c ^ (b | ~d), (7 * i) % 16);
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  wipe_memory(words.data(), sizeof words);
}

void Md5::update(std::span<const std::uint8_t> data) noexcept {
  if (data.empty()) return;  // an empty view may carry a null pointer, which memcpy must not see
  std::size_t buffered = static_cast<std::size_t>(length_ % kBlockSize);
  length_ += data.size();
  if (buffered != 0) {
    const std::size_t take = std::min(kBlockSize - buffered, data.size());
    std::memcpy(buffer_.data() + buffered, data.data(), take);
    data = data.subspan(take);
    buffered += take;
    if (buffered < kBlockSize) return;
    compress(buffer_.data());
  }
  while (data.size() >= kBlockSize) {
    compress(data.data());
    data = data.subspan(kBlockSize);
  }
  if (!data.empty()) std::memcpy(buffer_.data(), data.data(), data.size());
}

void Md5::update(std::string_view data) noexcept {
  update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

void Md5::finish(std::span<std::uint8_t, kDigestSize> digest) noexcept {
  const std::uint64_t bit_length = length_ * 8;
  std::array<std::uint8_t, kBlockSize + 8> padding{};
  padding[0] = 0x80;
  const std::size_t buffered = static_cast<std::size_t>(length_ % kBlockSize);
  const std::size_t pad_size = buffered < 56 ? 56 - buffered : 120 - buffered;
  for (int i = 0; i < 8; ++i) padding[pad_size + i] = static_cast<std::uint8_t>(bit_length >> (8 * i));
  update(std::span<const std::uint8_t>(padding.data(), pad_size + 8));
  for (std::size_t i = 0; i < state_.size(); ++i) store_le32(state_[i], digest.data() + 4 * i);
}

}  // namespace authd::passwords::detail
