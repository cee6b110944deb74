// The internal building blocks: base64 in both alphabets, hex, decimal
// fields, and the resumable MD5 against OpenSSL.
#include "passwords/encoding.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <random>
#include <vector>

#include "passwords/md5_state.hpp"

namespace authd::passwords::detail {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

std::optional<std::string> decode(std::string_view text, Base64Alphabet alphabet = Base64Alphabet::Standard) {
  std::array<std::uint8_t, 128> out;
  const auto size = base64_decode(text, out, alphabet);
  if (!size) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(out.data()), *size);
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(bytes_of(plain), Base64Alphabet::Standard, true), encoded);
    EXPECT_EQ(decode(encoded), plain);
  }
}

TEST(Base64, PaddingIsOptionalButMustBeWhole) {
  EXPECT_EQ(decode("Zg"), "f");
  EXPECT_EQ(decode("Zm8"), "fo");
  EXPECT_FALSE(decode("Zg="));
  EXPECT_FALSE(decode("Zg==="));
  EXPECT_FALSE(decode("Z"));
  EXPECT_FALSE(decode("Zm9vY"));
  EXPECT_FALSE(decode("Zm=v"));
  EXPECT_FALSE(decode("Zm9v\n"));
  EXPECT_FALSE(decode("Zm 9v"));
}

TEST(Base64, AdaptedAlphabet) {
  const std::vector<std::uint8_t> bytes = {0xfb, 0xef, 0xbe, 0xff, 0xff};
  EXPECT_EQ(base64_encode(bytes, Base64Alphabet::Standard, true), "++++//8=");
  EXPECT_EQ(base64_encode(bytes, Base64Alphabet::Adapted, false), "....//8");
  EXPECT_EQ(decode("....//8", Base64Alphabet::Adapted), std::string("\xfb\xef\xbe\xff\xff"));
  // A writer that forgot to adapt '+' is still read.
  EXPECT_EQ(decode("++++//8", Base64Alphabet::Adapted), std::string("\xfb\xef\xbe\xff\xff"));
  EXPECT_FALSE(decode("....//8", Base64Alphabet::Standard));
}

TEST(Base64, RoundTripsEveryLength) {
  std::mt19937 random(4648);
  for (std::size_t size = 0; size <= 90; ++size) {
    std::vector<std::uint8_t> bytes(size);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
    for (const auto alphabet : {Base64Alphabet::Standard, Base64Alphabet::Adapted}) {
      for (const bool pad : {true, false}) {
        const std::string text = base64_encode(bytes, alphabet, pad);
        std::array<std::uint8_t, 128> out;
        const auto decoded = base64_decode(text, out, alphabet);
        ASSERT_TRUE(decoded) << text;
        EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<long>(*decoded)), bytes);
      }
    }
  }
}

TEST(Base64, RefusesWhatDoesNotFit) {
  std::array<std::uint8_t, 3> out;
  EXPECT_EQ(base64_decode("Zm9v", out, Base64Alphabet::Standard), 3u);
  EXPECT_FALSE(base64_decode("Zm9vYg==", out, Base64Alphabet::Standard));
}

TEST(Hex, EncodeAndDecode) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x7f, 0xab, 0xff};
  EXPECT_EQ(hex_encode(bytes), "007fabff");
  EXPECT_EQ(hex_encode(bytes, true), "007FABFF");
  std::array<std::uint8_t, 4> out;
  EXPECT_TRUE(hex_decode("007FabfF", out));
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.end()), bytes);
  EXPECT_FALSE(hex_decode("007fabf", out));
  EXPECT_FALSE(hex_decode("007fabfg", out));
  EXPECT_TRUE(is_hex("0aF"));
  EXPECT_FALSE(is_hex(""));
  EXPECT_FALSE(is_hex("0x"));
  EXPECT_TRUE(has_upper_hex("0aF"));
  EXPECT_FALSE(has_upper_hex("0af"));
}

TEST(Decimal, DigitsOnlyWithinBounds) {
  EXPECT_EQ(parse_decimal("10000", 1, 100000), 10000u);
  EXPECT_EQ(parse_decimal("0010", 1, 100), 10u);
  EXPECT_EQ(parse_decimal("4294967295", 0, 4294967295u), 4294967295u);
  EXPECT_FALSE(parse_decimal("4294967296", 0, 4294967295u));
  EXPECT_FALSE(parse_decimal("99999999999", 0, 4294967295u));
  EXPECT_FALSE(parse_decimal("", 0, 10));
  EXPECT_FALSE(parse_decimal("0", 1, 10));
  EXPECT_FALSE(parse_decimal("11", 1, 10));
  EXPECT_FALSE(parse_decimal("+1", 0, 10));
  EXPECT_FALSE(parse_decimal("-1", 0, 10));
  EXPECT_FALSE(parse_decimal(" 1", 0, 10));
}

std::string openssl_md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return hex_encode(std::span<const std::uint8_t>(digest, size));
}

std::string md5_hex(std::string_view data, std::size_t split) {
  Md5 md5;
  md5.update(data.substr(0, split));
  md5.update(data.substr(split));
  std::array<std::uint8_t, Md5::kDigestSize> digest;
  md5.finish(digest);
  return hex_encode(digest);
}

TEST(Md5, Rfc1321Vectors) {
  EXPECT_EQ(md5_hex("", 0), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc", 1), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890", 64),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, AgreesWithOpenSslForEveryLengthAndSplit) {
  std::mt19937 random(1321);
  for (std::size_t size = 0; size <= 300; ++size) {
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(random());
    const std::size_t split = size == 0 ? 0 : random() % (size + 1);
    EXPECT_EQ(md5_hex(data, split), openssl_md5_hex(data)) << size;
  }
}

TEST(Md5, ResumesFromASavedState) {
  const std::string block(Md5::kBlockSize, 'k');
  Md5 first;
  first.update(block);
  Md5 resumed(first.state(), Md5::kBlockSize);
  resumed.update("tail");
  std::array<std::uint8_t, Md5::kDigestSize> digest;
  resumed.finish(digest);
  EXPECT_EQ(hex_encode(digest), openssl_md5_hex(block + "tail"));
}

}  // namespace
}  // namespace authd::passwords::detail
