#include "host/pki/pki.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>

#include "host/store/names.hpp"
#include "host/store/private_files.hpp"

namespace authd::host::pki {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

constexpr std::string_view key_file = "PrivateKey.pem";
constexpr std::string_view certificate_file = "Certificate.pem";
constexpr std::string_view chain_file = "CAChain.pem";
constexpr std::string_view trusted_file = "TrustedCertificates.pem";
constexpr std::string_view test_key_file = "TestKey.pem";
constexpr std::string_view test_certificate_file = "TestCertificate.pem";
// A stored set may hold more than one paste: a trusted set up to this many.
constexpr std::size_t max_trusted = 256;
constexpr std::size_t max_stored_file = max_trusted * 16 * 1024;

template <typename T>
Checked<T> missing(std::string why) {
  auto c = Checked<T>::failure(std::move(why));
  c.missing = true;
  return c;
}

template <typename T, typename U>
Checked<T> failed_as(const Checked<U>& other) {
  auto c = Checked<T>::failure(other.error);
  c.missing = other.missing;
  c.warnings = other.warnings;
  return c;
}

template <typename T>
Checked<T> success(T value, std::vector<std::string> warnings = {}) {
  Checked<T> c;
  c.value.emplace(std::move(value));
  c.warnings = std::move(warnings);
  return c;
}

// "89:AB:67" or "89ab67" -> "89AB67"; "" when not hex.
std::string normalise_hex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string strip_leading_zeros(std::string hex) {
  const auto first = hex.find_first_not_of('0');
  return first == std::string::npos ? std::string("0") : hex.substr(first);
}

std::string expiry_text(const CertificateView& v, Clock::time_point now, int days, bool& problem) {
  using namespace std::chrono;
  if (v.not_before > now) {
    problem = true;
    return "not valid before " + format_time(v.not_before);
  }
  if (v.not_after <= now) {
    problem = true;
    return "expired on " + format_time(v.not_after);
  }
  const auto left = duration_cast<hours>(v.not_after - now).count() / 24;
  if (v.not_after - now <= hours(24) * days) {
    problem = true;
    return "expires in " + std::to_string(left) + " day" + (left == 1 ? "" : "s") + ", on " +
           format_time(v.not_after);
  }
  return "valid until " + format_time(v.not_after) + " (" + std::to_string(left) + " days)";
}

}  // namespace

Pki::Pki(fs::path data_dir, std::string main_domain) : dir_(std::move(data_dir)), main_domain_(std::move(main_domain)) {}

fs::path Pki::domain_dir(std::string_view domain) const { return dir_ / "Domains" / std::string(domain) / "PKI"; }
fs::path Pki::server_dir() const { return dir_ / "Settings" / "PKI"; }

fs::path Pki::file(std::string_view domain, std::string_view name) const {
  return (domain.empty() ? server_dir() : domain_dir(domain)) / std::string(name);
}

Checked<Key> Pki::load_key(const std::string& domain) {
  const fs::path path = file(domain, key_file);
  auto text = read_private_file(path, max_pem_input);
  if (!text) return missing<Key>("domain " + domain + " has no private key: make one with authhost pki generate-key --domain " + domain + " (or import one with pki import-key)");
  auto key = parse_private_key(*text);
  wipe_memory(text->data(), text->size());
  if (!key.ok()) return Checked<Key>::failure(path.string() + " cannot be used: " + key.error);
  return key;
}

std::optional<std::vector<Certificate>> Pki::load_certificates(const fs::path& path, std::string& error) {
  const auto text = read_private_file(path, max_stored_file);
  if (!text) return std::vector<Certificate>{};
  auto certs = parse_certificates(*text, max_trusted, max_stored_file);
  if (!certs.ok()) {
    error = path.string() + " cannot be used: " + certs.error;
    return std::nullopt;
  }
  return std::move(*certs.value);
}

Checked<Certificate> Pki::load_certificate(const std::string& domain) {
  std::string error;
  auto certs = load_certificates(file(domain, certificate_file), error);
  if (!certs) return Checked<Certificate>::failure(error);
  if (certs->empty())
    return missing<Certificate>("domain " + domain + " has no certificate: make one with authhost pki self-sign "
                                "--domain " + domain + ", or set one a CA signed with pki set-certificate");
  return success(certs->front());
}

std::vector<Certificate> Pki::load_set(const fs::path& path) {
  std::string error;
  auto certs = load_certificates(path, error);
  if (!certs) throw fs::filesystem_error(error, path, std::make_error_code(std::errc::invalid_argument));
  return std::move(*certs);
}

void Pki::store_key(const std::string& domain, const Key& key) {
  const fs::path path = file(domain, key_file);
  create_private_directories(dir_, path.parent_path());
  Secret pem = private_key_pem(key);
  write_private_file(path, pem.view());
}

void Pki::store_certificates(const fs::path& path, const std::vector<Certificate>& certs) {
  create_private_directories(dir_, path.parent_path());
  if (certs.empty())
    remove_private_file(path);
  else
    write_private_file(path, certificates_pem(certs));
}

bool Pki::drop_certificate_unless_for(const std::string& domain, const Key& key) {
  const auto cert = load_certificate(domain);
  if (cert.ok() && certificate_matches_key(*cert.value, key)) return false;
  if (!cert.ok() && cert.missing) return false;
  remove_private_file(file(domain, certificate_file));
  return true;
}

// ---------------------------------------------------------------------------
// Keys.

Checked<KeyReport> Pki::install_key(const std::string& domain, const Key& key) {
  KeyReport report{describe_key(key), key_self_test(key), false};
  if (!report.test.empty())
    return Checked<KeyReport>::failure("the key failed its test (sign and verify a test string): " + report.test);
  report.certificate_removed = drop_certificate_unless_for(domain, key);
  store_key(domain, key);
  return success(std::move(report));
}

Checked<KeyReport> Pki::import_key(const std::string& domain, std::string_view pem) {
  auto key = parse_private_key(pem);
  if (!key.ok()) return failed_as<KeyReport>(key);
  auto installed = install_key(domain, *key.value);
  for (auto& w : key.warnings) installed.warnings.push_back(std::move(w));
  return installed;
}

bool Pki::remove_key(const std::string& domain) {
  std::error_code ec;
  const bool had = fs::exists(file(domain, key_file), ec);
  // The certificate first: a crash between leaves a key without one.
  remove_private_file(file(domain, certificate_file));
  remove_private_file(file(domain, key_file));
  return had;
}

Checked<Secret> Pki::export_key(const std::string& domain) {
  auto key = load_key(domain);
  if (!key.ok()) return failed_as<Secret>(key);
  return success(private_key_pem(*key.value));
}

// ---------------------------------------------------------------------------
// Certificates.

Checked<CertificateView> Pki::self_sign(const std::string& domain, const CertificateAttributes& attributes,
                                        int days) {
  if (days < 1 || days > max_certificate_days)
    return Checked<CertificateView>::failure("the validity must be 1 to " + std::to_string(max_certificate_days) +
                                             " days");
  auto checked = check_attributes(attributes, domain);
  if (!checked.ok()) return failed_as<CertificateView>(checked);
  auto key = load_key(domain);
  if (!key.ok()) return failed_as<CertificateView>(key);
  auto cert = pki::self_sign(*key.value, *checked.value, days);
  if (!cert.ok()) return failed_as<CertificateView>(cert);
  store_certificates(file(domain, certificate_file), {*cert.value});
  return success(describe_certificate(*cert.value), checked.warnings);
}

Checked<std::string> Pki::signing_request(const std::string& domain, const CertificateAttributes& attributes) {
  auto checked = check_attributes(attributes, domain);
  if (!checked.ok()) return failed_as<std::string>(checked);
  auto key = load_key(domain);
  if (!key.ok()) return failed_as<std::string>(key);
  return make_signing_request(*key.value, *checked.value);
}

Checked<CertificateView> Pki::set_certificate(const std::string& domain, std::string_view pem) {
  auto certs = parse_certificates(pem);
  if (!certs.ok()) return failed_as<CertificateView>(certs);
  auto key = load_key(domain);
  if (!key.ok()) return failed_as<CertificateView>(key);
  const Certificate& cert = certs.value->front();
  if (!certificate_matches_key(cert, *key.value))
    return Checked<CertificateView>::failure(
        "the certificate is not for domain " + domain + "'s private key (its public key differs): set the "
        "certificate a CA issued for this domain's signing request (pki csr), or import the key it was made for");
  std::vector<std::string> warnings = certs.warnings;
  const CertificateView view = describe_certificate(cert);
  const auto now = Clock::now();
  if (view.not_after <= now)
    warnings.push_back("the certificate expired on " + format_time(view.not_after) +
                       ": clients will refuse it until a new one is set");
  else if (view.not_before > now)
    warnings.push_back("the certificate is not valid before " + format_time(view.not_before));
  const std::vector<Certificate> chain(certs.value->begin() + 1, certs.value->end());
  // The certificate first: a fault between the two leaves the new
  // certificate with the old chain, which pki show and check report.
  store_certificates(file(domain, certificate_file), {cert});
  if (!chain.empty()) {
    for (auto& w : check_chain(cert, chain, trust_anchors(domain), now)) warnings.push_back("CA chain: " + w);
    store_certificates(file(domain, chain_file), chain);
    warnings.push_back("the " + std::to_string(chain.size()) + " certificate" + (chain.size() == 1 ? "" : "s") +
                       " after the first became the CA chain");
  } else {
    std::string error;
    auto stored_chain = load_certificates(file(domain, chain_file), error);
    if (stored_chain && !stored_chain->empty())
      for (auto& w : check_chain(cert, *stored_chain, trust_anchors(domain), now)) warnings.push_back("CA chain: " + w);
  }
  return success(view, std::move(warnings));
}

Checked<CertificateView> Pki::refresh_certificate(const std::string& domain, int days) {
  if (days < 1 || days > max_certificate_days)
    return Checked<CertificateView>::failure("the validity must be 1 to " + std::to_string(max_certificate_days) +
                                             " days");
  auto key = load_key(domain);
  if (!key.ok()) return failed_as<CertificateView>(key);
  auto cert = load_certificate(domain);
  if (!cert.ok()) return failed_as<CertificateView>(cert);
  auto fresh = refresh_self_signed(*cert.value, *key.value, days);
  if (!fresh.ok()) return failed_as<CertificateView>(fresh);
  store_certificates(file(domain, certificate_file), {*fresh.value});
  return success(describe_certificate(*fresh.value));
}

bool Pki::remove_certificate(const std::string& domain) {
  std::error_code ec;
  const bool had = fs::exists(file(domain, certificate_file), ec);
  remove_private_file(file(domain, certificate_file));
  return had;
}

Checked<std::vector<CertificateView>> Pki::set_chain(const std::string& domain, std::string_view pem) {
  auto certs = parse_certificates(pem);
  if (!certs.ok()) return failed_as<std::vector<CertificateView>>(certs);
  std::vector<std::string> warnings = certs.warnings;
  auto cert = load_certificate(domain);
  if (cert.ok())
    for (auto& w : check_chain(*cert.value, *certs.value, trust_anchors(domain), Clock::now())) warnings.push_back(w);
  else if (cert.missing)
    warnings.push_back("domain " + domain + " has no certificate yet: the chain is checked when one is set");
  else
    warnings.push_back(cert.error);
  store_certificates(file(domain, chain_file), *certs.value);
  std::vector<CertificateView> views;
  for (const auto& c : *certs.value) views.push_back(describe_certificate(c));
  return success(std::move(views), std::move(warnings));
}

bool Pki::remove_chain(const std::string& domain) {
  std::error_code ec;
  const bool had = fs::exists(file(domain, chain_file), ec);
  remove_private_file(file(domain, chain_file));
  return had;
}

DomainState Pki::state(const std::string& domain) {
  DomainState s;
  const auto key = load_key(domain);
  if (key.ok()) {
    s.key = describe_key(*key.value);
    s.key_test = key_self_test(*key.value);
  } else if (!key.missing) {
    s.warnings.push_back(key.error);
  }
  const auto cert = load_certificate(domain);
  if (cert.ok()) {
    s.certificate = describe_certificate(*cert.value);
    if (key.ok() && !certificate_matches_key(*cert.value, *key.value))
      s.warnings.push_back("the certificate is not for the private key: set a new one");
  } else if (!cert.missing) {
    s.warnings.push_back(cert.error);
  }
  std::string error;
  if (auto chain = load_certificates(file(domain, chain_file), error)) {
    for (const auto& c : *chain) s.chain.push_back(describe_certificate(c));
    if (cert.ok() && !chain->empty())
      for (auto& w : check_chain(*cert.value, *chain, trust_anchors(domain), Clock::now()))
        s.warnings.push_back("CA chain: " + w);
  } else {
    s.warnings.push_back(error);
  }
  return s;
}

Checked<std::string> Pki::export_certificate(const std::string& domain, bool with_chain) {
  auto cert = load_certificate(domain);
  if (!cert.ok()) return failed_as<std::string>(cert);
  std::string pem = certificate_pem(*cert.value);
  if (with_chain) {
    std::string error;
    auto chain = load_certificates(file(domain, chain_file), error);
    if (!chain) return Checked<std::string>::failure(error);
    pem += certificates_pem(*chain);
  }
  return success(std::move(pem));
}

// ---------------------------------------------------------------------------
// Trusted certificates.

std::vector<CertificateView> Pki::trusted(const std::string& domain) {
  std::vector<CertificateView> out;
  for (const auto& c : load_set(file(domain, trusted_file))) out.push_back(describe_certificate(c));
  return out;
}

Checked<std::vector<CertificateView>> Pki::trust_add(const std::string& domain, std::string_view pem) {
  auto certs = parse_certificates(pem);
  if (!certs.ok()) return failed_as<std::vector<CertificateView>>(certs);
  const fs::path path = file(domain, trusted_file);
  std::vector<Certificate> set = load_set(path);
  std::vector<std::string> known;
  for (const auto& c : set) known.push_back(describe_certificate(c).fingerprint_sha256);
  std::vector<CertificateView> added;
  std::vector<std::string> warnings = certs.warnings;
  const auto now = Clock::now();
  for (const auto& c : *certs.value) {
    CertificateView view = describe_certificate(c);
    if (std::find(known.begin(), known.end(), view.fingerprint_sha256) != known.end()) {
      warnings.push_back(view.subject + " (serial " + view.serial + ") is trusted already");
      continue;
    }
    if (view.not_after <= now) warnings.push_back(view.subject + " expired on " + format_time(view.not_after));
    if (!view.is_ca && !view.self_signed)
      warnings.push_back(view.subject + " is not a CA certificate: it is trusted as itself only");
    known.push_back(view.fingerprint_sha256);
    set.push_back(c);
    added.push_back(std::move(view));
  }
  if (set.size() > max_trusted || certificates_pem(set).size() > max_stored_file)
    return Checked<std::vector<CertificateView>>::failure("a trusted set holds at most " +
                                                          std::to_string(max_trusted) + " certificates (" +
                                                          std::to_string(max_stored_file / 1024) + " KiB)");
  if (!added.empty()) store_certificates(path, set);
  return success(std::move(added), std::move(warnings));
}

Checked<CertificateView> Pki::trust_remove(const std::string& domain, std::string_view which) {
  const std::string wanted = normalise_hex(which);
  if (wanted.empty())
    return Checked<CertificateView>::failure("'" + std::string(which.substr(0, 80)) +
                                             "' is neither a serial number nor a SHA-256 fingerprint (hex digits, "
                                             "':' allowed, as pki trust list prints them)");
  const fs::path path = file(domain, trusted_file);
  std::vector<Certificate> set = load_set(path);
  std::vector<std::size_t> matches;
  for (std::size_t i = 0; i < set.size(); ++i) {
    const auto view = describe_certificate(set[i]);
    if (normalise_hex(view.fingerprint_sha256) == wanted ||
        strip_leading_zeros(view.serial) == strip_leading_zeros(wanted))
      matches.push_back(i);
  }
  const std::string where = domain.empty() ? "the server-wide trusted set" : "domain " + domain + "'s trusted set";
  if (matches.empty()) return missing<CertificateView>(where + " holds no certificate " + std::string(which.substr(0, 80)));
  if (matches.size() > 1)
    return Checked<CertificateView>::failure("serial number " + wanted + " is shared by " +
                                             std::to_string(matches.size()) + " certificates of " + where +
                                             ": name one by its SHA-256 fingerprint");
  CertificateView removed = describe_certificate(set[matches.front()]);
  set.erase(set.begin() + static_cast<std::ptrdiff_t>(matches.front()));
  store_certificates(path, set);
  return success(std::move(removed));
}

std::vector<Certificate> Pki::trust_anchors(const std::string& domain) {
  std::vector<Certificate> anchors = load_set(file("", trusted_file));
  if (!domain.empty())
    for (auto& c : load_set(file(domain, trusted_file))) anchors.push_back(std::move(c));
  return anchors;
}

bool Pki::trusts_subject(const std::string& domain, std::string_view subject) {
  for (const auto& c : trust_anchors(domain))
    if (describe_certificate(c).subject == subject) return true;
  return false;
}

// ---------------------------------------------------------------------------
// The test certificate.

Checked<Key> Pki::test_key() {
  const fs::path path = file("", test_key_file);
  if (auto text = read_private_file(path, max_pem_input)) {
    auto key = parse_private_key(*text);
    wipe_memory(text->data(), text->size());
    if (key.ok()) return key;
    // A damaged test key is made again: nothing but the test certificate uses it.
  }
  auto key = pki::generate_key(KeyType::Rsa2048);
  if (!key.ok()) return key;
  create_private_directories(dir_, path.parent_path());
  Secret pem = private_key_pem(*key.value);
  write_private_file(path, pem.view());
  return key;
}

Checked<CertificateView> Pki::refresh_test_certificate(Clock::time_point now) {
  auto key = test_key();
  if (!key.ok()) return failed_as<CertificateView>(key);
  auto cert = make_test_certificate(*key.value, main_domain_, now);
  if (!cert.ok()) return failed_as<CertificateView>(cert);
  store_certificates(file("", test_certificate_file), {*cert.value});
  return success(describe_certificate(*cert.value));
}

std::optional<CertificateView> Pki::test_certificate() {
  std::string error;
  auto certs = load_certificates(file("", test_certificate_file), error);
  if (!certs || certs->empty()) return std::nullopt;
  return describe_certificate(certs->front());
}

// ---------------------------------------------------------------------------
// For the fronts and for monitoring.

Checked<TlsIdentity> Pki::tls_identity(const std::string& domain, std::string_view mode) {
  if (mode == "test") {
    // Read only: the test key is made under the write lock, by
    // refresh_test_certificate.
    auto text = read_private_file(file("", test_key_file), max_pem_input);
    if (!text) return missing<TlsIdentity>("there is no test certificate yet: authhost serve makes it at start");
    auto key = parse_private_key(*text);
    wipe_memory(text->data(), text->size());
    if (!key.ok()) return Checked<TlsIdentity>::failure(file("", test_key_file).string() + " cannot be used: " + key.error);
    std::string error;
    auto certs = load_certificates(file("", test_certificate_file), error);
    if (!certs) return Checked<TlsIdentity>::failure(error);
    if (certs->empty() || !certificate_matches_key(certs->front(), *key.value))
      return missing<TlsIdentity>("there is no test certificate yet: authhost serve makes it at start");
    return success(TlsIdentity{*key.value, certs->front(), {}});
  }
  if (mode != "enabled") return missing<TlsIdentity>("PKI is disabled for domain " + domain);
  auto key = load_key(domain);
  if (!key.ok()) return failed_as<TlsIdentity>(key);
  auto cert = load_certificate(domain);
  if (!cert.ok()) return failed_as<TlsIdentity>(cert);
  if (!certificate_matches_key(*cert.value, *key.value))
    return Checked<TlsIdentity>::failure("domain " + domain + "'s certificate is not for its private key");
  std::string error;
  auto chain = load_certificates(file(domain, chain_file), error);
  if (!chain) return Checked<TlsIdentity>::failure(error);
  return success(TlsIdentity{*key.value, *cert.value, std::move(*chain)});
}

std::vector<CheckFinding> Pki::check(const std::vector<std::pair<std::string, std::string>>& domains,
                                     Clock::time_point now, int days) {
  std::vector<CheckFinding> findings;
  bool test_in_use = false;
  for (const auto& [domain, mode] : domains) {
    if (mode == "test") {
      test_in_use = true;
      continue;
    }
    if (mode != "enabled") continue;
    Checked<TlsIdentity> identity;
    try {
      identity = tls_identity(domain, mode);
    } catch (const fs::filesystem_error& e) {
      identity = Checked<TlsIdentity>::failure(e.what());
    }
    if (!identity.ok()) {
      findings.push_back({domain, identity.error, true});
      continue;
    }
    bool problem = false;
    const auto view = describe_certificate(identity.value->certificate);
    std::string text = expiry_text(view, now, days, problem);
    findings.push_back({domain + ": certificate " + view.serial + " (" + view.subject + ")", std::move(text), problem});
    for (std::size_t i = 0; i < identity.value->chain.size(); ++i) {
      bool chain_problem = false;
      const auto cv = describe_certificate(identity.value->chain[i]);
      std::string ctext = expiry_text(cv, now, days, chain_problem);
      findings.push_back({domain + ": CA chain #" + std::to_string(i + 1) + " (" + cv.subject + ")", std::move(ctext),
                          chain_problem});
    }
  }
  if (test_in_use) {
    if (auto view = test_certificate()) {
      bool problem = false;
      std::string text = expiry_text(*view, now, days, problem);
      if (problem) text += "; restart authhost serve to make it anew";
      findings.push_back({"test certificate (" + view->subject + ")", std::move(text), problem});
    } else {
      findings.push_back({"test certificate", "none yet: authhost serve makes it at start", true});
    }
  }
  return findings;
}

Checked<std::string> Pki::verify_client(const std::string& domain, const std::vector<Certificate>& presented,
                                        std::string_view issuer_subject, Clock::time_point now) {
  auto verified = verify_client_certificate(presented, trust_anchors(domain), issuer_subject, domain, now);
  if (!verified.ok()) return verified;
  // The name comes from the certificate: it must be an account name of the
  // host's own form before it names anybody.
  const auto address = parse_address(*verified.value + "@" + domain);
  if (!address || address->domain != domain)
    return Checked<std::string>::failure("the certificate names '" + verified.value->substr(0, 64) +
                                         "', which is not an account name of " + domain);
  return success(address->name);
}

void Pki::remove_leftovers() {
  std::error_code ec;
  std::vector<fs::path> dirs{server_dir()};
  for (fs::directory_iterator it(dir_ / "Domains", ec), end; !ec && it != end; it.increment(ec))
    dirs.push_back(it->path() / "PKI");
  for (const auto& d : dirs)
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().filename().string().find(".pem.tmp-") != std::string::npos) fs::remove(it->path(), ec);
}

void Pki::forget_domain(const std::string& domain) {
  std::error_code ec;
  fs::remove_all(domain_dir(domain), ec);
  if (ec) throw fs::filesystem_error("cannot remove an earlier domain's PKI files", domain_dir(domain), ec);
}

}  // namespace authd::host::pki
