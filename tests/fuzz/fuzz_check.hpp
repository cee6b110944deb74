// Invariant checks for the fuzz targets. A failed check aborts, which both
// libFuzzer and the standalone driver report together with the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace authd::fuzz {

// Each invariant's text is unique, so it names the check that failed (the
// clang/libstdc++ pairs we build with do not all have source_location).
inline void check(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", invariant);
  std::abort();
}

inline std::string_view as_text(const unsigned char* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace authd::fuzz
