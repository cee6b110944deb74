// TLS for the login fronts: one OpenSSL context per domain, made from the
// domain's PKI (pki/pki.hpp) and the server's TLS settings, and the choices
// a handshake makes with them.
//
//   * Identity: PKIMode test serves the test key and certificate, enabled
//     the domain's own with its CA chain (sent to every client); disabled
//     serves no TLS for the domain.
//   * Domain: a connection starts with its listener's domain; with
//     TLSProcessTargetDomain on, the name a client asks for (SNI) picks an
//     existing domain with TLS instead. A name the host does not serve
//     keeps the listener's domain.
//   * Versions: nothing older than TLSOldestAccepted (TLS 1.0 and 1.1 need
//     OpenSSL's security level 0). No compression, no renegotiation.
//   * Sessions: cached for TLSSessionTimeToLive (0: no resumption at all,
//     no tickets either).
//   * Client certificates: a domain with ClientCertificateIssuer asks for a
//     certificate issued under the trusted certificate of that subject; the
//     host verifies it itself (pki::Pki::verify_client, at the time of the
//     handshake) and records the account it names, or why it names nobody.
//     TLSAbortOnWrongClientCertificate ends the handshake on a wrong one;
//     otherwise it is ignored. ClientCertificateRequired ends a handshake
//     without a certificate; a connection whose certificate was wrong and
//     ignored is closed by the front after the handshake.
// A context is kept until a setting or a file it was made from changes
// (looked at no more than once a second per domain), so that sessions can
// resume across connections.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace authd::host {
class Host;
}

namespace authd::host::fronts {

// What the fronts need to know of a domain, cached with its TLS context.
struct DomainFronts {
  std::string domain;
  bool cleartext_allowed = true;  // SecureMethodRequired off for the domain
  // nullptr when the domain serves no TLS; tls_error says why (for the log).
  std::shared_ptr<SSL_CTX> tls;
  std::string tls_error;
  std::string issuer_subject;     // ClientCertificateIssuer
  bool certificate_required = false;
  bool abort_on_wrong_certificate = false;
  bool process_target_domain = false;  // TLSProcessTargetDomain (a server setting)
  int log_level = 2;              // TLSLogLevel: 0 none, 1 major, 2 problems, 3 low, 4 all
};

// What the handshake decided, kept with the SSL object.
struct HandshakeFacts {
  std::shared_ptr<const DomainFronts> domain;  // the listener's, or the one SNI chose
  std::string requested_name;                  // SNI as sent, for the log
  std::optional<std::string> certificate_account;  // name@domain of a valid client certificate
  std::string certificate_problem;                 // why a presented certificate names nobody
  bool certificate_presented = false;
};

class TlsContexts {
 public:
  using Logger = std::function<void(std::string_view)>;
  TlsContexts(Host& host, Logger log);
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  // The facts of `domain` (canonical), made on first use and again when
  // what they were made from has changed. Never throws; a fault is logged
  // and the domain serves no TLS.
  std::shared_ptr<const DomainFronts> domain(const std::string& domain);

  // A server-side SSL object for a handshake with facts.domain->tls, which
  // it records in `facts` (which must outlive it); nullptr when OpenSSL
  // cannot make one.
  static SSL* start_handshake(HandshakeFacts& facts, int fd);

 private:
  struct Entry {
    std::shared_ptr<const DomainFronts> facts;
    std::string stamp;
    std::chrono::steady_clock::time_point checked{};
  };
  std::string stamp_of(const std::string& domain, std::string& mode);
  std::shared_ptr<const DomainFronts> make(const std::string& domain, const std::string& mode);
  static int on_server_name(SSL* ssl, int* alert, void* arg);
  static int on_client_certificate(X509_STORE_CTX* store, void* arg);

  Host& host_;
  Logger log_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace authd::host::fronts
