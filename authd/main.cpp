// authd: an external authenticator for mail servers.
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "authd/config.hpp"
#include "authd/engine.hpp"
#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "authd/plugin_loader.hpp"
#include "authd/routes.hpp"
#include "authd/verdict_cache.hpp"
#include "passwords/registry.hpp"
#include "plugins/builtin_backends.hpp"
#include "protocol/limits.hpp"

#ifndef AUTHD_VERSION
#define AUTHD_VERSION "unknown"
#endif
#ifndef AUTHD_DEFAULT_PLUGIN_DIR
#define AUTHD_DEFAULT_PLUGIN_DIR ""
#endif

namespace {

using namespace authd;

void print_issues(const std::vector<ConfigIssue>& issues) {
  for (const auto& issue : issues) std::cerr << "authd: " << issue.to_string() << "\n";
}

std::string describe_default(const SettingSpec& spec) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "required"; }
    std::string operator()(const std::string& v) const { return "default \"" + v + "\""; }
    std::string operator()(std::int64_t v) const { return "default " + std::to_string(v); }
    std::string operator()(bool v) const { return v ? "default true" : "default false"; }
    std::string operator()(const std::vector<std::string>& v) const {
      return v.empty() ? "default []" : "default [" + std::to_string(v.size()) + " items]";
    }
  };
  return std::visit(Visitor{}, spec.default_value);
}

std::string_view type_name(SettingType type) {
  switch (type) {
    case SettingType::String: return "string";
    case SettingType::Integer: return "integer";
    case SettingType::Boolean: return "boolean";
    case SettingType::StringList: return "list of strings";
    case SettingType::Path: return "path";
  }
  return "?";
}

void print_settings(const std::vector<SettingSpec>& specs) {
  for (const auto& spec : specs)
    std::cout << "    " << spec.key << " (" << type_name(spec.type) << ", " << describe_default(spec) << "): "
              << spec.help << "\n";
}

int list_backends(const BackendTypes& types) {
  std::cout << "[authd] settings:\n";
  print_settings(engine_settings());
  std::cout << "\nkeys of every [[backend]] (besides name and type):\n";
  print_settings(cache_settings_specs());
  for (const auto& type : types.all()) {
    std::cout << "\nbackend type \"" << type.descriptor->type << "\" (" << type.origin
              << "): " << type.descriptor->description << "\n";
    print_settings(type.settings);
  }
  return 0;
}

int list_schemes() {
  for (const auto* scheme : passwords::Registry::instance().schemes())
    std::cout << scheme->name << (scheme->weak ? "  weak" : "") << (scheme->slow ? "  slow (worker pool)" : "")
              << "\n";
  return 0;
}

Logger::Options log_options(const Config& config) {
  return {config.log, config.log_level, config.info_lines};
}

int check_config(const std::string& path, BackendTypes& types) {
  auto loaded = load_config(path, types, AUTHD_DEFAULT_PLUGIN_DIR);
  if (auto* issues = std::get_if<std::vector<ConfigIssue>>(&loaded)) {
    print_issues(*issues);
    std::cerr << "authd: " << issues->size() << " problem" << (issues->size() == 1 ? "" : "s") << " in " << path
              << "\n";
    return 1;
  }
  const auto& config = std::get<Config>(loaded);
  // Backends report what they find (bad lines of a password file) on stderr.
  Logger logger({"stderr", LogLevel::Warning, false});
  EngineServices services(config.allow_weak_schemes, logger);
  auto routes = Routes::build(config, services);
  logger.flush();
  if (auto* issues = std::get_if<std::vector<ConfigIssue>>(&routes)) {
    print_issues(*issues);
    return 1;
  }
  std::cout << path << ": configuration OK (" << config.backends.size() << " backend"
            << (config.backends.size() == 1 ? "" : "s") << ", " << config.routes.size() << " route"
            << (config.routes.size() == 1 ? "" : "s") << ")\n";
  return 0;
}

int serve(const std::string& path, BackendTypes& types) {
  auto loaded = load_config(path, types, AUTHD_DEFAULT_PLUGIN_DIR);
  if (auto* issues = std::get_if<std::vector<ConfigIssue>>(&loaded)) {
    print_issues(*issues);
    return 1;
  }
  const auto& config = std::get<Config>(loaded);

  // Signals are taken through a signalfd by the dispatcher; blocking them
  // before any thread starts keeps every thread from receiving them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  const int stop_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);

  std::unique_ptr<Logger> logger;
  try {
    logger = std::make_unique<Logger>(log_options(config));
  } catch (const std::exception& e) {
    std::cerr << "authd: " << path << ": authd.log: " << e.what() << "\n";
    return 1;
  }
  EngineServices services(config.allow_weak_schemes, *logger);
  auto routes = Routes::build(config, services);
  if (auto* issues = std::get_if<std::vector<ConfigIssue>>(&routes)) {
    print_issues(*issues);
    for (const auto& issue : *issues) logger->log(LogLevel::Error, issue.to_string());
    return 1;
  }
  logger->log(LogLevel::Info, "authd " AUTHD_VERSION " started with " + path + " (" +
                                  std::to_string(config.workers) + " workers)");

  // From here on nothing may reach standard error: the host reads it only
  // after the helper exits, and some libraries write there on their own.
  if (config.log != "stderr") {
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDERR_FILENO);
      ::close(null_fd);
    }
  }

  int status = 0;
  bool stuck = false;
  {
    Engine engine(config, std::get<Routes>(routes), services);
    status = engine.run(STDIN_FILENO, STDOUT_FILENO, stop_fd);
    stuck = engine.workers_stuck();
    if (stuck) {
      // A backend call never returned; its thread cannot be joined. Leave
      // without running destructors that would wait for it.
      logger->log(LogLevel::Warning, "a worker is still inside a backend call; exiting without it");
      logger->flush();
      std::_Exit(status);
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"authd: external authenticator for mail servers.\n"
               "Reads requests on standard input and answers on standard output (see docs/protocol.md)."};
  app.set_version_flag("--version", std::string("authd ") + AUTHD_VERSION + " (protocol version " +
                                        std::to_string(authd::protocol::protocol_version) + ")");
  std::string config_path, check_path;
  bool show_backends = false, show_schemes = false;
  auto* config_opt = app.add_option("-c,--config", config_path, "configuration file (TOML) to serve with")
                         ->check(CLI::ExistingFile);
  auto* check_opt = app.add_option("--check-config", check_path,
                                   "check a configuration file as start-up would (keys, plugins, backends, "
                                   "the log file), report every problem with file, line and key, and exit "
                                   "(0: fine, 1: problems)");
  app.add_flag("--list-backends", show_backends, "list backend types and their settings, with defaults and help");
  app.add_flag("--list-schemes", show_schemes, "list the password schemes this authd verifies");
  config_opt->excludes(check_opt);
  CLI11_PARSE(app, argc, argv);

  authd::BackendTypes types;
  authd::register_builtin_backends(types);
  if (show_backends) return list_backends(types);
  if (show_schemes) return list_schemes();
  if (!check_path.empty()) return check_config(check_path, types);
  if (config_path.empty()) {
    std::cerr << "authd: no configuration: run with --config FILE (see --help and examples/)\n";
    return 2;
  }
  return serve(config_path, types);
}
