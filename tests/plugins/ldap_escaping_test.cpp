// LDAP filter and DN escaping over every byte value, checked against
// libldap's own parsers, and the name templates that use them.
#include <ldap.h>

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ldap/escaping.hpp"
#include "ldap/name_template.hpp"

namespace authd::ldap {
namespace {

std::string hex_escape(unsigned char c) {
  static constexpr char digits[] = "0123456789abcdef";
  return {'\\', digits[c >> 4], digits[c & 15]};
}

std::string byte_string(int c) { return std::string(1, static_cast<char>(c)); }

std::string all_bytes() {
  std::string bytes;
  for (int c = 0; c < 256; ++c) bytes.push_back(static_cast<char>(c));
  return bytes;
}

// The assertion value libldap encodes for "(uid=<escaped>)", or nullopt if
// it refuses the filter.
std::optional<std::string> filter_value_through_libldap(const std::string& escaped) {
  const std::string filter = "(uid=" + escaped + ")";
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  if (ber == nullptr) return std::nullopt;
  std::optional<std::string> value;
  berval* flat = nullptr;
  if (ldap_put_vrFilter(ber, filter.c_str()) == 0 && ber_flatten(ber, &flat) == 0) {
    BerElement* reader = ber_init(flat);
    berval attribute{}, assertion{};
    if (reader != nullptr && ber_scanf(reader, "{{mm}}", &attribute, &assertion) != LBER_ERROR &&
        std::string_view(attribute.bv_val, attribute.bv_len) == "uid")
      value = std::string(assertion.bv_val, assertion.bv_len);
    if (reader != nullptr) ber_free(reader, 1);
    ber_bvfree(flat);
  }
  ber_free(ber, 1);
  return value;
}

// The value of the first RDN of "uid=<escaped>,dc=example,dc=com" as
// libldap parses it, or nullopt unless it parses into exactly that shape.
std::optional<std::string> dn_value_through_libldap(const std::string& escaped) {
  const std::string text = "uid=" + escaped + ",dc=example,dc=com";
  berval in{static_cast<ber_len_t>(text.size()), const_cast<char*>(text.data())};
  LDAPDN dn = nullptr;
  if (ldap_bv2dn(&in, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == nullptr) return std::nullopt;
  std::optional<std::string> value;
  int rdns = 0;
  while (dn[rdns] != nullptr) ++rdns;
  if (rdns == 3 && dn[0][0] != nullptr && dn[0][1] == nullptr &&
      std::string_view(dn[0][0]->la_attr.bv_val, dn[0][0]->la_attr.bv_len) == "uid")
    value = std::string(dn[0][0]->la_value.bv_val, dn[0][0]->la_value.bv_len);
  ldap_dnfree(dn);
  return value;
}

TEST(LdapFilterEscape, EveryByteValue) {
  for (int c = 0; c < 256; ++c) {
    const auto byte = static_cast<unsigned char>(c);
    const std::string escaped = ldap_filter_escape(byte_string(c));
    const bool special = c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c >= 0x7f;
    EXPECT_EQ(escaped, special ? hex_escape(byte) : byte_string(c)) << "byte " << c;
    for (const char out : escaped) {
      EXPECT_TRUE(out >= 0x20 && out < 0x7f) << "byte " << c;
    }
  }
}

TEST(LdapFilterEscape, EveryByteValueRoundTripsThroughLibldap) {
  for (int c = 0; c < 256; ++c) {
    for (const std::string& value : {byte_string(c), "a" + byte_string(c) + "b", byte_string(c) + byte_string(c)}) {
      EXPECT_EQ(filter_value_through_libldap(ldap_filter_escape(value)), value) << "byte " << c;
    }
  }
  EXPECT_EQ(filter_value_through_libldap(ldap_filter_escape(all_bytes())), all_bytes());
}

TEST(LdapFilterEscape, InjectionsStayOneValue) {
  EXPECT_EQ(ldap_filter_escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
  EXPECT_EQ(ldap_filter_escape("joe)(|(objectClass=*)"), "joe\\29\\28|\\28objectClass=\\2a\\29");
  EXPECT_EQ(ldap_filter_escape(std::string("a\0b", 3)), "a\\00b");
  EXPECT_EQ(ldap_filter_escape("\\2a"), "\\5c2a");
  EXPECT_EQ(ldap_filter_escape("p\xc3\xa4"), "p\\c3\\a4");
  EXPECT_EQ(ldap_filter_escape(""), "");
  EXPECT_EQ(ldap_filter_escape("plain.name-1_2@x"), "plain.name-1_2@x");
}

TEST(LdapDnValueEscape, EveryByteValueInEveryPosition) {
  for (int c = 0; c < 256; ++c) {
    const auto byte = static_cast<unsigned char>(c);
    const std::string middle = ldap_dn_value_escape("a" + byte_string(c) + "a");
    const std::string alone = ldap_dn_value_escape(byte_string(c));
    std::string expected_middle;
    if (c < 0x20 || c >= 0x7f) expected_middle = hex_escape(byte);
    else if (std::string_view("\"+,;<>=\\").find(static_cast<char>(c)) != std::string_view::npos)
      expected_middle = "\\" + byte_string(c);
    else expected_middle = byte_string(c);
    EXPECT_EQ(middle, "a" + expected_middle + "a") << "byte " << c;
    // A space or '#' alone is both leading (and a space trailing): escaped.
    EXPECT_EQ(alone, c == ' ' || c == '#' ? "\\" + byte_string(c) : expected_middle) << "byte " << c;
  }
  EXPECT_EQ(ldap_dn_value_escape(" a "), "\\ a\\ ");
  EXPECT_EQ(ldap_dn_value_escape("#a#"), "\\#a#");
  EXPECT_EQ(ldap_dn_value_escape("a  b"), "a  b");
}

TEST(LdapDnValueEscape, EveryByteValueRoundTripsThroughLibldap) {
  for (int c = 0; c < 256; ++c) {
    for (const std::string& value : {byte_string(c), "a" + byte_string(c), byte_string(c) + "a",
                                     "a" + byte_string(c) + "a", byte_string(c) + byte_string(c)}) {
      EXPECT_EQ(dn_value_through_libldap(ldap_dn_value_escape(value)), value) << "byte " << c;
    }
  }
  EXPECT_EQ(dn_value_through_libldap(ldap_dn_value_escape(all_bytes())), all_bytes());
}

TEST(LdapDnValueEscape, InjectionsStayOneValue) {
  EXPECT_EQ(ldap_dn_value_escape("joe,ou=admins"), "joe\\,ou\\=admins");
  EXPECT_EQ(dn_value_through_libldap(ldap_dn_value_escape("joe,ou=admins")), "joe,ou=admins");
  EXPECT_EQ(dn_value_through_libldap(ldap_dn_value_escape("a+cn=b")), "a+cn=b");
  EXPECT_EQ(ldap_dn_value_escape("back\\slash"), "back\\\\slash");
}

TEST(LdapEscape, RandomValuesRoundTrip) {
  std::mt19937 random(20240601);
  std::uniform_int_distribution<int> length(0, 24), byte(0, 255);
  for (int i = 0; i < 2000; ++i) {
    std::string value;
    for (int n = length(random); n > 0; --n) value.push_back(static_cast<char>(byte(random)));
    EXPECT_EQ(filter_value_through_libldap(ldap_filter_escape(value)), value);
    if (!value.empty()) {
      EXPECT_EQ(dn_value_through_libldap(ldap_dn_value_escape(value)), value);
    }
  }
}

TEST(LdapNameTemplate, SubstitutesEscapedParts) {
  const Account account{"o(x)*,y", "example.com"};
  EXPECT_EQ(NameTemplate("f", "(&(uid=%u)(mail=%n)(ou=%d)(x=100%%))", TemplateKind::Filter).expand(account),
            "(&(uid=o\\28x\\29\\2a,y)(mail=o\\28x\\29\\2a,y@example.com)(ou=example.com)(x=100%))");
  EXPECT_EQ(NameTemplate("d", "uid=%u,ou=%d,dc=example,dc=com", TemplateKind::Dn).expand(account),
            "uid=o(x)*\\,y,ou=example.com,dc=example,dc=com");
  EXPECT_TRUE(NameTemplate("d", "uid=%n", TemplateKind::Dn).names_the_account());
  EXPECT_FALSE(NameTemplate("d", "ou=%d,dc=x", TemplateKind::Dn).names_the_account());
  EXPECT_TRUE(NameTemplate().empty());
}

TEST(LdapNameTemplate, RefusesUnknownPlaceholders) {
  try {
    NameTemplate("filter", "(uid=%x)", TemplateKind::Filter);
    FAIL() << "accepted %x";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "filter");
    EXPECT_NE(std::string(e.what()).find("%x"), std::string::npos);
  }
  EXPECT_THROW(NameTemplate("base", "ou=%", TemplateKind::Dn), ConfigError);
}

}  // namespace
}  // namespace authd::ldap
