// A throwaway OpenLDAP server for the LDAP tests: its own slapd.conf and
// mdb database in a temporary directory, loaded with slapadd from an LDIF
// the fixture writes, listening on free loopback ports, run in the
// foreground as a child of the test so the test owns its pid (stop, kill,
// SIGSTOP, restart).
//
// The directory:
//   dc=example,dc=com
//     cn=service            the service account (service_dn / service_password)
//     ou=people
//       ou=<domain>         one per domain of the users; the entries below
//                           ou=hidden.example only the service account may read
//         uid=<name>        inetOrgPerson; description "disabled" when disabled,
//                           employeeType "bindonly" when only binds may use
//                           the password (the service account cannot read it)
//
// The server allows unauthenticated binds (allow bind_anon_dn): a DN with an
// empty password succeeds as anonymous, so a backend that ever sent one
// would be caught.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "engine_harness.hpp"

namespace authd::testing {

struct LdapUser {
  std::string name;
  std::string domain;
  std::vector<std::string> stored;  // userPassword values, as stored (several: multi-valued)
  bool disabled = false;
  bool bind_only = false;
};

struct SlapdOptions {
  bool tls = false;  // also listen with ldaps:// and offer StartTLS, with a certificate of the fixture's CA
};

class Slapd {
 public:
  static constexpr const char* suffix = "dc=example,dc=com";
  static constexpr const char* service_dn = "cn=service,dc=example,dc=com";
  static constexpr const char* service_password = "service secret";
  static constexpr const char* people = "ou=people,dc=example,dc=com";

  explicit Slapd(const std::vector<LdapUser>& users, SlapdOptions options = {});
  ~Slapd();
  Slapd(const Slapd&) = delete;
  Slapd& operator=(const Slapd&) = delete;

  std::string uri() const;      // ldap://127.0.0.1:port/
  std::string tls_uri() const;  // ldaps://127.0.0.1:port/ (tls only)
  std::string ca_file() const;  // the CA that signed the server's certificate (tls only)
  std::string other_ca_file() const;  // a CA that did not (tls only)
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  void start();   // again, on the same ports and database
  void stop();    // SIGTERM, then SIGKILL after a while; waits for the exit
  void kill();    // SIGKILL; waits for the exit
  void freeze();  // SIGSTOP: connections are still accepted by the kernel, never answered
  void thaw();    // SIGCONT

  // The DN of a user's entry.
  static std::string dn_of(const std::string& name, const std::string& domain);

 private:
  void make_certificates();
  bool try_start(std::chrono::milliseconds limit);

  TempDir dir_;
  SlapdOptions options_;
  int port_ = 0;
  int tls_port_ = 0;
  pid_t pid_ = -1;
  bool frozen_ = false;
};

// An LDIF of the directory above holding `users`.
std::string directory_ldif(const std::vector<LdapUser>& users);

// The bulk users: user0000@example.com ... with password bulk_password(i),
// stored by kind i % 5: {SSHA}, {CRYPT}$6$ (every fifth of those; the others
// {SSHA} as well), clear text, {CRAM-MD5}, and {SSHA} readable by binds only.
enum class BulkKind { Ssha, Crypt, Clear, CramMd5, BindOnly };
BulkKind bulk_kind(int index);
std::string bulk_password(int index);
std::string bulk_name(int index);
const std::vector<LdapUser>& bulk_users();  // 1000, made once per process
inline constexpr int bulk_count = 1000;

// The number of open file descriptors of this process.
std::size_t open_fd_count();

}  // namespace authd::testing
