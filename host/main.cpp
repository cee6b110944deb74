// authhost: the reference server host.
//   authhost replay SESSION.txt -- COMMAND [ARGS...]     run a scripted session against any helper
//   authhost conformance --account NAME@DOMAIN --password-file FILE ... -- COMMAND [ARGS...]
//                                                         check any helper against the protocol: a report
//                                                         card (cli/conformance_command.hpp, docs/conformance.md)
//   authhost --data DIR init --main-domain DOMAIN         create a data directory
//   authhost --data DIR login NAME@DOMAIN [--method ...]  one login through the whole path
//   authhost --data DIR domain|account|settings|rights|unlock ...
//                                                         local administration, as --as (default
//                                                         postmaster@<main domain>), with its rights
//   authhost --data DIR pki ...                           keys, certificates, chains, trusted certificates
//                                                         (cli/pki_commands.hpp, docs/pki.md)
//   authhost --data DIR serve [--port N] [--listen ADDR] [--front PROTO=ADDR:PORT ...]
//                                                         the administration interface (admin_server.hpp)
//                                                         and the login fronts (fronts/front_server.hpp)
//   authhost admin --connect HOST:PORT --user NAME@DOMAIN [COMMAND ARGS...]
//                                                         its client (admin_client.hpp)
// Passwords are read from standard input (one line), never from the command
// line, where other users could see them.
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "host/admin/admin_client.hpp"
#include "host/admin/admin_server.hpp"
#include "host/cli/conformance_command.hpp"
#include "host/cli/pki_commands.hpp"
#include "host/fronts/front_server.hpp"
#include "host/login/client_addresses.hpp"
#include "host/host.hpp"
#include "host/helper/replay.hpp"
#include "passwords/challenge.hpp"
#include "protocol/log_text.hpp"

namespace {

using namespace authd::host;

constexpr std::size_t max_log_line = 4096;

int replay(const std::string& session_path, const std::vector<std::string>& command, int timeout_ms, bool verbose) {
  std::ifstream in(session_path, std::ios::binary);
  if (!in) {
    std::cerr << "authhost: cannot read session file " << session_path << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto result = replay_session(text.str(), command, std::chrono::milliseconds(timeout_ms));
  if (verbose)
    for (const auto& line : result.received) std::cout << "O: " << line << "\n";
  for (const auto& mismatch : result.mismatches) std::cout << session_path << ": " << mismatch << "\n";
  if (result.mismatches.empty()) {
    std::cout << session_path << ": all " << result.as_expected << " answers as expected\n";
    return 0;
  }
  std::cout << session_path << ": " << result.as_expected << " of " << result.expected << " answers as expected\n";
  return 1;
}

// One line of standard input, without its line end.
bool read_secret_line(authd::Secret& out) {
  out.clear();
  char c;
  bool any = false;
  while (std::cin.get(c)) {
    any = true;
    if (c == '\n') break;
    out.push_back(c);
  }
  if (!out.empty() && out.view().back() == '\r') {
    authd::Secret trimmed(out.view().substr(0, out.size() - 1));
    out = std::move(trimmed);
  }
  return any;
}

int report(const Status& status) {
  for (const auto& w : status.warnings) std::cerr << "authhost: warning: " << w << "\n";
  if (status.ok()) return 0;
  std::cerr << "authhost: " << error_code_name(status.code) << ": " << status.message << "\n";
  return 1;
}

struct Common {
  std::string data = "./authhost-data";
  std::string as;
  bool verbose = false;
};

// The one writer of authhost's log: names, modes and helper lines come from
// clients and helpers, so each line is made safe to show first.
void log_line(std::string_view line) {
  // One write per line: the fronts and the administration interface log
  // from several threads.
  const std::string text = "authhost: " + authd::protocol::log_safe_text(line, max_log_line) + "\n";
  std::cerr.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::unique_ptr<Host> open_host(const Common& common) {
  const Host::Logger log = common.verbose ? Host::Logger(log_line) : Host::Logger();
  return Host::open(common.data, log, log);
}

// The caller of a local administrative command.
std::optional<Address> caller_of(const Common& common, const Host& host) {
  const std::string name = common.as.empty() ? "postmaster@" + host.main_domain() : common.as;
  auto caller = parse_address(name);
  if (!caller) std::cerr << "authhost: --as " << name << " is not an account address\n";
  return caller;
}

int run_init(const Common& common, const std::string& main_domain, const std::optional<std::string>& given) {
  authd::Secret password;
  if (given) {
    password.assign(*given);
  } else {
    if (::isatty(STDIN_FILENO)) std::cerr << "password for postmaster@" << main_domain << ": ";
    read_secret_line(password);
  }
  const Status status = Host::init(common.data, main_domain, password);
  if (status.ok()) std::cout << "created " << common.data << " with main domain " << main_domain << "\n";
  return report(status);
}

struct LoginOptions {
  std::string name;
  std::string method = "plain";
  std::string from = "127.0.0.1";
  std::string mode;
  bool secure = false;
  bool set_password = false;
};

int run_login(const Common& common, const LoginOptions& o) {
  if (!parse_ip_address(o.from)) {
    std::cerr << "authhost: --from " << o.from << " is not an IPv4 or IPv6 address\n";
    return 2;
  }
  auto host = open_host(common);
  LoginRequest request;
  request.name = o.name;
  request.client_address = o.from;
  request.secure = o.secure;
  request.mode = o.mode;
  authd::Secret password;
  read_secret_line(password);
  if (o.method == "plain") {
    request.method = LoginMethod::Plain;
    request.secret = std::move(password);
  } else {
    // Play the client's part: issue a challenge and answer it with the password.
    request.challenge = "<" + std::to_string(::getpid()) + "." + std::to_string(::time(nullptr)) + "@authhost>";
    if (o.method == "apop") {
      request.method = LoginMethod::Apop;
      request.secret.assign(authd::passwords::apop_digest(request.challenge, password));
    } else {
      request.method = LoginMethod::CramMd5;
      authd::passwords::CramMd5Context context;
      authd::passwords::CramMd5Context::from_password(password.view(), context);
      request.secret.assign(authd::passwords::cram_md5_response(context, request.challenge));
    }
  }
  const LoginResult result = host->login(request);
  switch (result.status) {
    case LoginStatus::Accepted: std::cout << "OK " << result.text << "\n"; break;
    case LoginStatus::Rejected:
    case LoginStatus::AddressRefused: std::cout << "ERROR " << result.text << "\n"; break;
    case LoginStatus::TempFail: std::cout << "FAILURE " << result.text << "\n"; break;
  }
  if (result.status == LoginStatus::Accepted && o.set_password) {
    authd::Secret fresh;
    if (!read_secret_line(fresh)) {
      std::cerr << "authhost: --set-password: no new password on the second line of standard input\n";
      return 1;
    }
    if (const int rc = report(host->set_own_password(result, fresh)); rc != 0) return rc;
    std::cout << "internal password set\n";
  }
  switch (result.status) {
    case LoginStatus::Accepted: return 0;
    case LoginStatus::TempFail: return 2;
    default: return 1;
  }
}

struct ServeOptions {
  std::vector<std::string> fronts;
  int front_max_connections = 20000;
  int front_max_per_address = 64;
  int front_login_threads = 16;
  int port = 0;
  std::vector<std::string> listen;
  int max_connections = 16;
  int idle_timeout_s = 300;
  int login_timeout_s = 30;
  int max_waiting_per_address = 4;
};

// Each front connection is a descriptor: the soft limit goes up to the
// hard one when the fronts may need more than it allows.
void raise_descriptor_limit(std::size_t connections) {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(connections) + 256;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// Runs until SIGTERM or SIGINT. The signals are blocked before any thread
// starts, so that only sigwait() here sees them, and the shutdown runs on
// this thread instead of inside a handler.
int run_serve(const Common& common, const ServeOptions& o) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  fronts::FrontOptions front_options;
  for (const auto& text : o.fronts) {
    std::string error;
    const auto spec = fronts::parse_front_spec(text, error);
    if (!spec) {
      std::cerr << "authhost serve: --front " << error << "\n";
      return 2;
    }
    front_options.fronts.push_back(*spec);
  }
  front_options.max_connections = static_cast<std::size_t>(o.front_max_connections);
  front_options.max_per_address = static_cast<std::size_t>(o.front_max_per_address);
  front_options.login_threads = static_cast<std::size_t>(o.front_login_threads);
  raise_descriptor_limit(front_options.max_connections);
  auto host = Host::open(common.data, log_line, common.verbose ? Host::Logger(log_line) : Host::Logger());
  // Valid 30 days from this start (docs/pki.md).
  if (const auto test = host->refresh_test_certificate(); !test.ok())
    log_line("cannot make the test certificate: " + test.status.message);
  admin::ServerOptions options;
  if (!o.listen.empty()) options.listen = o.listen;
  options.port = static_cast<std::uint16_t>(o.port);
  options.max_connections = static_cast<std::size_t>(o.max_connections);
  options.idle_timeout = std::chrono::seconds(o.idle_timeout_s);
  options.login_timeout = std::chrono::seconds(o.login_timeout_s);
  options.max_prelogin_per_address = static_cast<std::size_t>(o.max_waiting_per_address);
  try {
    admin::Server server(*host, options, common.verbose ? admin::Server::Logger(log_line) : admin::Server::Logger());
    std::optional<fronts::FrontServer> front_server;
    if (!front_options.fronts.empty()) front_server.emplace(*host, front_options, log_line);
    for (const auto& endpoint : server.endpoints()) std::cout << "listening on " << endpoint << "\n";
    if (front_server)
      for (const auto& [name, endpoint] : front_server->endpoints())
        std::cout << name << " listening on " << endpoint << "\n";
    std::cout.flush();
    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::cerr << "authhost: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping\n";
    if (front_server) front_server->stop();
    server.stop();
  } catch (const admin::ServerError& e) {
    std::cerr << "authhost serve: " << e.what() << "\n";
    return 2;
  } catch (const fronts::FrontError& e) {
    std::cerr << "authhost serve: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

void print_settings(const std::vector<SettingView>& settings) {
  for (const auto& s : settings) std::cout << s.name << " = " << s.value << "   (" << s.origin << ")\n";
}

// The command line: every option's value and every subcommand, filled by
// CLI11 and read by the runners below.
struct CommandLine {
  Common common;
  std::string session{};
  std::vector<std::string> command{};
  int timeout_ms = 10000;
  std::string main_domain{};
  std::optional<std::string> postmaster_password{};
  LoginOptions login{};
  std::string domain_name{};
  std::string account_name{};
  bool password_stdin = false;
  SettingsScope scope{};
  std::vector<std::string> assignments{};
  std::string rights_list{};
  ServeOptions serve{};
  admin::ClientOptions client{};
  int client_timeout_s = 30;
  CLI::App* replay_cmd = nullptr;
  CLI::App* init_cmd = nullptr;
  CLI::App* login_cmd = nullptr;
  CLI::App* domain_cmd = nullptr;
  CLI::App* domain_create = nullptr;
  CLI::App* domain_delete = nullptr;
  CLI::App* domain_list = nullptr;
  CLI::App* account_cmd = nullptr;
  CLI::App* account_create = nullptr;
  CLI::App* account_delete = nullptr;
  CLI::App* account_password = nullptr;
  CLI::App* account_list = nullptr;
  CLI::App* settings_cmd = nullptr;
  CLI::App* settings_get = nullptr;
  CLI::App* settings_set = nullptr;
  CLI::App* rights_cmd = nullptr;
  CLI::App* rights_get = nullptr;
  CLI::App* rights_set = nullptr;
  CLI::App* unlock_cmd = nullptr;
  CLI::App* serve_cmd = nullptr;
  CLI::App* admin_cmd = nullptr;
  cli::PkiCommandLine pki{};
  cli::ConformanceCommandLine conformance{};
};

// replay, init, login, serve and admin: the commands that are programs of their own.
void add_program_commands(CLI::App& app, CommandLine& c) {
  c.replay_cmd = app.add_subcommand("replay", "run a scripted session (I:/O: lines) against any helper; "
                                                  "exit 0 when every expected answer arrived");
  c.replay_cmd->add_option("session", c.session, "session file")->required()->check(CLI::ExistingFile);
  c.replay_cmd->add_option("command", c.command, "the helper and its arguments, after --")->required();
  c.replay_cmd->add_option("--timeout-ms", c.timeout_ms, "how long to wait for the answers")->check(CLI::Range(1, 3600000));

  c.init_cmd = app.add_subcommand("init", "create the data directory with its main domain and "
                                              "postmaster@<main domain>, who holds unlimited rights");
  c.init_cmd->add_option("--main-domain", c.main_domain, "the main domain")->required();
  c.init_cmd->add_option("--postmaster-password", c.postmaster_password,
                       "postmaster's password (default: one line of standard input)");

  c.login_cmd = app.add_subcommand("login", "one login through the whole path, the password on standard input; "
                                                "prints the answer; exit 0 accepted, 1 rejected, 2 temporary failure");
  c.login_cmd->add_option("name", c.login.name, "NAME@DOMAIN")->required();
  c.login_cmd->add_option("--method", c.login.method, "plain, cram-md5 or apop")
      ->check(CLI::IsMember({"plain", "cram-md5", "apop"}));
  c.login_cmd->add_option("--from", c.login.from, "the client's IP address (default 127.0.0.1)");
  c.login_cmd->add_option("--mode", c.login.mode, "the service asking: IMAP, POP, SMTP, ...");
  c.login_cmd->add_flag("--secure", c.login.secure, "the connection is encrypted");
  c.login_cmd->add_flag("--set-password", c.login.set_password,
                      "after a successful login, set the internal password to the second line of standard input");

  c.serve_cmd = app.add_subcommand("serve", "run the administration interface on loopback and the login fronts "
                                                "until SIGTERM or SIGINT (docs/admin-protocol.md, docs/fronts.md)")
                       ->fallthrough();
  c.serve_cmd->add_option("--front", c.serve.fronts,
                         "a login front, PROTO=ADDRESS:PORT, repeatable: PROTO is pop3, pop3s, imap, imaps, "
                         "submission or smtps; port 0 takes a free one (printed at start)");
  c.serve_cmd->add_option("--front-max-connections", c.serve.front_max_connections,
                         "front connections at once, all fronts together (default 20000)")
      ->check(CLI::Range(1, 1000000));
  c.serve_cmd->add_option("--front-max-per-address", c.serve.front_max_per_address,
                         "front connections at once from one client address (default 64)")
      ->check(CLI::Range(1, 1000000));
  c.serve_cmd->add_option("--front-login-threads", c.serve.front_login_threads,
                         "logins of the fronts checked at once (default 16)")
      ->check(CLI::Range(1, 256));
  c.serve_cmd->add_option("--port", c.serve.port, "TCP port (default 0: any free port, printed at start)")
      ->check(CLI::Range(0, 65535));
  c.serve_cmd->add_option("--listen", c.serve.listen, "a loopback address to listen on, repeatable (default 127.0.0.1)");
  c.serve_cmd->add_option("--max-connections", c.serve.max_connections, "connections at once (default 16)")
      ->check(CLI::Range(1, 1024));
  c.serve_cmd->add_option("--idle-timeout", c.serve.idle_timeout_s, "seconds a connection may stay silent (default 300)")
      ->check(CLI::Range(1, 86400));
  c.serve_cmd->add_option("--login-timeout", c.serve.login_timeout_s,
                        "seconds from connecting to a successful login, whatever is sent meanwhile (default 30)")
      ->check(CLI::Range(1, 3600));
  c.serve_cmd->add_option("--max-waiting-per-address", c.serve.max_waiting_per_address,
                        "connections of one client address not logged in yet; a newer one replaces the oldest "
                        "(default 4)")
      ->check(CLI::Range(1, 1024));

  c.admin_cmd = app.add_subcommand("admin", "the administration interface's client: the password on the first "
                                                "line of standard input; one COMMAND ARGS..., or protocol lines on "
                                                "standard input; exit 0 OK, 1 error answer, 2 unreachable or "
                                                "temporary failure");
  c.admin_cmd->add_option("--connect", c.client.connect, "HOST:PORT of authhost serve")->required();
  c.admin_cmd->add_option("--user", c.client.user, "NAME@DOMAIN to log in as")->required();
  c.admin_cmd->add_option("--timeout", c.client_timeout_s, "seconds to wait for each answer (default 30)")
      ->check(CLI::Range(1, 3600));
  c.admin_cmd->add_option("command", c.client.command, "a command and its arguments, e.g. CREATEDOMAIN example.org");
}

// domain, account, settings, rights, unlock: local administration, as --as.
void add_local_commands(CLI::App& app, CommandLine& c) {
  c.domain_cmd = app.add_subcommand("domain", "create, remove or list domains");
  c.domain_cmd->require_subcommand(1);
  c.domain_cmd->fallthrough();
  c.domain_create = c.domain_cmd->add_subcommand("create", "create a domain")->fallthrough();
  c.domain_create->add_option("domain", c.domain_name)->required();
  c.domain_delete = c.domain_cmd->add_subcommand("delete", "remove a domain and its accounts")->fallthrough();
  c.domain_delete->add_option("domain", c.domain_name)->required();
  c.domain_list = c.domain_cmd->add_subcommand("list", "list the domains")->fallthrough();

  c.account_cmd = app.add_subcommand("account", "create, remove or list accounts, set passwords");
  c.account_cmd->require_subcommand(1);
  c.account_cmd->fallthrough();
  c.account_create = c.account_cmd->add_subcommand("create", "create an account")->fallthrough();
  c.account_create->add_option("address", c.account_name, "NAME@DOMAIN")->required();
  c.account_create->add_flag("--password-stdin", c.password_stdin, "read its internal password from standard input");
  c.account_delete = c.account_cmd->add_subcommand("delete", "remove an account")->fallthrough();
  c.account_delete->add_option("address", c.account_name, "NAME@DOMAIN")->required();
  c.account_password = c.account_cmd->add_subcommand("password", "set the internal password (standard input)")
                               ->fallthrough();
  c.account_password->add_option("address", c.account_name, "NAME@DOMAIN")->required();
  c.account_list = c.account_cmd->add_subcommand("list", "list a domain's accounts")->fallthrough();
  c.account_list->add_option("domain", c.domain_name)->required();

  c.settings_cmd = app.add_subcommand("settings", "show or change settings of the server, a domain or an account");
  c.settings_cmd->require_subcommand(1);
  c.settings_cmd->fallthrough();
  c.settings_get = c.settings_cmd->add_subcommand("get", "show the effective settings and where each comes from")
                           ->fallthrough();
  c.settings_set = c.settings_cmd->add_subcommand("set", "NAME=VALUE ... (NAME= removes the value)")->fallthrough();
  for (auto* sub : {c.settings_get, c.settings_set}) {
    sub->add_option("--domain", c.scope.domain, "a domain (default: the server)");
    sub->add_option("--account", c.scope.account, "an account of --domain");
  }
  c.settings_set->add_option("assignments", c.assignments, "NAME=VALUE")->required();

  c.rights_cmd = app.add_subcommand("rights", "show or set an account's access rights");
  c.rights_cmd->require_subcommand(1);
  c.rights_cmd->fallthrough();
  c.rights_get = c.rights_cmd->add_subcommand("get", "show an account's rights")->fallthrough();
  c.rights_get->add_option("address", c.account_name, "NAME@DOMAIN")->required();
  c.rights_set = c.rights_cmd->add_subcommand("set", "replace an account's rights (\"\" for none)")->fallthrough();
  c.rights_set->add_option("address", c.account_name, "NAME@DOMAIN")->required();
  c.rights_set->add_option("rights", c.rights_list, "CanModifyUserAccounts, CanMonitorServer, ...")->required();

  c.unlock_cmd = app.add_subcommand("unlock", "lift a suspension after failed logins")->fallthrough();
  c.unlock_cmd->add_option("address", c.account_name, "NAME@DOMAIN")->required();
}

// One local administrative command, run as --as with its rights.
int run_local(const CommandLine& c) {
  auto host = open_host(c.common);
  const auto caller = caller_of(c.common, *host);
  if (!caller) return 1;
  if (cli::pki_parsed(c.pki)) return cli::run_pki(*host, *caller, c.pki);
  if (c.domain_create->parsed()) return report(host->create_domain(*caller, c.domain_name));
  if (c.domain_delete->parsed()) return report(host->delete_domain(*caller, c.domain_name));
  if (c.domain_list->parsed()) {
    const auto r = host->list_domains(*caller);
    for (const auto& d : r.value) std::cout << d << "\n";
    return report(r.status);
  }
  if (c.account_create->parsed()) {
    authd::Secret password;
    if (c.password_stdin) read_secret_line(password);
    return report(host->create_account(*caller, c.account_name, c.password_stdin ? &password : nullptr));
  }
  if (c.account_delete->parsed()) return report(host->delete_account(*caller, c.account_name));
  if (c.account_password->parsed()) {
    authd::Secret password;
    read_secret_line(password);
    return report(host->set_password(*caller, c.account_name, password));
  }
  if (c.account_list->parsed()) {
    const auto r = host->list_accounts(*caller, c.domain_name);
    for (const auto& a : r.value) std::cout << a << "\n";
    return report(r.status);
  }
  if (c.settings_get->parsed()) {
    const auto r = host->get_settings(*caller, c.scope);
    print_settings(r.value);
    return report(r.status);
  }
  if (c.settings_set->parsed()) {
    SettingChanges changes;
    for (const auto& a : c.assignments) {
      const auto eq = a.find('=');
      if (eq == std::string::npos) {
        std::cerr << "authhost: '" << a << "' is not NAME=VALUE\n";
        return 1;
      }
      const std::string value = a.substr(eq + 1);
      changes[a.substr(0, eq)] = value.empty() ? std::nullopt : std::optional<std::string>(value);
    }
    return report(host->update_settings(*caller, c.scope, changes, ChangeOrigin::CommandLine));
  }
  if (c.rights_get->parsed()) {
    const auto r = host->get_rights(*caller, c.account_name);
    if (r.ok()) std::cout << c.account_name << " = " << authd::host::format_rights(r.value) << "\n";
    return report(r.status);
  }
  if (c.rights_set->parsed()) {
    std::string error;
    const auto rights = parse_rights(c.rights_list, error);
    if (!rights) {
      std::cerr << "authhost: " << error << "\n";
      return 1;
    }
    return report(host->set_rights(*caller, c.account_name, *rights));
  }
  if (c.unlock_cmd->parsed()) {
    bool was_locked = false;
    const Status status = host->unlock(*caller, c.account_name, &was_locked);
    if (status.ok())
      std::cout << c.account_name << (was_locked ? ": failed logins cleared, suspension lifted\n"
                                               : ": no failed logins were counted; nothing to lift\n");
    return report(status);
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Everything the host writes (its data directory, a helper's log) is the
  // host user's alone.
  ::umask(077);
  CLI::App app{"authhost: the reference server host for external authenticators"};
  app.set_version_flag("--version", std::string("authhost ") + AUTHD_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  CommandLine c;
  app.add_option("--data", c.common.data, "the data directory (default ./authhost-data)");
  app.add_option("--as", c.common.as, "administrative commands: the calling account (default postmaster@<main domain>)");
  app.add_flag("-v,--verbose", c.common.verbose, "log what the host does to standard error");
  add_program_commands(app, c);
  cli::add_conformance_command(app, c.conformance);
  add_local_commands(app, c);
  cli::add_pki_commands(app, c.pki);

  CLI11_PARSE(app, argc, argv);
  try {
    if (c.replay_cmd->parsed()) return replay(c.session, c.command, c.timeout_ms, c.common.verbose);
    if (c.conformance.app->parsed()) return cli::run_conformance_command(c.conformance);
    if (c.init_cmd->parsed()) return run_init(c.common, c.main_domain, c.postmaster_password);
    if (c.login_cmd->parsed()) return run_login(c.common, c.login);
    if (c.serve_cmd->parsed()) return run_serve(c.common, c.serve);
    if (c.admin_cmd->parsed()) {
      c.client.timeout = std::chrono::seconds(c.client_timeout_s);
      return admin::run_client(c.client, std::cin, std::cout, std::cerr);
    }
    return run_local(c);
  } catch (const HostError& e) {
    std::cerr << "authhost: " << e.what() << "\n";
    return 2;
  }
}
