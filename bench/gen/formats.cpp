#include "bench/gen/formats.hpp"

#include <stdexcept>

namespace authd::bench {
namespace {

bool is_crypt_string(std::string_view stored) noexcept { return !stored.starts_with('{'); }

// RFC 2849 SAFE-STRING: otherwise the value must be written base64 ("::").
bool ldif_safe(std::string_view value) noexcept {
  if (value.empty()) return true;
  const char first = value.front();
  if (first == ' ' || first == ':' || first == '<' || value.back() == ' ') return false;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0 || byte == '\n' || byte == '\r' || byte >= 0x80) return false;
  }
  return true;
}

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (two ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(two ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
}

void append_ldif_attribute(std::string& out, std::string_view attribute, std::string_view value) {
  out.append(attribute);
  if (ldif_safe(value)) {
    out.append(": ").append(value);
  } else {
    out.append(":: ");
    append_base64(out, value);
  }
  out.push_back('\n');
}

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view name) noexcept {
  if (name == "passwd") return OutputFormat::Passwd;
  if (name == "htpasswd") return OutputFormat::Htpasswd;
  if (name == "ldif") return OutputFormat::Ldif;
  return std::nullopt;
}

std::string unsupported_scheme(const FormatSettings& settings, std::string_view scheme, std::string_view stored) {
  if (settings.format != OutputFormat::Htpasswd) return {};
  if (stored.starts_with("{SHA}") || is_crypt_string(stored)) return {};
  return "Apache cannot read " + std::string(scheme) +
         " values in an htpasswd file; use SHA, APR1, BCRYPT, MD5-CRYPT, SHA256-CRYPT or SHA512-CRYPT";
}

std::string file_header(const FormatSettings& settings, std::string_view description) {
  std::string header = "# " + std::string(description) + "\n";
  if (settings.format != OutputFormat::Ldif) return header;
  header.append("version: 1\n\n");
  if (!settings.base_entry) return header;
  const std::string_view dn = settings.base_dn;
  if (!dn.starts_with("ou=")) {
    throw std::invalid_argument("--base-entry needs a --base-dn that starts with \"ou=\" (an organizationalUnit)");
  }
  const std::size_t comma = dn.find(',');
  const std::string_view ou = dn.substr(3, comma == std::string_view::npos ? comma : comma - 3);
  append_ldif_attribute(header, "dn", dn);
  header.append("objectClass: organizationalUnit\n");
  append_ldif_attribute(header, "ou", ou);
  header.push_back('\n');
  return header;
}

void append_entry(std::string& out, const FormatSettings& settings, std::string_view name, std::string_view domain,
                  std::string_view stored) {
  switch (settings.format) {
    case OutputFormat::Passwd:
      out.append(name).append("@").append(domain).append(":").append(stored).push_back('\n');
      return;
    case OutputFormat::Htpasswd:
      out.append(name).append(":");
      // Apache's bcrypt reads "$2y$"; "$2b$" is the same hash under the
      // newer id, which older APR releases do not know.
      if (stored.starts_with("$2b$")) {
        out.append("$2y$").append(stored.substr(4));
      } else {
        out.append(stored);
      }
      out.push_back('\n');
      return;
    case OutputFormat::Ldif: {
      const std::string mail = std::string(name) + "@" + std::string(domain);
      // OpenLDAP names crypt(3) strings by the {CRYPT} prefix.
      const std::string password = is_crypt_string(stored) ? "{CRYPT}" + std::string(stored) : std::string(stored);
      append_ldif_attribute(out, "dn", "uid=" + std::string(name) + "," + settings.base_dn);
      out.append("objectClass: inetOrgPerson\n");
      append_ldif_attribute(out, "uid", name);
      append_ldif_attribute(out, "cn", name);
      append_ldif_attribute(out, "sn", name);
      append_ldif_attribute(out, "mail", mail);
      append_ldif_attribute(out, "userPassword", password);
      out.push_back('\n');
      return;
    }
  }
}

}  // namespace authd::bench
