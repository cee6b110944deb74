// The files gen writes for the backends under test:
//
//   passwd    authd's password file: "name@domain:stored"
//   htpasswd  Apache: "name:hash" (no domain); SHA -> "{SHA}base64", APR1 -> "$apr1$..."
//   ldif      inetOrgPerson entries under a base DN, the hash in userPassword
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace authd::bench {

enum class OutputFormat { Passwd, Htpasswd, Ldif };

std::optional<OutputFormat> parse_output_format(std::string_view name) noexcept;

struct FormatSettings {
  OutputFormat format = OutputFormat::Passwd;
  std::string base_dn = "ou=people,dc=example,dc=com";  // ldif
  bool base_entry = false;  // ldif: also write the entry of base_dn itself (an organizationalUnit)
};

// Why `stored` (as the registry makes it for `scheme`) cannot go into this
// format, or empty. Apache reads {SHA}, $apr1$, bcrypt and crypt(3) strings.
std::string unsupported_scheme(const FormatSettings& settings, std::string_view scheme, std::string_view stored);

// What comes before the first entry: a comment, and for ldif the base entry.
// Throws std::invalid_argument for a base entry of a DN that is not "ou=...".
std::string file_header(const FormatSettings& settings, std::string_view description);

void append_entry(std::string& out, const FormatSettings& settings, std::string_view name, std::string_view domain,
                  std::string_view stored);

}  // namespace authd::bench
