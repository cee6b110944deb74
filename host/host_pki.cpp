// The facade's PKI operations (host.hpp): rights, names and the write
// lock here, the keys and certificates in pki/.
#include "host/host.hpp"
#include "host/host_internal.hpp"

namespace authd::host {

using internal::guarded;
using internal::invalid_domain;
using Clock = std::chrono::system_clock;

namespace {

// A Checked failure as a Status.
template <typename T>
Status status_of(const pki::Checked<T>& checked) {
  if (checked.ok()) {
    Status s;
    s.warnings = checked.warnings;
    return s;
  }
  return Status::error(checked.missing ? ErrorCode::NotFound : ErrorCode::InvalidValue, checked.error);
}

// The result of `checked` moved into `out`.
template <typename T>
void take(pki::Checked<T>& checked, Result<T>& out) {
  out.status = status_of(checked);
  if (checked.ok()) out.value = std::move(*checked.value);
}

std::string trust_scope(const std::string& domain) {
  return domain.empty() ? "the server-wide trusted set" : "the trusted set of " + domain;
}

}  // namespace

Status Host::pki_domain(const Address& caller, std::string_view raw, std::string& domain, bool for_reading) {
  const auto canonical = canonical_domain(raw);
  if (!canonical) return invalid_domain(raw);
  domain = *canonical;
  if (Status s = require_scope_right(caller, {domain, ""}, for_reading); !s.ok()) return s;
  // The domain's key and certificate protect its accounts' logins: whoever
  // changes them must hold every right those accounts hold.
  if (!for_reading) {
    if (Status s = require_covers_scope(caller, domain); !s.ok()) return s;
  }
  return guarded([&] {
    if (!store_->domain_exists(domain)) return Status::error(ErrorCode::NotFound, "no domain " + domain);
    return Status::success();
  });
}

template <typename T, typename Change>
Result<T> Host::pki_domain_change(const Address& caller, std::string_view raw, std::string& domain, Change&& change) {
  Result<T> out;
  if (out.status = pki_domain(caller, raw, domain, false); !out.ok()) return out;
  out.status = transact([&](StoreWriter& w) {
    if (!w.domain_exists(domain)) return Status::error(ErrorCode::NotFound, "no domain " + domain);
    auto done = change(domain);
    take(done, out);
    return out.status;
  });
  return out;
}

Result<pki::KeyReport> Host::pki_generate_key(const Address& caller, std::string_view raw, pki::KeyType type) {
  std::string domain;
  if (Status s = pki_domain(caller, raw, domain, false); !s.ok()) return {s, {}};
  // Made before the write lock is taken: an RSA-4096 key takes seconds.
  auto key = pki::generate_key(type);
  if (!key.ok()) return {status_of(key), {}};
  auto out = pki_domain_change<pki::KeyReport>(caller, raw, domain,
                                               [&](const std::string& d) { return pki_.install_key(d, *key.value); });
  if (out.ok()) log("PKI: domain " + domain + ": new private key (" + out.value.description + ") by " + caller.full());
  return out;
}

Result<pki::KeyReport> Host::pki_import_key(const Address& caller, std::string_view raw, std::string_view pem) {
  std::string domain;
  if (Status s = pki_domain(caller, raw, domain, false); !s.ok()) return {s, {}};
  // Parsed and checked before the write lock is taken (a large RSA key's
  // check takes a while).
  auto key = pki::parse_private_key(pem);
  if (!key.ok()) return {status_of(key), {}};
  auto out = pki_domain_change<pki::KeyReport>(caller, raw, domain,
                                               [&](const std::string& d) { return pki_.install_key(d, *key.value); });
  for (auto& w : key.warnings) out.status.warnings.push_back(w);
  if (out.ok())
    log("PKI: domain " + domain + ": private key imported (" + out.value.description + ") by " + caller.full());
  return out;
}

Status Host::pki_remove_key(const Address& caller, std::string_view raw) {
  std::string domain;
  if (Status s = pki_domain(caller, raw, domain, false); !s.ok()) return s;
  const Status result = transact([&](StoreWriter&) {
    if (!pki_.remove_key(domain)) return Status::error(ErrorCode::NotFound, "domain " + domain + " has no private key");
    return Status::success();
  });
  if (result.ok()) log("PKI: domain " + domain + ": private key and certificate removed by " + caller.full());
  return result;
}

Result<Secret> Host::pki_export_key(const Address& caller, std::string_view raw, ChangeOrigin origin) {
  Result<Secret> out;
  if (origin != ChangeOrigin::CommandLine) {
    out.status = Status::error(ErrorCode::PermissionDenied,
                               "a private key is exported on the host's own command line only (authhost --data DIR "
                               "pki export-key --domain D)");
    return out;
  }
  std::string domain;
  if (out.status = pki_domain(caller, raw, domain, false); !out.ok()) return out;
  out.status = guarded([&] {
    auto key = pki_.export_key(domain);
    take(key, out);
    return out.status;
  });
  if (out.ok()) log("PKI: domain " + domain + ": private key exported by " + caller.full());
  return out;
}

Result<pki::CertificateView> Host::pki_self_sign(const Address& caller, std::string_view raw,
                                                 const pki::CertificateAttributes& attributes, int days) {
  std::string domain;
  auto out = pki_domain_change<pki::CertificateView>(
      caller, raw, domain, [&](const std::string& d) { return pki_.self_sign(d, attributes, days); });
  if (out.ok())
    log("PKI: domain " + domain + ": self-signed certificate " + out.value.serial + " by " + caller.full());
  return out;
}

Result<std::string> Host::pki_signing_request(const Address& caller, std::string_view raw,
                                              const pki::CertificateAttributes& attributes) {
  Result<std::string> out;
  std::string domain;
  if (out.status = pki_domain(caller, raw, domain, false); !out.ok()) return out;
  out.status = guarded([&] {
    auto csr = pki_.signing_request(domain, attributes);
    take(csr, out);
    return out.status;
  });
  return out;
}

Result<pki::CertificateView> Host::pki_set_certificate(const Address& caller, std::string_view raw,
                                                       std::string_view pem) {
  std::string domain;
  auto out = pki_domain_change<pki::CertificateView>(caller, raw, domain,
                                                     [&](const std::string& d) { return pki_.set_certificate(d, pem); });
  if (out.ok())
    log("PKI: domain " + domain + ": certificate " + out.value.serial + " (issued by " + out.value.issuer + ") set by " +
        caller.full());
  return out;
}

Result<pki::CertificateView> Host::pki_refresh_certificate(const Address& caller, std::string_view raw, int days) {
  std::string domain;
  auto out = pki_domain_change<pki::CertificateView>(
      caller, raw, domain, [&](const std::string& d) { return pki_.refresh_certificate(d, days); });
  if (out.ok()) log("PKI: domain " + domain + ": certificate " + out.value.serial + " refreshed by " + caller.full());
  return out;
}

Status Host::pki_remove_certificate(const Address& caller, std::string_view raw) {
  std::string domain;
  if (Status s = pki_domain(caller, raw, domain, false); !s.ok()) return s;
  const Status result = transact([&](StoreWriter&) {
    if (!pki_.remove_certificate(domain))
      return Status::error(ErrorCode::NotFound, "domain " + domain + " has no certificate");
    return Status::success();
  });
  if (result.ok()) log("PKI: domain " + domain + ": certificate removed by " + caller.full());
  return result;
}

Result<std::vector<pki::CertificateView>> Host::pki_set_chain(const Address& caller, std::string_view raw,
                                                              std::string_view pem) {
  std::string domain;
  auto out = pki_domain_change<std::vector<pki::CertificateView>>(
      caller, raw, domain, [&](const std::string& d) { return pki_.set_chain(d, pem); });
  if (out.ok())
    log("PKI: domain " + domain + ": CA chain of " + std::to_string(out.value.size()) + " set by " + caller.full());
  return out;
}

Status Host::pki_remove_chain(const Address& caller, std::string_view raw) {
  std::string domain;
  if (Status s = pki_domain(caller, raw, domain, false); !s.ok()) return s;
  const Status result = transact([&](StoreWriter&) {
    if (!pki_.remove_chain(domain)) return Status::error(ErrorCode::NotFound, "domain " + domain + " has no CA chain");
    return Status::success();
  });
  if (result.ok()) log("PKI: domain " + domain + ": CA chain removed by " + caller.full());
  return result;
}

Result<Host::PkiOverview> Host::pki_show(const Address& caller, std::string_view raw) {
  Result<PkiOverview> out;
  std::string domain;
  if (out.status = pki_domain(caller, raw, domain, true); !out.ok()) return out;
  out.status = guarded([&] {
    out.value.mode = effective(domain, {}).text(setting::pki_mode);
    out.value.state = pki_.state(domain);
    return Status::success();
  });
  return out;
}

Result<std::string> Host::pki_export_certificate(const Address& caller, std::string_view raw, bool with_chain) {
  Result<std::string> out;
  std::string domain;
  if (out.status = pki_domain(caller, raw, domain, true); !out.ok()) return out;
  out.status = guarded([&] {
    // A domain in test mode serves the test certificate: that is the one its
    // clients need.
    if (effective(domain, "").text(setting::pki_mode) == "test") {
      auto identity = pki_.tls_identity(domain, "test");
      if (identity.ok()) {
        out.value = pki::certificate_pem(identity.value->certificate);
        return out.status;
      }
    }
    auto pem = pki_.export_certificate(domain, with_chain);
    take(pem, out);
    return out.status;
  });
  return out;
}

Status Host::pki_set_mode(const Address& caller, std::string_view raw, std::string_view mode) {
  Status s = update_settings(caller, {std::string(raw), ""}, {{std::string(setting::pki_mode), std::string(mode)}});
  if (!s.ok()) return s;
  std::string domain = canonical_domain(raw).value_or(std::string(raw));
  const std::string canonical = effective(domain, {}).text(setting::pki_mode);
  if (canonical == "enabled") {
    const Status usable = guarded([&] {
      auto identity = pki_.tls_identity(domain, canonical);
      if (!identity.ok()) s.warnings.push_back(identity.error + "; until then TLS for " + domain + " fails");
      return Status::success();
    });
    if (!usable.ok()) s.warnings.push_back(usable.message);
  }
  return s;
}

Result<std::vector<pki::CertificateView>> Host::pki_trusted(const Address& caller, std::string_view raw) {
  Result<std::vector<pki::CertificateView>> out;
  std::string domain;
  if (!raw.empty()) {
    if (out.status = pki_domain(caller, raw, domain, true); !out.ok()) return out;
  } else if (out.status = require_scope_right(caller, {}, true); !out.ok()) {
    return out;
  }
  out.status = guarded([&] {
    out.value = pki_.trusted(domain);
    return Status::success();
  });
  return out;
}

Result<std::vector<pki::CertificateView>> Host::pki_trust_add(const Address& caller, std::string_view raw,
                                                              std::string_view pem) {
  Result<std::vector<pki::CertificateView>> out;
  std::string domain;
  if (!raw.empty()) {
    if (out.status = pki_domain(caller, raw, domain, false); !out.ok()) return out;
  } else if (out.status = require_scope_right(caller, {}, false); !out.ok()) {
    return out;
  }
  // A trusted certificate can log in any account its domains hold.
  if (out.status = require_covers_scope(caller, domain); !out.ok()) return out;
  out.status = transact([&](StoreWriter& w) {
    if (!domain.empty() && !w.domain_exists(domain)) return Status::error(ErrorCode::NotFound, "no domain " + domain);
    auto added = pki_.trust_add(domain, pem);
    take(added, out);
    return out.status;
  });
  if (out.ok())
    for (const auto& v : out.value)
      log("PKI: " + trust_scope(domain) + ": " + v.subject + " (serial " + v.serial + ") added by " + caller.full());
  return out;
}

Result<pki::CertificateView> Host::pki_trust_remove(const Address& caller, std::string_view raw,
                                                    std::string_view which) {
  Result<pki::CertificateView> out;
  std::string domain;
  if (!raw.empty()) {
    if (out.status = pki_domain(caller, raw, domain, false); !out.ok()) return out;
  } else if (out.status = require_scope_right(caller, {}, false); !out.ok()) {
    return out;
  }
  if (out.status = require_covers_scope(caller, domain); !out.ok()) return out;
  out.status = transact([&](StoreWriter&) {
    auto removed = pki_.trust_remove(domain, which);
    take(removed, out);
    return out.status;
  });
  if (out.ok())
    log("PKI: " + trust_scope(domain) + ": " + out.value.subject + " (serial " + out.value.serial + ") removed by " +
        caller.full());
  return out;
}

Result<std::optional<pki::CertificateView>> Host::pki_test_certificate(const Address& caller) {
  Result<std::optional<pki::CertificateView>> out;
  if (out.status = require_scope_right(caller, {}, true); !out.ok()) return out;
  out.status = guarded([&] {
    out.value = pki_.test_certificate();
    return Status::success();
  });
  return out;
}

Result<std::vector<pki::CheckFinding>> Host::pki_check(const Address& caller, int days) {
  Result<std::vector<pki::CheckFinding>> out;
  if (out.status = require_scope_right(caller, {}, true); !out.ok()) return out;
  if (days < 0 || days > 3650) {
    out.status = Status::error(ErrorCode::InvalidValue, "the warning period must be 0 to 3650 days");
    return out;
  }
  out.status = guarded([&] {
    std::vector<std::pair<std::string, std::string>> domains;
    for (const auto& d : store_->domains()) domains.emplace_back(d, effective(d, {}).text(setting::pki_mode));
    out.value = pki_.check(domains, Clock::now(), days);
    return Status::success();
  });
  return out;
}

Result<pki::CertificateView> Host::pki_refresh_test_certificate(const Address& caller) {
  if (Status s = require_scope_right(caller, {}, false); !s.ok()) return {s, {}};
  return refresh_test_certificate();
}

Result<pki::CertificateView> Host::refresh_test_certificate() {
  Result<pki::CertificateView> out;
  out.status = transact([&](StoreWriter&) {
    auto fresh = pki_.refresh_test_certificate(Clock::now());
    take(fresh, out);
    return out.status;
  });
  if (out.ok())
    log("PKI: test certificate for " + main_domain_ + " valid until " + pki::format_time(out.value.not_after));
  return out;
}

}  // namespace authd::host
