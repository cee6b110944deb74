// The generated test accounts: names by number, passwords from the seed.
//
// A password depends only on the seed and the account's number, never on
// the scheme or the thread that makes it, so the same seed gives the same
// credentials file for every scheme and format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace authd::bench {

// "user000123": the number zero-padded to `digits`.
std::string account_name(std::size_t index, int digits);

// Digits needed for the names of `users` accounts (at least 6).
int name_digits(std::size_t users) noexcept;

// 8 to 16 printable ASCII bytes; with probability `space_share` one byte
// inside it (never the first or last) is a space.
std::string generated_password(std::uint64_t seed, std::size_t index, double space_share);

}  // namespace authd::bench
