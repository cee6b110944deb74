// Fuzz target: PEM text pasted as a private key or as certificates. Whatever
// the bytes, each parser gives a value or a one-line message, never both,
// and leaves OpenSSL's error queue empty; what it accepts is written out and
// read back to the same thing, and describing it gives one-line text.
#include <openssl/err.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "host/pki/certificates.hpp"

namespace {

bool one_line(std::string_view text) { return text.find_first_of("\r\n") == std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using authd::fuzz::check;
  namespace pki = authd::host::pki;
  const std::string_view text = authd::fuzz::as_text(data, size);

  const auto key = pki::parse_private_key(text);
  check(key.ok() == key.error.empty(), "a key or a message, never both");
  check(one_line(key.error), "a key's refusal is one line");
  check(ERR_peek_error() == 0, "reading a key leaves the error queue empty");
  if (key.ok()) {
    const authd::Secret pem = pki::private_key_pem(*key.value);
    const auto again = pki::parse_private_key(pem.view());
    check(again.ok(), "a written key reads back");
    check(pki::describe_key(*again.value) == pki::describe_key(*key.value), "a key reads back as the same kind");
    check(pki::key_self_test(*key.value).empty(), "an accepted key passes its self-test");
  }

  const auto certs = pki::parse_certificates(text, 4);
  check(certs.ok() == certs.error.empty(), "certificates or a message, never both");
  check(one_line(certs.error), "a certificate refusal is one line");
  check(ERR_peek_error() == 0, "reading certificates leaves the error queue empty");
  if (certs.ok()) {
    check(!certs.value->empty() && certs.value->size() <= 4, "between one and max_count certificates");
    const auto again = pki::parse_certificates(pki::certificates_pem(*certs.value), 4);
    check(again.ok() && again.value->size() == certs.value->size(), "written certificates read back");
    for (const auto& cert : *certs.value) {
      const auto view = pki::describe_certificate(cert);
      check(one_line(view.subject) && one_line(view.issuer) && one_line(view.common_name) && one_line(view.key),
            "a certificate's names are one line each");
      for (const auto& name : view.dns_names) check(one_line(name), "a DNS name is one line");
      for (const auto& email : view.emails) check(one_line(email), "an e-mail address is one line");
      check(view.serial.size() >= 2, "a serial number has at least two digits");
      if (key.ok()) (void)pki::certificate_matches_key(cert, *key.value);
      (void)pki::client_certificate_account(cert, "example.com");
    }
    (void)pki::check_chain(certs.value->front(), *certs.value, {}, std::chrono::system_clock::now());
    check(ERR_peek_error() == 0, "describing certificates leaves the error queue empty");
  }
  return 0;
}
