#include "host/cli/pki_commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>

#include "base/fd.hpp"

namespace authd::host::cli {

namespace {

constexpr const char* attribute_help = "certificate attributes (docs/pki.md)";

void add_domain(CLI::App* cmd, PkiCommandLine& c, bool required) {
  auto* opt = cmd->add_option("--domain", c.domain, required ? "the domain" : "a domain (default: the server-wide set)");
  if (required) opt->required();
}

void add_attributes(CLI::App* cmd, PkiCommandLine& c) {
  cmd->add_option("--cn", c.common_name, "Common Name: the domain (default), *.domain, or a name under the domain");
  cmd->add_option("--alt", c.alt_names, "Alternative Names, comma-separated host names");
  cmd->add_option("--country", c.country, "Country: two letters");
  cmd->add_option("--province", c.province, "Province or state");
  cmd->add_option("--city", c.city, "City");
  cmd->add_option("--org", c.organization, "Organization");
  cmd->add_option("--unit", c.unit, "Organizational Unit");
  cmd->add_option("--contact", c.contact, "Contact: an e-mail address");
  cmd->group(attribute_help);
}

pki::CertificateAttributes attributes_of(const PkiCommandLine& c) {
  pki::CertificateAttributes a;
  a.common_name = c.common_name;
  a.alt_names = pki::split_names(c.alt_names);
  a.country = c.country;
  a.province = c.province;
  a.city = c.city;
  a.organization = c.organization;
  a.unit = c.unit;
  a.contact = c.contact;
  return a;
}

// FILE ("-": standard input), at most pki::max_pem_input bytes.
std::optional<std::string> read_input(const std::string& path) {
  base::Fd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    owned.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned) {
      std::cerr << "authhost: cannot read " << path << ": " << std::strerror(errno) << "\n";
      return std::nullopt;
    }
    fd = owned.get();
  }
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::cerr << "authhost: cannot read " << path << ": " << std::strerror(errno) << "\n";
      wipe_memory(text.data(), text.size());
      return std::nullopt;
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > pki::max_pem_input) {
      wipe_memory(text.data(), text.size());
      wipe_memory(buffer, sizeof buffer);
      std::cerr << "authhost: " << path << " is larger than " << pki::max_pem_input / 1024
                << " KiB: that is no key, certificate or chain\n";
      return std::nullopt;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  wipe_memory(buffer, sizeof buffer);
  return text;
}

void print_warnings(const Status& status) {
  for (const auto& w : status.warnings) std::cerr << "authhost: warning: " << w << "\n";
}

int report(const Status& status) {
  print_warnings(status);
  if (status.ok()) return 0;
  std::cerr << "authhost: " << error_code_name(status.code) << ": " << status.message << "\n";
  return 1;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

void print_certificate(const pki::CertificateView& v, const std::string& indent) {
  std::cout << indent << "subject:     " << v.subject << "\n"
            << indent << "issuer:      " << v.issuer << (v.self_signed ? "   (self-signed)" : "") << "\n"
            << indent << "serial:      " << v.serial << "\n"
            << indent << "valid from:  " << pki::format_time(v.not_before) << "\n"
            << indent << "valid until: " << pki::format_time(v.not_after) << "\n";
  if (!v.dns_names.empty()) std::cout << indent << "alt names:   " << join(v.dns_names) << "\n";
  if (!v.emails.empty()) std::cout << indent << "e-mail:      " << join(v.emails) << "\n";
  std::cout << indent << "public key:  " << v.key << "\n"
            << indent << "SHA-256:     " << v.fingerprint_sha256 << "\n";
}

void print_key_report(const pki::KeyReport& r) {
  std::cout << "private key: " << r.description << "\n"
            << "key test:    " << (r.test.empty() ? "a test string was signed and verified: OK" : r.test) << "\n";
  if (r.certificate_removed) std::cout << "the certificate for the previous key was removed\n";
}

void print_trusted(const std::vector<pki::CertificateView>& set) {
  if (set.empty()) std::cout << "(no trusted certificates)\n";
  for (const auto& v : set)
    std::cout << v.serial << "  " << pki::format_time(v.not_before) << " .. " << pki::format_time(v.not_after) << "  "
              << v.subject << "\n      SHA-256 " << v.fingerprint_sha256 << "\n";
}

int run_show(Host& host, const Address& caller, const PkiCommandLine& c) {
  if (c.domain.empty()) {
    const auto test = host.pki_test_certificate(caller);
    if (!test.ok()) return report(test.status);
    std::cout << "test certificate:\n";
    if (test.value)
      print_certificate(*test.value, "  ");
    else
      std::cout << "  none yet (authhost serve makes it at start)\n";
    const auto trusted = host.pki_trusted(caller, "");
    if (!trusted.ok()) return report(trusted.status);
    std::cout << "server-wide trusted certificates: " << trusted.value.size() << "\n";
    return 0;
  }
  const auto r = host.pki_show(caller, c.domain);
  if (!r.ok()) return report(r.status);
  const auto& s = r.value.state;
  std::cout << "domain " << c.domain << "\n"
            << "PKI mode:    " << r.value.mode << "\n";
  if (s.key)
    std::cout << "private key: " << *s.key << " (key test: " << (s.key_test.empty() ? "OK" : s.key_test) << ")\n";
  else
    std::cout << "private key: none\n";
  if (s.certificate) {
    std::cout << "certificate:\n";
    print_certificate(*s.certificate, "  ");
  } else {
    std::cout << "certificate: none\n";
  }
  if (s.chain.empty()) std::cout << "CA chain:    none\n";
  for (std::size_t i = 0; i < s.chain.size(); ++i) {
    std::cout << "CA chain #" << i + 1 << ":\n";
    print_certificate(s.chain[i], "  ");
  }
  for (const auto& w : s.warnings) std::cerr << "authhost: warning: " << w << "\n";
  return 0;
}

}  // namespace

void add_pki_commands(CLI::App& app, PkiCommandLine& c) {
  c.pki = app.add_subcommand("pki", "domain keys, certificates, CA chains, trusted certificates (docs/pki.md)");
  c.pki->require_subcommand(1);
  c.pki->fallthrough();
  const auto sub = [&](const char* name, const char* help) { return c.pki->add_subcommand(name, help)->fallthrough(); };

  c.generate_key = sub("generate-key", "make a new private key for the domain (its certificate for an older key "
                                       "is removed)");
  add_domain(c.generate_key, c, true);
  c.generate_key->add_option("--type", c.type, "rsa-2048 (default), rsa-3072, rsa-4096, ec-p256 or ec-p384")
      ->check(CLI::IsMember({"rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384"}));

  c.import_key = sub("import-key", "set the domain's private key from a PEM file (PKCS#1, SEC1 or PKCS#8, not "
                                   "encrypted; '-' reads standard input)");
  add_domain(c.import_key, c, true);
  c.import_key->add_option("file", c.file, "FILE")->required();

  c.remove_key = sub("remove-key", "remove the domain's private key and its certificate");
  add_domain(c.remove_key, c, true);

  c.export_key = sub("export-key", "print the domain's private key (PKCS#8 PEM) on standard output");
  add_domain(c.export_key, c, true);

  c.self_sign = sub("self-sign", "make a self-signed certificate for the domain's key");
  add_domain(c.self_sign, c, true);
  add_attributes(c.self_sign, c);
  c.self_sign->add_option("--days", c.days, "validity in days (default 365, at most 825)")->check(CLI::Range(1, 825));

  c.csr = sub("csr", "print a certificate signing request (PEM) for the domain's key, for a CA to sign");
  add_domain(c.csr, c, true);
  add_attributes(c.csr, c);

  c.set_certificate = sub("set-certificate", "set the certificate a CA issued for the domain's key (PEM; "
                                             "certificates after the first become the CA chain)");
  add_domain(c.set_certificate, c, true);
  c.set_certificate->add_option("file", c.file, "FILE ('-': standard input)")->required();

  c.refresh = sub("refresh", "make the self-signed certificate anew: the same serial number, a new validity");
  add_domain(c.refresh, c, true);
  c.refresh->add_option("--days", c.days, "validity in days (default 365, at most 825)")->check(CLI::Range(1, 825));

  c.remove_certificate = sub("remove-certificate", "remove the domain's certificate");
  add_domain(c.remove_certificate, c, true);

  c.set_chain = sub("set-chain", "set the CA chain sent with the certificate (PEM, the issuer of the certificate "
                                 "first, the root last)");
  add_domain(c.set_chain, c, true);
  c.set_chain->add_option("file", c.file, "FILE ('-': standard input)")->required();

  c.remove_chain = sub("remove-chain", "remove the domain's CA chain");
  add_domain(c.remove_chain, c, true);

  c.show = sub("show", "show the domain's PKI mode, key, certificate and chain (without --domain: the test "
                       "certificate)");
  add_domain(c.show, c, false);

  c.export_certificate = sub("export-certificate", "print the domain's certificate (PEM) on standard output (in test "
                                                                  "mode: the test certificate)");
  add_domain(c.export_certificate, c, true);
  c.export_certificate->add_flag("--chain", c.with_chain, "the CA chain after it");

  c.mode_cmd = sub("mode", "set the domain's PKI mode: disabled, test (the server-wide test certificate) or enabled");
  add_domain(c.mode_cmd, c, true);
  c.mode_cmd->add_option("mode", c.mode, "disabled, test or enabled")
      ->required()
      ->check(CLI::IsMember({"disabled", "test", "enabled"}, CLI::ignore_case));

  c.trust = sub("trust", "trusted certificates: server-wide, or a domain's with --domain");
  c.trust->require_subcommand(1);
  c.trust_add = c.trust->add_subcommand("add", "add the certificates of a PEM file")->fallthrough();
  add_domain(c.trust_add, c, false);
  c.trust_add->add_option("file", c.file, "FILE ('-': standard input)")->required();
  c.trust_list = c.trust->add_subcommand("list", "list them: serial, validity, subject, fingerprint")->fallthrough();
  add_domain(c.trust_list, c, false);
  c.trust_remove = c.trust->add_subcommand("remove", "remove one, by serial number or SHA-256 fingerprint")
                       ->fallthrough();
  add_domain(c.trust_remove, c, false);
  c.trust_remove->add_option("serial", c.which, "SERIAL or FINGERPRINT")->required();

  c.check = sub("check", "list the certificates in use; exit 1 when one has expired or expires within --days");
  c.check->add_option("--days", c.check_days, "the warning period (default 14)")->check(CLI::Range(0, 3650));

  c.refresh_test = sub("refresh-test", "make the server-wide test certificate anew (valid 30 days)");
}

bool pki_parsed(const PkiCommandLine& c) { return c.pki != nullptr && c.pki->parsed(); }

int run_pki(Host& host, const Address& caller, const PkiCommandLine& c) {
  if (c.generate_key->parsed()) {
    const auto r = host.pki_generate_key(caller, c.domain, *pki::parse_key_type(c.type));
    if (r.ok()) print_key_report(r.value);
    return report(r.status);
  }
  if (c.import_key->parsed()) {
    auto text = read_input(c.file);
    if (!text) return 1;
    const auto r = host.pki_import_key(caller, c.domain, *text);
    wipe_memory(text->data(), text->size());
    if (r.ok()) print_key_report(r.value);
    return report(r.status);
  }
  if (c.remove_key->parsed()) return report(host.pki_remove_key(caller, c.domain));
  if (c.export_key->parsed()) {
    const auto r = host.pki_export_key(caller, c.domain, ChangeOrigin::CommandLine);
    if (r.ok()) std::cout << r.value.view() << std::flush;
    return report(r.status);
  }
  if (c.self_sign->parsed() || c.refresh->parsed()) {
    const auto r = c.self_sign->parsed() ? host.pki_self_sign(caller, c.domain, attributes_of(c), c.days)
                                         : host.pki_refresh_certificate(caller, c.domain, c.days);
    if (r.ok()) {
      std::cout << "certificate:\n";
      print_certificate(r.value, "  ");
    }
    return report(r.status);
  }
  if (c.csr->parsed()) {
    const auto r = host.pki_signing_request(caller, c.domain, attributes_of(c));
    if (r.ok()) std::cout << r.value;
    return report(r.status);
  }
  if (c.set_certificate->parsed()) {
    const auto text = read_input(c.file);
    if (!text) return 1;
    const auto r = host.pki_set_certificate(caller, c.domain, *text);
    if (r.ok()) {
      std::cout << "certificate:\n";
      print_certificate(r.value, "  ");
    }
    return report(r.status);
  }
  if (c.remove_certificate->parsed()) return report(host.pki_remove_certificate(caller, c.domain));
  if (c.set_chain->parsed()) {
    const auto text = read_input(c.file);
    if (!text) return 1;
    const auto r = host.pki_set_chain(caller, c.domain, *text);
    for (std::size_t i = 0; i < r.value.size(); ++i) {
      std::cout << "CA chain #" << i + 1 << ":\n";
      print_certificate(r.value[i], "  ");
    }
    return report(r.status);
  }
  if (c.remove_chain->parsed()) return report(host.pki_remove_chain(caller, c.domain));
  if (c.show->parsed()) return run_show(host, caller, c);
  if (c.export_certificate->parsed()) {
    const auto r = host.pki_export_certificate(caller, c.domain, c.with_chain);
    if (r.ok()) std::cout << r.value;
    return report(r.status);
  }
  if (c.mode_cmd->parsed()) {
    const Status s = host.pki_set_mode(caller, c.domain, c.mode);
    if (s.ok()) std::cout << "domain " << c.domain << ": PKI mode " << c.mode << "\n";
    return report(s);
  }
  if (c.trust_add->parsed()) {
    const auto text = read_input(c.file);
    if (!text) return 1;
    const auto r = host.pki_trust_add(caller, c.domain, *text);
    if (r.ok()) {
      std::cout << "added " << r.value.size() << " trusted certificate" << (r.value.size() == 1 ? "" : "s") << "\n";
      print_trusted(r.value);
    }
    return report(r.status);
  }
  if (c.trust_list->parsed()) {
    const auto r = host.pki_trusted(caller, c.domain);
    if (r.ok()) print_trusted(r.value);
    return report(r.status);
  }
  if (c.trust_remove->parsed()) {
    const auto r = host.pki_trust_remove(caller, c.domain, c.which);
    if (r.ok()) std::cout << "removed " << r.value.subject << " (serial " << r.value.serial << ")\n";
    return report(r.status);
  }
  if (c.check->parsed()) {
    const auto r = host.pki_check(caller, c.check_days);
    if (!r.ok()) return report(r.status);
    bool problem = false;
    if (r.value.empty()) std::cout << "no domain uses a certificate (every PKI mode is disabled)\n";
    for (const auto& f : r.value) {
      std::cout << (f.problem ? "PROBLEM " : "ok      ") << f.subject << ": " << f.text << "\n";
      problem = problem || f.problem;
    }
    return problem ? 1 : 0;
  }
  if (c.refresh_test->parsed()) {
    const auto r = host.pki_refresh_test_certificate(caller);
    if (r.ok()) {
      std::cout << "test certificate:\n";
      print_certificate(r.value, "  ");
    }
    return report(r.status);
  }
  return 2;
}

}  // namespace authd::host::cli
