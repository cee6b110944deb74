#include "pam_test_env.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace authd::testing::pam_env {

namespace {

const std::string matrix_module = std::string(AUTHD_PAM_WRAPPER_MODULE_DIR) + "/pam_matrix.so";

std::string system_module(const char* name) { return std::string(AUTHD_PAM_MODULE_DIR) + "/" + name; }

// Written beside its final name and renamed over it: nss_wrapper notices a
// replaced file at once, even within the same second.
void replace_file(const std::filesystem::path& path, const std::string& content) {
  const auto next = path.string() + ".next";
  {
    std::ofstream out(next, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + next);
  }
  std::filesystem::rename(next, path);
}

std::vector<std::pair<std::string, std::string>> service_files(const std::filesystem::path& dir) {
  const std::string matrix = matrix_module + " passdb=" + (dir / "passdb").string();
  const std::string permit = system_module("pam_permit.so");
  const std::string debug = system_module("pam_debug.so");
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "auth required " + matrix + "\n";
  return {
      {service::matrix, "auth required " + matrix + "\naccount required " + matrix + "\n"},
      {service::permit, "auth required " + permit + "\naccount required " + permit + "\n"},
      // pam_debug says its result in a PAM_TEXT_INFO message before pam_matrix
      // asks for the password; "verbose" pam_matrix says how it went after
      // (PAM_TEXT_INFO or PAM_ERROR_MSG).
      {service::chatty, "auth required " + debug + " auth=success\nauth required " + matrix +
                            " verbose\naccount required " + permit + "\n"},
      {service::echo_prompt, "auth required " + matrix + " echo\naccount required " + permit + "\n"},
      {service::two_prompts,
       "auth required " + matrix + "\nauth required " + matrix + "\naccount required " + permit + "\n"},
      {service::nine_prompts, nine + "account required " + permit + "\n"},
      {service::deny_account, "auth required " + matrix + "\naccount required " + system_module("pam_deny.so") + "\n"},
      {service::expired, "auth required " + matrix + "\naccount required " + debug + " acct=acct_expired\n"},
      {service::new_authtok, "auth required " + matrix + "\naccount required " + debug + " acct=new_authtok_reqd\n"},
      {service::unavailable, "auth required " + debug + " auth=authinfo_unavail\naccount required " + permit + "\n"},
      {service::system_error, "auth required " + debug + " auth=system_err\naccount required " + permit + "\n"},
      {service::user_unknown, "auth required " + debug + " auth=user_unknown\naccount required " + permit + "\n"},
      {service::missing_module,
       "auth required " + (dir / "pam_no_such_module.so").string() + "\naccount required " + permit + "\n"},
      {service::broken, "@include authd-test-no-such-file\n"},
      // Linux-PAM reads "other" beside every service, and uses it for a
      // service without a file; a hardened system denies everything there.
      {"other", "auth required " + system_module("pam_deny.so") + "\naccount required " +
                    system_module("pam_deny.so") + "\n"},
      {service::slow, "auth optional " + system_module("pam_faildelay.so") + " delay=1000000\nauth required " +
                          matrix + "\naccount required " + permit + "\n"},
  };
}

}  // namespace

void write_world(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "services");
  for (const auto& [name, stack] : service_files(dir)) replace_file(dir / "services" / name, stack);
  replace_file(dir / "passdb", "");
  replace_file(dir / "passwd", "");
  replace_file(dir / "group", "users:x:100:\n");
}

std::filesystem::path dir() {
  const char* value = std::getenv(dir_variable);
  if (value == nullptr) throw std::logic_error("the PAM test environment is not set up");
  return value;
}

void write_passdb(const std::vector<PassdbEntry>& entries) {
  std::string content;
  for (const auto& entry : entries) content += entry.user + ":" + entry.password + ":" + entry.service + "\n";
  replace_file(dir() / "passdb", content);
}

void write_os_users(const std::vector<std::string>& users) {
  std::string content;
  int uid = 20000;
  for (const auto& user : users) {
    content += user + ":x:" + std::to_string(uid) + ":100:" + user + ":/nonexistent:/usr/sbin/nologin\n";
    ++uid;
  }
  replace_file(dir() / "passwd", content);
}

}  // namespace authd::testing::pam_env
