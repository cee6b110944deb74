#include "slapd_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "ldap/escaping.hpp"
#include "passwords/registry.hpp"

extern char** environ;

namespace authd::testing {

namespace {

using namespace std::chrono_literals;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

// RFC 2849 SAFE-STRING, else the value is written base64 ("::").
bool ldif_safe(std::string_view value) {
  if (value.empty()) return true;
  if (value.front() == ' ' || value.front() == ':' || value.front() == '<' || value.back() == ' ') return false;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0 || byte == '\n' || byte == '\r' || byte >= 0x80) return false;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(alphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(alphabet[(bits << (6 - count)) & 63]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

void attribute(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  if (ldif_safe(value)) out.append(": ").append(value);
  else out.append(":: ").append(base64(value));
  out.push_back('\n');
}

std::string slapd_conf(const std::filesystem::path& dir, bool tls) {
  std::string conf =
      "include /etc/ldap/schema/core.schema\n"
      "include /etc/ldap/schema/cosine.schema\n"
      "include /etc/ldap/schema/inetorgperson.schema\n"
      "include /etc/ldap/schema/nis.schema\n"
      "modulepath /usr/lib/ldap\n"
      "moduleload back_mdb\n"
      "pidfile " + (dir / "slapd.pid").string() + "\n"
      "loglevel 0\n"
      // A DN with an empty password binds as anonymous: the trap a backend
      // must never walk into.
      "allow bind_anon_dn\n"
      "password-hash {SSHA}\n";
  if (tls) {
    conf += "TLSCACertificateFile " + (dir / "ca.pem").string() + "\n" +
            "TLSCertificateFile " + (dir / "server.pem").string() + "\n" +
            "TLSCertificateKeyFile " + (dir / "server.key").string() + "\n";
  }
  conf += "database mdb\n"
          "suffix \"dc=example,dc=com\"\n"
          "rootdn \"cn=admin,dc=example,dc=com\"\n"
          "rootpw admin\n"
          "directory " + (dir / "db").string() + "\n"
          "maxsize 268435456\n"
          "index objectClass eq\n"
          "index uid eq\n"
          // Only the service account may see these entries: a search
          // connection that had taken a user's identity would not find them.
          "access to dn.subtree=\"ou=hidden.example,ou=people,dc=example,dc=com\"\n"
          "  by dn.exact=\"cn=service,dc=example,dc=com\" read\n"
          "  by anonymous auth\n"
          "  by * none\n"
          "access to attrs=userPassword filter=(employeeType=bindonly)\n"
          "  by * auth\n"
          "access to attrs=userPassword\n"
          "  by dn.exact=\"cn=service,dc=example,dc=com\" read\n"
          "  by * auth\n"
          "access to *\n"
          "  by * read\n";
  return conf;
}

}  // namespace

std::string Slapd::dn_of(const std::string& name, const std::string& domain) {
  return "uid=" + ldap::ldap_dn_value_escape(name) + ",ou=" + ldap::ldap_dn_value_escape(domain) + "," + people;
}

std::string directory_ldif(const std::vector<LdapUser>& users) {
  std::string ldif =
      "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n"
      "dn: cn=service,dc=example,dc=com\nobjectClass: person\ncn: service\nsn: service\n";
  attribute(ldif, "userPassword", Slapd::service_password);
  ldif += "\ndn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n";
  std::vector<std::string> domains;
  for (const auto& user : users) {
    if (std::find(domains.begin(), domains.end(), user.domain) != domains.end()) continue;
    domains.push_back(user.domain);
    attribute(ldif, "dn", "ou=" + ldap::ldap_dn_value_escape(user.domain) + "," + Slapd::people);
    ldif += "objectClass: organizationalUnit\n";
    attribute(ldif, "ou", user.domain);
    ldif += "\n";
  }
  for (const auto& user : users) {
    attribute(ldif, "dn", Slapd::dn_of(user.name, user.domain));
    ldif += "objectClass: inetOrgPerson\n";
    attribute(ldif, "uid", user.name);
    attribute(ldif, "cn", user.name);
    attribute(ldif, "sn", user.name);
    attribute(ldif, "mail", user.name + "@" + user.domain);
    for (const auto& value : user.stored) attribute(ldif, "userPassword", value);
    if (user.disabled) ldif += "description: disabled\n";
    if (user.bind_only) ldif += "employeeType: bindonly\n";
    ldif += "\n";
  }
  return ldif;
}

Slapd::Slapd(const std::vector<LdapUser>& users, SlapdOptions options) : options_(options) {
  std::filesystem::create_directory(dir_.path() / "db");
  if (options_.tls) make_certificates();
  dir_.file("slapd.conf", slapd_conf(dir_.path(), options_.tls));
  const auto ldif = dir_.file("data.ldif", directory_ldif(users));
  run("/usr/sbin/slapadd -q -f " + (dir_.path() / "slapd.conf").string() + " -l " + ldif + " > " +
      (dir_.path() / "slapadd.log").string() + " 2>&1");
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (options_.tls) tls_port_ = free_port();
    if (try_start(5s)) return;
  }
  throw std::runtime_error("slapd did not start; see " + (dir_.path() / "slapd.log").string());
}

Slapd::~Slapd() {
  if (pid_ > 0) kill();
}

std::string Slapd::uri() const { return "ldap://127.0.0.1:" + std::to_string(port_) + "/"; }
std::string Slapd::tls_uri() const { return "ldaps://127.0.0.1:" + std::to_string(tls_port_) + "/"; }
std::string Slapd::ca_file() const { return (dir_.path() / "ca.pem").string(); }
std::string Slapd::other_ca_file() const { return (dir_.path() / "other-ca.pem").string(); }

void Slapd::make_certificates() {
  const std::string d = dir_.path().string();
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  dir_.file("server.ext", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                          "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("cd " + d + " && openssl req -x509" + key + " -keyout ca.key -out ca.pem -days 2 -subj '/CN=authd test CA' " +
      ">openssl.log 2>&1 && openssl req -x509" + key +
      " -keyout other-ca.key -out other-ca.pem -days 2 -subj '/CN=authd other CA' >>openssl.log 2>&1 && "
      "openssl req" + key + " -keyout server.key -out server.csr -subj '/CN=127.0.0.1' >>openssl.log 2>&1 && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
      "-extfile server.ext >>openssl.log 2>&1");
}

bool Slapd::try_start(std::chrono::milliseconds limit) {
  std::string listen = uri();
  if (options_.tls) listen += " " + tls_uri();
  const std::string conf = (dir_.path() / "slapd.conf").string();
  const std::string log = (dir_.path() / "slapd.log").string();
  // setpriv execs slapd with a parent-death signal: a test process that
  // dies (a sanitizer abort, a crash) takes its slapd with it.
  std::vector<std::string> args = {"/usr/bin/setpriv", "--pdeathsig", "KILL", "/usr/sbin/slapd", "-f", conf,
                                   "-h", listen, "-d", "0"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start slapd");
  pid_ = pid;
  frozen_ = false;
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;  // exited: most likely the port was taken meanwhile
      return false;
    }
    if (accepts_connections(port_) && (!options_.tls || accepts_connections(tls_port_))) return true;
    std::this_thread::sleep_for(5ms);
  }
  kill();
  return false;
}

void Slapd::start() {
  if (pid_ > 0) return;
  // The ports were ours a moment ago; a restart retries a little in case
  // the old sockets are still being torn down.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (try_start(5s)) return;
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error("slapd did not restart on port " + std::to_string(port_));
}

void Slapd::stop() {
  if (pid_ <= 0) return;
  if (frozen_) thaw();
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(5ms);
  }
  kill();
}

void Slapd::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  frozen_ = false;
}

namespace {

// Whether every thread of `pid` has stopped.
bool all_threads_stopped(pid_t pid) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    // "pid (comm) S ...": the state follows the last ')'.
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'T') return false;
  }
  return !error;
}

}  // namespace

void Slapd::freeze() {
  if (pid_ <= 0 || ::kill(pid_, SIGSTOP) != 0) return;
  frozen_ = true;
  // kill() returns before the stop has reached every thread; a thread still
  // running could answer one more request.
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (!all_threads_stopped(pid_) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
}

void Slapd::thaw() {
  if (pid_ > 0 && ::kill(pid_, SIGCONT) == 0) frozen_ = false;
}

BulkKind bulk_kind(int index) {
  switch (index % 5) {
    case 0: return BulkKind::Ssha;
    case 1: return (index / 5) % 5 == 0 ? BulkKind::Crypt : BulkKind::Ssha;
    case 2: return BulkKind::Clear;
    case 3: return BulkKind::CramMd5;
    default: return BulkKind::BindOnly;
  }
}

std::string bulk_name(int index) {
  std::string digits = std::to_string(index);
  return "user" + std::string(4 - std::min<std::size_t>(4, digits.size()), '0') + digits;
}

std::string bulk_password(int index) { return "pw " + std::to_string(index * 7919 % 100003) + "-" + bulk_name(index); }

const std::vector<LdapUser>& bulk_users() {
  static const std::vector<LdapUser> users = [] {
    const auto& registry = passwords::Registry::instance();
    std::vector<LdapUser> made;
    made.reserve(bulk_count);
    for (int i = 0; i < bulk_count; ++i) {
      const Secret password(bulk_password(i));
      std::string stored;
      switch (bulk_kind(i)) {
        case BulkKind::Ssha:
        case BulkKind::BindOnly: stored = registry.encode("SSHA", password); break;
        case BulkKind::Crypt: stored = "{CRYPT}" + registry.encode("SHA512-CRYPT", password); break;
        case BulkKind::Clear: stored = bulk_password(i); break;
        case BulkKind::CramMd5: stored = registry.encode("CRAM-MD5", password); break;
      }
      made.push_back({bulk_name(i), "example.com", {stored}, false, bulk_kind(i) == BulkKind::BindOnly});
    }
    return made;
  }();
  return users;
}

std::size_t open_fd_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

}  // namespace authd::testing
