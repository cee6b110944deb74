// Shared by the host's tests: a temporary data directory and short ways to
// set up a host and log in.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "host/host.hpp"

namespace authd::host::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("authhost-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline constexpr const char* postmaster_password = "pm secret";

inline Address postmaster() { return {"postmaster", "example.com"}; }

// A data directory in `dir`/data with main domain example.com, answers
// without the hiding delay (tests that time answers set their own).
inline std::unique_ptr<Host> make_host(const TempDir& dir) {
  const auto data = dir.path() / "data";
  const Status status = Host::init(data, "example.com", Secret(postmaster_password));
  EXPECT_TRUE(status.ok()) << status.message;
  auto host = Host::open(data);
  EXPECT_TRUE(host->update_settings(postmaster(), {}, {{"FailureAnswerTime", "0ms"}}).ok());
  return host;
}

// As the host's own command line sets it (local_only settings included).
inline Status set(Host& host, SettingsScope scope, const std::string& name, const std::string& value) {
  return host.update_settings(postmaster(), std::move(scope), {{name, value}}, ChangeOrigin::CommandLine);
}

inline LoginResult login(Host& host, const std::string& name, const std::string& password,
                         const std::string& from = "127.0.0.1", bool secure = false) {
  LoginRequest request;
  request.name = name;
  request.secret.assign(password);
  request.client_address = from;
  request.secure = secure;
  return host.login(request);
}

}  // namespace authd::host::testing
