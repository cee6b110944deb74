#include "passwd-file/passwd_file_backend.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace authd::passwd_file {

std::vector<SettingSpec> PasswdFileBackend::settings() {
  return {
      {"path", SettingType::Path, {}, "the password file (relative to the configuration file)"},
      {"check_interval_ms", SettingType::Integer, std::int64_t{1000},
       "how often the file is checked for changes; 0 reads it only at start", 0, 3600000},
  };
}

namespace {

bool stat_file(const std::string& path, int fd, struct stat& st) {
  return fd >= 0 ? ::fstat(fd, &st) == 0 : ::stat(path.c_str(), &st) == 0;
}

}  // namespace

PasswdFileBackend::PasswdFileBackend(const BackendContext& context)
    : name_(context.name),
      path_(context.settings.string("path")),
      interval_(context.settings.integer("check_interval_ms")),
      host_(context.host) {
  std::string error;
  auto table = load(loaded_state_, error);
  if (!table) throw ConfigError("path", error);
  host_.log(LogLevel::Info, "backend " + name_ + ": " + std::to_string(table->size()) + " accounts from " + path_);
  table_.store(std::move(table));
  if (interval_.count() > 0) watcher_ = std::thread([this] { watch(); });
}

PasswdFileBackend::~PasswdFileBackend() {
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  watch_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const PasswordTable> PasswdFileBackend::load(FileState& state, std::string& error) const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open password file '" + path_ + "': " + std::strerror(errno);
    return nullptr;
  }
  struct stat st{};
  if (!stat_file(path_, fd, st) || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = "password file '" + path_ + "' is not a regular file";
    return nullptr;
  }
  if (static_cast<std::size_t>(st.st_size) > PasswordTable::max_file_size) {
    ::close(fd);
    error = "password file '" + path_ + "' is larger than the 2 GiB limit";
    return nullptr;
  }
  std::string content;
  content.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read password file '" + path_ + "': " + std::strerror(errno);
      ::close(fd);
      wipe_memory(content.data(), content.size());
      return nullptr;
    }
    if (n == 0) break;  // the file shrank while being read: take what is there
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  content.resize(done);
  state = {static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
           static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino),
           static_cast<unsigned long long>(st.st_dev)};

  std::vector<LoadProblem> problems;
  auto table = PasswordTable::parse(std::move(content), host_, problems);
  for (const auto& problem : problems) {
    std::string where = "backend " + name_ + ": " + path_;
    if (problem.line != 0) where.append(":").append(std::to_string(problem.line));
    host_.log(LogLevel::Warning, where + ": " + problem.message);
  }
  return table;
}

void PasswdFileBackend::watch() {
  FileState pending{};  // a change seen once, waiting to settle
  bool have_pending = false;
  std::string last_error;
  std::unique_lock lock(watch_mutex_);
  while (!watch_wake_.wait_for(lock, interval_, [&] { return stopping_; })) {
    lock.unlock();
    struct stat st{};
    if (!stat_file(path_, -1, st)) {
      std::string error = "cannot read password file '" + path_ + "': " + std::strerror(errno) +
                          "; the accounts loaded before stay in service";
      if (error != last_error) host_.log(LogLevel::Error, "backend " + name_ + ": " + error);
      last_error = std::move(error);
      have_pending = false;
    } else {
      const FileState now{static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
                          static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino),
                          static_cast<unsigned long long>(st.st_dev)};
      if (now == loaded_state_) {
        have_pending = false;
      } else if (!have_pending || !(now == pending)) {
        // First sight of this version: wait one interval for the writer to finish.
        pending = now;
        have_pending = true;
      } else {
        FileState state;
        std::string error;
        if (auto table = load(state, error)) {
          host_.log(LogLevel::Info,
                    "backend " + name_ + ": reloaded " + std::to_string(table->size()) + " accounts from " + path_);
          table_.store(std::move(table));
          loaded_state_ = state;
          last_error.clear();
        } else if (error != last_error) {
          host_.log(LogLevel::Error, "backend " + name_ + ": " + error + "; the accounts loaded before stay in service");
          last_error = error;
        }
        have_pending = false;
      }
    }
    lock.lock();
  }
}

Cost PasswdFileBackend::cost(Operation op, const Account& account) const {
  if (op != Operation::Verify) return Cost::Cheap;
  const auto table = table_.load();
  const auto found = table->find(account);
  return found && found->slow ? Cost::Blocking : Cost::Cheap;
}

Verdict PasswdFileBackend::verify(const Account& account, const Secret& password, std::string_view) {
  const auto table = table_.load();
  const auto found = table->find(account);
  if (!found) return Verdict::unknown_name();
  // The password is checked even for a disabled entry, so that a disabled
  // entry costs the time of any other.
  Verdict verdict = host_.check_password(found->stored, password);
  if (found->disabled && verdict.accepted()) return Verdict::reject(RejectReason::Disabled, "account is disabled");
  return verdict;
}

Verdict PasswdFileBackend::credentials(const Account& account, Secret& stored) {
  const auto table = table_.load();
  const auto found = table->find(account);
  if (!found) return Verdict::unknown_name();
  if (found->disabled) return Verdict::reject(RejectReason::Disabled, "account is disabled");
  stored.assign(found->stored);
  return Verdict::accept();
}

Verdict PasswdFileBackend::exists(const Account& account) {
  return table_.load()->find(account) ? Verdict::accept() : Verdict::unknown_name();
}


}  // namespace authd::passwd_file
