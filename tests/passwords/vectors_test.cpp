// Known-answer vectors for every scheme, produced by the tools that write
// these values in the field (commands in the comments, run on Debian 12:
// apache2-utils 2.4, whois/mkpasswd 5.5, OpenSSL 3.0, slapd 2.5 with
// slapd-contrib, dovecot-core 2.3) or, where no tool exists, by Python's
// hashlib with the salt shown. For each: the password matches, a wrong one
// does not, and encode_like() rebuilds the stored value exactly.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "passwords/registry.hpp"

namespace authd::passwords {
namespace {

// The 2000-byte password: the 62 alphanumerics repeated.
std::string long_password() {
  const std::string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string password;
  while (password.size() < 2000) password += alphabet;
  password.resize(2000);
  return password;
}

// Bytes 0x80-0xff that are not UTF-8: the shell's $'\xff\x80\xfe\xc0abc\xa0'.
const std::string kHighBytes = "\xff\x80\xfe\xc0" "abc\xa0";

struct Vector {
  std::string_view stored;
  std::string password;
  std::string_view scheme;
};

void PrintTo(const Vector& vector, std::ostream* out) { *out << vector.stored; }

class KnownAnswer : public ::testing::TestWithParam<Vector> {};

TEST_P(KnownAnswer, MatchesItsPassword) {
  const Vector& vector = GetParam();
  const Registry& registry = Registry::instance();
  const Scheme* scheme = registry.identify(vector.stored);
  ASSERT_NE(scheme, nullptr);
  EXPECT_EQ(scheme->name, vector.scheme);
  EXPECT_EQ(registry.check(vector.stored, Secret(vector.password)), Check::Match);
}

TEST_P(KnownAnswer, RefusesAnotherPassword) {
  const Vector& vector = GetParam();
  const Registry& registry = Registry::instance();
  // Both changes are at the front: DES reads only eight bytes and bcrypt
  // seventy-two.
  EXPECT_EQ(registry.check(vector.stored, Secret("x" + vector.password)), Check::Mismatch);
  std::string changed = vector.password.empty() ? std::string("x") : vector.password;
  changed[0] = static_cast<char>(changed[0] ^ 1);
  EXPECT_EQ(registry.check(vector.stored, Secret(changed)), Check::Mismatch);
}

TEST_P(KnownAnswer, EncodeLikeRebuildsTheValue) {
  const Vector& vector = GetParam();
  const auto rebuilt = Registry::instance().encode_like(vector.stored, Secret(vector.password));
  ASSERT_TRUE(rebuilt.has_value());
  EXPECT_EQ(*rebuilt, vector.stored);
}

// Plain text and digests. Salted digests compare with slappasswd/doveadm
// output (random salts) and with hashlib using salt 01..08.
INSTANTIATE_TEST_SUITE_P(
    Digests, KnownAnswer,
    ::testing::Values(
        // doveadm pw -s PLAIN -p secret ; doveadm pw -s CLEAR -p secret
        Vector{"{PLAIN}secret", "secret", "PLAIN"}, Vector{"{CLEAR}secret", "secret", "PLAIN"},
        Vector{"{CLEARTEXT}secret", "secret", "PLAIN"},
        Vector{"{PLAIN}", "", "PLAIN"},
        // slappasswd -h '{MD5}' -s secret ; doveadm pw -s LDAP-MD5 -p secret
        Vector{"{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "secret", "MD5"},
        Vector{"{LDAP-MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "secret", "MD5"},
        // doveadm pw -s PLAIN-MD5 -p secret (hex)
        Vector{"{PLAIN-MD5}5ebe2294ecd0e0f08eab7690d2a6ee69", "secret", "MD5"},
        Vector{"{MD5}5EBE2294ECD0E0F08EAB7690D2A6EE69", "secret", "MD5"},
        // slappasswd -h '{SMD5}' -s secret ; doveadm pw -s SMD5 -p secret
        Vector{"{SMD5}7R36WwUIHodfIh1W5TQIDckaWNw=", "secret", "SMD5"},
        Vector{"{SMD5}wJzmRev8zxZA4tMY9c49R0HF3zI=", "secret", "SMD5"},
        // hashlib: md5(pw + salt) + salt
        Vector{"{SMD5}yeWhvSFtvhMX4jDO9I847gECAwQFBgcI", "secret", "SMD5"},
        Vector{"{SMD5}pjHTW0NJbLJ6FHJ2u5Y79QECAwQFBgcI", kHighBytes, "SMD5"},
        // htpasswd -nbs alice secret ; slappasswd -h '{SHA}' -s secret ; doveadm pw -s SHA1 -p secret
        Vector{"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", "SHA"},
        Vector{"{SHA1}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", "SHA"},
        // hashlib.sha1(b"secret").hexdigest()
        Vector{"{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4", "secret", "SHA"},
        // hashlib: sha1 of the 2000-byte password
        Vector{"{SHA}GWy0hk6G8bGRFeguXi8ZZnCqvjM=", long_password(), "SHA"},
        // slappasswd -h '{SSHA}' -s secret (8-byte salt) ; doveadm pw -s SSHA -p secret (4-byte salt)
        Vector{"{SSHA}C6QyEhu8X+hUhbU07teZPIFQLFV84LGH", "secret", "SSHA"},
        Vector{"{SSHA}DuGI3UC+jXTS1PZHX745MDHMyQEcgFHm", "secret", "SSHA"},
        Vector{"{SSHA}39bLImLeas6khotkL5xx6wRVXrXeGeUD", "secret", "SSHA"},
        // hashlib: sha1(pw + salt) + salt, with salts 01..08 and ff
        Vector{"{SSHA}lHFzXul4wnzRItssVcTnvXWRjNgBAgMEBQYHCA==", "secret", "SSHA"},
        Vector{"{SSHA}a8dOeM3b4NrUHvkTFQJwchrUJPv/", "secret", "SSHA"},
        // slappasswd -h '{SSHA}' -s $'\xff\x80\xfe\xc0abc\xa0' ; the same with the 2000-byte password
        Vector{"{SSHA}adaK8FrOPQnE1gwBlq0LAvjssxrjhHWM", kHighBytes, "SSHA"},
        Vector{"{SSHA}A6T8UWj650fmoziKZVCjNXsQsq3rHt61", long_password(), "SSHA"},
        // slappasswd -o module-load=pw-sha2.so -h '{SHA256}' -s secret ; doveadm pw -s SHA256 -p secret
        Vector{"{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", "secret", "SHA256"},
        // hashlib.sha256(b"secret").hexdigest()
        Vector{"{SHA256}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", "secret", "SHA256"},
        // slappasswd -o module-load=pw-sha2.so -h '{SSHA256}' -s secret ; doveadm pw -s SSHA256 -p secret
        Vector{"{SSHA256}s4SaY2Yf3PRyWY4H79ehRR2OTAHWrFfqHIMObsyv2ohbg0nwXX6wwA==", "secret", "SSHA256"},
        Vector{"{SSHA256}20+N/BUtmPJbW0wIPTczhD3je6Jrg+fKPMj1xMyE0LTn+nDH", "secret", "SSHA256"},
        // hashlib: sha256(pw + salt) + salt
        Vector{"{SSHA256}A7N1lAy5bBb4T6qH9e85zAvHBmzNPhRFbZ105DjjWDIBAgMEBQYHCA==", "secret", "SSHA256"},
        // slappasswd -o module-load=pw-sha2.so -h '{SHA512}' -s secret ; doveadm pw -s SHA512 -p secret
        Vector{"{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==",
               "secret", "SHA512"},
        // hashlib.sha512(b"secret").hexdigest()
        Vector{"{SHA512}bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f"
               "67265b5f76085e5b0ee7ca4696b2ad6fe2b2",
               "secret", "SHA512"},
        // slappasswd -o module-load=pw-sha2.so -h '{SSHA512}' -s secret ; doveadm pw -s SSHA512 -p secret
        Vector{"{SSHA512}mS7mrRYQprST1W12VXw53ixuW1C88Ov3uIjBtN1EqZoXq7B27mcr6jlr+7bG6bnErDBayD7d7ZaEF+DaFJkKAZP7kjFrLES/",
               "secret", "SSHA512"},
        Vector{"{SSHA512}Peb94HcmddEFrM5SVMD7BiKvYUOz2I/fCZcUNCMK0AjEMRnRWk6NyttbiIJSYGXQy25lanhZfpIKlzFq/xv+EsSpVMY=",
               "secret", "SSHA512"},
        // hashlib: sha512(pw + salt) + salt, for "secret" and the 2000-byte password
        Vector{"{SSHA512}KO8EsMPQTwZrxxbOkDAOOXEeVCc2grMQg1pnZwZhC1bBQLby8zCmFn7qTZRvoTd+yQdROQQNYHWpTUST4zjTdQECAwQFBgcI",
               "secret", "SSHA512"},
        Vector{"{SSHA512}IO8sLxLbmx1FZvzSA58002I+J7CExN9gIEtHDVVlbZ3AWraeLnIDM4L/vdMxx7n9Trtz3BPbSkGGcXuK6sa1gAECAwQFBgcI",
               long_password(), "SSHA512"}));

// Dovecot's CRAM-MD5 contexts.
INSTANTIATE_TEST_SUITE_P(
    CramMd5, KnownAnswer,
    ::testing::Values(
        // doveadm pw -s CRAM-MD5 -p secret ; doveadm pw -s HMAC-MD5 -p secret
        Vector{"{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56", "secret", "CRAM-MD5"},
        Vector{"{HMAC-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56", "secret", "CRAM-MD5"},
        // doveadm pw -s CRAM-MD5 -p tanstaaftanstaaf
        Vector{"{CRAM-MD5}d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b", "tanstaaftanstaaf",
               "CRAM-MD5"},
        // doveadm pw -s CRAM-MD5 -p pässwörd ; -p $'\xff\x80\xfe\xc0abc\xa0' ; -p <the 2000-byte password>
        Vector{"{CRAM-MD5}4a60bd37924fc5d45b4c92ce695bac86cb234bc3028aab2a71a225cb0dedfbb9", "p\xc3\xa4ssw\xc3\xb6rd",
               "CRAM-MD5"},
        Vector{"{CRAM-MD5}ffc6f370a75dc78c24d64bb27017d85d6bb6a94032fa13670d2d28003cc8501d", kHighBytes, "CRAM-MD5"},
        Vector{"{CRAM-MD5}9e9a3b7574b2a0427587ca0def30e720ee4363df72c067f6a5ab6dbfd5fa26ff", long_password(),
               "CRAM-MD5"},
        // A public postfixadmin test fixture made with doveadm for "password".
        Vector{"{CRAM-MD5}9186d855e11eba527a7a52ca82b313e180d62234f0acc9051b527243d41e2740", "password", "CRAM-MD5"}));

// The crypt(3) family, bare and under {CRYPT} and Dovecot's names.
INSTANTIATE_TEST_SUITE_P(
    Crypt, KnownAnswer,
    ::testing::Values(
        // mkpasswd -m descrypt secret ; htpasswd -nbd alice secret ; doveadm pw -s DES-CRYPT -p secret
        Vector{"9wqCrC32x/Xto", "secret", "DES-CRYPT"}, Vector{"kihiwPcM/O5nU", "secret", "DES-CRYPT"},
        Vector{"{DES-CRYPT}K.a4qqe8Eq48A", "secret", "DES-CRYPT"},
        // mkpasswd -m descrypt -S ab $'\xff\x80\xfe\xc0abc\xa0'
        Vector{"abyMCr0IDwesE", kHighBytes, "DES-CRYPT"},
        // mkpasswd -m bsdicrypt secret
        Vector{"_J9..dcv.azEpXyLXrQ2", "secret", "BSDI-CRYPT"},
        // mkpasswd -m md5crypt secret ; openssl passwd -1 secret ; doveadm pw -s MD5-CRYPT -p secret
        Vector{"$1$.IQRTjwY$0QG2pEofVvXb9Na8O/2.r1", "secret", "MD5-CRYPT"},
        Vector{"$1$ZnuQMHK.$LQZ5McehOCPQ7TPTZS/Jr1", "secret", "MD5-CRYPT"},
        Vector{"{MD5-CRYPT}$1$6HzC5.b9$PXeakYP0f9.cTEvoCOu3r1", "secret", "MD5-CRYPT"},
        // doveadm pw -s MD5 -p secret: Dovecot's {MD5} is MD5-crypt
        Vector{"{MD5}$1$PgDfIfUT$bhYpx4o5UYh56/84e0dUZ1", "secret", "MD5-CRYPT"},
        // mkpasswd -m sha-256 secret ; mkpasswd -m sha-256 -R 1000 secret ; openssl passwd -5 secret
        Vector{"$5$6DirE418GE8XJ2Xo$11fM6Wx4259UMOfq10l7UW4V1BlGUlUuAIRiw828Wa7", "secret", "SHA256-CRYPT"},
        Vector{"$5$rounds=1000$UjTkODUQiAU4x8bV$ylY5D4ylYrCOnHdWaqpsDugEz7LQXWrOg2PNnUhbOk4", "secret",
               "SHA256-CRYPT"},
        Vector{"$5$ay5Rw8zap1TljJTh$EOCTU7wmyetgB3GSRVaWzjclbNKgb0oMQMI2iYop6O/", "secret", "SHA256-CRYPT"},
        // doveadm pw -s SHA256-CRYPT -p secret
        Vector{"{SHA256-CRYPT}$5$HtAG3B88Ujx0./9u$8SB.8FSN6srz66VmsF0kk75.xQjVDK6QZ2iiUbgLDO.", "secret",
               "SHA256-CRYPT"},
        // mkpasswd -m sha-512 secret ; openssl passwd -6 secret
        Vector{"$6$wbQse1Otlg..B8WH$fMW/aQttWVKQrOko/7SMk7sHHCkdZZJNwBMkI0GK8qRvU.o4KvRVTU93IAPFSHWDHhQrwD5CuBtMOc0uZghcq/",
               "secret", "SHA512-CRYPT"},
        Vector{"$6$LhnLmHQx3XDOiMoE$6FXFGlR5wxJY9zeHGt9JDVMADLL345N9jO5U/RJQ.ayvvP54pLHVYGkDmdaG2SR2u/yjrH5zzoaOs.3wk2glt0",
               "secret", "SHA512-CRYPT"},
        // mkpasswd -m sha-512 -R 10000 secret ; doveadm pw -s SHA512-CRYPT -r 10000 -p secret
        Vector{"$6$rounds=10000$mc8tjWyP8LyEpa0V$ebcrVoOhjUfjKZ584/mbGhNIiH4IWXL93z2HWBBBjtkFlDsM2ub2IwIlag0UdHkCsyPXM6Aj"
               "qazXyJCXEKt/y1",
               "secret", "SHA512-CRYPT"},
        Vector{"{SHA512-CRYPT}$6$rounds=10000$6OHcjlSleIsorgKR$VjikcqmkMVT/Nt6KL1pFcLrnekVAR68NOPYl5WT048qXftiBV4GGCkbl"
               "ACXyniuSy2lhQ3F8XeUTJrZ98vqJ/1",
               "secret", "SHA512-CRYPT"},
        // slappasswd -h '{CRYPT}' -c '$6$%.16s' -s secret
        Vector{"{CRYPT}$6$7XM8FN0gXTtVu9.T$IJZ50pBOikAC5TEs5MD/Xrr/rL0RtjEZfXC2c.t1glUQy9oujbLcmwy/.hV1ZeB/W013sgrdf7Wn"
               "p9Mg.QnSL.",
               "secret", "SHA512-CRYPT"},
        // openssl passwd -6 -salt saltsalt pässwörd ; mkpasswd -m sha-512 -S saltsaltsaltsalt $'\xff\x80\xfe\xc0abc\xa0'
        Vector{"$6$saltsalt$TQjRhpJdqmLx0U8it3EsUajwkmOMMvw5vhUFc7mohzFFoj/QHrfYUHU1oSkwyCEoTUCDOiAOW135nel3bqtKe.",
               "p\xc3\xa4ssw\xc3\xb6rd", "SHA512-CRYPT"},
        Vector{"$6$saltsaltsaltsalt$tvPRKc7fl4RQGe//1I3CdX7vuJ29bCiGytFJ1TovBbLQxSA.4QWjDWdUlOgK1Q2UB0Nryt3apUIFZiWi."
               "M5RH1",
               kHighBytes, "SHA512-CRYPT"},
        // htpasswd -nbB alice secret ; htpasswd -nbB -C 10 alice secret
        Vector{"$2y$05$ak.OUOIzgKAi8CPlp1UuEezPXqnrR39Kfy4gflVlo9jgUKTcjhJly", "secret", "BCRYPT"},
        Vector{"$2y$10$J1C6iyHY/1TjNj35UxSLb.HDh3qffZKfypVT11fSiieWoUl/9tqwe", "secret", "BCRYPT"},
        // mkpasswd -m bcrypt secret ; mkpasswd -m bcrypt -R 10 secret ; mkpasswd -m bcrypt-a secret
        Vector{"$2b$05$9Tx9vX/8IGVF9Gsij2/hB.Nwyf3pni2rYF5MGg8JwIIukPGuuRPCC", "secret", "BCRYPT"},
        Vector{"$2b$10$w2FwHdILewSB/c9dhGTld.5fcLSYVNu16atsa0KWuSTuy1.sFE9NG", "secret", "BCRYPT"},
        Vector{"$2a$05$dHXM9UwTGlfJMDmkcXMWieBYg3ktOmGmwp3RfnFlLNqFdwMKFBClW", "secret", "BCRYPT"},
        // mkpasswd -m bcrypt -R 5 $'\xff\x80\xfe\xc0abc\xa0'
        Vector{"$2b$05$TKtwr5CactL9Zg9DCSVFUOH05ueh5o/A2inLC.hiozwEe8eBTMG3a", kHighBytes, "BCRYPT"},
        // doveadm pw -s BLF-CRYPT -p secret ; doveadm pw -s CRYPT -p secret
        Vector{"{BLF-CRYPT}$2y$05$yqMGEKmhUB6wBmRG.VVBReG6oiplrKhrr7oLow5RJkM5/OfOQRcg2", "secret", "BCRYPT"},
        Vector{"{CRYPT}$2y$05$NKH5L.GJ9hCF4xb1OMee3.nDERxVtzyPPtbp.dPaslMgJw1.1lcly", "secret", "BCRYPT"},
        // mkpasswd -m yescrypt secret ; mkpasswd -m yescrypt $'\xff\x80\xfe\xc0abc\xa0'
        Vector{"$y$j9T$ritVOPr1pAl66tvV3GOP11$kNcEdtvDTdoUbXtHNfqLfJ7cKWT9wal9G.EDMqKIGx5", "secret", "YESCRYPT"},
        Vector{"$y$j9T$vSD9eKaP2YuFmaCpy7TuX/$Zs04tl4Eu7rkAkAfiZo4L..z7sis2NcQVSX4g9zcNWD", kHighBytes, "YESCRYPT"},
        // mkpasswd -m scrypt secret
        Vector{"$7$CU..../....FBannWqYgBKfTqOyd3Sht1$qhYEvnW/NKkeAx7Mj.pX7n6XH8RJlCRtzPQNTi49R31", "secret",
               "SCRYPT"}));

// Apache's APR1, which libxcrypt does not implement.
INSTANTIATE_TEST_SUITE_P(
    Apr1, KnownAnswer,
    ::testing::Values(
        // htpasswd -nbm alice secret ; openssl passwd -apr1 secret
        Vector{"$apr1$12raqXRn$T3Yx3qtoFtdqnv6eZUlU7.", "secret", "APR1"},
        Vector{"$apr1$4DJqNOmt$wjKegWYMiN0g/2FELmYS0/", "secret", "APR1"},
        // htpasswd -nbm alice pässwörd ; htpasswd -nbm alice $'\xff\x80\xfe\xc0abc\xa0'
        Vector{"$apr1$KyhLz7Kg$AVJwXLZ0UkmRG2j53F0IB/", "p\xc3\xa4ssw\xc3\xb6rd", "APR1"},
        Vector{"$apr1$xs3.Rypt$88DQ8Gmpb4gTdendxZdcp1", kHighBytes, "APR1"},
        // openssl passwd -apr1 -salt 'ab/.CD12' $'\xff\x80\xfe\xc0abc\xa0'
        Vector{"$apr1$ab/.CD12$TwVa.Uwsu7kV1bFaSBHzr/", kHighBytes, "APR1"},
        // The 2000-byte password: htpasswd and openssl stop at 256 bytes, so
        // this one comes from a Python transcription of Apache's
        // apr_md5_encode that reproduces both tools on the vectors above.
        Vector{"$apr1$Lo.ng/8c$VSM1ywiWbQfsQdjWXV2.f/", long_password(), "APR1"},
        // openssl passwd -apr1 -salt 'Lo.ng/8c' <the 2000-byte password>, which truncates it to 256 bytes
        Vector{"$apr1$Lo.ng/8c$FtR.z0ykXco90M2cVGaM00", long_password().substr(0, 256), "APR1"}));

// PBKDF2 in OpenLDAP's and Dovecot's forms.
INSTANTIATE_TEST_SUITE_P(
    Pbkdf2, KnownAnswer,
    ::testing::Values(
        // slappasswd -o module-load=pw-pbkdf2.so -h '{PBKDF2}' -s secret ; -h '{PBKDF2-SHA1}'
        Vector{"{PBKDF2}10000$oYVEfsJa/bQw9t8O/GXpVg$t5DsRnWSh.BTNW24jwYmveBHabI", "secret", "PBKDF2-SHA1"},
        Vector{"{PBKDF2-SHA1}10000$0IwmvqormkInPyfHNoJsIA$Z7ea3A810I7QNq9iulV6vgzxfpY", "secret", "PBKDF2-SHA1"},
        // slappasswd -o module-load=pw-pbkdf2.so -h '{PBKDF2-SHA256}' -s secret (twice)
        Vector{"{PBKDF2-SHA256}10000$mJjE2hYYuwIF1gnT5vumNg$w..trGse4CkRPom0zgylAT9Cv2LYzfUFyqvss6mOoCQ", "secret",
               "PBKDF2-SHA256"},
        Vector{"{PBKDF2-SHA256}10000$UliCOKgvNS5r8Qc7t206ew$B9wDeCPJFF8eIRnOaihoteRHh7AgsuZm7gvFG82H0l0", "secret",
               "PBKDF2-SHA256"},
        // slappasswd -o module-load=pw-pbkdf2.so -h '{PBKDF2-SHA256}' -s <the 2000-byte password>
        Vector{"{PBKDF2-SHA256}10000$db/GRNF1ZwSKAL2LkGdFhw$iBKcpZcUuIWLMAYzgJRmVcGutiINLP1Imfb0nTfs6ds",
               long_password(), "PBKDF2-SHA256"},
        // slappasswd -o module-load=pw-pbkdf2.so -h '{PBKDF2-SHA512}' -s secret
        Vector{"{PBKDF2-SHA512}10000$JwxtKeZJAyvAy.H7DZY2.w$rc3BgE0hMYu1Xjb.hniZwmfOcyjFxHALrpawacUDQQ7ugdcMcKideWUw"
               "ZYZtseKcTLrkNU9CrUTOIXrVeXz6mg",
               "secret", "PBKDF2-SHA512"},
        // hashlib.pbkdf2_hmac with salt 00112233..ff, ab64 without padding
        Vector{"{PBKDF2-SHA1}1000$ABEiM0RVZneImaq7zN3u/w$REVIUQq5KMGJCJRZJZ1fgTaKarg", "secret", "PBKDF2-SHA1"},
        Vector{"{PBKDF2-SHA256}29000$ABEiM0RVZneImaq7zN3u/w$Do0JjmYyL/4jQEaDb4oH9k6Ic9eN4E1LB6VF8RbmvDM", "secret",
               "PBKDF2-SHA256"},
        Vector{"{PBKDF2-SHA512}25000$ABEiM0RVZneImaq7zN3u/w$guf.iB5suTh9rGpnNqEqnV7U.bbZTB9fiELfxW9y0/u1dDIDKjaizlxDu6"
               "tybbY4ju2ONQdfZUA5Chq.jty.og",
               "secret", "PBKDF2-SHA512"},
        Vector{"{PBKDF2-SHA256}1000$ABEiM0RVZneImaq7zN3u/w$QEth.lkbogqEDfmMDovnzPiv8pQm1QStV5JN7H7bhfw",
               long_password(), "PBKDF2-SHA256"},
        // doveadm pw -s PBKDF2 -p secret (twice)
        Vector{"{PBKDF2}$1$e0d1po/qwAIF/FUW$5000$86b5721cb4486516c5a0f261ebad1cf0dc3a6f30", "secret", "PBKDF2-SHA1"},
        Vector{"{PBKDF2}$1$3mjfmY4ofMKklin5$5000$89639ee9fe1029f840450556504ba360713279ac", "secret", "PBKDF2-SHA1"}));

// Argon2 as OpenLDAP's argon2 module and Dovecot write it.
INSTANTIATE_TEST_SUITE_P(
    Argon2, KnownAnswer,
    ::testing::Values(
        // slappasswd -o module-load=argon2.so -h '{ARGON2}' -s secret
        Vector{"{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$nyyi8CEDKa8M7jLqJFSCqQ$0JBosB5VydbX8oxWZE4v3FQG7QVTjxwPNOCspMCYPXo",
               "secret", "ARGON2"},
        // slappasswd -o 'module-load=argon2.so m=19456 t=2 p=1' -h '{ARGON2}' -s secret
        Vector{"{ARGON2}$argon2i$v=19$m=19456,t=2,p=1$HQZBhCxaenJWBDlzWe54FQ$r9LvmvyeooVLRO7NhppsPX1VJ1VMdwbFM7WMRvoYEpo",
               "secret", "ARGON2"},
        // slappasswd -o module-load=argon2.so -h '{ARGON2}' -s $'\xff\x80\xfe\xc0abc\xa0' ; -s <the 2000-byte password>
        Vector{"{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$yUmTLP5VCj0b8Yf2EjpGBQ$gaSmle8rZvEGKoDNGNMaRY2sGBzSqg0v4UEcsBG4/kg",
               kHighBytes, "ARGON2"},
        Vector{"{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$Ewr+SKc65q7/uk6TNyzFAw$ar9cUaLunzGblasvrefr4k+aRLFJd+KHqQIElxe47lU",
               long_password(), "ARGON2"},
        // doveadm pw -s ARGON2I -p secret ; doveadm pw -s ARGON2ID -p secret
        Vector{"{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$7mVJLFUjllhx9F8PK48+2w$zIP5uWs9ERLUixdD2khbJy8DX6FUlwbNPDHuZ5WBqeA",
               "secret", "ARGON2"},
        Vector{"{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$jwddyWntie/kQJrzQB6QIQ$i7opb3mEGEGkWEjBzHC3tixMDFLfwWzrzMAxZeDCLa0",
               "secret", "ARGON2"}));

}  // namespace
}  // namespace authd::passwords
