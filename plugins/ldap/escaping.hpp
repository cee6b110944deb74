// Escaping of values substituted into LDAP filters and DNs: one function
// each, used for every substitution, so that a name can never change the
// structure of the filter or DN it is put into.
#pragma once

#include <string>
#include <string_view>

namespace authd::ldap {

// A value for an assertion in a search filter (RFC 4515). `*`, `(`, `)`,
// `\` and NUL must be escaped; every other byte outside printable ASCII
// (control bytes, DEL, bytes of UTF-8 sequences) is escaped as well, as
// "\xx" with lower-case hex, so the filter string is plain ASCII whatever
// the input.
std::string ldap_filter_escape(std::string_view value);

// An attribute value in a distinguished name (RFC 4514 section 2.4):
// `"`, `+`, `,`, `;`, `<`, `>`, `=` and `\` take a backslash, a leading
// space or `#` and a trailing space too, and bytes outside printable ASCII
// (NUL, control bytes, DEL, bytes of UTF-8 sequences) become "\xx".
std::string ldap_dn_value_escape(std::string_view value);

}  // namespace authd::ldap
