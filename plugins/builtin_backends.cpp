// The backends compiled into authd. Adding one is adding its include and
// its line here: there is no registration by static initialisation.
#include "plugins/builtin_backends.hpp"

#include "passwd-file/passwd_file_backend.hpp"
#include "ldap/ldap_backend.hpp"
#include "sql/sql_backend.hpp"
#include "pam/pam_backend.hpp"

namespace authd {

void register_builtin_backends(BackendTypes& types) {
  types.add(describe_backend<passwd_file::PasswdFileBackend>(), "built-in");
  types.add(describe_backend<ldap::LdapBackend>(), "built-in");
  types.add(describe_backend<sql::SqlBackend>(), "built-in");
  types.add(describe_backend<pam::PamBackend>(), "built-in");
}

}  // namespace authd
