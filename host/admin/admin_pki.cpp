// The PKI verbs of the administration protocol: the host's pki_*
// operations (host.hpp), their results as CGP dictionaries and arrays.
// A private key never appears in an answer: the protocol cannot export one.
#include "host/admin/admin_server.hpp"

namespace authd::host::admin {

namespace {

Value text(std::string s) { return Value::string(std::move(s)); }

Value strings(const std::vector<std::string>& items) {
  Value array = Value::array();
  for (const auto& i : items) array.items.push_back(text(i));
  return array;
}

Value certificate(const pki::CertificateView& v) {
  Value d = Value::dictionary();
  d.entries.emplace_back("Subject", text(v.subject));
  d.entries.emplace_back("Issuer", text(v.issuer));
  d.entries.emplace_back("SerialNumber", text(v.serial));
  d.entries.emplace_back("ValidFrom", text(pki::format_time(v.not_before)));
  d.entries.emplace_back("ValidTill", text(pki::format_time(v.not_after)));
  d.entries.emplace_back("AltNames", strings(v.dns_names));
  d.entries.emplace_back("EMails", strings(v.emails));
  d.entries.emplace_back("PublicKey", text(v.key));
  d.entries.emplace_back("SHA256", text(v.fingerprint_sha256));
  d.entries.emplace_back("SelfSigned", text(v.self_signed ? "YES" : "NO"));
  return d;
}

Value certificates(const std::vector<pki::CertificateView>& views) {
  Value array = Value::array();
  for (const auto& v : views) array.items.push_back(certificate(v));
  return array;
}

// Data, with the status's warnings in it when there are any.
Answer data_with_warnings(Value data, const Status& status) {
  if (!status.warnings.empty()) {
    if (data.kind == Value::Kind::Dictionary) {
      data.entries.emplace_back("Warnings", strings(status.warnings));
    } else {
      Value d = Value::dictionary();
      d.entries.emplace_back("Result", std::move(data));
      d.entries.emplace_back("Warnings", strings(status.warnings));
      data = std::move(d);
    }
  }
  return with_data(std::move(data));
}

Answer key_report(const Result<pki::KeyReport>& r) {
  if (!r.ok()) return from_status(r.status);
  Value d = Value::dictionary();
  d.entries.emplace_back("PrivateKey", text(r.value.description));
  d.entries.emplace_back("KeyTest", text(r.value.test.empty() ? "OK" : r.value.test));
  d.entries.emplace_back("CertificateRemoved", text(r.value.certificate_removed ? "YES" : "NO"));
  return data_with_warnings(std::move(d), r.status);
}

Answer one_certificate(const Result<pki::CertificateView>& r) {
  if (!r.ok()) return from_status(r.status);
  return data_with_warnings(certificate(r.value), r.status);
}

Answer certificate_list(const Result<std::vector<pki::CertificateView>>& r) {
  if (!r.ok()) return from_status(r.status);
  return data_with_warnings(certificates(r.value), r.status);
}

Answer pem(const Result<std::string>& r) {
  if (!r.ok()) return from_status(r.status);
  return with_data(text(r.value));
}

}  // namespace

Answer Session::run_pki(const Command& c) {
  const Address& me = *user_;
  switch (c.verb) {
    case Verb::GetDomainPki: {
      const auto r = host_.pki_show(me, c.domain);
      if (!r.ok()) return from_status(r.status);
      const auto& s = r.value.state;
      Value d = Value::dictionary();
      d.entries.emplace_back("PKIMode", text(r.value.mode));
      if (s.key) {
        d.entries.emplace_back("PrivateKey", text(*s.key));
        d.entries.emplace_back("KeyTest", text(s.key_test.empty() ? "OK" : s.key_test));
      }
      if (s.certificate) d.entries.emplace_back("Certificate", certificate(*s.certificate));
      if (!s.chain.empty()) d.entries.emplace_back("CAChain", certificates(s.chain));
      if (!s.warnings.empty()) d.entries.emplace_back("Warnings", strings(s.warnings));
      return with_data(std::move(d));
    }
    case Verb::GenerateDomainKey:
      return key_report(host_.pki_generate_key(me, c.domain, *pki::parse_key_type(c.argument)));
    case Verb::ImportDomainKey: return key_report(host_.pki_import_key(me, c.domain, c.password.view()));
    case Verb::RemoveDomainKey: return from_status(host_.pki_remove_key(me, c.domain));
    case Verb::SelfSignDomainCertificate:
      return one_certificate(
          host_.pki_self_sign(me, c.domain, c.attributes, c.days < 0 ? pki::default_certificate_days : c.days));
    case Verb::MakeDomainCsr: return pem(host_.pki_signing_request(me, c.domain, c.attributes));
    case Verb::SetDomainCertificate: return one_certificate(host_.pki_set_certificate(me, c.domain, c.argument));
    case Verb::RefreshDomainCertificate:
      return one_certificate(
          host_.pki_refresh_certificate(me, c.domain, c.days < 0 ? pki::default_certificate_days : c.days));
    case Verb::RemoveDomainCertificate: return from_status(host_.pki_remove_certificate(me, c.domain));
    case Verb::SetDomainCaChain: return certificate_list(host_.pki_set_chain(me, c.domain, c.argument));
    case Verb::RemoveDomainCaChain: return from_status(host_.pki_remove_chain(me, c.domain));
    case Verb::ExportDomainCertificate: return pem(host_.pki_export_certificate(me, c.domain, c.with_chain));
    case Verb::SetDomainPkiMode: return from_status(host_.pki_set_mode(me, c.domain, c.argument));
    case Verb::GetServerTrustedCerts: return certificate_list(host_.pki_trusted(me, ""));
    case Verb::AddServerTrustedCert: return certificate_list(host_.pki_trust_add(me, "", c.argument));
    case Verb::RemoveServerTrustedCert: return one_certificate(host_.pki_trust_remove(me, "", c.argument));
    case Verb::GetDomainTrustedCerts: return certificate_list(host_.pki_trusted(me, c.domain));
    case Verb::AddDomainTrustedCert: return certificate_list(host_.pki_trust_add(me, c.domain, c.argument));
    case Verb::RemoveDomainTrustedCert: return one_certificate(host_.pki_trust_remove(me, c.domain, c.argument));
    case Verb::CheckPki: {
      const auto r = host_.pki_check(me, c.days < 0 ? pki::default_check_days : c.days);
      if (!r.ok()) return from_status(r.status);
      Value findings = Value::array();
      std::size_t problems = 0;
      for (const auto& f : r.value) {
        Value d = Value::dictionary();
        d.entries.emplace_back("Subject", text(f.subject));
        d.entries.emplace_back("Text", text(f.text));
        d.entries.emplace_back("Problem", text(f.problem ? "YES" : "NO"));
        findings.items.push_back(std::move(d));
        problems += f.problem ? 1 : 0;
      }
      Value d = Value::dictionary();
      d.entries.emplace_back("Problems", text(std::to_string(problems)));
      d.entries.emplace_back("Findings", std::move(findings));
      return with_data(std::move(d));
    }
    case Verb::GetTestCertificate: {
      const auto r = host_.pki_test_certificate(me);
      if (!r.ok()) return from_status(r.status);
      if (!r.value) return from_status(Status::error(ErrorCode::NotFound, "there is no test certificate yet"));
      return with_data(certificate(*r.value));
    }
    case Verb::RefreshTestCertificate: return one_certificate(host_.pki_refresh_test_certificate(me));
    default: break;
  }
  return error("not a PKI command");
}

}  // namespace authd::host::admin
