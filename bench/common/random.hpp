// Deterministic pseudo-random numbers for the benchmark tools.
//
// splitmix64 rather than <random>'s distributions: those differ between
// standard libraries, and a seed must give the same users and the same
// request mix on every machine, so that runs can be compared.
#pragma once

#include <cstdint>

namespace authd::bench {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1), from the top 53 bits.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, bound); bound > 0. Multiply-high instead of modulo keeps
  // the bias negligible for any bound we use.
  std::uint64_t below(std::uint64_t bound) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

 private:
  std::uint64_t state_;
};

// An independent stream for item `index` of a run seeded with `seed`, so
// that items can be produced on any thread, in any order, with equal results.
inline SplitMix64 stream_for(std::uint64_t seed, std::uint64_t index) noexcept {
  SplitMix64 mixer(seed ^ (index * 0xD1B54A32D192ED03ULL));
  return SplitMix64(mixer.next());
}

}  // namespace authd::bench
