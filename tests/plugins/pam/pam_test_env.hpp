// The PAM world the PAM tests run in, without root: pam_wrapper reads the
// PAM service files from a directory of ours, pam_matrix checks passwords
// against a passdb file of ours, and nss_wrapper answers getpwnam from a
// passwd file of ours.
//
// Both wrappers must be preloaded before the process starts, and pam_wrapper
// copies the service files when it is loaded. So main() (pam_test_main.cpp)
// writes every service file below, then runs the binary again with the
// wrappers preloaded; the tests only rewrite the passdb and passwd files,
// which are read at each call.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace authd::testing::pam_env {

// The services written before the tests start (their stacks are in pam_test_env.cpp).
namespace service {
inline constexpr const char* matrix = "authd-test";              // pam_matrix for auth and account
inline constexpr const char* permit = "authd-test-permit";       // pam_permit: any password
inline constexpr const char* chatty = "authd-test-chatty";       // info and error messages around pam_matrix
inline constexpr const char* echo_prompt = "authd-test-echo";    // pam_matrix asking with an echoed prompt
inline constexpr const char* two_prompts = "authd-test-twice";   // pam_matrix twice: two password prompts
inline constexpr const char* nine_prompts = "authd-test-nine";   // pam_matrix nine times
inline constexpr const char* deny_account = "authd-test-deny-account";  // pam_matrix, then pam_deny for account
inline constexpr const char* expired = "authd-test-expired";     // account: PAM_ACCT_EXPIRED
inline constexpr const char* new_authtok = "authd-test-new-authtok";    // account: PAM_NEW_AUTHTOK_REQD
inline constexpr const char* unavailable = "authd-test-unavailable";    // auth: PAM_AUTHINFO_UNAVAIL
inline constexpr const char* system_error = "authd-test-system-error";  // auth: PAM_SYSTEM_ERR
inline constexpr const char* user_unknown = "authd-test-user-unknown";  // auth: PAM_USER_UNKNOWN
inline constexpr const char* missing_module = "authd-test-missing-module";  // names a module that is not there
inline constexpr const char* slow = "authd-test-slow";           // pam_faildelay: 1 s after a failure
inline constexpr const char* broken = "authd-test-broken";       // includes a file that is not there
inline constexpr const char* absent = "authd-test-absent";       // no file: the "other" service (pam_deny)
}  // namespace service

// The environment variable that carries the test directory into the
// re-executed process; its presence means the wrappers are loaded.
inline constexpr const char* dir_variable = "AUTHD_PAM_TEST_DIR";

// Write the service files and the empty databases into `dir`.
void write_world(const std::filesystem::path& dir);

// The test directory of this process.
std::filesystem::path dir();

struct PassdbEntry {
  std::string user;      // the OS user name
  std::string password;
  std::string service;   // the service pam_matrix's account check lets the user into
};
// Replace pam_matrix's passdb.
void write_passdb(const std::vector<PassdbEntry>& entries);
// Replace the OS users nss_wrapper knows.
void write_os_users(const std::vector<std::string>& users);

}  // namespace authd::testing::pam_env
