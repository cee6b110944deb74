// The host's PKI through its three interfaces: the facade (rights, the
// data directory), the authhost command line (checked with the openssl
// tool, which nobody here wrote) and the administration protocol.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "host/admin/admin_server.hpp"
#include "host/host.hpp"
#include "host_test_support.hpp"

namespace authd::host {
namespace {

using namespace testing;
namespace fs = std::filesystem;

struct Ran {
  int code = -1;
  std::string output;  // standard output and standard error
};

Ran run(const std::string& command) {
  Ran r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class PkiHost : public ::testing::Test {
 protected:
  void SetUp() override {
    host = make_host(dir);
    ASSERT_TRUE(host->create_domain(postmaster(), "other.org").ok());
    data = dir.path() / "data";
  }
  // authhost --data DATA ARGS, as postmaster unless --as is among ARGS.
  Ran authhost(const std::string& args) { return run(std::string(AUTHHOST_BINARY) + " --data " + quote(data) + " " + args); }
  fs::path file(const std::string& name) const { return dir.path() / name; }
  // A test CA made by openssl: ca.key, ca.pem.
  void make_ca(const std::string& name = "ca", const std::string& subject = "/O=Test CA/CN=Test Root") {
    const Ran r = run("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + quote(file(name + ".key")) + " -out " +
                      quote(file(name + ".pem")) + " -days 30 -subj " + quote(subject));
    ASSERT_EQ(r.code, 0) << r.output;
  }

  TempDir dir;
  std::unique_ptr<Host> host;
  fs::path data;
};

// ---------------------------------------------------------------------------
// The self-signed path, checked by openssl.

TEST_F(PkiHost, SelfSignedPathIsWhatOpensslExpects) {
  Ran r = authhost("pki generate-key --domain other.org --type ec-p256");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "EC P-256")) << r.output;
  EXPECT_TRUE(contains(r.output, "OK")) << r.output;
  const fs::path key = data / "Domains/other.org/PKI/PrivateKey.pem";
  r = run("openssl pkey -check -noout -in " + quote(key));
  EXPECT_EQ(r.code, 0) << r.output;

  r = authhost("pki self-sign --domain other.org --alt mail.other.org,other.org --contact admin@other.org "
               "--org 'Other Org' --country DE --days 90");
  ASSERT_EQ(r.code, 0) << r.output;
  r = authhost("pki export-certificate --domain other.org");
  ASSERT_EQ(r.code, 0) << r.output;
  write_file(file("cert.pem"), r.output);
  r = run("openssl x509 -noout -text -in " + quote(file("cert.pem")));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "CN = other.org") || contains(r.output, "CN=other.org")) << r.output;
  EXPECT_TRUE(contains(r.output, "DNS:mail.other.org")) << r.output;
  EXPECT_TRUE(contains(r.output, "O = Other Org") || contains(r.output, "O=Other Org")) << r.output;
  EXPECT_TRUE(contains(r.output, "email:admin@other.org")) << r.output;
  r = run("openssl verify -CAfile " + quote(file("cert.pem")) + " " + quote(file("cert.pem")));
  EXPECT_EQ(r.code, 0) << r.output;
  // The certificate is for the stored key.
  const Ran cert_key = run("openssl x509 -noout -pubkey -in " + quote(file("cert.pem")));
  const Ran key_pub = run("openssl pkey -pubout -in " + quote(key));
  EXPECT_EQ(cert_key.output, key_pub.output);

  r = authhost("pki show --domain other.org");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "PKI mode:    disabled")) << r.output;
  EXPECT_TRUE(contains(r.output, "self-signed")) << r.output;
  // The private key is never shown.
  EXPECT_FALSE(contains(r.output, "PRIVATE KEY")) << r.output;

  // Refresh: the same serial number, a new end.
  const std::string serial_before = run("openssl x509 -noout -serial -in " + quote(file("cert.pem"))).output;
  r = authhost("pki refresh --domain other.org --days 200");
  ASSERT_EQ(r.code, 0) << r.output;
  write_file(file("fresh.pem"), authhost("pki export-certificate --domain other.org").output);
  EXPECT_EQ(run("openssl x509 -noout -serial -in " + quote(file("fresh.pem"))).output, serial_before);
  EXPECT_NE(run("openssl x509 -noout -enddate -in " + quote(file("fresh.pem"))).output,
            run("openssl x509 -noout -enddate -in " + quote(file("cert.pem"))).output);
}

// ---------------------------------------------------------------------------
// The CA path: a CSR signed by openssl x509 -req, set back with its chain.

TEST_F(PkiHost, CaSignedPathWithAChain) {
  make_ca();
  ASSERT_EQ(authhost("pki generate-key --domain other.org").code, 0);
  Ran r = authhost("pki csr --domain other.org --cn mail.other.org --alt mail.other.org,imap.other.org "
                   "--contact hostmaster@other.org --org Other");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(contains(r.output, "BEGIN CERTIFICATE REQUEST")) << r.output;
  write_file(file("req.pem"), r.output);
  r = run("openssl req -verify -noout -in " + quote(file("req.pem")));
  EXPECT_EQ(r.code, 0) << r.output;
  r = run("openssl req -noout -text -in " + quote(file("req.pem")));
  EXPECT_TRUE(contains(r.output, "DNS:imap.other.org")) << r.output;
  r = run("openssl x509 -req -in " + quote(file("req.pem")) + " -CA " + quote(file("ca.pem")) + " -CAkey " +
          quote(file("ca.key")) + " -CAcreateserial -days 30 -out " + quote(file("signed.pem")));
  ASSERT_EQ(r.code, 0) << r.output;

  r = authhost("pki set-certificate --domain other.org " + quote(file("signed.pem")));
  ASSERT_EQ(r.code, 0) << r.output;
  r = authhost("pki set-chain --domain other.org " + quote(file("ca.pem")));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(contains(r.output, "warning")) << r.output;  // the chain ends at a self-signed root

  r = authhost("pki export-certificate --domain other.org --chain");
  ASSERT_EQ(r.code, 0) << r.output;
  write_file(file("full.pem"), r.output);
  r = run("openssl verify -CAfile " + quote(file("ca.pem")) + " " + quote(file("full.pem")));
  EXPECT_EQ(r.code, 0) << r.output;
  r = authhost("pki show --domain other.org");
  EXPECT_TRUE(contains(r.output, "CA chain #1")) << r.output;
  EXPECT_TRUE(contains(r.output, "Test Root")) << r.output;

  // A certificate and its chain in one file (fullchain.pem) is split.
  ASSERT_EQ(authhost("pki remove-chain --domain other.org").code, 0);
  write_file(file("fullchain.pem"), read_file(file("signed.pem")) + read_file(file("ca.pem")));
  r = authhost("pki set-certificate --domain other.org " + quote(file("fullchain.pem")));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "became the CA chain")) << r.output;
  EXPECT_TRUE(contains(authhost("pki show --domain other.org").output, "CA chain #1"));
}

TEST_F(PkiHost, AChainInTheWrongOrderIsAcceptedWithAWarning) {
  make_ca("root", "/CN=Root");
  // An intermediate signed by the root, and a leaf signed by the intermediate.
  ASSERT_EQ(run("openssl req -newkey rsa:2048 -nodes -keyout " + quote(file("inter.key")) + " -out " +
                quote(file("inter.csr")) + " -subj /CN=Intermediate").code, 0);
  write_file(file("ext.cnf"), "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n");
  ASSERT_EQ(run("openssl x509 -req -in " + quote(file("inter.csr")) + " -CA " + quote(file("root.pem")) +
                " -CAkey " + quote(file("root.key")) + " -CAcreateserial -days 30 -extfile " + quote(file("ext.cnf")) +
                " -out " + quote(file("inter.pem"))).code, 0);
  ASSERT_EQ(authhost("pki generate-key --domain other.org").code, 0);
  write_file(file("req.pem"), authhost("pki csr --domain other.org").output);
  ASSERT_EQ(run("openssl x509 -req -in " + quote(file("req.pem")) + " -CA " + quote(file("inter.pem")) + " -CAkey " +
                quote(file("inter.key")) + " -CAcreateserial -days 30 -out " + quote(file("leaf.pem"))).code, 0);
  ASSERT_EQ(authhost("pki set-certificate --domain other.org " + quote(file("leaf.pem"))).code, 0);

  write_file(file("wrong.pem"), read_file(file("root.pem")) + read_file(file("inter.pem")));
  Ran r = authhost("pki set-chain --domain other.org " + quote(file("wrong.pem")));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "wrong order")) << r.output;
  write_file(file("right.pem"), read_file(file("inter.pem")) + read_file(file("root.pem")));
  r = authhost("pki set-chain --domain other.org " + quote(file("right.pem")));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(contains(r.output, "warning")) << r.output;
}

// ---------------------------------------------------------------------------
// Bad input: a clear error, and nothing stored.

TEST_F(PkiHost, BadInputIsRefusedAndNothingIsStored) {
  const fs::path pki_dir = data / "Domains/other.org/PKI";
  const auto refused = [&](const std::string& args, const std::string& expected) {
    const Ran r = authhost(args);
    EXPECT_NE(r.code, 0) << args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, expected)) << args << "\n" << r.output;
  };
  write_file(file("garbage.pem"), "hello, this is not PEM\n");
  refused("pki import-key --domain other.org " + quote(file("garbage.pem")), "authhost:");
  ASSERT_EQ(run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:x -out " +
                quote(file("encrypted.pem"))).code, 0);
  refused("pki import-key --domain other.org " + quote(file("encrypted.pem")), "openssl pkey");
  // 2 MB.
  write_file(file("big.pem"), std::string(2 * 1024 * 1024, 'A'));
  refused("pki import-key --domain other.org " + quote(file("big.pem")), "larger than");
  refused("pki set-certificate --domain other.org " + quote(file("big.pem")), "larger than");
  EXPECT_FALSE(fs::exists(pki_dir / "PrivateKey.pem"));

  // A domain name that would leave the data directory never reaches a path.
  for (const char* bad : {"../other.org", "other.org/..", "a/b", "..", "other..org"}) {
    refused(std::string("pki generate-key --domain ") + quote(bad), "not a domain name");
  }
  refused("pki generate-key --domain nowhere.example", "no domain");

  // A certificate before a key; a certificate pasted for a key; a key for a certificate.
  make_ca();
  refused("pki set-certificate --domain other.org " + quote(file("ca.pem")), "no private key");
  refused("pki import-key --domain other.org " + quote(file("ca.pem")), "certificate");
  ASSERT_EQ(authhost("pki generate-key --domain other.org").code, 0);
  refused("pki set-certificate --domain other.org " + quote(file("ca.key")), "private key");
  // A certificate for another key.
  refused("pki set-certificate --domain other.org " + quote(file("ca.pem")), "not for domain other.org");
  EXPECT_FALSE(fs::exists(pki_dir / "Certificate.pem"));
  // Bad attributes.
  refused("pki csr --domain other.org --contact 'not an address'", "contact");
  refused("pki self-sign --domain other.org --cn www.elsewhere.net", "elsewhere");
  refused("pki self-sign --domain other.org --country Germany", "ountry");
  EXPECT_FALSE(fs::exists(pki_dir / "Certificate.pem"));
}

// Key text that lost its line breaks is refused without being quoted.
TEST_F(PkiHost, DamagedKeyTextIsNeverQuotedBack) {
  const std::string body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
  for (const std::string& text : {"-----BEGIN PRIVATE KEY---- " + body + " -----END PRIVATE KEY-----",
                                  "-----BEGIN PRIVATE KEY-----" + body + "-----END PRIVATE KEY----",
                                  "-----BEGIN " + body + "-----\n"}) {
    const auto key = pki::parse_private_key(text);
    EXPECT_FALSE(key.ok());
    EXPECT_FALSE(contains(key.error, body.substr(0, 16))) << key.error;
    const auto certs = pki::parse_certificates(text);
    EXPECT_FALSE(certs.ok());
    EXPECT_FALSE(contains(certs.error, body.substr(0, 16))) << certs.error;
  }
}

TEST_F(PkiHost, AnExpiredCertificateIsAcceptedWithAWarningAndCheckFails) {
  make_ca();
  // authhost init puts the main domain in test mode: out of the way until
  // the test mode part below.
  ASSERT_EQ(authhost("pki mode --domain example.com disabled").code, 0);
  ASSERT_EQ(authhost("pki generate-key --domain other.org").code, 0);
  write_file(file("req.pem"), authhost("pki csr --domain other.org").output);
  // Signed for one day, then the clock of the check moves past it: pki
  // check --days 2 reports it as ending within the period.
  ASSERT_EQ(run("openssl x509 -req -in " + quote(file("req.pem")) + " -CA " + quote(file("ca.pem")) + " -CAkey " +
                quote(file("ca.key")) + " -CAcreateserial -days 1 -out " + quote(file("short.pem"))).code, 0);
  ASSERT_EQ(authhost("pki set-certificate --domain other.org " + quote(file("short.pem"))).code, 0);
  Ran r = authhost("pki check");
  EXPECT_EQ(r.code, 0) << r.output;  // PKI disabled: nothing in use
  ASSERT_EQ(authhost("pki mode --domain other.org enabled").code, 0);
  r = authhost("pki check");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "PROBLEM other.org")) << r.output;
  r = authhost("pki check --days 0");
  EXPECT_EQ(r.code, 0) << r.output;

  // A self-signed certificate of a year passes; test mode checks the test certificate.
  ASSERT_EQ(authhost("pki self-sign --domain other.org").code, 0);
  EXPECT_EQ(authhost("pki check").code, 0);
  ASSERT_EQ(authhost("pki mode --domain example.com test").code, 0);
  r = authhost("pki check");
  EXPECT_EQ(r.code, 1) << r.output;  // no test certificate before a server starts
  ASSERT_EQ(authhost("pki refresh-test").code, 0);
  r = authhost("pki check");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(authhost("pki check --days 31").code, 1);

  // Enabled without a certificate: a problem.
  ASSERT_EQ(authhost("pki remove-key --domain other.org").code, 0);
  EXPECT_FALSE(fs::exists(data / "Domains/other.org/PKI/Certificate.pem"));
  r = authhost("pki check");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "no private key")) << r.output;
}

// A CSR signed with `openssl ca` for a period long past: set with a
// warning, and reported by pki check.
TEST_F(PkiHost, AnExpiredCertificateFromOpensslCaIsAcceptedWithAWarning) {
  make_ca();
  ASSERT_EQ(authhost("pki generate-key --domain other.org").code, 0);
  write_file(file("req.pem"), authhost("pki csr --domain other.org --alt other.org,mail.other.org").output);
  write_file(file("index.txt"), "");
  write_file(file("serial"), "1000\n");
  write_file(file("ca.cnf"), "[ca]\ndefault_ca = test\n[test]\ndatabase = " + file("index.txt").string() +
                                 "\nnew_certs_dir = " + dir.path().string() + "\nserial = " + file("serial").string() +
                                 "\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\n[any]\ncommonName = supplied\n");
  Ran r = run("openssl ca -batch -config " + quote(file("ca.cnf")) + " -cert " + quote(file("ca.pem")) + " -keyfile " +
              quote(file("ca.key")) + " -in " + quote(file("req.pem")) + " -out " + quote(file("old.pem")) +
              " -startdate 20200101000000Z -enddate 20200201000000Z -notext");
  ASSERT_EQ(r.code, 0) << r.output;
  r = authhost("pki set-certificate --domain other.org " + quote(file("old.pem")));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "warning: the certificate expired on 2020-02-01")) << r.output;
  r = authhost("pki show --domain other.org");
  EXPECT_TRUE(contains(r.output, "mail.other.org")) << r.output;  // copy_extensions kept the request's names
  ASSERT_EQ(authhost("pki mode --domain other.org enabled").code, 0);
  r = authhost("pki check --days 0");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "expired on")) << r.output;
}

// ---------------------------------------------------------------------------
// Data at rest.

TEST_F(PkiHost, KeysAndCertificatesAreTheHostUsersAlone) {
  const mode_t old = ::umask(022);
  ASSERT_TRUE(host->pki_generate_key(postmaster(), "other.org", pki::KeyType::EcP256).ok());
  ASSERT_TRUE(host->pki_self_sign(postmaster(), "other.org", {}, 30).ok());
  ASSERT_TRUE(host->refresh_test_certificate().ok());
  ::umask(old);
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    struct stat st {};
    ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << entry.path();
    if (entry.path().extension() == ".pem") ++files;
    EXPECT_FALSE(contains(entry.path().filename().string(), ".tmp")) << entry.path();
  }
  EXPECT_EQ(files, 4u);  // the domain's key and certificate, the test key and certificate
  // A wider mode made by hand is refused at the next start.
  fs::permissions(data / "Domains/other.org/PKI/PrivateKey.pem", fs::perms::group_read, fs::perm_options::add);
  EXPECT_THROW(Host::open(data), HostError);
}

// A host killed while it writes a key or a certificate restarts with the
// old one or the new one: the key file always parses, and a certificate
// left beside it is always for it.
TEST_F(PkiHost, AHostKilledWhileWritingLeavesTheOldOrTheNew) {
  ASSERT_TRUE(host->pki_generate_key(postmaster(), "other.org", pki::KeyType::EcP256).ok());
  ASSERT_TRUE(host->pki_self_sign(postmaster(), "other.org", {}, 30).ok());
  for (int round = 0; round < 12; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto own = Host::open(data);
      for (;;) {
        own->pki_generate_key(postmaster(), "other.org", pki::KeyType::EcP256);
        own->pki_self_sign(postmaster(), "other.org", {}, 30);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + 17 * round));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    auto reopened = Host::open(data);
    const auto shown = reopened->pki_show(postmaster(), "other.org");
    ASSERT_TRUE(shown.ok()) << shown.status.message;
    ASSERT_TRUE(shown.value.state.key.has_value()) << "round " << round;
    EXPECT_TRUE(shown.value.state.warnings.empty()) << "round " << round << ": " << shown.value.state.warnings.front();
    const Ran check = run("openssl pkey -check -noout -in " + quote(data / "Domains/other.org/PKI/PrivateKey.pem"));
    EXPECT_EQ(check.code, 0) << check.output;
  }
}

// ---------------------------------------------------------------------------
// Rights.

TEST_F(PkiHost, RightsDecideWhoReachesWhichPki) {
  ASSERT_TRUE(host->create_account(postmaster(), "boss@other.org", nullptr).ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "boss@other.org", RightSet(Right::ModifyThisDomain)).ok());
  ASSERT_TRUE(host->create_account(postmaster(), "user@other.org", nullptr).ok());
  ASSERT_TRUE(host->create_account(postmaster(), "settings@example.com", nullptr).ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "settings@example.com", RightSet(Right::ModifyServerSettings)).ok());
  ASSERT_TRUE(host->create_account(postmaster(), "local@example.com", nullptr).ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "local@example.com", RightSet(Right::ModifyThisDomain)).ok());
  const Address boss{"boss", "other.org"}, user{"user", "other.org"}, settings{"settings", "example.com"},
      local{"local", "example.com"};
  make_ca();
  const std::string ca = read_file(file("ca.pem"));

  // A domain administrator runs the domain's own PKI, and nobody else's.
  EXPECT_TRUE(host->pki_generate_key(boss, "other.org", pki::KeyType::EcP256).ok());
  EXPECT_EQ(host->pki_generate_key(boss, "example.com", pki::KeyType::EcP256).status.code, ErrorCode::PermissionDenied);
  // The main domain's key protects postmaster's logins: an administrator of
  // the main domain who does not cover postmaster cannot choose it.
  EXPECT_EQ(host->pki_generate_key(local, "example.com", pki::KeyType::EcP256).status.code,
            ErrorCode::PermissionDenied);
  EXPECT_EQ(host->pki_set_mode(local, "example.com", "test").code, ErrorCode::PermissionDenied);
  EXPECT_TRUE(host->pki_show(local, "example.com").ok());
  EXPECT_EQ(host->pki_generate_key(user, "other.org", pki::KeyType::EcP256).status.code, ErrorCode::PermissionDenied);
  EXPECT_EQ(host->pki_show(user, "other.org").status.code, ErrorCode::PermissionDenied);
  EXPECT_EQ(host->pki_set_mode(user, "other.org", "enabled").code, ErrorCode::PermissionDenied);
  // Trust decides certificate logins: a domain administrator covering
  // every account of the domain may change the domain's set...
  EXPECT_TRUE(host->pki_trust_add(boss, "other.org", ca).ok());
  // ...but not the server's, and the main domain's only who covers postmaster.
  EXPECT_EQ(host->pki_trust_add(boss, "", ca).status.code, ErrorCode::PermissionDenied);
  EXPECT_EQ(host->pki_trust_add(local, "example.com", ca).status.code, ErrorCode::PermissionDenied);
  EXPECT_EQ(host->pki_trust_add(settings, "", ca).status.code, ErrorCode::PermissionDenied);
  EXPECT_TRUE(host->pki_trust_add(postmaster(), "", ca).ok());
  EXPECT_EQ(host->pki_trust_remove(settings, "", host->pki_trusted(postmaster(), "").value.at(0).serial).status.code,
            ErrorCode::PermissionDenied);
  // Reading the server-wide set needs a server right.
  EXPECT_TRUE(host->pki_trusted(settings, "").ok());
  EXPECT_EQ(host->pki_trusted(boss, "").status.code, ErrorCode::PermissionDenied);
  EXPECT_EQ(host->pki_check(boss, 14).status.code, ErrorCode::PermissionDenied);
  EXPECT_EQ(host->pki_refresh_test_certificate(boss).status.code, ErrorCode::PermissionDenied);
  EXPECT_TRUE(host->pki_refresh_test_certificate(settings).ok());

  // The key leaves on the command line only.
  EXPECT_EQ(host->pki_export_key(postmaster(), "other.org", ChangeOrigin::Network).status.code,
            ErrorCode::PermissionDenied);
  EXPECT_TRUE(host->pki_export_key(postmaster(), "other.org", ChangeOrigin::CommandLine).ok());

  // The client-certificate issuer is a setting that decides logins.
  const std::string subject = host->pki_trusted(postmaster(), "other.org").value.at(0).subject;
  EXPECT_EQ(host->update_settings(boss, {"other.org", ""}, {{"ClientCertificateIssuer", "CN=Somebody Else"}}).code,
            ErrorCode::InvalidValue);
  EXPECT_TRUE(host->update_settings(boss, {"other.org", ""}, {{"ClientCertificateIssuer", subject}}).ok());
  EXPECT_EQ(host->update_settings(local, {"example.com", ""}, {{"ClientCertificateIssuer", subject}}).code,
            ErrorCode::PermissionDenied);
}

TEST_F(PkiHost, TlsSettingsRefuseWhatIsObsoleteAndWarnAboutWhatIsDeprecated) {
  for (const char* name : {"TLSCBCCiphers", "WeakCiphers", "TLSAcceptSSLv2Hello"}) {
    const Status s = host->update_settings(postmaster(), {}, {{name, "yes"}});
    EXPECT_EQ(s.code, ErrorCode::InvalidValue) << name;
    EXPECT_TRUE(contains(s.message, "obsolete")) << s.message;
  }
  Status s = host->update_settings(postmaster(), {}, {{"TLSOldestAccepted", "tls1.3"}});
  EXPECT_TRUE(s.ok()) << s.message;
  EXPECT_TRUE(s.warnings.empty());
  EXPECT_EQ(host->effective({}, {}).text("TLSOldestAccepted"), "TLS1.3");
  s = host->update_settings(postmaster(), {}, {{"TLSOldestAccepted", "TLS1.0"}});
  EXPECT_TRUE(s.ok()) << s.message;
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_TRUE(contains(s.warnings[0], "RFC 8996")) << s.warnings[0];
  EXPECT_EQ(host->update_settings(postmaster(), {}, {{"TLSOldestAccepted", "SSL3"}}).code, ErrorCode::InvalidValue);
  EXPECT_EQ(host->update_settings(postmaster(), {}, {{"TLSSessionTimeToLive", "2d"}}).code, ErrorCode::InvalidValue);
  EXPECT_TRUE(host->update_settings(postmaster(), {}, {{"TLSLogLevel", "ALL"}}).ok());
  EXPECT_EQ(host->update_settings(postmaster(), {"other.org", ""}, {{"PKIMode", "on"}}).code, ErrorCode::InvalidValue);
  // The command line shows the warning.
  const Ran r = authhost("settings set TLSOldestAccepted=TLS1.1");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "warning")) << r.output;
}

TEST_F(PkiHost, TheTestCertificateNamesTheMainDomainAndLastsThirtyDays) {
  const auto r = host->refresh_test_certificate();
  ASSERT_TRUE(r.ok()) << r.status.message;
  EXPECT_TRUE(contains(r.value.subject, "example.com")) << r.value.subject;
  EXPECT_TRUE(contains(r.value.issuer, "authd test certificate authority")) << r.value.issuer;
  const auto days = std::chrono::duration_cast<std::chrono::hours>(r.value.not_after - std::chrono::system_clock::now()).count() / 24.0;
  EXPECT_GT(days, 29.9);
  EXPECT_LT(days, 30.1);
  // The key is kept across starts, the certificate made anew.
  const std::string key = read_file(data / "Settings/PKI/TestKey.pem");
  ASSERT_TRUE(host->refresh_test_certificate().ok());
  EXPECT_EQ(read_file(data / "Settings/PKI/TestKey.pem"), key);
  const auto identity = host->pki().tls_identity("example.com", "test");
  ASSERT_TRUE(identity.ok()) << identity.error;
  EXPECT_FALSE(host->pki().tls_identity("example.com", "disabled").ok());
}

TEST_F(PkiHost, TrustedSetsAddListAndRemove) {
  make_ca("ca1", "/CN=First CA");
  make_ca("ca2", "/CN=Second CA");
  write_file(file("both.pem"), read_file(file("ca1.pem")) + read_file(file("ca2.pem")));
  Ran r = authhost("pki trust add " + quote(file("both.pem")));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "added 2")) << r.output;
  r = authhost("pki trust add " + quote(file("ca1.pem")));
  EXPECT_TRUE(contains(r.output, "trusted already")) << r.output;
  r = authhost("pki trust list");
  EXPECT_TRUE(contains(r.output, "First CA") && contains(r.output, "Second CA")) << r.output;
  std::string serial = run("openssl x509 -noout -serial -in " + quote(file("ca1.pem"))).output;
  serial = serial.substr(serial.find('=') + 1);
  serial.erase(serial.find_last_not_of("\n") + 1);
  r = authhost("pki trust remove " + serial);
  ASSERT_EQ(r.code, 0) << r.output;
  r = authhost("pki trust list");
  EXPECT_FALSE(contains(r.output, "First CA")) << r.output;
  EXPECT_TRUE(contains(r.output, "Second CA")) << r.output;
  r = authhost("pki trust remove 00DEADBEEF");
  EXPECT_NE(r.code, 0);
  // A domain's set is its own.
  ASSERT_EQ(authhost("pki trust add --domain other.org " + quote(file("ca1.pem"))).code, 0);
  EXPECT_TRUE(contains(authhost("pki trust list --domain other.org").output, "First CA"));
  EXPECT_FALSE(contains(authhost("pki trust list").output, "First CA"));
  // A domain's checks use both sets.
  EXPECT_EQ(host->pki().trust_anchors("other.org").size(), 2u);
  EXPECT_EQ(host->pki().trust_anchors("example.com").size(), 1u);
}

// A client certificate logs in the account it names, if that is a name of
// the host's form, and only under a trusted issuer.
TEST_F(PkiHost, ClientCertificatesNameAccountsOfTheDomain) {
  make_ca("users", "/O=Other/CN=Users CA");
  const auto client = [&](const std::string& name, const std::string& subject, const std::string& ext) {
    EXPECT_EQ(run("openssl req -newkey rsa:2048 -nodes -keyout " + quote(file(name + ".key")) + " -out " +
                  quote(file(name + ".csr")) + " -subj " + quote(subject)).code, 0);
    write_file(file(name + ".ext"), ext);
    EXPECT_EQ(run("openssl x509 -req -in " + quote(file(name + ".csr")) + " -CA " + quote(file("users.pem")) +
                  " -CAkey " + quote(file("users.key")) + " -CAcreateserial -days 30 -extfile " +
                  quote(file(name + ".ext")) + " -out " + quote(file(name + ".pem"))).code, 0);
    return pki::parse_certificates(read_file(file(name + ".pem")));
  };
  const auto bob = client("bob", "/CN=Robert", "subjectAltName=email:Bob@other.org\n");
  const auto elsewhere = client("elsewhere", "/CN=postmaster", "subjectAltName=email:postmaster@customer.net\n");
  const auto spaced = client("spaced", "/CN=Bob Smith", "keyUsage=digitalSignature\n");
  ASSERT_TRUE(bob.ok() && spaced.ok()) << bob.error << spaced.error;
  const auto later = std::chrono::system_clock::now() + std::chrono::hours(1);
  // Not trusted yet.
  EXPECT_FALSE(host->pki().verify_client("other.org", *bob.value, "", later).ok());
  ASSERT_TRUE(host->pki_trust_add(postmaster(), "other.org", read_file(file("users.pem"))).ok());
  const auto ok = host->pki().verify_client("other.org", *bob.value, "O=Other, CN=Users CA", later);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(*ok.value, "bob");
  // Another issuer required; another domain's trust; a name of the wrong form.
  EXPECT_FALSE(host->pki().verify_client("other.org", *bob.value, "CN=Somebody Else", later).ok());
  EXPECT_FALSE(host->pki().verify_client("example.com", *bob.value, "", later).ok());
  // An address of another domain never falls back to a same-named account here.
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.error;
  EXPECT_FALSE(host->pki().verify_client("other.org", *elsewhere.value, "", later).ok());
  const auto refused = host->pki().verify_client("other.org", *spaced.value, "", later);
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error, "not an account name")) << refused.error;
  // Expired by the time it is shown.
  EXPECT_FALSE(host->pki().verify_client("other.org", *bob.value, "", later + std::chrono::hours(24 * 40)).ok());
}

// A domain made anew does not inherit the PKI files of an earlier one.
TEST_F(PkiHost, ADomainCreatedAgainStartsWithoutKeys) {
  ASSERT_TRUE(host->pki_generate_key(postmaster(), "other.org", pki::KeyType::EcP256).ok());
  ASSERT_TRUE(host->delete_domain(postmaster(), "other.org").ok());
  fs::create_directories(data / "Domains/other.org/PKI");
  fs::permissions(data / "Domains/other.org", fs::perms::owner_all, fs::perm_options::replace);
  fs::permissions(data / "Domains/other.org/PKI", fs::perms::owner_all, fs::perm_options::replace);
  write_file(data / "Domains/other.org/PKI/PrivateKey.pem", "left over");
  ASSERT_TRUE(host->create_domain(postmaster(), "other.org").ok());
  const auto shown = host->pki_show(postmaster(), "other.org");
  ASSERT_TRUE(shown.ok());
  EXPECT_FALSE(shown.value.state.key.has_value());
  EXPECT_TRUE(shown.value.state.warnings.empty());
}

// ---------------------------------------------------------------------------
// The administration protocol.

TEST_F(PkiHost, TheAdministrationProtocolRunsTheSameOperations) {
  admin::Session session(*host, "127.0.0.1");
  ASSERT_EQ(session.handle("USER postmaster@example.com").code, admin::Code::Password);
  ASSERT_EQ(session.handle(std::string("PASS ") + postmaster_password).code, admin::Code::Ok);
  auto answer = session.handle("GENERATEDOMAINKEY other.org ec-p384");
  ASSERT_EQ(answer.code, admin::Code::Ok) << answer.text;
  ASSERT_TRUE(answer.data);
  EXPECT_TRUE(contains(admin::format_value(*answer.data), "P-384")) << admin::format_value(*answer.data);
  answer = session.handle("SELFSIGNDOMAINCERTIFICATE other.org {AltNames=(mail.other.org);Contact=a@other.org;Days=40;}");
  ASSERT_EQ(answer.code, admin::Code::Ok) << answer.text;
  EXPECT_TRUE(contains(admin::format_value(*answer.data), "mail.other.org"));
  answer = session.handle("GETDOMAINPKI other.org");
  ASSERT_EQ(answer.code, admin::Code::Ok) << answer.text;
  const std::string shown = admin::format_value(*answer.data);
  EXPECT_TRUE(contains(shown, "Certificate")) << shown;
  EXPECT_FALSE(contains(shown, "PRIVATE KEY")) << shown;
  answer = session.handle("MAKEDOMAINCSR other.org {Contact=\"not an address\";}");
  EXPECT_EQ(answer.code, admin::Code::Error) << answer.text;
  answer = session.handle("EXPORTDOMAINCERTIFICATE other.org");
  ASSERT_EQ(answer.code, admin::Code::Ok) << answer.text;
  EXPECT_TRUE(contains(answer.data->text, "BEGIN CERTIFICATE"));
  answer = session.handle("SETDOMAINPKIMODE other.org enabled");
  EXPECT_EQ(answer.code, admin::Code::Ok) << answer.text;
  // The main domain serves the test certificate (authhost init).
  answer = session.handle("REFRESHTESTCERTIFICATE");
  ASSERT_EQ(answer.code, admin::Code::Ok) << answer.text;
  answer = session.handle("CHECKPKI");
  ASSERT_EQ(answer.code, admin::Code::Ok) << answer.text;
  EXPECT_TRUE(contains(admin::format_value(*answer.data), "Problems=0")) << admin::format_value(*answer.data);
  answer = session.handle("UPDATESERVERSETTINGS {TLSWeakCiphers=YES;}");
  EXPECT_EQ(answer.code, admin::Code::Error);
  EXPECT_TRUE(contains(answer.text, "obsolete")) << answer.text;

  // A key imported over the protocol is never quoted back, even when refused.
  make_ca();
  std::string pem = read_file(file("ca.key"));
  std::string quoted = "\"";
  for (char c : pem) quoted += c == '\n' ? std::string("\\e") : std::string(1, c);
  quoted += "\"";
  answer = session.handle("IMPORTDOMAINKEY other.org " + quoted);
  EXPECT_EQ(answer.code, admin::Code::Ok) << answer.text;
  const std::string body = pem.substr(pem.find('\n') + 1, 40);
  answer = session.handle("IMPORTDOMAINKEY other.org \"" + body + "\"");
  EXPECT_EQ(answer.code, admin::Code::Error);
  EXPECT_FALSE(contains(answer.text, body)) << answer.text;
}

}  // namespace
}  // namespace authd::host
