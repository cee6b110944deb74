// The password-file backend: accounts and stored passwords in a text file
// (format in password_table.hpp), looked up in memory.
//
// The file is checked for changes every check_interval_ms. A changed file is
// read once it has stayed unchanged for a whole interval, so a file that is
// still being written is not picked up half-done; the new snapshot replaces
// the old one atomically, and requests in flight keep the snapshot they
// started with. A file that disappears or cannot be read keeps the last good
// snapshot in service and is reported in the log.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "authd/api/plugin.hpp"
#include "passwd-file/password_table.hpp"

namespace authd::passwd_file {

class PasswdFileBackend final : public Backend {
 public:
  static constexpr const char* type = "passwd-file";
  static constexpr const char* description = "accounts in a file of name@domain:{SCHEME}password lines";
  static std::vector<SettingSpec> settings();

  explicit PasswdFileBackend(const BackendContext& context);
  ~PasswdFileBackend() override;

  Cost cost(Operation op, const Account& account) const override;
  Verdict verify(const Account& account, const Secret& password, std::string_view mode) override;
  bool supports_credentials() const override { return true; }
  Verdict credentials(const Account& account, Secret& stored) override;
  Verdict exists(const Account& account) override;

 private:
  struct FileState {
    long long mtime_ns = 0;
    long long size = -1;
    unsigned long long inode = 0;
    unsigned long long device = 0;
    bool operator==(const FileState&) const = default;
  };
  // Read and parse the file; nullptr (with `error` set) when it cannot be read.
  std::shared_ptr<const PasswordTable> load(FileState& state, std::string& error) const;
  void watch();

  std::string name_;
  std::string path_;
  std::chrono::milliseconds interval_;
  const HostServices& host_;
  std::atomic<std::shared_ptr<const PasswordTable>> table_;
  FileState loaded_state_;

  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace authd::passwd_file
