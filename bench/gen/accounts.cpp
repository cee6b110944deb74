#include "bench/gen/accounts.hpp"

#include <cstdio>
#include <string_view>

#include "bench/common/random.hpp"

namespace authd::bench {
namespace {

// Printable ASCII without ':' (it separates the fields of password and
// htpasswd files, where a {PLAIN} value would hold it) and without space,
// which is placed on purpose. Quote and backslash stay: they exercise
// quoting on the wire.
constexpr std::string_view kAlphabet =
    "!\"#$%&'()*+,-./0123456789;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

constexpr std::size_t kMinLength = 8;
constexpr std::size_t kMaxLength = 16;

}  // namespace

std::string account_name(std::size_t index, int digits) {
  char text[40];
  std::snprintf(text, sizeof text, "user%0*zu", digits, index);
  return text;
}

int name_digits(std::size_t users) noexcept {
  int digits = 1;
  for (std::size_t largest = users == 0 ? 0 : users - 1; largest >= 10; largest /= 10) ++digits;
  return digits < 6 ? 6 : digits;
}

std::string generated_password(std::uint64_t seed, std::size_t index, double space_share) {
  SplitMix64 random = stream_for(seed, index);
  const std::size_t length = kMinLength + random.below(kMaxLength - kMinLength + 1);
  std::string password(length, ' ');
  for (char& c : password) c = kAlphabet[random.below(kAlphabet.size())];
  if (random.unit() < space_share) password[1 + random.below(length - 2)] = ' ';
  return password;
}

}  // namespace authd::bench
