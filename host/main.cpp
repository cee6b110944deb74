// authhost: the reference server host.
//   authhost replay SESSION.txt -- COMMAND [ARGS...]     run a scripted session against any helper
//   authhost --data DIR init --main-domain DOMAIN         create a data directory
//   authhost --data DIR login NAME@DOMAIN [--method ...]  one login through the whole path
//   authhost --data DIR domain|account|settings|rights|unlock ...
//                                                         local administration, as --as (default
//                                                         postmaster@<main domain>), with its rights
//   authhost --data DIR serve [--port N] [--listen ADDR]  the administration interface (admin_server.hpp)
//   authhost admin --connect HOST:PORT --user NAME@DOMAIN [COMMAND ARGS...]
//                                                         its client (admin_client.hpp)
// Passwords are read from standard input (one line), never from the command
// line, where other users could see them.
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "host/admin_client.hpp"
#include "host/admin_server.hpp"
#include "host/client_addresses.hpp"
#include "host/host.hpp"
#include "host/replay.hpp"
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
  std::cerr << "authhost: " << authd::protocol::log_safe_text(line, max_log_line) << "\n";
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
  int port = 0;
  std::vector<std::string> listen;
  int max_connections = 16;
  int idle_timeout_s = 300;
  int login_timeout_s = 30;
  int max_waiting_per_address = 4;
};

// Runs until SIGTERM or SIGINT. The signals are blocked before any thread
// starts, so that only sigwait() here sees them, and the shutdown runs on
// this thread instead of inside a handler.
int run_serve(const Common& common, const ServeOptions& o) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto host = Host::open(common.data, log_line, common.verbose ? Host::Logger(log_line) : Host::Logger());
  admin::ServerOptions options;
  if (!o.listen.empty()) options.listen = o.listen;
  options.port = static_cast<std::uint16_t>(o.port);
  options.max_connections = static_cast<std::size_t>(o.max_connections);
  options.idle_timeout = std::chrono::seconds(o.idle_timeout_s);
  options.login_timeout = std::chrono::seconds(o.login_timeout_s);
  options.max_prelogin_per_address = static_cast<std::size_t>(o.max_waiting_per_address);
  try {
    admin::Server server(*host, options, common.verbose ? admin::Server::Logger(log_line) : admin::Server::Logger());
    for (const auto& endpoint : server.endpoints()) std::cout << "listening on " << endpoint << "\n";
    std::cout.flush();
    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::cerr << "authhost: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping\n";
    server.stop();
  } catch (const admin::ServerError& e) {
    std::cerr << "authhost serve: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

void print_settings(const std::vector<SettingView>& settings) {
  for (const auto& s : settings) std::cout << s.name << " = " << s.value << "   (" << s.origin << ")\n";
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
  Common common;
  app.add_option("--data", common.data, "the data directory (default ./authhost-data)");
  app.add_option("--as", common.as, "administrative commands: the calling account (default postmaster@<main domain>)");
  app.add_flag("-v,--verbose", common.verbose, "log what the host does to standard error");

  auto* replay_cmd = app.add_subcommand("replay", "run a scripted session (I:/O: lines) against any helper; "
                                                  "exit 0 when every expected answer arrived");
  std::string session;
  std::vector<std::string> command;
  int timeout_ms = 10000;
  replay_cmd->add_option("session", session, "session file")->required()->check(CLI::ExistingFile);
  replay_cmd->add_option("command", command, "the helper and its arguments, after --")->required();
  replay_cmd->add_option("--timeout-ms", timeout_ms, "how long to wait for the answers")->check(CLI::Range(1, 3600000));

  auto* init_cmd = app.add_subcommand("init", "create the data directory with its main domain and "
                                              "postmaster@<main domain>, who holds unlimited rights");
  std::string main_domain;
  std::optional<std::string> postmaster_password;
  init_cmd->add_option("--main-domain", main_domain, "the main domain")->required();
  init_cmd->add_option("--postmaster-password", postmaster_password,
                       "postmaster's password (default: one line of standard input)");

  auto* login_cmd = app.add_subcommand("login", "one login through the whole path, the password on standard input; "
                                                "prints the answer; exit 0 accepted, 1 rejected, 2 temporary failure");
  LoginOptions login;
  login_cmd->add_option("name", login.name, "NAME@DOMAIN")->required();
  login_cmd->add_option("--method", login.method, "plain, cram-md5 or apop")
      ->check(CLI::IsMember({"plain", "cram-md5", "apop"}));
  login_cmd->add_option("--from", login.from, "the client's IP address (default 127.0.0.1)");
  login_cmd->add_option("--mode", login.mode, "the service asking: IMAP, POP, SMTP, ...");
  login_cmd->add_flag("--secure", login.secure, "the connection is encrypted");
  login_cmd->add_flag("--set-password", login.set_password,
                      "after a successful login, set the internal password to the second line of standard input");

  auto* domain_cmd = app.add_subcommand("domain", "create, remove or list domains");
  domain_cmd->require_subcommand(1);
  domain_cmd->fallthrough();
  std::string domain_name;
  auto* domain_create = domain_cmd->add_subcommand("create", "create a domain")->fallthrough();
  domain_create->add_option("domain", domain_name)->required();
  auto* domain_delete = domain_cmd->add_subcommand("delete", "remove a domain and its accounts")->fallthrough();
  domain_delete->add_option("domain", domain_name)->required();
  auto* domain_list = domain_cmd->add_subcommand("list", "list the domains")->fallthrough();

  auto* account_cmd = app.add_subcommand("account", "create, remove or list accounts, set passwords");
  account_cmd->require_subcommand(1);
  account_cmd->fallthrough();
  std::string account_name;
  bool password_stdin = false;
  auto* account_create = account_cmd->add_subcommand("create", "create an account")->fallthrough();
  account_create->add_option("address", account_name, "NAME@DOMAIN")->required();
  account_create->add_flag("--password-stdin", password_stdin, "read its internal password from standard input");
  auto* account_delete = account_cmd->add_subcommand("delete", "remove an account")->fallthrough();
  account_delete->add_option("address", account_name, "NAME@DOMAIN")->required();
  auto* account_password = account_cmd->add_subcommand("password", "set the internal password (standard input)")
                               ->fallthrough();
  account_password->add_option("address", account_name, "NAME@DOMAIN")->required();
  auto* account_list = account_cmd->add_subcommand("list", "list a domain's accounts")->fallthrough();
  account_list->add_option("domain", domain_name)->required();

  auto* settings_cmd = app.add_subcommand("settings", "show or change settings of the server, a domain or an account");
  settings_cmd->require_subcommand(1);
  settings_cmd->fallthrough();
  SettingsScope scope;
  std::vector<std::string> assignments;
  auto* settings_get = settings_cmd->add_subcommand("get", "show the effective settings and where each comes from")
                           ->fallthrough();
  auto* settings_set = settings_cmd->add_subcommand("set", "NAME=VALUE ... (NAME= removes the value)")->fallthrough();
  for (auto* sub : {settings_get, settings_set}) {
    sub->add_option("--domain", scope.domain, "a domain (default: the server)");
    sub->add_option("--account", scope.account, "an account of --domain");
  }
  settings_set->add_option("assignments", assignments, "NAME=VALUE")->required();

  auto* rights_cmd = app.add_subcommand("rights", "show or set an account's access rights");
  rights_cmd->require_subcommand(1);
  rights_cmd->fallthrough();
  std::string rights_list;
  auto* rights_get = rights_cmd->add_subcommand("get", "show an account's rights")->fallthrough();
  rights_get->add_option("address", account_name, "NAME@DOMAIN")->required();
  auto* rights_set = rights_cmd->add_subcommand("set", "replace an account's rights (\"\" for none)")->fallthrough();
  rights_set->add_option("address", account_name, "NAME@DOMAIN")->required();
  rights_set->add_option("rights", rights_list, "CanModifyUserAccounts, CanMonitorServer, ...")->required();

  auto* unlock_cmd = app.add_subcommand("unlock", "lift a suspension after failed logins")->fallthrough();
  unlock_cmd->add_option("address", account_name, "NAME@DOMAIN")->required();

  auto* serve_cmd = app.add_subcommand("serve", "run the administration interface on loopback until SIGTERM or "
                                                "SIGINT (docs/admin-protocol.md)")
                       ->fallthrough();
  ServeOptions serve;
  serve_cmd->add_option("--port", serve.port, "TCP port (default 0: any free port, printed at start)")
      ->check(CLI::Range(0, 65535));
  serve_cmd->add_option("--listen", serve.listen, "a loopback address to listen on, repeatable (default 127.0.0.1)");
  serve_cmd->add_option("--max-connections", serve.max_connections, "connections at once (default 16)")
      ->check(CLI::Range(1, 1024));
  serve_cmd->add_option("--idle-timeout", serve.idle_timeout_s, "seconds a connection may stay silent (default 300)")
      ->check(CLI::Range(1, 86400));
  serve_cmd->add_option("--login-timeout", serve.login_timeout_s,
                        "seconds from connecting to a successful login, whatever is sent meanwhile (default 30)")
      ->check(CLI::Range(1, 3600));
  serve_cmd->add_option("--max-waiting-per-address", serve.max_waiting_per_address,
                        "connections of one client address not logged in yet; a newer one replaces the oldest "
                        "(default 4)")
      ->check(CLI::Range(1, 1024));

  auto* admin_cmd = app.add_subcommand("admin", "the administration interface's client: the password on the first "
                                                "line of standard input; one COMMAND ARGS..., or protocol lines on "
                                                "standard input; exit 0 OK, 1 error answer, 2 unreachable or "
                                                "temporary failure");
  admin::ClientOptions client;
  int client_timeout_s = 30;
  admin_cmd->add_option("--connect", client.connect, "HOST:PORT of authhost serve")->required();
  admin_cmd->add_option("--user", client.user, "NAME@DOMAIN to log in as")->required();
  admin_cmd->add_option("--timeout", client_timeout_s, "seconds to wait for each answer (default 30)")
      ->check(CLI::Range(1, 3600));
  admin_cmd->add_option("command", client.command, "a command and its arguments, e.g. CREATEDOMAIN example.org");

  CLI11_PARSE(app, argc, argv);
  try {
    if (replay_cmd->parsed()) return replay(session, command, timeout_ms, common.verbose);
    if (init_cmd->parsed()) return run_init(common, main_domain, postmaster_password);
    if (login_cmd->parsed()) return run_login(common, login);
    if (serve_cmd->parsed()) return run_serve(common, serve);
    if (admin_cmd->parsed()) {
      client.timeout = std::chrono::seconds(client_timeout_s);
      return admin::run_client(client, std::cin, std::cout, std::cerr);
    }

    auto host = open_host(common);
    const auto caller = caller_of(common, *host);
    if (!caller) return 1;
    if (domain_create->parsed()) return report(host->create_domain(*caller, domain_name));
    if (domain_delete->parsed()) return report(host->delete_domain(*caller, domain_name));
    if (domain_list->parsed()) {
      const auto r = host->list_domains(*caller);
      for (const auto& d : r.value) std::cout << d << "\n";
      return report(r.status);
    }
    if (account_create->parsed()) {
      authd::Secret password;
      if (password_stdin) read_secret_line(password);
      return report(host->create_account(*caller, account_name, password_stdin ? &password : nullptr));
    }
    if (account_delete->parsed()) return report(host->delete_account(*caller, account_name));
    if (account_password->parsed()) {
      authd::Secret password;
      read_secret_line(password);
      return report(host->set_password(*caller, account_name, password));
    }
    if (account_list->parsed()) {
      const auto r = host->list_accounts(*caller, domain_name);
      for (const auto& a : r.value) std::cout << a << "\n";
      return report(r.status);
    }
    if (settings_get->parsed()) {
      const auto r = host->get_settings(*caller, scope);
      print_settings(r.value);
      return report(r.status);
    }
    if (settings_set->parsed()) {
      SettingChanges changes;
      for (const auto& a : assignments) {
        const auto eq = a.find('=');
        if (eq == std::string::npos) {
          std::cerr << "authhost: '" << a << "' is not NAME=VALUE\n";
          return 1;
        }
        const std::string value = a.substr(eq + 1);
        changes[a.substr(0, eq)] = value.empty() ? std::nullopt : std::optional<std::string>(value);
      }
      return report(host->update_settings(*caller, scope, changes, ChangeOrigin::CommandLine));
    }
    if (rights_get->parsed()) {
      const auto r = host->get_rights(*caller, account_name);
      if (r.ok()) std::cout << account_name << " = " << authd::host::format_rights(r.value) << "\n";
      return report(r.status);
    }
    if (rights_set->parsed()) {
      std::string error;
      const auto rights = parse_rights(rights_list, error);
      if (!rights) {
        std::cerr << "authhost: " << error << "\n";
        return 1;
      }
      return report(host->set_rights(*caller, account_name, *rights));
    }
    if (unlock_cmd->parsed()) {
      bool was_locked = false;
      const Status status = host->unlock(*caller, account_name, &was_locked);
      if (status.ok())
        std::cout << account_name << (was_locked ? ": failed logins cleared, suspension lifted\n"
                                                 : ": no failed logins were counted; nothing to lift\n");
      return report(status);
    }
  } catch (const HostError& e) {
    std::cerr << "authhost: " << e.what() << "\n";
    return 2;
  }
  return 2;
}
