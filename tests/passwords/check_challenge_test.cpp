// Challenge-response verification through the registry: SASL method names,
// known answers of RFC 2195 (CRAM-MD5) and RFC 1939 (APOP) against every
// kind of stored value, and the default-scheme rule.
#include <gtest/gtest.h>

#include <string>

#include "passwords/registry.hpp"

namespace authd::passwords {
namespace {

const Registry& registry() { return Registry::instance(); }

// RFC 2195, section 2: user tim, password tanstaaftanstaaf.
constexpr std::string_view kCramChallenge = "<1896.697170952@postoffice.reston.mci.net>";
constexpr std::string_view kCramResponse = "b913a602c7eda7a495b4e6e7334d3890";
// What Dovecot stores as {CRAM-MD5} for tanstaaftanstaaf.
constexpr std::string_view kCramContext = "d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b";

// RFC 1939, section 7: user mrose, password tanstaaf.
constexpr std::string_view kApopChallenge = "<1896.697170952@dbc.mtview.ca.us>";
constexpr std::string_view kApopDigest = "c4c9334bac560ecc979e58001b3e22fb";

ChallengeCheck check(std::string_view stored, SaslMethod method, std::string_view challenge,
                     std::string_view response) {
  return registry().check_challenge(stored, method, challenge, Secret(response));
}

std::string with(std::string_view prefix, std::string_view body) { return std::string(prefix).append(body); }

std::string read_as(std::string_view stored, std::string_view default_scheme, SchemeMark mark) {
  return std::string(registry().with_default_scheme(stored, default_scheme, mark).view());
}

// --- SaslMethod -------------------------------------------------------------

TEST(SaslMethod, ParsesTheServedMethodsInAnyCase) {
  EXPECT_EQ(SaslMethod::parse("CRAM-MD5"), SaslMethod(SaslMethod::CramMd5));
  EXPECT_EQ(SaslMethod::parse("cram-md5"), SaslMethod(SaslMethod::CramMd5));
  EXPECT_EQ(SaslMethod::parse("Cram-Md5"), SaslMethod(SaslMethod::CramMd5));
  EXPECT_EQ(SaslMethod::parse("APOP"), SaslMethod(SaslMethod::Apop));
  EXPECT_EQ(SaslMethod::parse("apop"), SaslMethod(SaslMethod::Apop));
}

TEST(SaslMethod, OtherNamesDoNotParse) {
  for (const std::string_view name : {"", "PLAIN", "LOGIN", "DIGEST-MD5", "CRAM-MD", "CRAM-MD5 ", "APOPX", "CRAM_MD5"})
    EXPECT_EQ(SaslMethod::parse(name), std::nullopt) << name;
}

TEST(SaslMethod, NameGivesTheCanonicalSpelling) {
  EXPECT_EQ(SaslMethod(SaslMethod::CramMd5).name(), "CRAM-MD5");
  EXPECT_EQ(SaslMethod(SaslMethod::Apop).name(), "APOP");
  EXPECT_EQ(SaslMethod::parse("apop")->name(), "APOP");
  EXPECT_NE(SaslMethod(SaslMethod::CramMd5), SaslMethod(SaslMethod::Apop));
}

// --- check_challenge: known answers -------------------------------------------

TEST(CheckChallenge, Rfc2195CramMd5FromClearText) {
  for (const std::string_view prefix : {"{PLAIN}", "{CLEARTEXT}", "{clear}"}) {
    const std::string stored = with(prefix, "tanstaaftanstaaf");
    EXPECT_EQ(check(stored, SaslMethod::CramMd5, kCramChallenge, kCramResponse), ChallengeCheck::Match) << stored;
  }
}

TEST(CheckChallenge, Rfc2195CramMd5FromAStoredContext) {
  EXPECT_EQ(check(with("{CRAM-MD5}", kCramContext), SaslMethod::CramMd5, kCramChallenge, kCramResponse),
            ChallengeCheck::Match);
  EXPECT_EQ(check(with("{HMAC-MD5}", kCramContext), SaslMethod::CramMd5, kCramChallenge, kCramResponse),
            ChallengeCheck::Match);
}

TEST(CheckChallenge, Rfc1939ApopFromClearText) {
  EXPECT_EQ(check("{PLAIN}tanstaaf", SaslMethod::Apop, kApopChallenge, kApopDigest), ChallengeCheck::Match);
  EXPECT_EQ(check("{CLEARTEXT}tanstaaf", SaslMethod::Apop, kApopChallenge, kApopDigest), ChallengeCheck::Match);
}

TEST(CheckChallenge, ResponsesAreHexOfEitherCase) {
  EXPECT_EQ(check("{PLAIN}tanstaaftanstaaf", SaslMethod::CramMd5, kCramChallenge, "B913A602C7EDA7A495B4E6E7334D3890"),
            ChallengeCheck::Match);
  EXPECT_EQ(check("{PLAIN}tanstaaf", SaslMethod::Apop, kApopChallenge, "C4C9334BAC560ECC979E58001B3E22FB"),
            ChallengeCheck::Match);
}

TEST(CheckChallenge, WrongResponsesAreMismatches) {
  const std::string clear = "{PLAIN}tanstaaftanstaaf";
  const std::string context = with("{CRAM-MD5}", kCramContext);
  for (const std::string_view response :
       {std::string_view("b913a602c7eda7a495b4e6e7334d3891"), std::string_view("b913a602c7eda7a495b4e6e7334d389"),
        std::string_view(""), std::string_view("b913a602c7eda7a495b4e6e7334d3890 "),
        std::string_view("g913a602c7eda7a495b4e6e7334d3890"), std::string_view(kApopDigest)}) {
    EXPECT_EQ(check(clear, SaslMethod::CramMd5, kCramChallenge, response), ChallengeCheck::Mismatch) << response;
    EXPECT_EQ(check(context, SaslMethod::CramMd5, kCramChallenge, response), ChallengeCheck::Mismatch) << response;
  }
  // The right response to another challenge, or from another password.
  EXPECT_EQ(check(clear, SaslMethod::CramMd5, kApopChallenge, kCramResponse), ChallengeCheck::Mismatch);
  EXPECT_EQ(check("{PLAIN}tanstaaf", SaslMethod::CramMd5, kCramChallenge, kCramResponse), ChallengeCheck::Mismatch);
  EXPECT_EQ(check("{PLAIN}tanstaaftanstaaf", SaslMethod::Apop, kApopChallenge, kApopDigest),
            ChallengeCheck::Mismatch);
  // A response to the method of the other.
  EXPECT_EQ(check("{PLAIN}tanstaaf", SaslMethod::CramMd5, kApopChallenge, kApopDigest), ChallengeCheck::Mismatch);
}

// --- check_challenge: what a stored value cannot serve ------------------------

TEST(CheckChallenge, OneWayValuesCannotServe) {
  const std::string ssha = registry().encode("SSHA", Secret("tanstaaf"));
  for (const std::string_view stored :
       {std::string_view(ssha), std::string_view("{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH"),
        std::string_view("{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"),
        std::string_view("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1"), std::string_view("9wqCrC32x/Xto")}) {
    EXPECT_EQ(check(stored, SaslMethod::CramMd5, kCramChallenge, kCramResponse), ChallengeCheck::CannotServe)
        << stored;
    EXPECT_EQ(check(stored, SaslMethod::Apop, kApopChallenge, kApopDigest), ChallengeCheck::CannotServe) << stored;
  }
}

TEST(CheckChallenge, ACramMd5ContextCannotServeApop) {
  // An HMAC context cannot give MD5(challenge + password).
  EXPECT_EQ(check(with("{CRAM-MD5}", kCramContext), SaslMethod::Apop, kApopChallenge, kApopDigest),
            ChallengeCheck::CannotServe);
  EXPECT_EQ(check("{CRAM-MD5}not-even-hex", SaslMethod::Apop, kApopChallenge, kApopDigest),
            ChallengeCheck::CannotServe);
}

TEST(CheckChallenge, MalformedStoredValues) {
  // A context that is not 64 hex digits.
  for (const std::string_view body : {"", "d06d", "zz6d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b",
                                      "d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b00"})
    EXPECT_EQ(check(with("{CRAM-MD5}", body), SaslMethod::CramMd5, kCramChallenge, kCramResponse),
              ChallengeCheck::Malformed)
        << body;
  // Values no scheme recognises: not read as clear text here.
  for (const std::string_view stored : {"", "tanstaaftanstaaf", "{NOSUCH}tanstaaftanstaaf", "{PLAIN", "{CRYPT}x"}) {
    EXPECT_EQ(check(stored, SaslMethod::CramMd5, kCramChallenge, kCramResponse), ChallengeCheck::Malformed)
        << stored;
    EXPECT_EQ(check(stored, SaslMethod::Apop, kApopChallenge, kApopDigest), ChallengeCheck::Malformed) << stored;
  }
}

// --- challenge_fit ------------------------------------------------------------

TEST(ChallengeFit, ByTheSchemeOfTheValue) {
  EXPECT_EQ(registry().challenge_fit("{PLAIN}secret"), ChallengeFit::Every);
  EXPECT_EQ(registry().challenge_fit("{CLEARTEXT}"), ChallengeFit::Every);
  EXPECT_EQ(registry().challenge_fit(with("{CRAM-MD5}", kCramContext)), ChallengeFit::CramMd5Only);
  // By the scheme, not the body: a broken context still names CRAM-MD5.
  EXPECT_EQ(registry().challenge_fit("{cram-md5}d06d"), ChallengeFit::CramMd5Only);
  EXPECT_EQ(registry().challenge_fit("{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH"), ChallengeFit::OneWay);
  EXPECT_EQ(registry().challenge_fit("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1"), ChallengeFit::OneWay);
  EXPECT_EQ(registry().challenge_fit("secret"), ChallengeFit::Unrecognised);
  EXPECT_EQ(registry().challenge_fit("{NOSUCH}secret"), ChallengeFit::Unrecognised);
  EXPECT_LT(ChallengeFit::Unrecognised, ChallengeFit::OneWay);
  EXPECT_LT(ChallengeFit::OneWay, ChallengeFit::CramMd5Only);
  EXPECT_LT(ChallengeFit::CramMd5Only, ChallengeFit::Every);
}

// --- the default-scheme rule ----------------------------------------------------

TEST(DefaultScheme, NamesAPrefixWhoseBodyIsTheSchemesOwn) {
  const auto name_of = [](std::string_view name) -> std::string_view {
    const Scheme* scheme = registry().default_scheme(name);
    return scheme == nullptr ? std::string_view("(none)") : scheme->name;
  };
  EXPECT_EQ(name_of("PLAIN"), "PLAIN");
  EXPECT_EQ(name_of("cleartext"), "PLAIN");
  EXPECT_EQ(name_of("ssha"), "SSHA");
  EXPECT_EQ(name_of("MD5"), "MD5");
  EXPECT_EQ(name_of("CRAM-MD5"), "CRAM-MD5");
  EXPECT_EQ(name_of("PBKDF2"), "PBKDF2-SHA1");
  EXPECT_EQ(name_of("ARGON2ID"), "ARGON2");
  // Crypt strings are recognised bare: a default for them means nothing.
  for (const std::string_view name : {"CRYPT", "SHA512-CRYPT", "BCRYPT", "MD5-CRYPT", "YESCRYPT"})
    EXPECT_EQ(name_of(name), "(none)") << name;
  for (const std::string_view name : {"", "NOSUCH", "SSHA}", "{SSHA}", "SSHA ", "S SHA"})
    EXPECT_EQ(name_of(name), "(none)") << name;
}

TEST(WithDefaultScheme, AnyPrefixKeepsEveryPrefixOfNameForm) {
  const auto apply = [](std::string_view stored) { return read_as(stored, "SSHA", SchemeMark::AnyPrefix); };
  EXPECT_EQ(apply("C6QyEhu8X+hUhbU07teZPIFQLFV84LGH"), "{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH");
  EXPECT_EQ(apply("{PLAIN}secret"), "{PLAIN}secret");
  // Unknown to the registry but of a name's form: stays, to be refused.
  EXPECT_EQ(apply("{NOSUCH}secret"), "{NOSUCH}secret");
  EXPECT_EQ(apply("{A.b_c-9}x"), "{A.b_c-9}x");
  EXPECT_EQ(apply("{ABCDEFGHIJKLMNOP}x"), "{ABCDEFGHIJKLMNOP}x");
  // Not a name's form: read in the default scheme.
  EXPECT_EQ(apply("{ABCDEFGHIJKLMNOPQ}x"), "{SSHA}{ABCDEFGHIJKLMNOPQ}x");
  EXPECT_EQ(apply("{}x"), "{SSHA}{}x");
  EXPECT_EQ(apply("{a b}x"), "{SSHA}{a b}x");
  EXPECT_EQ(apply("{open"), "{SSHA}{open");
  // A bare crypt string has no prefix.
  EXPECT_EQ(apply("$6$salt$hash"), "{SSHA}$6$salt$hash");
  EXPECT_EQ(apply(""), "{SSHA}");
}

TEST(WithDefaultScheme, KnownPrefixKeepsOnlyPrefixesTheRegistryRecognises) {
  const auto apply = [](std::string_view stored) { return read_as(stored, "PLAIN", SchemeMark::KnownPrefix); };
  EXPECT_EQ(apply("{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH"), "{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH");
  EXPECT_EQ(apply("{crypt}$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1"), "{crypt}$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1");
  EXPECT_EQ(apply("secret"), "{PLAIN}secret");
  EXPECT_EQ(apply("{NOSUCH}secret"), "{PLAIN}{NOSUCH}secret");
  EXPECT_EQ(apply("{CRYPT}not-a-crypt-string"), "{PLAIN}{CRYPT}not-a-crypt-string");
  EXPECT_EQ(apply("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1"), "{PLAIN}$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1");
  EXPECT_EQ(apply(""), "{PLAIN}");
}

TEST(WithDefaultScheme, RecognisedKeepsBareCryptStringsToo) {
  const auto apply = [](std::string_view stored) { return read_as(stored, "PLAIN", SchemeMark::Recognised); };
  EXPECT_EQ(apply("$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1"), "$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1");
  EXPECT_EQ(apply("9wqCrC32x/Xto"), "9wqCrC32x/Xto");
  EXPECT_EQ(apply("{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH"), "{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH");
  EXPECT_EQ(apply("secret"), "{PLAIN}secret");
  EXPECT_EQ(apply("{NOSUCH}secret"), "{PLAIN}{NOSUCH}secret");
}

TEST(WithDefaultScheme, AnEmptyDefaultChangesNothing) {
  for (const SchemeMark mark : {SchemeMark::AnyPrefix, SchemeMark::KnownPrefix, SchemeMark::Recognised}) {
    EXPECT_EQ(read_as("secret", "", mark), "secret");
    EXPECT_EQ(read_as("", "", mark), "");
  }
}

TEST(WithDefaultScheme, ABareClearTextPasswordThenServesChallenges) {
  const Secret stored = registry().with_default_scheme("tanstaaftanstaaf", "PLAIN", SchemeMark::Recognised);
  EXPECT_EQ(registry().check_challenge(stored.view(), SaslMethod::CramMd5, kCramChallenge, Secret(kCramResponse)),
            ChallengeCheck::Match);
}

}  // namespace
}  // namespace authd::passwords
