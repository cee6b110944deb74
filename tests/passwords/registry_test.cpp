// The registry's rules: identification, flags, malformed values, encoding
// round trips, odd passwords, and concurrent checks.
#include "passwords/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace authd::passwords {
namespace {

const Registry& registry() { return Registry::instance(); }

std::string_view name_of(std::string_view stored) {
  const Scheme* scheme = registry().identify(stored);
  return scheme == nullptr ? std::string_view("(none)") : scheme->name;
}

bool is_libxcrypt_scheme(std::string_view name) {
  static const std::set<std::string_view> names = {"DES-CRYPT",    "BSDI-CRYPT", "MD5-CRYPT", "SHA256-CRYPT",
                                                   "SHA512-CRYPT", "BCRYPT",     "SCRYPT",    "YESCRYPT"};
  return names.contains(name);
}

bool is_bare_scheme(std::string_view name) { return is_libxcrypt_scheme(name) || name == "APR1"; }

// --- identify -------------------------------------------------------------

TEST(Identify, ByPrefixIgnoringCase) {
  EXPECT_EQ(name_of("{SSHA}anything"), "SSHA");
  EXPECT_EQ(name_of("{ssha}anything"), "SSHA");
  EXPECT_EQ(name_of("{sSha256}x"), "SSHA256");
  EXPECT_EQ(name_of("{cleartext}x"), "PLAIN");
  EXPECT_EQ(name_of("{Plain}"), "PLAIN");
  EXPECT_EQ(name_of("{pbkdf2-sha512}x"), "PBKDF2-SHA512");
  EXPECT_EQ(name_of("{hmac-md5}x"), "CRAM-MD5");
  EXPECT_EQ(name_of("{argon2id}x"), "ARGON2");
}

TEST(Identify, UnknownOrBrokenPrefixesAreNothing) {
  EXPECT_EQ(name_of("{FOO}bar"), "(none)");
  EXPECT_EQ(name_of("{}x"), "(none)");
  EXPECT_EQ(name_of("{SSHA"), "(none)");
  EXPECT_EQ(name_of("{AVERYLONGSCHEMENAMEINDEED}x"), "(none)");
  // OpenLDAP's {APR1} is base64, not Apache's string: refused, not misread.
  EXPECT_EQ(name_of("{APR1}9YIU5qrPfQwiw9ikawrM3mJQcTNkdE9Q"), "(none)");
}

TEST(Identify, BareCryptStringsById) {
  EXPECT_EQ(name_of("$apr1$12raqXRn$T3Yx3qtoFtdqnv6eZUlU7."), "APR1");
  EXPECT_EQ(name_of("$1$x$y"), "MD5-CRYPT");
  EXPECT_EQ(name_of("$5$rounds=1000$x$y"), "SHA256-CRYPT");
  EXPECT_EQ(name_of("$6$x$y"), "SHA512-CRYPT");
  EXPECT_EQ(name_of("$2a$05$x"), "BCRYPT");
  EXPECT_EQ(name_of("$2b$05$x"), "BCRYPT");
  EXPECT_EQ(name_of("$2y$05$x"), "BCRYPT");
  EXPECT_EQ(name_of("$y$j9T$x$y"), "YESCRYPT");
  EXPECT_EQ(name_of("$7$CU..../....x$y"), "SCRYPT");
  EXPECT_EQ(name_of("9wqCrC32x/Xto"), "DES-CRYPT");
  EXPECT_EQ(name_of("_J9..dcv.azEpXyLXrQ2"), "BSDI-CRYPT");
}

TEST(Identify, OtherBareStringsAreNothing) {
  EXPECT_EQ(name_of(""), "(none)");
  EXPECT_EQ(name_of("*0"), "(none)");
  EXPECT_EQ(name_of("!"), "(none)");
  EXPECT_EQ(name_of("*LK*"), "(none)");
  EXPECT_EQ(name_of("secret"), "(none)");
  EXPECT_EQ(name_of("9wqCrC32x/Xt"), "(none)");      // 12 characters
  EXPECT_EQ(name_of("9wqCrC32x/Xto0"), "(none)");    // 14 characters
  EXPECT_EQ(name_of("9wqCrC32x!Xto"), "(none)");     // outside the DES alphabet
  EXPECT_EQ(name_of("_J9..dcv.azEpXyLXrQ"), "(none)");
  EXPECT_EQ(name_of("$2x$05$x"), "(none)");
  EXPECT_EQ(name_of("$gy$j9T$x$y"), "(none)");
  EXPECT_EQ(name_of("$sha1$196797$x$y"), "(none)");
}

TEST(Identify, CryptPrefixesDecideByTheString) {
  EXPECT_EQ(name_of("{CRYPT}$6$x$y"), "SHA512-CRYPT");
  EXPECT_EQ(name_of("{crypt}$2b$05$x"), "BCRYPT");
  EXPECT_EQ(name_of("{CRYPT}9wqCrC32x/Xto"), "DES-CRYPT");
  EXPECT_EQ(name_of("{CRYPT}$apr1$a$b"), "APR1");
  EXPECT_EQ(name_of("{SHA512-CRYPT}$6$x$y"), "SHA512-CRYPT");
  EXPECT_EQ(name_of("{BLF-CRYPT}$2y$05$x"), "BCRYPT");
  EXPECT_EQ(name_of("{CRYPT}garbage"), "(none)");
  EXPECT_EQ(name_of("{CRYPT}*"), "(none)");
  EXPECT_EQ(name_of("{CRYPT}"), "(none)");
  // Dovecot's {MD5} holds MD5-crypt strings; OpenLDAP's holds a digest.
  EXPECT_EQ(name_of("{MD5}$1$PgDfIfUT$bhYpx4o5UYh56/84e0dUZ1"), "MD5-CRYPT");
  EXPECT_EQ(name_of("{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="), "MD5");
}

TEST(Identify, ReturnsTheRegisteredSchemeObjects) {
  const auto all = registry().schemes();
  EXPECT_NE(std::find(all.begin(), all.end(), registry().identify("{SSHA}x")), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), registry().identify("$6$x$y")), all.end());
}

// --- flags ----------------------------------------------------------------

TEST(Schemes, NamesAreUniqueAndFlagsFollowThePolicy) {
  const std::set<std::string_view> weak = {"PLAIN",  "CRAM-MD5",  "MD5",       "SHA",
                                           "SHA256", "SHA512",    "DES-CRYPT", "BSDI-CRYPT"};
  const std::set<std::string_view> fast = {"PLAIN", "CRAM-MD5", "MD5",  "SHA",     "SHA256",
                                           "SHA512", "SMD5",    "SSHA", "SSHA256", "SSHA512"};
  std::set<std::string_view> names;
  for (const Scheme* scheme : registry().schemes()) {
    EXPECT_TRUE(names.insert(scheme->name).second) << scheme->name;
    EXPECT_EQ(scheme->weak, weak.contains(scheme->name)) << scheme->name;
    EXPECT_EQ(scheme->slow, !fast.contains(scheme->name)) << scheme->name;
  }
  EXPECT_EQ(names.size(), 23u);
}

TEST(Schemes, CostRanksFollowRealCost) {
  auto rank = [](std::string_view stored) { return registry().identify(stored)->cost_rank; };
  EXPECT_EQ(rank("{PLAIN}x"), 0);
  EXPECT_LT(rank("{PLAIN}x"), rank("{SHA}x"));
  EXPECT_LT(rank("{SHA}x"), rank("{SSHA}x"));
  EXPECT_LT(rank("{SSHA}x"), rank("9wqCrC32x/Xto"));
  EXPECT_LT(rank("9wqCrC32x/Xto"), rank("$1$x$y"));
  EXPECT_EQ(rank("$1$x$y"), rank("$apr1$x$y"));
  EXPECT_LT(rank("$1$x$y"), rank("$6$x$y"));
  EXPECT_LT(rank("$6$x$y"), rank("{PBKDF2-SHA256}x"));
  EXPECT_LT(rank("{PBKDF2-SHA256}x"), rank("$2b$10$x"));
  EXPECT_LT(rank("$2b$10$x"), rank("$y$j9T$x$y"));
  EXPECT_LT(rank("$y$j9T$x$y"), rank("{ARGON2}x"));
}

// --- malformed values -----------------------------------------------------

class MalformedValue : public ::testing::TestWithParam<std::string_view> {};

TEST_P(MalformedValue, IsReportedAndNotThrown) {
  const Secret password("secret");
  Check result = Check::Match;
  EXPECT_NO_THROW(result = registry().check(GetParam(), password));
  EXPECT_EQ(result, Check::Malformed);
  std::optional<std::string> like;
  EXPECT_NO_THROW(like = registry().encode_like(GetParam(), password));
  EXPECT_FALSE(like.has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Registry, MalformedValue,
    ::testing::Values(
        // Nothing recognisable.
        "", "*0", "*", "!", "*LK*", "{FOO}bar", "{SSHA", "{CRYPT}*0", "{CRYPT}",
        // Digests: bad base64, bad hex, wrong lengths.
        "{MD5}", "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=", "{MD5}Xr4ilOzQ4PCOq3aQ0qbua", "{MD5}5ebe2294ecd0e0f08eab7690d2a6ee6g",
        "{MD5}5ebe2294ecd0e0f08eab7690d2a6ee6", "{SHA}5en6G6MezRroT3XKqkdPOmY/Bf", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=x",
        "{SHA}5en6G6MezRroT3XKqk=dPOmY/BfQ=", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ==", "{SHA}5en6G6Mez RroT3XKqkdPOmY/BfQ=",
        "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unol==", "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1q",
        // Salted digests: no salt, or not even a digest.
        "{SSHA}", "{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "{SSHA}C6QyEhu8X+hUhbU07teZ", "{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LG!",
        "{SMD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "{SSHA512}mS7mrRYQprST1W12VXw53ixuW1C88Ov3uIjB",
        // CRAM-MD5: 63 digits, 65 digits, a non-digit.
        "{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b5",
        "{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b566",
        "{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b5g",
        // PBKDF2: missing key, zero or absurd iterations, empty salt, short key, bad characters.
        "{PBKDF2-SHA256}10000$mJjE2hYYuwIF1gnT5vumNg", "{PBKDF2-SHA256}0$mJjE2hYYuwIF1gnT5vumNg$w..trGse4CkRPom0zgylAT9Cv2LYzfUFyqvss6mOoCQ",
        "{PBKDF2-SHA256}99999999999$mJjE2hYYuwIF1gnT5vumNg$w..trGse4CkRPom0zgylAT9Cv2LYzfUFyqvss6mOoCQ",
        "{PBKDF2-SHA256}-1$mJjE2hYYuwIF1gnT5vumNg$w..trGse4CkRPom0zgylAT9Cv2LYzfUFyqvss6mOoCQ",
        "{PBKDF2-SHA256}10000$$w..trGse4CkRPom0zgylAT9Cv2LYzfUFyqvss6mOoCQ",
        "{PBKDF2-SHA256}10000$mJjE2hYYuwIF1gnT5vumNg$w..trGse4Ck",
        "{PBKDF2-SHA256}10000$mJjE2hYY!wIF1gnT5vumNg$w..trGse4CkRPom0zgylAT9Cv2LYzfUFyqvss6mOoCQ",
        "{PBKDF2-SHA256}10000$mJjE2hYYuwIF1gnT5vumNg$w..trGse4CkRPom0zgylAT9Cv2LYzfUFyqvss6mOoCQ$",
        "{PBKDF2}$1$e0d1po/qwAIF/FUW$5000$86b5721cb4486516c5a0f261ebad1cf0dc3a6f3",
        "{PBKDF2}$1$$5000$86b5721cb4486516c5a0f261ebad1cf0dc3a6f30",
        // Argon2: unknown type, missing hash, absurd memory, unknown version, short salt.
        "{ARGON2}$argon2x$v=19$m=4096,t=3,p=1$nyyi8CEDKa8M7jLqJFSCqQ$0JBosB5VydbX8oxWZE4v3FQG7QVTjxwPNOCspMCYPXo",
        "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$nyyi8CEDKa8M7jLqJFSCqQ",
        "{ARGON2}$argon2i$v=19$m=99999999,t=3,p=1$nyyi8CEDKa8M7jLqJFSCqQ$0JBosB5VydbX8oxWZE4v3FQG7QVTjxwPNOCspMCYPXo",
        "{ARGON2}$argon2i$v=18$m=4096,t=3,p=1$nyyi8CEDKa8M7jLqJFSCqQ$0JBosB5VydbX8oxWZE4v3FQG7QVTjxwPNOCspMCYPXo",
        "{ARGON2}$argon2i$v=19$m=4096,t=0,p=1$nyyi8CEDKa8M7jLqJFSCqQ$0JBosB5VydbX8oxWZE4v3FQG7QVTjxwPNOCspMCYPXo",
        "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$nyyi8A$0JBosB5VydbX8oxWZE4v3FQG7QVTjxwPNOCspMCYPXo",
        "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$nyyi8CEDKa8M7jLqJFSCqQ$0JBosB5Vydb",
        // crypt: truncated hashes, empty hash parts, a bad cost, an over-long salt.
        "$6$wbQse1Otlg..B8WH$fMW/aQttWVKQrOko", "$6$wbQse1Otlg..B8WH$", "$6$", "$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r",
        "$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r11", "$2b$05$9Tx9vX/8IGVF9Gsij2/hB.Nwyf3pni2rYF5MGg8JwIIukPGuuRPC",
        "$2b$99$9Tx9vX/8IGVF9Gsij2/hB.Nwyf3pni2rYF5MGg8JwIIukPGuuRPCC", "$2b$05$", "$y$j9T$ritVOPr1pAl66tvV3GOP11$",
        "$y$j9T$", "$7$CU..../....FBannWqYgBKfTqOyd3Sht1$", "{CRYPT}$6$wbQse1Otlg..B8WH$fMW",
        "$5$0123456789abcdefXYZ$11fM6Wx4259UMOfq10l7UW4V1BlGUlUuAIRiw828Wa7",
        // APR1: truncated, no hash.
        "$apr1$12raqXRn$T3Yx3qtoFtdqnv6eZUlU7", "$apr1$12raqXRn", "$apr1$"));

TEST(Check, EmptyPasswordIsCheckedNormally) {
  const Secret empty;
  EXPECT_EQ(registry().check("{PLAIN}", empty), Check::Match);
  EXPECT_EQ(registry().check("{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH", empty), Check::Mismatch);
  EXPECT_EQ(registry().check("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", empty), Check::Mismatch);
}

TEST(Check, PasswordWithNulNeverMatchesACryptHash) {
  // "$1$..." is "secret": crypt would see only the part before the NUL.
  const Secret with_nul(std::string_view("secret\0more", 11));
  EXPECT_EQ(registry().check("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", with_nul), Check::Mismatch);
  EXPECT_EQ(registry().check("9wqCrC32x/Xto", with_nul), Check::Mismatch);
  // A broken value is still reported as broken.
  EXPECT_EQ(registry().check("$2b$99$9Tx9vX/8IGVF9Gsij2/hB.Nwyf3pni2rYF5MGg8JwIIukPGuuRPCC", with_nul),
            Check::Malformed);
}

TEST(Check, PasswordTooLongForCryptIsAMismatch) {
  const Secret long_password(std::string(2000, 's'));
  EXPECT_EQ(registry().check("$6$wbQse1Otlg..B8WH$fMW/aQttWVKQrOko/7SMk7sHHCkdZZJNwBMkI0GK8qRvU.o4KvRVTU93IAPFSHWDHhQrwD5"
                             "CuBtMOc0uZghcq/",
                             long_password),
            Check::Mismatch);
  EXPECT_FALSE(registry().encode_like("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", long_password).has_value());
  EXPECT_THROW(registry().encode("SHA512-CRYPT", long_password), std::invalid_argument);
}

// --- encode ---------------------------------------------------------------

class EveryScheme : public ::testing::TestWithParam<const Scheme*> {};

std::string scheme_test_name(const ::testing::TestParamInfo<const Scheme*>& info) {
  std::string name(info.param->name);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

void expect_round_trip(const Scheme& scheme, std::string_view password_text) {
  SCOPED_TRACE(std::string(scheme.name) + " with a password of " + std::to_string(password_text.size()) + " bytes");
  const Secret password(password_text);
  const std::string stored = registry().encode(scheme.name, password);
  EXPECT_EQ(registry().identify(stored), &scheme) << stored;
  EXPECT_EQ(registry().check(stored, password), Check::Match) << stored;
  // Changed at the front: DES reads only eight bytes.
  EXPECT_EQ(registry().check(stored, Secret("!" + std::string(password_text))), Check::Mismatch) << stored;
  const auto like = registry().encode_like(stored, password);
  ASSERT_TRUE(like.has_value()) << stored;
  EXPECT_EQ(*like, stored);
  const auto other = registry().encode_like(stored, Secret("another password"));
  ASSERT_TRUE(other.has_value()) << stored;
  EXPECT_NE(*other, stored);
  EXPECT_EQ(registry().identify(*other), &scheme);
}

TEST_P(EveryScheme, RoundTrips) { expect_round_trip(*GetParam(), "correct horse battery staple"); }

TEST_P(EveryScheme, RoundTripsAnEmptyPassword) { expect_round_trip(*GetParam(), ""); }

TEST_P(EveryScheme, RoundTripsHighBytes) {
  std::string password;
  for (int byte = 0x80; byte <= 0xff; byte += 3) password.push_back(static_cast<char>(byte));
  expect_round_trip(*GetParam(), password);
}

TEST_P(EveryScheme, RoundTripsA2000BytePasswordUnlessCryptCannot) {
  std::string password;
  for (int i = 0; i < 2000; ++i) password.push_back(static_cast<char>(1 + (i * 7) % 255));
  if (is_libxcrypt_scheme(GetParam()->name)) {
    EXPECT_THROW(registry().encode(GetParam()->name, Secret(password)), std::invalid_argument);
  } else {
    expect_round_trip(*GetParam(), password);
  }
}

TEST_P(EveryScheme, RoundTripsANulByteUnlessCryptCannot) {
  const std::string password("a\0b", 3);
  if (is_libxcrypt_scheme(GetParam()->name)) {
    EXPECT_THROW(registry().encode(GetParam()->name, Secret(password)), std::invalid_argument);
  } else {
    expect_round_trip(*GetParam(), password);
  }
}

TEST_P(EveryScheme, UsesTheRightForm) {
  const Scheme& scheme = *GetParam();
  const std::string stored = registry().encode(scheme.name, Secret("pw"));
  if (is_bare_scheme(scheme.name)) {
    EXPECT_FALSE(stored.starts_with("{")) << stored;
  } else {
    EXPECT_TRUE(stored.starts_with("{" + std::string(scheme.name) + "}")) << stored;
  }
}

TEST_P(EveryScheme, SaltsAreFresh) {
  const Scheme& scheme = *GetParam();
  const Secret password("pw");
  const bool deterministic = scheme.name == "PLAIN" || scheme.name == "CRAM-MD5" || scheme.name == "MD5" ||
                             scheme.name == "SHA" || scheme.name == "SHA256" || scheme.name == "SHA512";
  // DES has only 4096 salts: three draws make a false alarm negligible.
  const std::set<std::string> values = {registry().encode(scheme.name, password),
                                        registry().encode(scheme.name, password),
                                        registry().encode(scheme.name, password)};
  EXPECT_EQ(values.size() == 1, deterministic);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryScheme, ::testing::ValuesIn(Registry::instance().schemes()),
                         scheme_test_name);

TEST(Encode, DefaultParameters) {
  const Secret password("pw");
  const std::string sha512 = registry().encode("SHA512-CRYPT", password);
  EXPECT_TRUE(sha512.starts_with("$6$")) << sha512;
  EXPECT_EQ(sha512.find("rounds="), std::string::npos) << sha512;
  EXPECT_TRUE(registry().encode("BCRYPT", password).starts_with("$2b$10$"));
  EXPECT_TRUE(registry().encode("YESCRYPT", password).starts_with("$y$"));
  EXPECT_TRUE(registry().encode("SCRYPT", password).starts_with("$7$"));
  EXPECT_TRUE(registry().encode("MD5-CRYPT", password).starts_with("$1$"));
  EXPECT_TRUE(registry().encode("APR1", password).starts_with("$apr1$"));
  EXPECT_EQ(registry().encode("DES-CRYPT", password).size(), 13u);
  EXPECT_TRUE(registry().encode("BSDI-CRYPT", password).starts_with("_"));
  EXPECT_TRUE(registry().encode("ARGON2", password).starts_with("{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$"));
  const std::string pbkdf2 = registry().encode("PBKDF2-SHA256", password);
  EXPECT_TRUE(pbkdf2.starts_with("{PBKDF2-SHA256}29000$")) << pbkdf2;
  // 16 bytes of salt, 32 of key, in unpadded adapted base64.
  EXPECT_EQ(pbkdf2.size(), std::string_view("{PBKDF2-SHA256}29000$").size() + 22 + 1 + 43) << pbkdf2;
  EXPECT_EQ(pbkdf2.find_first_of("+="), std::string::npos) << pbkdf2;
  // 8 bytes of salt after the digest.
  EXPECT_EQ(registry().encode("SSHA", password).size(), std::string_view("{SSHA}").size() + 40u);
}

TEST(Encode, AcceptsAliasesAndRefusesUnknownNames) {
  const Secret password("pw");
  EXPECT_TRUE(registry().encode("ssha", password).starts_with("{SSHA}"));
  EXPECT_TRUE(registry().encode("CLEARTEXT", password).starts_with("{PLAIN}"));
  EXPECT_TRUE(registry().encode("BLF-CRYPT", password).starts_with("$2b$"));
  EXPECT_TRUE(registry().encode("SHA1", password).starts_with("{SHA}"));
  EXPECT_THROW(registry().encode("FOO", password), std::invalid_argument);
  EXPECT_THROW(registry().encode("", password), std::invalid_argument);
  // {CRYPT} names no algorithm of its own.
  EXPECT_THROW(registry().encode("CRYPT", password), std::invalid_argument);
}

TEST(Encode, UnknownNameMessageDoesNotCarryThePassword) {
  try {
    registry().encode("FOO", Secret("hunter2"));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("FOO"), std::string::npos);
  }
}

TEST(EncodeLike, KeepsThePrefixAsWritten) {
  const Secret password("secret");
  EXPECT_EQ(registry().encode_like("{ssha}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH", password),
            "{ssha}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH");
  EXPECT_EQ(registry().encode_like("{crypt}$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", password),
            "{crypt}$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1");
  EXPECT_EQ(registry().encode_like("{PLAIN}whatever", password), "{PLAIN}secret");
}

// --- clear text and CRAM-MD5 contexts --------------------------------------

TEST(ClearText, OnlyFromPlainValues) {
  Secret out;
  EXPECT_TRUE(registry().clear_text("{PLAIN}secret", out));
  EXPECT_EQ(out.view(), "secret");
  EXPECT_TRUE(registry().clear_text("{cleartext}s3cr3t", out));
  EXPECT_EQ(out.view(), "s3cr3t");
  EXPECT_TRUE(registry().clear_text("{CLEAR}", out));
  EXPECT_EQ(out.view(), "");
  EXPECT_FALSE(registry().clear_text("{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH", out));
  EXPECT_FALSE(registry().clear_text("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", out));
  EXPECT_FALSE(registry().clear_text("secret", out));
}

TEST(CramMd5ContextOf, StoredContextOrClearText) {
  const std::string_view dovecot = "cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56";
  CramMd5Context context;
  ASSERT_TRUE(registry().cram_md5_context("{CRAM-MD5}" + std::string(dovecot), context));
  EXPECT_EQ(context.to_hex(), dovecot);
  CramMd5Context from_plain;
  ASSERT_TRUE(registry().cram_md5_context("{PLAIN}secret", from_plain));
  EXPECT_EQ(from_plain.to_hex(), dovecot);
  CramMd5Context none;
  EXPECT_FALSE(registry().cram_md5_context("{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH", none));
  EXPECT_FALSE(registry().cram_md5_context("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", none));
  EXPECT_FALSE(registry().cram_md5_context("{CRAM-MD5}cd3b", none));
  EXPECT_FALSE(registry().cram_md5_context("", none));
}

// --- concurrency ----------------------------------------------------------

TEST(Check, ConcurrentChecksAgree) {
  const std::vector<std::pair<std::string_view, Check>> cases = {
      {"{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH", Check::Match},
      {"{SSHA}lHFzXul4wnzRItssVcTnvXWRjNgBAgMEBQYHCA==", Check::Match},
      {"{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56", Check::Match},
      {"$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", Check::Match},
      {"$apr1$12raqXRn$T3Yx3qtoFtdqnv6eZUlU7.", Check::Match},
      {"9wqCrC32x/Xto", Check::Match},
      {"{PBKDF2-SHA1}1000$ABEiM0RVZneImaq7zN3u/w$REVIUQq5KMGJCJRZJZ1fgTaKarg", Check::Match},
      {"{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4", Check::Match},
      {"{SSHA}39bLImLeas6khotkL5xx6wRVXrXeGeUE", Check::Mismatch},
      {"$6$wbQse1Otlg..B8WH$fMW/aQttWVKQrOko", Check::Malformed},
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Secret password("secret");
      for (int round = 0; round < 25; ++round) {
        for (std::size_t i = 0; i < cases.size(); ++i) {
          const auto& [stored, expected] = cases[(i + static_cast<std::size_t>(t)) % cases.size()];
          if (registry().check(stored, password) != expected) ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace authd::passwords
