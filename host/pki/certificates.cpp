// Keys and certificates through OpenSSL 3 (EVP, PEM, X509, X509V3). The
// contract is in certificates.hpp. Every public function starts with an
// ErrorQueueGuard: OpenSSL's error queue is read for detail and emptied on
// the way out, whatever happened.
#include "host/pki/certificates.hpp"

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdio>
#include <ctime>
#include <utility>

#include "host/pki/openssl_handles.hpp"
#include "host/store/names.hpp"

namespace authd::host::pki {
namespace {

constexpr long clock_slack_seconds = 5 * 60;
constexpr int max_days = 36500;
constexpr std::size_t max_field_bytes = 64;
constexpr std::size_t max_alt_names = 100;
constexpr std::size_t max_serial_hex_digits = 40;  // 20 bytes, RFC 5280's bound

// ---------------------------------------------------------------------------
// Text.

// The first error of OpenSSL's queue as a short phrase, and the queue
// emptied. Error strings name routines and reasons, never key material.
std::string openssl_detail() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail from OpenSSL";
  if (const char* reason = ERR_reason_error_string(code); reason != nullptr) return reason;
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  char32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF))
    return 0;
  return length;
}

// Whether the sequence at s[i] (of `length` bytes) is a control character:
// C0, DEL or C1.
bool is_control(std::string_view s, std::size_t i, std::size_t length) noexcept {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (length == 1) return lead < 0x20 || lead == 0x7F;
  return length == 2 && lead == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
}

bool is_clean_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0 || is_control(s, i, length)) return false;
    i += length;
  }
  return true;
}

void append_hex_escape(std::string& out, unsigned char byte) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out += "\\x";
  out += digits[byte >> 4];
  out += digits[byte & 0x0F];
}

// Text on one line: control characters and bytes that are not UTF-8 as
// \xHH. In a name's value, '\', ',' and '+' are escaped with a backslash as
// well, so that the one-line form reads back unambiguously.
std::string printable(std::string_view s, bool name_value = false) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0 || is_control(s, i, length)) {
      const std::size_t bad = length == 0 ? 1 : length;
      for (std::size_t k = 0; k < bad; ++k) append_hex_escape(out, static_cast<unsigned char>(s[i + k]));
      i += bad;
      continue;
    }
    if (name_value && length == 1 && (s[i] == '\\' || s[i] == ',' || s[i] == '+')) out += '\\';
    out.append(s.substr(i, length));
    i += length;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

std::string size_refusal(std::string_view what, std::size_t size, std::size_t limit = max_pem_input) {
  return "the " + std::string(what) + " is " + std::to_string(size) + " bytes, more than the limit of " +
         std::to_string(limit) + ": paste only the PEM text";
}

std::string bytes_of(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

// A string of a name entry as UTF-8 (converting BMP and other types), or
// its raw bytes when OpenSSL cannot convert it.
std::string utf8_of(const ASN1_STRING* s) {
  unsigned char* converted = nullptr;
  const int length = ASN1_STRING_to_UTF8(&converted, s);
  if (length < 0) {
    ERR_clear_error();
    return bytes_of(s);
  }
  const OpensslMemoryPtr owner(converted);
  return {reinterpret_cast<const char*>(converted), static_cast<std::size_t>(length)};
}

// ---------------------------------------------------------------------------
// PEM blocks. Only which blocks are present is looked at here; their
// contents are decoded by OpenSSL.

enum class BlockKind { PrivateKey, Certificate, SigningRequest, PublicKey, Other };

BlockKind kind_of(std::string_view label) {
  if (ends_with(label, "PRIVATE KEY")) return BlockKind::PrivateKey;
  if (label == "CERTIFICATE" || label == "X509 CERTIFICATE") return BlockKind::Certificate;
  if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST") return BlockKind::SigningRequest;
  if (label == "PUBLIC KEY" || label == "RSA PUBLIC KEY") return BlockKind::PublicKey;
  return BlockKind::Other;
}

struct PemBlock {
  std::string label;
  bool encrypted = false;
  std::vector<unsigned char> der;  // kept for certificate blocks only
};

struct PemScan {
  std::vector<PemBlock> blocks;
  std::string problem;  // a refusal, when the text cannot be read as PEM

  bool has(BlockKind kind) const {
    return std::any_of(blocks.begin(), blocks.end(), [&](const PemBlock& b) { return kind_of(b.label) == kind; });
  }
};

// Every BEGIN line has its END line after it.
std::string find_truncated_block(std::string_view text) {
  static constexpr std::string_view begin_mark = "-----BEGIN ";
  for (std::size_t at = text.find(begin_mark); at != std::string_view::npos;
       at = text.find(begin_mark, at + begin_mark.size())) {
    const std::size_t label_start = at + begin_mark.size();
    const std::size_t line_end = std::min(text.find('\n', label_start), text.size());
    const std::size_t label_end = text.find("-----", label_start);
    if (label_end == std::string_view::npos || label_end > line_end) continue;  // not a BEGIN line
    const std::string_view label = text.substr(label_start, label_end - label_start);
    // A real label is a few upper-case words; anything else (a line that
    // lost its breaks, key text) is never quoted back.
    const bool plain_label = label.size() <= 40 && std::all_of(label.begin(), label.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ';
    });
    if (!plain_label)
      return "the PEM text is damaged: a BEGIN line is not followed by its END line; paste the whole block, from its "
             "BEGIN line to its END line, with its line breaks";
    const std::string end_line = "-----END " + std::string(label) + "-----";
    if (text.find(end_line, label_end) == std::string_view::npos)
      return "the PEM text is cut short: the " + printable(label) + " block has no line " + printable(end_line) +
             "; paste the whole block, from its BEGIN line to its END line";
  }
  return {};
}

PemScan scan_pem(std::string_view text, std::string_view what) {
  PemScan scan;
  if (text.find("-----BEGIN ") == std::string_view::npos) {
    scan.problem = "no PEM block in the " + std::string(what) +
                   ": PEM text starts with a line such as -----BEGIN CERTIFICATE----- or -----BEGIN PRIVATE KEY-----";
    return scan;
  }
  if (auto truncated = find_truncated_block(text); !truncated.empty()) {
    scan.problem = std::move(truncated);
    return scan;
  }
  const BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    scan.problem = "cannot read the " + std::string(what) + ": " + openssl_detail();
    return scan;
  }
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    SecureBytes data;
    const int read = PEM_read_bio_ex(bio.get(), &name, &header, data.out_data(), data.out_size(),
                                     PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE);
    const SecureTextPtr name_owner(name), header_owner(header);
    if (read == 0) {
      const unsigned long code = ERR_peek_last_error();
      if (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      scan.problem = "the PEM text of the " + std::string(what) + " is damaged (" + openssl_detail() +
                     "): its base64 lines do not decode; copy it again from the original file";
      return scan;
    }
    PemBlock block;
    block.label = name;
    block.encrypted = header != nullptr && std::string_view(header).find("ENCRYPTED") != std::string_view::npos;
    if (kind_of(block.label) == BlockKind::Certificate) block.der.assign(data.data(), data.data() + data.size());
    scan.blocks.push_back(std::move(block));
  }
  if (scan.blocks.empty())
    scan.problem = "no PEM block in the " + std::string(what) +
                   ": PEM text starts with a line such as -----BEGIN CERTIFICATE----- or -----BEGIN PRIVATE KEY-----";
  return scan;
}

std::string labels_of(const PemScan& scan) {
  std::string out;
  for (const auto& block : scan.blocks) out += (out.empty() ? "" : ", ") + printable(block.label);
  return out;
}

// ---------------------------------------------------------------------------
// Keys.

// Never asks for a passphrase: an encrypted key is refused, not prompted for.
int refuse_passphrase(char*, int, int, void*) { return -1; }

constexpr std::string_view key_advice =
    "use an RSA key of 2048 bits or more, or an EC key on P-256, P-384 or P-521";

std::string group_name(EVP_PKEY* key) {
  std::array<char, 80> name{};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &length) != 1) {
    ERR_clear_error();
    return {};
  }
  return {name.data(), length};
}

bool accepted_curve(std::string_view group) {
  return group == "prime256v1" || group == "secp384r1" || group == "secp521r1";
}

// Why `key` (a private key just read) is not accepted, or "".
std::string key_refusal(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048)
      return "the RSA key has " + std::to_string(bits) + " bits, fewer than 2048: " + std::string(key_advice);
    if (bits > 8192)
      return "the RSA key has " + std::to_string(bits) + " bits, more than 8192: " + std::string(key_advice);
  } else if (EVP_PKEY_is_a(key, "EC")) {
    const std::string group = group_name(key);
    if (!accepted_curve(group))
      return "the EC key is on the curve " + (group.empty() ? std::string("(unnamed)") : printable(group)) +
             ", which is not accepted: " + std::string(key_advice);
  } else {
    const char* type = EVP_PKEY_get0_type_name(key);
    return std::string(type != nullptr ? type : "this kind of") + " keys are not accepted: " + std::string(key_advice);
  }
  const PkeyContextPtr context(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!context || EVP_PKEY_check(context.get()) != 1)
    return "the key fails its consistency check (" + openssl_detail() + "): it is damaged; use another key";
  return {};
}

Key share(PkeyPtr key) { return Key(std::shared_ptr<EVP_PKEY>(std::move(key))); }

// The public half alone, as a key of its own.
PkeyPtr public_half(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return nullptr;
  const OpensslMemoryPtr owner(der);
  const unsigned char* p = der;
  return PkeyPtr(d2i_PUBKEY(nullptr, &p, length));
}

std::string describe_pkey(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return "RSA " + std::to_string(EVP_PKEY_get_bits(key)) + " bits";
  if (EVP_PKEY_is_a(key, "EC")) {
    const std::string group = group_name(key);
    const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group.c_str()));
    if (nist != nullptr) return "EC " + std::string(nist) + " (" + group + ")";
    return "EC " + (group.empty() ? std::string("(unnamed curve)") : printable(group));
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  return std::string(type != nullptr ? type : "unknown") + " " + std::to_string(EVP_PKEY_get_bits(key)) + " bits";
}

// ---------------------------------------------------------------------------
// Names and certificates.

std::string format_name(const X509_NAME* name) {
  std::string out;
  int previous_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int set = X509_NAME_ENTRY_set(entry);
    if (i > 0) out += set == previous_set ? " + " : ", ";
    previous_set = set;
    const ASN1_OBJECT* object = X509_NAME_ENTRY_get_object(entry);
    const int nid = OBJ_obj2nid(object);
    if (nid != NID_undef) {
      out += OBJ_nid2sn(nid);
    } else {
      std::array<char, 128> oid{};
      OBJ_obj2txt(oid.data(), static_cast<int>(oid.size()), object, 1);
      out += oid.data();
    }
    out += '=';
    out += printable(utf8_of(X509_NAME_ENTRY_get_data(entry)), true);
  }
  return out;
}

std::vector<std::string> name_entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i))
    out.push_back(utf8_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))));
  return out;
}

// The subjectAltName entries of one type (GEN_DNS, GEN_EMAIL), raw.
std::vector<std::string> alt_names_of(X509* cert, int type) {
  std::vector<std::string> out;
  const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) {
    ERR_clear_error();
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    int found_type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &found_type));
    if (found_type == type) out.push_back(bytes_of(value));
  }
  return out;
}

std::chrono::system_clock::time_point time_of(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return {};
  }
  // system_clock counts nanoseconds in 64 bits: years 1678 to 2261. A
  // certificate "valid until 9999" is shown as valid until the last of them
  // rather than wrapping round into the past.
  constexpr std::time_t latest = 9223372036LL - 86400, earliest = -9223372036LL + 86400;
  const std::time_t seconds = std::clamp<std::time_t>(timegm(&tm), earliest, latest);
  return std::chrono::system_clock::from_time_t(seconds);
}

std::time_t seconds_of(std::chrono::system_clock::time_point t) { return std::chrono::system_clock::to_time_t(t); }

// Whether `issuer` issued `subject`: by name (and key identifiers) and by
// signature.
bool issued_by(X509* subject, X509* issuer) {
  const bool issued = X509_check_issued(issuer, subject) == X509_V_OK && X509_verify(subject, X509_get0_pubkey(issuer)) == 1;
  ERR_clear_error();
  return issued;
}

bool is_self_signed(X509* cert) {
  const bool same_name = X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
  EVP_PKEY* key = X509_get0_pubkey(cert);
  const bool verifies = same_name && key != nullptr && X509_verify(cert, key) == 1;
  ERR_clear_error();
  return verifies;
}

std::string hex_upper(const unsigned char* data, std::size_t size, std::string_view separator) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    if (i > 0) out += separator;
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0x0F];
  }
  return out;
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  const BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!number) {
    ERR_clear_error();
    return "00";
  }
  char* hex = BN_bn2hex(number.get());
  if (hex == nullptr) {
    ERR_clear_error();
    return "00";
  }
  const OpensslMemoryPtr owner(reinterpret_cast<unsigned char*>(hex));
  std::string out = hex;
  if (out.size() < 2) out.insert(0, 2 - out.size(), '0');
  return out;
}

// A random positive serial number of 64 bits (top bit clear, never zero).
Asn1IntegerPtr random_serial() {
  std::array<unsigned char, 8> bytes{};
  do {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return nullptr;
    bytes[0] &= 0x7F;
  } while (std::all_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b == 0; }));
  const BignumPtr number(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!number) return nullptr;
  return Asn1IntegerPtr(BN_to_ASN1_INTEGER(number.get(), nullptr));
}

Checked<Asn1IntegerPtr> serial_from_hex(std::string_view hex) {
  if (hex.empty() || hex.size() > max_serial_hex_digits ||
      !std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
    return Checked<Asn1IntegerPtr>::failure("the serial number " + printable(hex) + " is not 1 to " +
                                            std::to_string(max_serial_hex_digits) + " hexadecimal digits");
  BIGNUM* raw = nullptr;
  const std::string text(hex);
  if (BN_hex2bn(&raw, text.c_str()) == 0)
    return Checked<Asn1IntegerPtr>::failure("the serial number cannot be read: " + openssl_detail());
  const BignumPtr number(raw);
  if (BN_is_zero(number.get())) return Checked<Asn1IntegerPtr>::failure("the serial number must not be zero");
  Checked<Asn1IntegerPtr> out;
  out.value.emplace(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (!*out.value) return Checked<Asn1IntegerPtr>::failure("cannot store the serial number: " + openssl_detail());
  return out;
}

bool add_name_entry(X509_NAME* name, int nid, std::string_view value) {
  if (value.empty()) return true;
  return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), -1, 0) == 1;
}

// The subject of checked attributes, in the order people read it.
X509NamePtr subject_of(const CertificateAttributes& a) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return nullptr;
  const bool built = add_name_entry(name.get(), NID_countryName, a.country) &&
                     add_name_entry(name.get(), NID_stateOrProvinceName, a.province) &&
                     add_name_entry(name.get(), NID_localityName, a.city) &&
                     add_name_entry(name.get(), NID_organizationName, a.organization) &&
                     add_name_entry(name.get(), NID_organizationalUnitName, a.unit) &&
                     add_name_entry(name.get(), NID_commonName, a.common_name) &&
                     add_name_entry(name.get(), NID_pkcs9_emailAddress, a.contact);
  return built ? std::move(name) : nullptr;
}

bool push_general_name(GENERAL_NAMES* names, int type, std::string_view value) {
  Ia5StringPtr text(ASN1_IA5STRING_new());
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!text || !name ||
      ASN1_STRING_set(text.get(), value.data(), static_cast<int>(value.size())) != 1)
    return false;
  GENERAL_NAME_set0_value(name.get(), type, text.release());
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) return false;
  name.release();
  return true;
}

// subjectAltName built as a structure (never as configuration text, which
// a comma in a name could extend): the DNS names and the contact.
GeneralNamesPtr alt_names(const std::vector<std::string>& dns_names, std::string_view contact) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return nullptr;
  for (const auto& dns : dns_names)
    if (!push_general_name(names.get(), GEN_DNS, dns)) return nullptr;
  if (!contact.empty() && !push_general_name(names.get(), GEN_EMAIL, contact)) return nullptr;
  return names;
}

bool add_conf_extension(X509* cert, X509V3_CTX* context, int nid, const char* value) {
  const X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
  return extension && X509_add_ext(cert, extension.get(), -1) == 1;
}

struct CertificatePlan {
  const X509_NAME* subject = nullptr;
  const X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;  // X509_set_serialNumber copies it
  std::time_t now = 0;
  int days = 0;
  std::vector<std::string> dns_names;
  std::string contact;
};

// A version 3 server certificate of `key`, signed with it (SHA-256).
Checked<Certificate> build_certificate(const Key& key, const CertificatePlan& plan) {
  const auto fail = [](std::string_view step) {
    return Checked<Certificate>::failure("cannot make the certificate (" + std::string(step) + "): " + openssl_detail());
  };
  X509Ptr cert(X509_new());
  if (!cert) return fail("memory");
  std::time_t now = plan.now;
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 || X509_set_serialNumber(cert.get(), plan.serial) != 1 ||
      X509_set_subject_name(cert.get(), plan.subject) != 1 || X509_set_issuer_name(cert.get(), plan.issuer) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1)
    return fail("fields");
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -clock_slack_seconds, &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), plan.days, 0, &now) == nullptr)
    return fail("validity");
  X509V3_CTX context;
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  const char* key_usage =
      EVP_PKEY_is_a(key.get(), "RSA") ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
  if (!add_conf_extension(cert.get(), &context, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_conf_extension(cert.get(), &context, NID_key_usage, key_usage) ||
      !add_conf_extension(cert.get(), &context, NID_ext_key_usage, "serverAuth"))
    return fail("extensions");
  const GeneralNamesPtr names = alt_names(plan.dns_names, plan.contact);
  if (!names || X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return fail("subjectAltName");
  if (!add_conf_extension(cert.get(), &context, NID_subject_key_identifier, "hash")) return fail("subjectKeyIdentifier");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return fail("signature");
  Checked<Certificate> out;
  out.value.emplace(std::shared_ptr<X509>(std::move(cert)));
  return out;
}

std::string days_refusal(int days) {
  return "the validity is " + std::to_string(days) + " days: give 1 to " + std::to_string(max_days);
}

// ---------------------------------------------------------------------------
// Attribute checks.

bool is_dns_name(std::string_view name) {
  if (name.size() > 253) return false;
  std::string_view rest = name;
  if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
      }))
    return false;
  return canonical_domain(rest).has_value();
}

bool is_email_address(std::string_view address) {
  const std::size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view local = address.substr(0, at);
  if (!std::all_of(local.begin(), local.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7F;
      }))
    return false;
  return is_dns_name(address.substr(at + 1)) && address.substr(at + 1, 2) != "*.";
}

std::string check_text_field(std::string_view field, std::string_view value) {
  if (!is_clean_utf8(value))
    return "the " + std::string(field) + " \"" + printable(value) +
           "\" is not valid UTF-8 text or holds control characters: retype it";
  if (value.size() > max_field_bytes)
    return "the " + std::string(field) + " is " + std::to_string(value.size()) + " bytes long, more than " +
           std::to_string(max_field_bytes) + ": shorten it";
  return {};
}

bool is_name_under(std::string_view name, std::string_view domain) {
  return name.size() > domain.size() + 1 && ends_with(name, domain) && name[name.size() - domain.size() - 1] == '.';
}

}  // namespace

// ---------------------------------------------------------------------------
// Key types.

std::string_view key_type_name(KeyType type) noexcept {
  switch (type) {
    case KeyType::Rsa2048: return "rsa-2048";
    case KeyType::Rsa3072: return "rsa-3072";
    case KeyType::Rsa4096: return "rsa-4096";
    case KeyType::EcP256: return "ec-p256";
    case KeyType::EcP384: return "ec-p384";
  }
  return "rsa-2048";
}

std::optional<KeyType> parse_key_type(std::string_view name) noexcept {
  for (const KeyType type : {KeyType::Rsa2048, KeyType::Rsa3072, KeyType::Rsa4096, KeyType::EcP256, KeyType::EcP384})
    if (key_type_name(type) == name) return type;
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Keys.

Checked<Key> generate_key(KeyType type) {
  const ErrorQueueGuard guard;
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::Rsa2048: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
    case KeyType::Rsa3072: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072}); break;
    case KeyType::Rsa4096: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096}); break;
    case KeyType::EcP256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::EcP384: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
  }
  PkeyPtr key(raw);
  if (!key)
    return Checked<Key>::failure("cannot generate a " + std::string(key_type_name(type)) + " key: " + openssl_detail());
  Checked<Key> out;
  out.value.emplace(share(std::move(key)));
  return out;
}

Checked<Key> parse_private_key(std::string_view pem) {
  const ErrorQueueGuard guard;
  using Result = Checked<Key>;
  if (pem.empty()) return Result::failure("the key is empty: paste a PEM private key (-----BEGIN PRIVATE KEY-----)");
  if (pem.size() > max_pem_input) return Result::failure(size_refusal("key", pem.size()));
  const PemScan scan = scan_pem(pem, "key");
  if (!scan.problem.empty()) return Result::failure(scan.problem);
  const auto key_block = std::find_if(scan.blocks.begin(), scan.blocks.end(),
                                      [](const PemBlock& b) { return kind_of(b.label) == BlockKind::PrivateKey; });
  if (key_block == scan.blocks.end()) {
    if (scan.has(BlockKind::Certificate))
      return Result::failure("this is a certificate, not a private key: paste the private key that goes with it "
                             "(-----BEGIN PRIVATE KEY-----)");
    if (scan.has(BlockKind::SigningRequest))
      return Result::failure("this is a certificate signing request (CSR), not a private key: paste the private key "
                             "it was made with (-----BEGIN PRIVATE KEY-----)");
    if (scan.has(BlockKind::PublicKey))
      return Result::failure("this is a public key, not a private key: paste the private key "
                             "(-----BEGIN PRIVATE KEY-----)");
    return Result::failure("no private key in the text (it holds " + labels_of(scan) +
                           "): paste a PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
  if (key_block->label == "ENCRYPTED PRIVATE KEY" || key_block->encrypted)
    return Result::failure("the private key is encrypted with a passphrase: decrypt it first with "
                           "`openssl pkey -in key.pem -out plain.pem` and paste plain.pem");
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr) : nullptr);
  if (!key)
    return Result::failure("the " + printable(key_block->label) + " block is not a private key OpenSSL can read (" +
                           openssl_detail() + "): paste an unencrypted PEM key in PKCS#8, PKCS#1 or SEC1 form");
  if (auto refusal = key_refusal(key.get()); !refusal.empty()) return Result::failure(std::move(refusal));
  Result out;
  out.value.emplace(share(std::move(key)));
  return out;
}

Secret private_key_pem(const Key& key) {
  const ErrorQueueGuard guard;
  // A secure-memory BIO: its buffer is wiped when it is freed.
  const BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Secret();
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return Secret();
  return Secret(std::string_view(data, static_cast<std::size_t>(size)));
}

std::string describe_key(const Key& key) {
  const ErrorQueueGuard guard;
  return describe_pkey(key.get());
}

std::string key_self_test(const Key& key) {
  const ErrorQueueGuard guard;
  static constexpr std::string_view message = "authd key self-test";
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  const MdContextPtr sign(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!sign || EVP_DigestSignInit(sign.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(sign.get(), nullptr, &size, data, message.size()) != 1)
    return "the key cannot sign: " + openssl_detail();
  std::vector<unsigned char> signature(size);
  if (EVP_DigestSign(sign.get(), signature.data(), &size, data, message.size()) != 1)
    return "the key cannot sign: " + openssl_detail();
  signature.resize(size);
  const PkeyPtr public_key = public_half(key.get());
  if (!public_key) return "the key's public half cannot be read: " + openssl_detail();
  const MdContextPtr verify(EVP_MD_CTX_new());
  if (!verify || EVP_DigestVerifyInit(verify.get(), nullptr, EVP_sha256(), nullptr, public_key.get()) != 1)
    return "the key's public half cannot verify: " + openssl_detail();
  if (EVP_DigestVerify(verify.get(), signature.data(), signature.size(), data, message.size()) != 1)
    return "a signature made with the key does not verify with its public half: the key is damaged";
  return {};
}

// ---------------------------------------------------------------------------
// Certificates.

Checked<std::vector<Certificate>> parse_certificates(std::string_view pem, std::size_t max_count,
                                                    std::size_t max_bytes) {
  const ErrorQueueGuard guard;
  using Result = Checked<std::vector<Certificate>>;
  if (pem.empty())
    return Result::failure("the certificate text is empty: paste PEM certificates (-----BEGIN CERTIFICATE-----)");
  if (pem.size() > max_bytes) return Result::failure(size_refusal("certificate text", pem.size(), max_bytes));
  const PemScan scan = scan_pem(pem, "certificate text");
  if (!scan.problem.empty()) return Result::failure(scan.problem);
  if (scan.has(BlockKind::PrivateKey))
    return Result::failure("the text holds a private key: paste it only where the key is asked for, and here only "
                           "the certificates (-----BEGIN CERTIFICATE-----)");
  std::vector<Certificate> certs;
  std::size_t count = 0;
  for (const auto& block : scan.blocks) {
    if (kind_of(block.label) != BlockKind::Certificate) continue;
    if (++count > max_count) continue;
    const unsigned char* p = block.der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(block.der.size())));
    if (!cert || p != block.der.data() + block.der.size())
      return Result::failure("certificate " + std::to_string(count) + " of the text is not a valid X.509 certificate (" +
                             (cert ? std::string("extra bytes after it") : openssl_detail()) +
                             "): copy it again from the original file");
    certs.emplace_back(std::shared_ptr<X509>(std::move(cert)));
  }
  if (count == 0) {
    if (scan.has(BlockKind::SigningRequest))
      return Result::failure("this is a certificate signing request (CSR), not a certificate: send it to the "
                             "certificate authority and paste the certificate it returns");
    if (scan.has(BlockKind::PublicKey))
      return Result::failure("this is a public key, not a certificate: paste the certificate "
                             "(-----BEGIN CERTIFICATE-----)");
    return Result::failure("no certificate in the text (it holds " + labels_of(scan) +
                           "): paste PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  if (count > max_count)
    return Result::failure("the text holds " + std::to_string(count) + " certificates, more than the " +
                           std::to_string(max_count) + " accepted: leave out the ones that are not needed");
  Result out;
  out.value.emplace(std::move(certs));
  return out;
}

std::string certificate_pem(const Certificate& cert) {
  const ErrorQueueGuard guard;
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return {};
  return {data, static_cast<std::size_t>(size)};
}

std::string certificates_pem(const std::vector<Certificate>& certs) {
  std::string out;
  for (const auto& cert : certs) out += certificate_pem(cert);
  return out;
}

bool certificate_matches_key(const Certificate& cert, const Key& key) {
  const ErrorQueueGuard guard;
  const EVP_PKEY* public_key = X509_get0_pubkey(cert.get());
  return public_key != nullptr && EVP_PKEY_eq(public_key, key.get()) == 1;
}

CertificateView describe_certificate(const Certificate& cert) {
  const ErrorQueueGuard guard;
  X509* x = cert.get();
  CertificateView view;
  const X509_NAME* subject = X509_get_subject_name(x);
  view.subject = format_name(subject);
  view.issuer = format_name(X509_get_issuer_name(x));
  if (const auto names = name_entries(subject, NID_commonName); !names.empty())
    view.common_name = printable(names.front());
  for (const auto& dns : alt_names_of(x, GEN_DNS)) view.dns_names.push_back(printable(dns));
  for (const auto& email : alt_names_of(x, GEN_EMAIL)) view.emails.push_back(printable(email));
  for (const auto& email : name_entries(subject, NID_pkcs9_emailAddress)) {
    std::string shown = printable(email);
    if (std::find(view.emails.begin(), view.emails.end(), shown) == view.emails.end())
      view.emails.push_back(std::move(shown));
  }
  view.serial = serial_hex(X509_get0_serialNumber(x));
  view.not_before = time_of(X509_get0_notBefore(x));
  view.not_after = time_of(X509_get0_notAfter(x));
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (X509_digest(x, EVP_sha256(), digest.data(), &digest_size) == 1)
    view.fingerprint_sha256 = hex_upper(digest.data(), digest_size, ":");
  if (EVP_PKEY* key = X509_get0_pubkey(x); key != nullptr) {
    view.key = describe_pkey(key);
  } else {
    ERR_clear_error();
    ASN1_OBJECT* algorithm = nullptr;
    X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(x));
    std::array<char, 128> name{};
    if (algorithm != nullptr) OBJ_obj2txt(name.data(), static_cast<int>(name.size()), algorithm, 0);
    view.key = name[0] != '\0' ? std::string(name.data()) : "unknown key";
  }
  view.self_signed = is_self_signed(x);
  const BasicConstraintsPtr constraints(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr)));
  view.is_ca = constraints && constraints->ca != 0;
  return view;
}

std::string format_time(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return "(unknown time)";
  std::array<char, 64> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return {text.data(), length};
}

// ---------------------------------------------------------------------------
// Making certificates and signing requests.

std::vector<std::string> common_name_choices(std::string_view domain) {
  std::vector<std::string> out;
  if (domain.empty()) return out;
  out.emplace_back(domain);
  const std::size_t first_dot = domain.find('.');
  if (first_dot == std::string_view::npos) return out;
  const std::size_t dots = static_cast<std::size_t>(std::count(domain.begin(), domain.end(), '.'));
  if (dots == 1)
    out.push_back("*." + std::string(domain));
  else
    out.push_back("*." + std::string(domain.substr(first_dot + 1)));
  return out;
}

Checked<CertificateAttributes> check_attributes(const CertificateAttributes& attributes, std::string_view domain) {
  using Result = Checked<CertificateAttributes>;
  CertificateAttributes a = attributes;
  const std::string home = lower(domain);
  if (a.common_name.empty()) a.common_name = home;
  if (auto problem = check_text_field("common name", a.common_name); !problem.empty()) return Result::failure(problem);
  a.common_name = lower(a.common_name);
  const auto choices = common_name_choices(home);
  const bool chosen = std::find(choices.begin(), choices.end(), a.common_name) != choices.end();
  if (!chosen && !(is_dns_name(a.common_name) && is_name_under(a.common_name, home))) {
    std::string listed;
    for (const auto& choice : choices) listed += (listed.empty() ? "" : ", ") + choice;
    return Result::failure("the common name " + printable(a.common_name) + " is not a name of " + printable(home) +
                           ": use " + listed + " or a name under " + printable(home));
  }
  if (a.alt_names.size() > max_alt_names)
    return Result::failure("there are " + std::to_string(a.alt_names.size()) + " alternative names, more than " +
                           std::to_string(max_alt_names) + ": leave some out");
  for (auto& name : a.alt_names) {
    if (!is_dns_name(name))
      return Result::failure("the alternative name \"" + printable(name) +
                             "\" is not a DNS name: use letters, digits, '-' and dots (a leading \"*.\" is allowed), "
                             "labels of at most 63 and names of at most 253 characters");
    name = lower(name);
  }
  if (std::find(a.alt_names.begin(), a.alt_names.end(), a.common_name) == a.alt_names.end() &&
      is_dns_name(a.common_name))
    a.alt_names.insert(a.alt_names.begin(), a.common_name);
  if (!a.country.empty()) {
    if (a.country.size() != 2 || !std::all_of(a.country.begin(), a.country.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        }))
      return Result::failure("the country \"" + printable(a.country) +
                             "\" is not two letters: use its ISO 3166 code, such as US or DE");
    for (char& c : a.country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"province", &a.province},
                                     {"city", &a.city},
                                     {"organization", &a.organization},
                                     {"organizational unit", &a.unit}})
    if (auto problem = check_text_field(field, *value); !problem.empty()) return Result::failure(problem);
  if (!a.contact.empty()) {
    if (auto problem = check_text_field("contact", a.contact); !problem.empty()) return Result::failure(problem);
    if (!is_email_address(a.contact))
      return Result::failure("the contact \"" + printable(a.contact) +
                             "\" is not an e-mail address: give one such as hostmaster@" + printable(home));
  }
  Result out;
  out.value.emplace(std::move(a));
  return out;
}

Checked<Certificate> self_sign(const Key& key, const CertificateAttributes& attributes, int days,
                               std::optional<std::string> serial) {
  const ErrorQueueGuard guard;
  using Result = Checked<Certificate>;
  if (days < 1 || days > max_days) return Result::failure(days_refusal(days));
  if (attributes.common_name.empty()) return Result::failure("the certificate needs a common name");
  Asn1IntegerPtr number;
  if (serial) {
    auto parsed = serial_from_hex(*serial);
    if (!parsed.ok()) return Result::failure(parsed.error);
    number = std::move(*parsed.value);
  } else {
    number = random_serial();
  }
  if (!number) return Result::failure("cannot make a serial number: " + openssl_detail());
  const X509NamePtr subject = subject_of(attributes);
  if (!subject)
    return Result::failure("the certificate's subject cannot be made (" + openssl_detail() + "): check its fields");
  CertificatePlan plan;
  plan.subject = subject.get();
  plan.issuer = subject.get();
  plan.serial = number.get();
  plan.now = std::time(nullptr);
  plan.days = days;
  plan.dns_names = attributes.alt_names;
  if (std::find(plan.dns_names.begin(), plan.dns_names.end(), attributes.common_name) == plan.dns_names.end())
    plan.dns_names.insert(plan.dns_names.begin(), attributes.common_name);
  plan.contact = attributes.contact;
  return build_certificate(key, plan);
}

Checked<Certificate> refresh_self_signed(const Certificate& cert, const Key& key, int days) {
  const ErrorQueueGuard guard;
  using Result = Checked<Certificate>;
  if (days < 1 || days > max_days) return Result::failure(days_refusal(days));
  X509* old = cert.get();
  const EVP_PKEY* public_key = X509_get0_pubkey(old);
  if (!is_self_signed(old) || public_key == nullptr || EVP_PKEY_eq(public_key, key.get()) != 1)
    return Result::failure("the certificate is not self-signed with this key: make a new one instead of renewing it");
  X509Ptr renewed(X509_dup(old));
  std::time_t now = std::time(nullptr);
  if (!renewed || X509_time_adj_ex(X509_getm_notBefore(renewed.get()), 0, -clock_slack_seconds, &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(renewed.get()), days, 0, &now) == nullptr ||
      X509_sign(renewed.get(), key.get(), EVP_sha256()) <= 0)
    return Result::failure("cannot renew the certificate: " + openssl_detail());
  Result out;
  out.value.emplace(std::shared_ptr<X509>(std::move(renewed)));
  return out;
}

Checked<std::string> make_signing_request(const Key& key, const CertificateAttributes& attributes) {
  const ErrorQueueGuard guard;
  using Result = Checked<std::string>;
  const auto fail = [](std::string_view step) {
    return Result::failure("cannot make the signing request (" + std::string(step) + "): " + openssl_detail());
  };
  if (attributes.common_name.empty()) return Result::failure("the signing request needs a common name");
  const X509NamePtr subject = subject_of(attributes);
  if (!subject) return fail("subject");
  const X509ReqPtr request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(request.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(request.get(), key.get()) != 1)
    return fail("fields");
  std::vector<std::string> dns_names = attributes.alt_names;
  if (std::find(dns_names.begin(), dns_names.end(), attributes.common_name) == dns_names.end())
    dns_names.insert(dns_names.begin(), attributes.common_name);
  const GeneralNamesPtr names = alt_names(dns_names, attributes.contact);
  if (!names) return fail("subjectAltName");
  X509ExtensionPtr extension(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
  const X509ExtensionStackPtr extensions(sk_X509_EXTENSION_new_null());
  if (!extension || !extensions || sk_X509_EXTENSION_push(extensions.get(), extension.get()) <= 0)
    return fail("subjectAltName");
  extension.release();
  if (X509_REQ_add_extensions(request.get(), extensions.get()) != 1) return fail("extension request");
  if (X509_REQ_sign(request.get(), key.get(), EVP_sha256()) <= 0) return fail("signature");
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), request.get()) != 1) return fail("PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return fail("PEM");
  Result out;
  out.value.emplace(data, static_cast<std::size_t>(size));
  return out;
}

Checked<Certificate> make_test_certificate(const Key& key, std::string_view main_domain,
                                           std::chrono::system_clock::time_point now) {
  const ErrorQueueGuard guard;
  using Result = Checked<Certificate>;
  if (!is_dns_name(main_domain) || main_domain.substr(0, 2) == "*.")
    return Result::failure("the main domain \"" + printable(main_domain) +
                           "\" is not a DNS name: the test certificate cannot name it");
  const std::string domain = lower(main_domain);
  CertificateAttributes subject_attributes;
  subject_attributes.common_name = domain;
  const X509NamePtr subject = subject_of(subject_attributes);
  X509NamePtr issuer(X509_NAME_new());
  if (!subject || !issuer || !add_name_entry(issuer.get(), NID_organizationName, test_issuer_organization) ||
      !add_name_entry(issuer.get(), NID_commonName, test_issuer_common_name))
    return Result::failure("cannot make the test certificate's names: " + openssl_detail());
  const Asn1IntegerPtr serial = random_serial();
  if (!serial) return Result::failure("cannot make a serial number: " + openssl_detail());
  CertificatePlan plan;
  plan.subject = subject.get();
  plan.issuer = issuer.get();
  plan.serial = serial.get();
  plan.now = seconds_of(now);
  plan.days = test_certificate_days;
  plan.dns_names = {domain};
  return build_certificate(key, plan);
}

// ---------------------------------------------------------------------------
// Chains and trust.

std::vector<std::string> check_chain(const Certificate& leaf, const std::vector<Certificate>& chain,
                                     const std::vector<Certificate>& trusted,
                                     std::chrono::system_clock::time_point now) {
  const ErrorQueueGuard guard;
  std::vector<std::string> warnings;
  std::vector<X509*> given{leaf.get()};
  for (const auto& cert : chain) given.push_back(cert.get());
  const auto subject = [](X509* c) { return format_name(X509_get_subject_name(c)); };

  std::vector<std::size_t> broken;  // positions whose certificate did not issue the one before
  for (std::size_t i = 1; i < given.size(); ++i)
    if (!issued_by(given[i - 1], given[i])) broken.push_back(i);

  std::vector<X509*> ordered = given;
  if (!broken.empty()) {
    // Whether the same certificates, reordered from the leaf up, form a chain.
    std::vector<X509*> rest(given.begin() + 1, given.end());
    std::vector<X509*> path{leaf.get()};
    while (!rest.empty()) {
      const auto next = std::find_if(rest.begin(), rest.end(), [&](X509* c) { return issued_by(path.back(), c); });
      if (next == rest.end()) break;
      path.push_back(*next);
      rest.erase(next);
    }
    if (rest.empty()) {
      warnings.push_back("the chain is in the wrong order: send the certificate that issued the server's first, "
                         "then the one that issued it, and so on");
      ordered = std::move(path);
    } else {
      for (const std::size_t i : broken)
        warnings.push_back("certificate " + std::to_string(i) + " of the chain (" + subject(given[i]) +
                           ") did not issue the one before it (" + subject(given[i - 1]) +
                           "): send the chain of the certificate's issuers, from the one that issued it up");
    }
  }

  std::time_t at = seconds_of(now);
  for (X509* cert : given) {
    const std::string who = cert == leaf.get() ? "the certificate (" + subject(cert) + ")"
                                               : "the chain's certificate " + subject(cert);
    if (X509_cmp_time(X509_get0_notAfter(cert), &at) < 0)
      warnings.push_back(who + " expired on " + format_time(time_of(X509_get0_notAfter(cert))) +
                         ": it needs to be renewed");
    else if (X509_cmp_time(X509_get0_notBefore(cert), &at) > 0)
      warnings.push_back(who + " is not valid before " + format_time(time_of(X509_get0_notBefore(cert))) +
                         ": check the clock, or wait");
  }

  X509* last = ordered.back();
  const bool anchored = is_self_signed(last) || std::any_of(trusted.begin(), trusted.end(), [&](const Certificate& t) {
                          return issued_by(last, t.get());
                        });
  if (!anchored)
    warnings.push_back("the last certificate of the chain (" + subject(last) + ") was issued by " +
                       format_name(X509_get_issuer_name(last)) +
                       ", which is neither in the chain nor trusted: add that issuer's certificate to the chain");
  return warnings;
}

std::optional<std::string> client_certificate_account(const Certificate& cert, std::string_view domain) {
  const ErrorQueueGuard guard;
  const auto account_in = [&](std::string_view address) -> std::optional<std::string> {
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || !iequals(address.substr(at + 1), domain)) return std::nullopt;
    const std::string_view local = address.substr(0, at);
    if (!is_clean_utf8(local)) return std::nullopt;
    return std::string(local);
  };
  const auto emails = alt_names_of(cert.get(), GEN_EMAIL);
  for (const auto& email : emails)
    if (auto account = account_in(email)) return account;
  // A certificate that names an address elsewhere is that address's, not a
  // same-named account's here.
  if (!emails.empty() || !name_entries(X509_get_subject_name(cert.get()), NID_pkcs9_emailAddress).empty())
    return std::nullopt;
  const auto names = name_entries(X509_get_subject_name(cert.get()), NID_commonName);
  if (names.empty() || names.front().empty()) return std::nullopt;
  const std::string& cn = names.front();
  if (cn.find('@') == std::string::npos) {
    if (!is_clean_utf8(cn)) return std::nullopt;
    return cn;
  }
  return account_in(cn);
}

Checked<std::string> verify_client_certificate(const std::vector<Certificate>& presented,
                                               const std::vector<Certificate>& trusted,
                                               std::string_view issuer_subject, std::string_view domain,
                                               std::chrono::system_clock::time_point now) {
  const ErrorQueueGuard guard;
  using Result = Checked<std::string>;
  if (presented.empty()) return Result::failure("no client certificate was presented");
  if (trusted.empty())
    return Result::failure("no certificate authority is trusted for client certificates of " + printable(domain) +
                           ": add one to the trusted certificates");
  const X509StorePtr store(X509_STORE_new());
  const X509StackPtr untrusted(sk_X509_new_null());
  const X509StoreContextPtr context(X509_STORE_CTX_new());
  if (!store || !untrusted || !context) return Result::failure("cannot check the client certificate: " + openssl_detail());
  for (const auto& cert : trusted)
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      // The same certificate twice in the trusted set is harmless.
      const unsigned long code = ERR_peek_last_error();
      if (ERR_GET_REASON(code) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
        return Result::failure("cannot use the trusted certificates: " + openssl_detail());
      ERR_clear_error();
    }
  for (std::size_t i = 1; i < presented.size(); ++i)
    if (sk_X509_push(untrusted.get(), presented[i].get()) <= 0)
      return Result::failure("cannot check the client certificate: " + openssl_detail());
  if (X509_STORE_CTX_init(context.get(), store.get(), presented[0].get(), untrusted.get()) != 1)
    return Result::failure("cannot check the client certificate: " + openssl_detail());
  X509_STORE_CTX_set_time(context.get(), 0, seconds_of(now));
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_CLIENT);
  // A trusted intermediate (a users' CA under a corporate root) is an anchor
  // of its own: the root need not be trusted too.
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(context.get()), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(context.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(context.get());
    X509* failed = X509_STORE_CTX_get_current_cert(context.get());
    std::string where = failed != nullptr ? " (at " + format_name(X509_get_subject_name(failed)) + ")" : "";
    return Result::failure("the client certificate is refused: " + std::string(X509_verify_cert_error_string(error)) +
                           where);
  }
  if (!issuer_subject.empty()) {
    STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(context.get());
    bool found = false;
    for (int i = 1; path != nullptr && i < sk_X509_num(path) && !found; ++i)
      found = format_name(X509_get_subject_name(sk_X509_value(path, i))) == issuer_subject;
    if (!found)
      return Result::failure("the client certificate is refused: it was not issued under " + printable(issuer_subject));
  }
  auto account = client_certificate_account(presented[0], domain);
  if (!account)
    return Result::failure("the client certificate names no account of " + printable(domain) +
                           ": it needs a subjectAltName e-mail address in that domain or a subject common name");
  Result out;
  out.value = std::move(account);
  return out;
}

std::vector<std::string> split_names(std::string_view rest) {
  std::vector<std::string> names;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    names.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return names;
}

}  // namespace authd::host::pki
