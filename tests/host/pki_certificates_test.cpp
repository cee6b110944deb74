// Keys, certificates, signing requests and chains of host/pki, checked both
// ways against the openssl command-line tool: what the code makes, openssl
// reads and verifies; what openssl makes, the code reads.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/pki/certificates.hpp"

namespace authd::host::pki {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;
constexpr auto day = std::chrono::hours(24);

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr
};

Run run(const std::string& command) {
  Run result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Run openssl(const std::string& arguments) { return run("/usr/bin/openssl " + arguments); }

class TempDir {
 public:
  TempDir() {
    // mkdtemp replaces the six trailing X's.
    std::string pattern = (std::filesystem::temp_directory_path() / "authd-pki-").string() + std::string(6, 'X');
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, std::string_view text) const {
    std::ofstream out(path_ / name, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    return file(name);
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path_ / name, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::filesystem::path path_;
};

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

Key must_key(const Checked<Key>& key) {
  if (!key.ok()) throw std::runtime_error("no key: " + key.error);
  return *key.value;
}

Certificate must_one_certificate(std::string_view pem) {
  auto certs = parse_certificates(pem);
  if (!certs.ok() || certs.value->size() != 1) throw std::runtime_error("not one certificate: " + certs.error);
  return certs.value->front();
}

// The PEM body lines of a key: none of them may appear in a message.
std::vector<std::string> body_lines(const std::string& pem) {
  std::vector<std::string> lines;
  std::istringstream in(pem);
  for (std::string line; std::getline(in, line);)
    if (line.size() >= 16 && line.find("-----") == std::string::npos) lines.push_back(line);
  return lines;
}

void expect_no_key_text(const std::string& message, const std::string& key_pem) {
  for (const auto& line : body_lines(key_pem)) EXPECT_FALSE(contains(message, line.substr(0, 16))) << message;
}

// Every refusal leaves OpenSSL's error queue empty.
void expect_refused(const std::string& error, bool ok, std::string_view expected) {
  EXPECT_FALSE(ok);
  EXPECT_TRUE(contains(error, expected)) << "message: " << error << "\nexpected: " << expected;
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

CertificateAttributes checked(CertificateAttributes a, std::string_view domain) {
  auto c = check_attributes(a, domain);
  if (!c.ok()) throw std::runtime_error(c.error);
  return *c.value;
}

// A test authority made by openssl, with an intermediate under it, shared by
// the tests that need one.
class PkiAuthority : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    const TempDir& d = *dir_;
    d.write("ca.cnf",
            "[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
            "subjectKeyIdentifier=hash\n"
            "[client]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\nsubjectAltName=email:bob@example.com\n"
            "[client_plain]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    ASSERT_EQ(openssl("req -x509 -newkey rsa:2048 -nodes -keyout " + d.file("ca.key") + " -out " + d.file("ca.pem") +
                      " -days 30 -subj '/O=Test CA/CN=Test Root'")
                  .status,
              0);
    ASSERT_EQ(openssl("req -new -newkey rsa:2048 -nodes -keyout " + d.file("int.key") + " -out " + d.file("int.csr") +
                      " -subj '/O=Test CA/CN=Test Intermediate'")
                  .status,
              0);
    ASSERT_EQ(openssl("x509 -req -CA " + d.file("ca.pem") + " -CAkey " + d.file("ca.key") + " -in " +
                      d.file("int.csr") + " -out " + d.file("int.pem") + " -days 30 -extfile " + d.file("ca.cnf") +
                      " -extensions v3_ca")
                  .status,
              0);
  }
  static void TearDownTestSuite() {
    dir_.reset();
  }

  // A client certificate for `subject` signed by the authority ("ca") or
  // the intermediate ("int"), with the extensions of `section`.
  static Certificate client(const std::string& name, const std::string& subject, const std::string& section,
                            const std::string& signer = "ca") {
    const TempDir& d = *dir_;
    const auto r1 = openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                            d.file(name + ".key") + " -out " + d.file(name + ".csr") + " -subj '" + subject + "'");
    const auto r2 = openssl("x509 -req -CA " + d.file(signer + ".pem") + " -CAkey " + d.file(signer + ".key") +
                            " -in " + d.file(name + ".csr") + " -out " + d.file(name + ".pem") +
                            " -days 30 -extfile " + d.file("ca.cnf") + " -extensions " + section);
    if (r1.status != 0 || r2.status != 0) throw std::runtime_error(r1.output + r2.output);
    return must_one_certificate(d.read(name + ".pem"));
  }
  static Certificate ca() { return must_one_certificate(dir_->read("ca.pem")); }
  static Certificate intermediate() { return must_one_certificate(dir_->read("int.pem")); }

  static inline std::unique_ptr<TempDir> dir_;
};

// ---------------------------------------------------------------------------
// Keys.

TEST(PkiKeys, TypeNamesRoundTrip) {
  for (const auto type : {KeyType::Rsa2048, KeyType::Rsa3072, KeyType::Rsa4096, KeyType::EcP256, KeyType::EcP384})
    EXPECT_EQ(parse_key_type(key_type_name(type)), type);
  EXPECT_EQ(key_type_name(KeyType::EcP256), "ec-p256");
  EXPECT_FALSE(parse_key_type("rsa-1024"));
  EXPECT_FALSE(parse_key_type(""));
}

TEST(PkiKeys, GeneratedKeysPassOpensslsCheck) {
  TempDir dir;
  for (const auto& [type, described] : {std::pair{KeyType::Rsa2048, "RSA 2048 bits"},
                                        std::pair{KeyType::EcP256, "EC P-256 (prime256v1)"},
                                        std::pair{KeyType::EcP384, "EC P-384 (secp384r1)"}}) {
    const Key key = must_key(generate_key(type));
    EXPECT_EQ(describe_key(key), described);
    EXPECT_EQ(key_self_test(key), "");
    const Secret pem = private_key_pem(key);
    EXPECT_TRUE(pem.view().starts_with("-----BEGIN PRIVATE KEY-----\n")) << key_type_name(type);
    const auto path = dir.write("key.pem", pem.view());
    const auto check = openssl("pkey -check -noout -in " + path);
    EXPECT_EQ(check.status, 0) << check.output;
    EXPECT_TRUE(contains(check.output, "Key is valid")) << check.output;
    const auto again = parse_private_key(pem.view());
    ASSERT_TRUE(again.ok()) << again.error;
    EXPECT_EQ(EVP_PKEY_eq(again.value->get(), key.get()), 1);
  }
}

TEST(PkiKeys, KeysMadeByOpensslAreRead) {
  TempDir dir;
  struct Case {
    const char* command;
    const char* begin;
    const char* described;
  };
  const std::vector<Case> cases = {
      {"genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out %", "BEGIN PRIVATE KEY", "RSA 2048 bits"},
      {"genrsa -traditional -out % 2048", "BEGIN RSA PRIVATE KEY", "RSA 2048 bits"},
      {"ecparam -name prime256v1 -genkey -out %", "BEGIN EC PRIVATE KEY", "EC P-256 (prime256v1)"},
      {"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out %", "BEGIN PRIVATE KEY", "EC P-521 (secp521r1)"},
  };
  for (const auto& c : cases) {
    std::string command = c.command;
    command.replace(command.find('%'), 1, dir.file("key.pem"));
    const auto made = openssl(command);
    ASSERT_EQ(made.status, 0) << made.output;
    const std::string pem = dir.read("key.pem");
    EXPECT_TRUE(contains(pem, c.begin)) << pem.substr(0, 40);
    const auto key = parse_private_key(pem);
    ASSERT_TRUE(key.ok()) << c.command << ": " << key.error;
    EXPECT_EQ(describe_key(*key.value), c.described);
    EXPECT_EQ(key_self_test(*key.value), "");
  }
}

TEST(PkiKeys, RefusesWhatIsNotAnAcceptedPrivateKey) {
  TempDir dir;
  const auto make = [&](const std::string& command) {
    const auto made = openssl(command);
    if (made.status != 0) throw std::runtime_error(command + ": " + made.output);
    return dir.read("out.pem");
  };
  const std::string out = dir.file("out.pem");

  const std::string encrypted =
      make("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:x -out " + out);
  ASSERT_TRUE(contains(encrypted, "BEGIN ENCRYPTED PRIVATE KEY"));
  auto r = parse_private_key(encrypted);
  expect_refused(r.error, r.ok(), "openssl pkey -in key.pem -out plain.pem");

  make("genrsa -traditional -out " + dir.file("rsa.pem") + " 2048");
  const std::string traditional =
      make("rsa -traditional -aes256 -passout pass:x -in " + dir.file("rsa.pem") + " -out " + out);
  ASSERT_TRUE(contains(traditional, "Proc-Type: 4,ENCRYPTED"));
  r = parse_private_key(traditional);
  expect_refused(r.error, r.ok(), "openssl pkey");
  expect_no_key_text(r.error, traditional);

  make("genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:1024 -out " + dir.file("dsa-params.pem"));
  const std::string dsa = make("genpkey -paramfile " + dir.file("dsa-params.pem") + " -out " + out);
  r = parse_private_key(dsa);
  expect_refused(r.error, r.ok(), "DSA keys are not accepted");

  const std::string small = make("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " + out);
  r = parse_private_key(small);
  expect_refused(r.error, r.ok(), "1024 bits, fewer than 2048");

  const std::string other_curve = make("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out " + out);
  r = parse_private_key(other_curve);
  expect_refused(r.error, r.ok(), "curve secp256k1");

  const std::string ed25519 = make("genpkey -algorithm ED25519 -out " + out);
  r = parse_private_key(ed25519);
  expect_refused(r.error, r.ok(), "ED25519 keys are not accepted");

  // A key whose private exponent was changed (its DER still well formed)
  // fails its consistency check.
  std::string damaged = dir.read("rsa.pem");
  std::size_t line_start = 0;
  for (int line = 0; line < 9; ++line) line_start = damaged.find('\n', line_start) + 1;
  damaged[line_start + 10] = damaged[line_start + 10] == 'A' ? 'B' : 'A';
  r = parse_private_key(damaged);
  expect_refused(r.error, r.ok(), "fails its consistency check");

  const std::string good = make("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + out);
  const std::string public_key = make("pkey -pubout -in " + dir.file("rsa.pem") + " -out " + out);
  r = parse_private_key(public_key);
  expect_refused(r.error, r.ok(), "this is a public key, not a private key");

  make("req -x509 -new -key " + dir.file("rsa.pem") + " -subj /CN=x -days 1 -out " + out);
  r = parse_private_key(dir.read("out.pem"));
  expect_refused(r.error, r.ok(), "this is a certificate, not a private key");
  make("req -new -key " + dir.file("rsa.pem") + " -subj /CN=x -out " + out);
  r = parse_private_key(dir.read("out.pem"));
  expect_refused(r.error, r.ok(), "certificate signing request (CSR), not a private key");

  r = parse_private_key("");
  expect_refused(r.error, r.ok(), "the key is empty");
  r = parse_private_key("this is not a key at all\n");
  expect_refused(r.error, r.ok(), "no PEM block");
  r = parse_private_key(good.substr(0, good.size() / 2));
  expect_refused(r.error, r.ok(), "cut short");
  expect_no_key_text(r.error, good);

  std::string corrupt = good;
  corrupt[corrupt.find('\n') + 5] = '!';
  r = parse_private_key(corrupt);
  expect_refused(r.error, r.ok(), "damaged");
  expect_no_key_text(r.error, good);

  std::string huge = good;
  while (huge.size() < 2 * 1024 * 1024) huge += std::string(1024, '#') + "\n";
  r = parse_private_key(huge);
  expect_refused(r.error, r.ok(), "more than the limit of 65536");
}

// ---------------------------------------------------------------------------
// Attributes.

TEST(PkiAttributes, CommonNameChoices) {
  EXPECT_EQ(common_name_choices("example.com"), (std::vector<std::string>{"example.com", "*.example.com"}));
  EXPECT_EQ(common_name_choices("mail.example.com"), (std::vector<std::string>{"mail.example.com", "*.example.com"}));
}

TEST(PkiAttributes, CompletesAndChecks) {
  CertificateAttributes a;
  a.alt_names = {"Mail.Example.COM"};
  a.country = "de";
  auto c = check_attributes(a, "example.com");
  ASSERT_TRUE(c.ok()) << c.error;
  EXPECT_EQ(c.value->common_name, "example.com");
  EXPECT_EQ(c.value->alt_names, (std::vector<std::string>{"example.com", "mail.example.com"}));
  EXPECT_EQ(c.value->country, "DE");

  for (const char* cn : {"*.example.com", "mail.example.com", "a.b.example.com"}) {
    a = {};
    a.common_name = cn;
    EXPECT_TRUE(check_attributes(a, "example.com").ok()) << cn;
  }
  a = {};
  a.common_name = "other.org";
  auto r = check_attributes(a, "example.com");
  expect_refused(r.error, r.ok(), "not a name of example.com");
  a.common_name = "badexample.com";
  EXPECT_FALSE(check_attributes(a, "example.com").ok());

  for (const std::string& alt : std::vector<std::string>{"a,b.example.com", "a b.example.com", std::string("a\x01.example.com"),
                                "a..example.com", "..", "x.example.com,DNS:evil.org", "-a.example.com",
                                std::string(64, 'a') + ".com"}) {
    a = {};
    a.alt_names = {alt};
    r = check_attributes(a, "example.com");
    expect_refused(r.error, r.ok(), "is not a DNS name");
    EXPECT_FALSE(contains(r.error, "\x01"));
  }
  a = {};
  a.contact = "John Smith";
  r = check_attributes(a, "example.com");
  expect_refused(r.error, r.ok(), "not an e-mail address");
  a.contact = "hostmaster";
  EXPECT_FALSE(check_attributes(a, "example.com").ok());
  a.contact = "hostmaster@example.com";
  EXPECT_TRUE(check_attributes(a, "example.com").ok());

  a = {};
  a.organization = "Bad \xff\xfe UTF-8";
  r = check_attributes(a, "example.com");
  expect_refused(r.error, r.ok(), "organization");
  EXPECT_TRUE(contains(r.error, "\\xFF")) << r.error;
  a.organization = "Ex\nample";
  EXPECT_FALSE(check_attributes(a, "example.com").ok());
  a.organization = std::string(65, 'o');
  r = check_attributes(a, "example.com");
  expect_refused(r.error, r.ok(), "more than 64");
  a.organization = "Exämple GmbH";
  EXPECT_TRUE(check_attributes(a, "example.com").ok());
  a = {};
  a.country = "USA";
  EXPECT_FALSE(check_attributes(a, "example.com").ok());
}

// ---------------------------------------------------------------------------
// Certificates.

TEST(PkiCertificates, SelfSignedCertificateAsOpensslReadsIt) {
  TempDir dir;
  const Key key = must_key(generate_key(KeyType::Rsa2048));
  CertificateAttributes a;
  a.alt_names = {"mail.example.com"};
  a.country = "US";
  a.organization = "Example";
  a.contact = "hostmaster@example.com";
  const auto made = self_sign(key, checked(a, "example.com"), 90);
  ASSERT_TRUE(made.ok()) << made.error;
  const Certificate& cert = *made.value;
  EXPECT_TRUE(certificate_matches_key(cert, key));
  const auto view = describe_certificate(cert);
  EXPECT_EQ(view.subject, "C=US, O=Example, CN=example.com, emailAddress=hostmaster@example.com");
  EXPECT_EQ(view.issuer, view.subject);
  EXPECT_EQ(view.common_name, "example.com");
  EXPECT_EQ(view.dns_names, (std::vector<std::string>{"example.com", "mail.example.com"}));
  EXPECT_EQ(view.emails, (std::vector<std::string>{"hostmaster@example.com"}));
  EXPECT_TRUE(view.self_signed);
  EXPECT_FALSE(view.is_ca);
  EXPECT_EQ(view.key, "RSA 2048 bits");
  // 64 random bits with the top one clear: up to 16 hex digits (fewer when
  // the leading ones happen to be zero), and a first digit under 8 at 16.
  ASSERT_GE(view.serial.size(), 2u);
  EXPECT_LE(view.serial.size(), 16u);
  if (view.serial.size() == 16) {
    EXPECT_LT(view.serial[0], '8');
  }
  EXPECT_EQ(view.not_after - view.not_before, 90 * day + 5min);
  EXPECT_LT(view.not_before, Clock::now());
  EXPECT_GT(view.not_before, Clock::now() - 10min);

  const auto path = dir.write("cert.pem", certificate_pem(cert));
  const auto text = openssl("x509 -noout -text -in " + path);
  ASSERT_EQ(text.status, 0) << text.output;
  for (const char* part : {"Version: 3", "Subject: C = US, O = Example, CN = example.com, emailAddress = hostmaster",
                           "DNS:example.com, DNS:mail.example.com, email:hostmaster@example.com", "CA:FALSE",
                           "Digital Signature, Key Encipherment", "TLS Web Server Authentication",
                           "X509v3 Subject Key Identifier", "sha256WithRSAEncryption"})
    EXPECT_TRUE(contains(text.output, part)) << part << "\n" << text.output;
  EXPECT_EQ(openssl("x509 -noout -serial -in " + path).output, "serial=" + view.serial + "\n");
  const auto fingerprint = openssl("x509 -noout -fingerprint -sha256 -in " + path).output;
  EXPECT_TRUE(contains(fingerprint, "=" + view.fingerprint_sha256 + "\n")) << fingerprint;
  const auto end = openssl("x509 -noout -enddate -in " + path).output;
  std::array<char, 64> expected{};
  const std::time_t not_after = Clock::to_time_t(view.not_after);
  std::tm tm{};
  gmtime_r(&not_after, &tm);
  std::strftime(expected.data(), expected.size(), "%H:%M:%S %Y GMT", &tm);
  EXPECT_TRUE(contains(end, expected.data())) << end << " vs " << expected.data();
  const auto verify = openssl("verify -CAfile " + path + " " + path);
  EXPECT_EQ(verify.status, 0) << verify.output;
  EXPECT_TRUE(contains(verify.output, ": OK")) << verify.output;
  EXPECT_TRUE(check_chain(cert, {}, {}, Clock::now()).empty());
}

TEST(PkiCertificates, EcCertificateAndGivenSerial) {
  TempDir dir;
  const Key key = must_key(generate_key(KeyType::EcP256));
  const auto made = self_sign(key, checked({}, "example.com"), 10, "01ab");
  ASSERT_TRUE(made.ok()) << made.error;
  const auto view = describe_certificate(*made.value);
  EXPECT_EQ(view.serial, "01AB");
  EXPECT_EQ(view.key, "EC P-256 (prime256v1)");
  const auto text = openssl("x509 -noout -text -in " + dir.write("cert.pem", certificate_pem(*made.value))).output;
  EXPECT_TRUE(contains(text, "Digital Signature\n")) << text;
  EXPECT_TRUE(contains(text, "ecdsa-with-SHA256")) << text;
  for (const char* bad : {"", "xyz", "00", "0x12"}) {
    const auto r = self_sign(key, checked({}, "example.com"), 10, bad);
    expect_refused(r.error, r.ok(), "serial number");
  }
  const auto r = self_sign(key, checked({}, "example.com"), 0);
  expect_refused(r.error, r.ok(), "validity");
}

TEST(PkiCertificates, RefreshKeepsTheSerialAndMovesTheDates) {
  TempDir dir;
  const Key key = must_key(generate_key(KeyType::EcP256));
  const auto first = self_sign(key, checked({}, "example.com"), 10);
  ASSERT_TRUE(first.ok()) << first.error;
  const auto refreshed = refresh_self_signed(*first.value, key, 40);
  ASSERT_TRUE(refreshed.ok()) << refreshed.error;
  const auto before = describe_certificate(*first.value);
  const auto after = describe_certificate(*refreshed.value);
  EXPECT_EQ(after.serial, before.serial);
  EXPECT_EQ(after.subject, before.subject);
  EXPECT_EQ(after.dns_names, before.dns_names);
  EXPECT_TRUE(after.self_signed);
  EXPECT_GE(after.not_before, before.not_before);
  EXPECT_GE(after.not_after - before.not_after, 30 * day);
  const auto path = dir.write("cert.pem", certificate_pem(*refreshed.value));
  EXPECT_EQ(openssl("verify -CAfile " + path + " " + path).status, 0);

  const Key other = must_key(generate_key(KeyType::EcP256));
  auto r = refresh_self_signed(*first.value, other, 10);
  expect_refused(r.error, r.ok(), "not self-signed with this key");
  const auto test = make_test_certificate(key, "example.com", Clock::now());
  ASSERT_TRUE(test.ok());
  r = refresh_self_signed(*test.value, key, 10);
  expect_refused(r.error, r.ok(), "not self-signed with this key");
}

TEST(PkiCertificates, TestCertificate) {
  const Key key = must_key(generate_key(KeyType::EcP256));
  const auto now = Clock::from_time_t(Clock::to_time_t(Clock::now()));
  const auto made = make_test_certificate(key, "Example.com", now);
  ASSERT_TRUE(made.ok()) << made.error;
  const auto view = describe_certificate(*made.value);
  EXPECT_EQ(view.issuer, "O=authd, CN=authd test certificate authority");
  EXPECT_EQ(view.subject, "CN=example.com");
  EXPECT_EQ(view.dns_names, (std::vector<std::string>{"example.com"}));
  EXPECT_EQ(view.not_before, now - 5min);
  EXPECT_EQ(view.not_after, now + 30 * day);
  EXPECT_FALSE(view.self_signed);
  EXPECT_TRUE(certificate_matches_key(*made.value, key));
  const auto r = make_test_certificate(key, "bad name,", now);
  expect_refused(r.error, r.ok(), "not a DNS name");
}

TEST(PkiCertificates, ParsingRefusals) {
  const Key key = must_key(generate_key(KeyType::EcP256));
  const Certificate a = *self_sign(key, checked({}, "example.com"), 10).value;
  const Certificate b = *self_sign(key, checked({}, "example.org"), 10).value;
  const std::string two = certificates_pem({a, b});
  auto parsed = parse_certificates("junk before\n" + certificate_pem(a) + "text between\n" + certificate_pem(b));
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  ASSERT_EQ(parsed.value->size(), 2u);
  EXPECT_EQ(certificates_pem(*parsed.value), two);
  EXPECT_EQ(describe_certificate((*parsed.value)[1]).common_name, "example.org");

  auto r = parse_certificates(two, 1);
  expect_refused(r.error, r.ok(), "holds 2 certificates, more than the 1 accepted");
  const std::string key_pem(private_key_pem(key).view());
  r = parse_certificates(key_pem);
  expect_refused(r.error, r.ok(), "holds a private key");
  expect_no_key_text(r.error, key_pem);
  r = parse_certificates(two + key_pem);
  expect_refused(r.error, r.ok(), "holds a private key");
  const auto csr = make_signing_request(key, checked({}, "example.com"));
  ASSERT_TRUE(csr.ok()) << csr.error;
  r = parse_certificates(*csr.value);
  expect_refused(r.error, r.ok(), "certificate signing request (CSR), not a certificate");
  r = parse_certificates("");
  expect_refused(r.error, r.ok(), "empty");
  r = parse_certificates("\x01\x02 garbage \xff");
  expect_refused(r.error, r.ok(), "no PEM block");
  r = parse_certificates(two.substr(0, two.size() - 30));
  expect_refused(r.error, r.ok(), "cut short");
  std::string corrupt = two;
  corrupt[corrupt.find('\n') + 10] = '%';
  r = parse_certificates(corrupt);
  expect_refused(r.error, r.ok(), "damaged");
  std::string wrong_der = certificate_pem(a);
  wrong_der.replace(wrong_der.find('\n') + 1, 4, "AAAA");
  r = parse_certificates(wrong_der);
  expect_refused(r.error, r.ok(), "not a valid X.509 certificate");
  r = parse_certificates(std::string(2 * 1024 * 1024, 'A'));
  expect_refused(r.error, r.ok(), "more than the limit");
  r = parse_certificates("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  expect_refused(r.error, r.ok(), "public key, not a certificate");
}

TEST(PkiCertificates, FormatTime) {
  EXPECT_EQ(format_time(Clock::from_time_t(1796405889)), "2026-12-04 17:38:09 UTC");
}

// ---------------------------------------------------------------------------
// Signing requests and chains, with an authority made by openssl.

TEST_F(PkiAuthority, SigningRequestSignedByOpensslAuthority) {
  const TempDir& d = *dir_;
  const Key key = must_key(generate_key(KeyType::Rsa2048));
  CertificateAttributes a;
  a.alt_names = {"mail.example.com", "*.example.com"};
  a.organization = "Exämple";
  a.contact = "hostmaster@example.com";
  const auto csr = make_signing_request(key, checked(a, "example.com"));
  ASSERT_TRUE(csr.ok()) << csr.error;
  const auto csr_path = d.write("server.csr", *csr.value);
  const auto verified = openssl("req -verify -noout -in " + csr_path);
  EXPECT_EQ(verified.status, 0) << verified.output;
  const auto text = openssl("req -noout -text -in " + csr_path).output;
  EXPECT_TRUE(contains(text, "DNS:example.com, DNS:mail.example.com, DNS:*.example.com, email:hostmaster@example.com"))
      << text;
  const auto signed_by_ca = openssl("x509 -req -CA " + d.file("ca.pem") + " -CAkey " + d.file("ca.key") + " -in " +
                                    csr_path + " -out " + d.file("server.pem") + " -days 30 -copy_extensions copy");
  ASSERT_EQ(signed_by_ca.status, 0) << signed_by_ca.output;
  const Certificate server = must_one_certificate(d.read("server.pem"));
  EXPECT_TRUE(certificate_matches_key(server, key));
  EXPECT_FALSE(certificate_matches_key(server, must_key(generate_key(KeyType::EcP256))));
  const auto view = describe_certificate(server);
  EXPECT_EQ(view.issuer, "O=Test CA, CN=Test Root");
  EXPECT_EQ(view.subject, "O=Exämple, CN=example.com, emailAddress=hostmaster@example.com");
  EXPECT_EQ(view.dns_names, (std::vector<std::string>{"example.com", "mail.example.com", "*.example.com"}));
  EXPECT_FALSE(view.self_signed);
  EXPECT_TRUE(describe_certificate(ca()).is_ca);
  EXPECT_TRUE(describe_certificate(ca()).self_signed);

  const auto now = Clock::now();
  EXPECT_TRUE(check_chain(server, {ca()}, {}, now).empty());
  EXPECT_TRUE(check_chain(server, {}, {ca()}, now).empty());
  const auto unanchored = check_chain(server, {}, {}, now);
  ASSERT_EQ(unanchored.size(), 1u);
  EXPECT_TRUE(contains(unanchored[0], "issued by O=Test CA, CN=Test Root")) << unanchored[0];
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST_F(PkiAuthority, ChainOrderAndDates) {
  const TempDir& d = *dir_;
  const Key key = must_key(generate_key(KeyType::EcP256));
  const auto csr = make_signing_request(key, checked({}, "example.com"));
  ASSERT_TRUE(csr.ok());
  ASSERT_EQ(openssl("x509 -req -CA " + d.file("int.pem") + " -CAkey " + d.file("int.key") + " -in " +
                    d.write("leaf.csr", *csr.value) + " -out " + d.file("leaf.pem") + " -days 30 -copy_extensions copy")
                .status,
            0);
  const Certificate leaf = must_one_certificate(d.read("leaf.pem"));
  const auto now = Clock::now();
  EXPECT_TRUE(check_chain(leaf, {intermediate(), ca()}, {}, now).empty());
  EXPECT_TRUE(check_chain(leaf, {intermediate()}, {ca()}, now).empty());

  const auto wrong = check_chain(leaf, {ca(), intermediate()}, {}, now);
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_TRUE(contains(wrong[0], "the chain is in the wrong order")) << wrong[0];

  const Certificate stranger = *self_sign(key, checked({}, "other.org"), 10).value;
  // A self-signed stranger: it did not issue the leaf, but it is an anchor.
  const auto broken = check_chain(leaf, {stranger}, {}, now);
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_TRUE(contains(broken[0], "certificate 1 of the chain (CN=other.org) did not issue the one before it"))
      << broken[0];
  // The intermediate alone, then a stranger: not reorderable, and the last
  // one is not anchored either.
  const Certificate server_of_other = *make_test_certificate(key, "other.org", now).value;
  const auto unrelated = check_chain(leaf, {intermediate(), server_of_other}, {}, now);
  ASSERT_EQ(unrelated.size(), 2u);
  EXPECT_TRUE(contains(unrelated[0], "certificate 2 of the chain (CN=other.org) did not issue")) << unrelated[0];
  EXPECT_TRUE(contains(unrelated[1], "neither in the chain nor trusted")) << unrelated[1];

  const auto later = now + 400 * day;
  const auto expired = check_chain(leaf, {intermediate(), ca()}, {}, later);
  ASSERT_EQ(expired.size(), 3u);
  const auto leaf_view = describe_certificate(leaf);
  EXPECT_TRUE(contains(expired[0], "expired on " + format_time(leaf_view.not_after))) << expired[0];
  const auto early = check_chain(leaf, {intermediate(), ca()}, {}, now - 10 * day);
  ASSERT_EQ(early.size(), 3u);
  EXPECT_TRUE(contains(early[0], "is not valid before " + format_time(leaf_view.not_before))) << early[0];

  // A certificate made with dates in the past is described with them.
  const auto old = make_test_certificate(key, "example.com", now - 60 * day);
  ASSERT_TRUE(old.ok());
  const auto old_warnings = check_chain(*old.value, {}, {}, now);
  ASSERT_FALSE(old_warnings.empty());
  EXPECT_TRUE(contains(old_warnings[0], "expired on " + format_time(describe_certificate(*old.value).not_after)))
      << old_warnings[0];
}

TEST_F(PkiAuthority, ClientCertificates) {
  // An hour ahead: the certificates made below by openssl become valid at
  // the second they are made, which may be after this line.
  const auto now = Clock::now() + 1h;
  const Certificate bob = client("bob", "/CN=Bob Smith", "client");
  auto r = verify_client_certificate({bob}, {ca()}, "", "example.com", now);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(*r.value, "bob");
  EXPECT_EQ(client_certificate_account(bob, "example.com"), "bob");

  r = verify_client_certificate({bob}, {ca()}, describe_certificate(ca()).subject, "example.com", now);
  ASSERT_TRUE(r.ok()) << r.error;
  r = verify_client_certificate({bob}, {ca()}, "O=Other CA, CN=Other Root", "example.com", now);
  expect_refused(r.error, r.ok(), "not issued under O=Other CA, CN=Other Root");

  const Key stranger_key = must_key(generate_key(KeyType::EcP256));
  const Certificate stranger = *self_sign(stranger_key, checked({}, "other.org"), 10).value;
  r = verify_client_certificate({bob}, {stranger}, "", "example.com", now);
  expect_refused(r.error, r.ok(), "the client certificate is refused");
  r = verify_client_certificate({bob}, {}, "", "example.com", now);
  expect_refused(r.error, r.ok(), "no certificate authority is trusted");
  r = verify_client_certificate({}, {ca()}, "", "example.com", now);
  expect_refused(r.error, r.ok(), "no client certificate");
  r = verify_client_certificate({bob}, {ca()}, "", "example.com", now + 400 * day);
  expect_refused(r.error, r.ok(), "certificate has expired");

  const Certificate carol = client("carol", "/CN=carol", "client_plain");
  r = verify_client_certificate({carol}, {ca()}, "", "example.com", now);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(*r.value, "carol");
  const Certificate dave = client("dave", "/CN=dave@example.com", "client_plain");
  EXPECT_EQ(client_certificate_account(dave, "example.com"), "dave");
  EXPECT_EQ(client_certificate_account(dave, "other.org"), std::nullopt);
  r = verify_client_certificate({dave}, {ca()}, "", "other.org", now);
  expect_refused(r.error, r.ok(), "names no account of other.org");

  // Issued by the intermediate: presented with it, trusted through the root.
  const Certificate erin = client("erin", "/CN=erin", "client_plain", "int");
  r = verify_client_certificate({erin, intermediate()}, {ca()}, "O=Test CA, CN=Test Intermediate", "example.com", now);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(*r.value, "erin");
  r = verify_client_certificate({erin}, {ca()}, "", "example.com", now);
  expect_refused(r.error, r.ok(), "unable to get local issuer certificate");
}

}  // namespace
}  // namespace authd::host::pki
