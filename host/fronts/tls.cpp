#include "host/fronts/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <array>
#include <exception>
#include <vector>

#include "host/host.hpp"
#include "host/pki/pki.hpp"
#include "host/store/names.hpp"
#include "host/store/settings.hpp"
#include "host/store/store.hpp"

namespace authd::host::fronts {

namespace fs = std::filesystem;

namespace {

constexpr auto recheck_interval = std::chrono::seconds(1);
constexpr long session_cache_size = 20000;

// The SSL object's HandshakeFacts.
int facts_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

HandshakeFacts* facts_of(SSL* ssl) { return static_cast<HandshakeFacts*>(SSL_get_ex_data(ssl, facts_index())); }

int tls_version_number(std::string_view name) {
  if (name == "TLS1.0") return TLS1_VERSION;
  if (name == "TLS1.1") return TLS1_1_VERSION;
  if (name == "TLS1.3") return TLS1_3_VERSION;
  return TLS1_2_VERSION;
}

int log_level_number(std::string_view name) {
  if (name == "none") return 0;
  if (name == "major") return 1;
  if (name == "low") return 3;
  if (name == "all") return 4;
  return 2;
}

std::string openssl_error() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(e, buffer.data(), buffer.size());
    text += (text.empty() ? "" : "; ") + std::string(buffer.data());
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

// A file's identity for the cache: size and modification time, or "-".
std::string file_stamp(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "-;";
  return std::to_string(st.st_size) + "." + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ";";
}

// SSL_CTX session id contexts are at most 32 bytes: a digest of the domain.
std::array<unsigned char, 32> session_id_context(const std::string& domain) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  const std::string text = "authhost fronts " + domain;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

}  // namespace

TlsContexts::TlsContexts(Host& host, Logger log) : host_(host), log_(std::move(log)) {
  if (!log_) log_ = [](std::string_view) {};
}

SSL* TlsContexts::start_handshake(HandshakeFacts& facts, int fd) {
  SSL* ssl = SSL_new(facts.domain->tls.get());
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1 || SSL_set_ex_data(ssl, facts_index(), &facts) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

std::string TlsContexts::stamp_of(const std::string& domain, std::string& mode) {
  const Effective settings = host_.effective(domain, "");
  mode = settings.text(setting::pki_mode);
  std::string stamp;
  for (const auto name : {setting::pki_mode, setting::client_certificate_issuer, setting::client_certificate_required,
                          setting::tls_oldest_accepted, setting::tls_process_target_domain,
                          setting::tls_session_time_to_live, setting::tls_abort_on_wrong_client_certificate,
                          setting::tls_log_level, setting::secure_method_required})
    stamp += settings.text(name) + "\n";
  auto& pki = host_.pki();
  for (const char* file : {"PrivateKey.pem", "Certificate.pem", "CAChain.pem", "TrustedCertificates.pem"})
    stamp += file_stamp(pki.domain_dir(domain) / file);
  for (const char* file : {"TrustedCertificates.pem", "TestKey.pem", "TestCertificate.pem"})
    stamp += file_stamp(pki.server_dir() / file);
  return stamp;
}

std::shared_ptr<const DomainFronts> TlsContexts::domain(const std::string& domain) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(domain);
    if (it != entries_.end() && now - it->second.checked < recheck_interval) return it->second.facts;
  }
  std::string mode, stamp;
  try {
    stamp = stamp_of(domain, mode);
  } catch (const std::exception& e) {
    log_("fronts: cannot read the settings of " + domain + ": " + e.what());
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(domain);
    if (it != entries_.end()) return it->second.facts;
    auto none = std::make_shared<DomainFronts>();
    none->domain = domain;
    none->tls_error = e.what();
    return none;
  }
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(domain);
    if (it != entries_.end() && it->second.stamp == stamp) {
      it->second.checked = now;
      return it->second.facts;
    }
  }
  auto made = make(domain, mode);
  std::lock_guard lock(mutex_);
  auto& entry = entries_[domain];
  entry.facts = made;
  entry.stamp = std::move(stamp);
  entry.checked = now;
  return made;
}

std::shared_ptr<const DomainFronts> TlsContexts::make(const std::string& domain, const std::string& mode) {
  auto facts = std::make_shared<DomainFronts>();
  facts->domain = domain;
  try {
    const Effective settings = host_.effective(domain, "");
    facts->cleartext_allowed = !settings.boolean(setting::secure_method_required);
    facts->issuer_subject = settings.text(setting::client_certificate_issuer);
    facts->certificate_required = !facts->issuer_subject.empty() && settings.boolean(setting::client_certificate_required);
    facts->abort_on_wrong_certificate = settings.boolean(setting::tls_abort_on_wrong_client_certificate);
    facts->process_target_domain = settings.boolean(setting::tls_process_target_domain);
    facts->log_level = log_level_number(settings.text(setting::tls_log_level));
    if (mode == "disabled") {
      facts->tls_error = "PKIMode is disabled for " + domain;
      return facts;
    }
    auto identity = host_.pki().tls_identity(domain, mode);
    if (!identity.ok()) {
      facts->tls_error = identity.error;
      log_("fronts: no TLS for " + domain + ": " + identity.error);
      return facts;
    }
    std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!context) {
      facts->tls_error = "OpenSSL cannot make a TLS context: " + openssl_error();
      return facts;
    }
    SSL_CTX* ctx = context.get();
    ERR_clear_error();
    const bool loaded = SSL_CTX_use_certificate(ctx, identity.value->certificate.get()) == 1 &&
                        SSL_CTX_use_PrivateKey(ctx, identity.value->key.get()) == 1 &&
                        SSL_CTX_check_private_key(ctx) == 1;
    bool chained = loaded;
    for (const auto& link : identity.value->chain)
      chained = chained && SSL_CTX_add1_chain_cert(ctx, link.get()) == 1;
    if (!chained) {
      facts->tls_error = "the key or certificate of " + domain + " cannot be used: " + openssl_error();
      log_("fronts: no TLS for " + domain + ": " + facts->tls_error);
      return facts;
    }
    const std::string oldest = settings.text(setting::tls_oldest_accepted);
    const int version = tls_version_number(oldest);
    SSL_CTX_set_min_proto_version(ctx, version);
    // TLS 1.0 and 1.1 sign with SHA-1 and MD5, which security level 1 and
    // up refuse (settings.cpp warns when they are chosen).
    if (version < TLS1_2_VERSION) SSL_CTX_set_security_level(ctx, 0);
    // Decrypted records (passwords among them) are wiped when released.
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_CLEANSE_PLAINTEXT);
    // Idle connections keep no read or write buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    const auto sid = session_id_context(domain);
    SSL_CTX_set_session_id_context(ctx, sid.data(), static_cast<unsigned int>(sid.size()));
    const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(
        settings.duration(setting::tls_session_time_to_live));
    // A resumed session skips the client certificate's verification, and
    // the account it names would be unknown: a domain that asks for client
    // certificates resumes none.
    if (ttl.count() <= 0 || !facts->issuer_subject.empty()) {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx, 0);
    } else {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
      SSL_CTX_sess_set_cache_size(ctx, session_cache_size);
      SSL_CTX_set_timeout(ctx, static_cast<long>(ttl.count()));
    }
    SSL_CTX_set_tlsext_servername_callback(ctx, &TlsContexts::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(ctx, this);
    if (!facts->issuer_subject.empty()) {
      // The client is told which issuer to pick a certificate for.
      for (const auto& anchor : host_.pki().trust_anchors(domain))
        if (pki::describe_certificate(anchor).subject == facts->issuer_subject)
          SSL_CTX_add_client_CA(ctx, anchor.get());
      int verify = SSL_VERIFY_PEER;
      if (facts->certificate_required) verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      SSL_CTX_set_verify(ctx, verify, nullptr);
      SSL_CTX_set_cert_verify_callback(ctx, &TlsContexts::on_client_certificate, this);
    }
    facts->tls = std::move(context);
  } catch (const std::exception& e) {
    facts->tls.reset();
    facts->tls_error = e.what();
    log_("fronts: no TLS for " + domain + ": " + facts->tls_error);
  }
  return facts;
}

// SNI: the domain the client names, when TLSProcessTargetDomain is on and
// the host serves TLS for it; otherwise the listener's domain stays.
int TlsContexts::on_server_name(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<TlsContexts*>(arg);
  HandshakeFacts* facts = facts_of(ssl);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!facts || !name) return SSL_TLSEXT_ERR_OK;
  facts->requested_name.assign(name, strnlen(name, 256));
  try {
    if (!facts->domain->process_target_domain) return SSL_TLSEXT_ERR_OK;
    const auto domain = canonical_domain(facts->requested_name);
    if (!domain || *domain == facts->domain->domain || !self->host_.store().domain_exists(*domain))
      return SSL_TLSEXT_ERR_OK;
    auto chosen = self->domain(*domain);
    if (!chosen->tls) return SSL_TLSEXT_ERR_OK;
    SSL_CTX* ctx = chosen->tls.get();
    if (SSL_set_SSL_CTX(ssl, ctx) != ctx) return SSL_TLSEXT_ERR_OK;
    // The verify mode and the issuers asked for are the SSL object's own,
    // copied from the first context: take the chosen domain's.
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), nullptr);
    SSL_set_client_CA_list(ssl, SSL_dup_CA_list(SSL_CTX_get_client_CA_list(ctx)));
    facts->domain = std::move(chosen);
  } catch (const std::exception&) {
    // The listener's domain stays.
  }
  return SSL_TLSEXT_ERR_OK;
}

// The client's certificate, verified by the host against the domain's
// trusted sets (pki::Pki::verify_client).
int TlsContexts::on_client_certificate(X509_STORE_CTX* store, void* arg) {
  auto* self = static_cast<TlsContexts*>(arg);
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  HandshakeFacts* facts = ssl ? facts_of(ssl) : nullptr;
  if (!facts) return 0;
  const DomainFronts& domain = *facts->domain;
  std::vector<pki::Certificate> presented;
  const auto hold = [](X509* cert) {
    X509_up_ref(cert);
    return pki::Certificate(std::shared_ptr<X509>(cert, X509_free));
  };
  if (X509* leaf = X509_STORE_CTX_get0_cert(store)) presented.push_back(hold(leaf));
  if (STACK_OF(X509)* rest = X509_STORE_CTX_get0_untrusted(store))
    for (int i = 0; i < sk_X509_num(rest) && presented.size() < 10; ++i) {
      X509* cert = sk_X509_value(rest, i);
      if (cert != X509_STORE_CTX_get0_cert(store)) presented.push_back(hold(cert));
    }
  if (presented.empty()) return 1;
  facts->certificate_presented = true;
  try {
    auto verified = self->host_.pki().verify_client(domain.domain, presented, domain.issuer_subject,
                                                    std::chrono::system_clock::now());
    if (verified.ok()) {
      facts->certificate_account = *verified.value + "@" + domain.domain;
      return 1;
    }
    facts->certificate_problem = verified.error;
  } catch (const std::exception& e) {
    facts->certificate_problem = e.what();
  }
  if (domain.abort_on_wrong_certificate) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  return 1;
}

}  // namespace authd::host::fronts
