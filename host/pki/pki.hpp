// The host's PKI: each domain's private key, certificate, CA chain and
// trusted certificates, the server-wide trusted certificates, and the
// server-wide test key and certificate, kept as PEM files in the data
// directory:
//
//   DIR/Domains/<domain>/PKI/PrivateKey.pem            the domain's key (PKCS#8)
//   DIR/Domains/<domain>/PKI/Certificate.pem           its certificate
//   DIR/Domains/<domain>/PKI/CAChain.pem               the chain sent with it, root last
//   DIR/Domains/<domain>/PKI/TrustedCertificates.pem   the domain's trusted set
//   DIR/Settings/PKI/TrustedCertificates.pem           the server-wide trusted set
//   DIR/Settings/PKI/TestKey.pem, TestCertificate.pem  the test key and certificate
//
// Each file is the host user's alone (0600, in 0700 directories) and is
// replaced whole (private_files.hpp): a host killed while writing one
// restarts with the old file or the new one. A key and the certificate for
// it are kept consistent: a certificate is stored only for the key it
// matches, and removing or replacing the key removes the certificate that
// no longer matches it (the key is written after the certificate is gone,
// so a crash between the two leaves a key without a certificate, never a
// certificate for a key that is not there).
//
// Nothing here checks rights or settings: the Host facade does (host.hpp)
// and passes domain names already checked (canonical, existing, never with
// '/' or ".."), and runs every change inside its write transaction, which
// is also what keeps two processes from changing the files at once.
// Faults of the files (unreadable, unwritable) are thrown as
// std::filesystem::filesystem_error; everything else is a Checked value.
// No message, log line or answer ever holds a private key; export_key is
// the one way out, for the host's own command line.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "host/pki/certificates.hpp"

namespace authd::host::pki {

// Validity of a certificate made here when none is asked for, and the most
// that may be asked (the CA/Browser Forum's former limit; clients refuse
// longer ones).
inline constexpr int default_certificate_days = 365;
inline constexpr int max_certificate_days = 825;
// pki check warns this long before a certificate in use ends.
inline constexpr int default_check_days = 14;

struct KeyReport {
  std::string description;  // describe_key
  std::string test;         // "" when sign-and-verify works, else what failed
  bool certificate_removed = false;  // the old certificate was for another key
};

struct DomainState {
  std::optional<std::string> key;  // describe_key; nullopt: no key
  std::string key_test;            // "" when it works
  std::optional<CertificateView> certificate;
  std::vector<CertificateView> chain;
  std::vector<std::string> warnings;  // chain problems, an unreadable file
};

// What pki check found about one certificate in use, or a domain that
// cannot serve TLS.
struct CheckFinding {
  std::string subject;  // "example.com: certificate", "example.com: CA chain #1", "test certificate"
  std::string text;     // "valid until ...", "expires in 3 days", "expired on ...", "has no certificate"
  bool problem = false;
};

// The key, certificate and chain a TLS front serves a domain with.
struct TlsIdentity {
  Key key;
  Certificate certificate;
  std::vector<Certificate> chain;
};

class Pki {
 public:
  Pki(std::filesystem::path data_dir, std::string main_domain);

  std::filesystem::path domain_dir(std::string_view domain) const;
  std::filesystem::path server_dir() const;

  // Keys.
  // A key made with generate_key (outside the host's write lock: a large
  // RSA key takes seconds) becomes the domain's.
  Checked<KeyReport> install_key(const std::string& domain, const Key& key);
  Checked<KeyReport> import_key(const std::string& domain, std::string_view pem);
  // The key and its certificate; false when there was no key.
  bool remove_key(const std::string& domain);
  Checked<Secret> export_key(const std::string& domain);

  // Certificates.
  Checked<CertificateView> self_sign(const std::string& domain, const CertificateAttributes& attributes, int days);
  Checked<std::string> signing_request(const std::string& domain, const CertificateAttributes& attributes);
  // One PEM certificate for the domain's key; certificates after it become
  // the CA chain. An expired certificate is accepted with a warning.
  Checked<CertificateView> set_certificate(const std::string& domain, std::string_view pem);
  // A self-signed certificate made again with a new validity period.
  Checked<CertificateView> refresh_certificate(const std::string& domain, int days);
  bool remove_certificate(const std::string& domain);
  Checked<std::vector<CertificateView>> set_chain(const std::string& domain, std::string_view pem);
  bool remove_chain(const std::string& domain);
  DomainState state(const std::string& domain);
  // The certificate (and its chain) as PEM.
  Checked<std::string> export_certificate(const std::string& domain, bool with_chain);

  // Trusted certificates: `domain` "" is the server-wide set.
  std::vector<CertificateView> trusted(const std::string& domain);
  // Adds each certificate of `pem`; one already in the set is a warning.
  Checked<std::vector<CertificateView>> trust_add(const std::string& domain, std::string_view pem);
  // By serial number (hex, any case, ':' allowed) or SHA-256 fingerprint;
  // a serial number two certificates share is refused as ambiguous.
  Checked<CertificateView> trust_remove(const std::string& domain, std::string_view which);
  // What a domain's checks trust: its own set and the server-wide one.
  std::vector<Certificate> trust_anchors(const std::string& domain);
  // Whether some certificate of those sets has exactly this subject.
  bool trusts_subject(const std::string& domain, std::string_view subject);

  // The test certificate, made anew with a 30-day validity (the test key is
  // made once and kept).
  Checked<CertificateView> refresh_test_certificate(std::chrono::system_clock::time_point now);
  std::optional<CertificateView> test_certificate();

  // What a front serves `domain` with, in PKI mode `mode` ("test" or
  // "enabled"; "disabled" gets an error).
  Checked<TlsIdentity> tls_identity(const std::string& domain, std::string_view mode);

  // The certificates in use by `domains` (name and PKI mode each), and the
  // test certificate when a domain uses it: which end within `days`.
  std::vector<CheckFinding> check(const std::vector<std::pair<std::string, std::string>>& domains,
                                  std::chrono::system_clock::time_point now, int days);

  // A client certificate presented to `domain` (pki/certificates.hpp).
  Checked<std::string> verify_client(const std::string& domain, const std::vector<Certificate>& presented,
                                     std::string_view issuer_subject, std::chrono::system_clock::time_point now);

  // A domain created anew starts without what an earlier domain of the same
  // name may have left (a crash between its removal and its directory's).
  void forget_domain(const std::string& domain);
  // The temporary files of writes cut short by a crash (a key among them).
  void remove_leftovers();

 private:
  std::filesystem::path file(std::string_view domain, std::string_view name) const;
  Checked<Key> load_key(const std::string& domain);
  std::optional<std::vector<Certificate>> load_certificates(const std::filesystem::path& file, std::string& error);
  Checked<Certificate> load_certificate(const std::string& domain);
  std::vector<Certificate> load_set(const std::filesystem::path& file);
  void store_key(const std::string& domain, const Key& key);
  void store_certificates(const std::filesystem::path& file, const std::vector<Certificate>& certs);
  // Drop the certificate when it is not for `key`; true when it was dropped.
  bool drop_certificate_unless_for(const std::string& domain, const Key& key);
  Checked<Key> test_key();

  std::filesystem::path dir_;
  std::string main_domain_;
};

}  // namespace authd::host::pki
