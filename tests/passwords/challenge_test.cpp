// CRAM-MD5 contexts and responses, APOP, and constant-time comparison.
#include "passwords/challenge.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>
#include <string>

namespace authd::passwords {
namespace {

std::string hex(const unsigned char* bytes, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 15]);
  }
  return out;
}

// The reference: OpenSSL's HMAC-MD5 straight from the key.
std::string openssl_hmac_md5(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &size);
  return hex(digest, size);
}

std::string random_bytes(std::mt19937& random, std::size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random() & 0xff);
  return out;
}

TEST(CramMd5, ContextHasDovecotsByteOrder) {
  // doveadm pw -s CRAM-MD5 -p secret / -p tanstaaftanstaaf
  CramMd5Context context;
  CramMd5Context::from_password("secret", context);
  EXPECT_EQ(context.to_hex(), "cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56");
  CramMd5Context::from_password("tanstaaftanstaaf", context);
  EXPECT_EQ(context.to_hex(), "d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b");
}

TEST(CramMd5, Rfc2195Example) {
  const std::string_view challenge = "<1896.697170952@postoffice.reston.mci.net>";
  CramMd5Context context;
  CramMd5Context::from_password("tanstaaftanstaaf", context);
  EXPECT_EQ(cram_md5_response(context, challenge), "b913a602c7eda7a495b4e6e7334d3890");
  // The same from the context Dovecot stores.
  CramMd5Context stored;
  ASSERT_TRUE(
      CramMd5Context::from_hex("d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b", stored));
  EXPECT_EQ(cram_md5_response(stored, challenge), "b913a602c7eda7a495b4e6e7334d3890");
  EXPECT_EQ(openssl_hmac_md5("tanstaaftanstaaf", challenge), "b913a602c7eda7a495b4e6e7334d3890");
}

TEST(CramMd5, ResponseIsHmacMd5ForAnyKeyAndChallenge) {
  std::mt19937 random(2195);
  // Keys around the block size: longer ones are hashed first.
  for (std::size_t key_size : {0, 1, 16, 63, 64, 65, 100, 200, 2000}) {
    for (std::size_t challenge_size : {0, 1, 55, 56, 64, 119, 120, 1000}) {
      const std::string key = random_bytes(random, key_size);
      const std::string challenge = random_bytes(random, challenge_size);
      CramMd5Context context;
      CramMd5Context::from_password(key, context);
      EXPECT_EQ(cram_md5_response(context, challenge), openssl_hmac_md5(key, challenge))
          << "key " << key_size << " challenge " << challenge_size;
    }
  }
}

TEST(CramMd5, HexParsing) {
  CramMd5Context context;
  EXPECT_TRUE(CramMd5Context::from_hex("CD3BA7DEAAD6E5CA23448BA42E379747A9E0F7F1FBC00C8A81BBAAC395731B56", context));
  EXPECT_EQ(context.to_hex(), "cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56");
  EXPECT_FALSE(CramMd5Context::from_hex("", context));
  EXPECT_FALSE(CramMd5Context::from_hex("cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b5", context));
  EXPECT_FALSE(CramMd5Context::from_hex("cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b5x", context));
  EXPECT_FALSE(CramMd5Context::from_hex("cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b5600", context));
}

TEST(Apop, Rfc1939Example) {
  EXPECT_EQ(apop_digest("<1896.697170952@dbc.mtview.ca.us>", Secret("tanstaaf")), "c4c9334bac560ecc979e58001b3e22fb");
}

TEST(Apop, EmptyAndBinaryPasswords) {
  // hashlib.md5(b"<x@y>").hexdigest() ; hashlib.md5(b"<x@y>\x00\xff").hexdigest()
  EXPECT_EQ(apop_digest("<x@y>", Secret()), "d34673922a653815690ab325c2f4c13e");
  EXPECT_EQ(apop_digest("<x@y>", Secret(std::string_view("\0\xff", 2))), "c93e67c78eff004394ae138918b4200a");
}

TEST(EqualConstantTime, ComparesBytesAndLengths) {
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_TRUE(equal_constant_time("secret", "secret"));
  EXPECT_FALSE(equal_constant_time("secret", "secreT"));
  EXPECT_FALSE(equal_constant_time("secret", "secret "));
  EXPECT_FALSE(equal_constant_time("", "x"));
  EXPECT_TRUE(equal_constant_time(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(equal_constant_time(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(EqualHexConstantTime, IgnoresCaseOfHexDigitsOnly) {
  EXPECT_TRUE(equal_hex_constant_time("", ""));
  EXPECT_TRUE(equal_hex_constant_time("0123456789abcdef", "0123456789ABCDEF"));
  EXPECT_TRUE(equal_hex_constant_time("b913A602", "B913a602"));
  EXPECT_FALSE(equal_hex_constant_time("b913a602", "b913a603"));
  EXPECT_FALSE(equal_hex_constant_time("b913a602", "b913a60"));
  // Folding the case bit must not make other characters equal.
  EXPECT_FALSE(equal_hex_constant_time("@", "`"));
  EXPECT_FALSE(equal_hex_constant_time("zz", "zz"));
  EXPECT_FALSE(equal_hex_constant_time("0g", "0G"));
}

}  // namespace
}  // namespace authd::passwords
