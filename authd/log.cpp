#include "authd/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "protocol/log_text.hpp"

namespace authd {

std::optional<LogLevel> parse_log_level(std::string_view word) noexcept {
  if (word == "debug") return LogLevel::Debug;
  if (word == "info") return LogLevel::Info;
  if (word == "warning") return LogLevel::Warning;
  if (word == "error") return LogLevel::Error;
  return std::nullopt;
}

std::string_view log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "unknown";
}

std::string log_destination_problem(const std::string& destination) {
  if (destination.empty()) return "is empty: give \"syslog\" or the path of a log file";
  if (destination == "syslog" || destination == "stderr") return {};
  struct stat st{};
  if (::stat(destination.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return "'" + destination + "' is a directory: give the path of a log file in it";
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
      return "'" + destination + "' is not a regular file";
    if (::access(destination.c_str(), W_OK) != 0)
      return "cannot write the log file '" + destination + "': " + std::strerror(errno);
    return {};
  }
  if (errno != ENOENT) return "cannot use the log file '" + destination + "': " + std::strerror(errno);
  const auto parent = std::filesystem::path(destination).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  if (::stat(dir.c_str(), &st) != 0)
    return "cannot create the log file '" + destination + "': directory '" + dir + "': " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode))
    return "cannot create the log file '" + destination + "': '" + dir + "' is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "cannot create the log file '" + destination + "' in '" + dir + "': " + std::strerror(errno);
  return {};
}

namespace {

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return LOG_DEBUG;
    case LogLevel::Info: return LOG_INFO;
    case LogLevel::Warning: return LOG_WARNING;
    case LogLevel::Error: return LOG_ERR;
  }
  return LOG_NOTICE;
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failing log
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Logger::Logger(Options options) : options_(std::move(options)) {
  if (options_.destination == "syslog") {
    ::openlog("authd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
  } else if (options_.destination == "stderr") {
    fd_ = STDERR_FILENO;
  } else {
    fd_ = ::open(options_.destination.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0)
      throw std::runtime_error("cannot open log file '" + options_.destination + "': " + std::strerror(errno));
  }
  writer_ = std::thread([this] { run(); });
}

Logger::~Logger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  if (options_.destination == "syslog") ::closelog();
  else if (fd_ > STDERR_FILENO) ::close(fd_);
}

void Logger::log(LogLevel level, std::string_view message) {
  if (!enabled(level)) return;
  // One line, no control: a message can never forge a log line or drive a terminal.
  std::string text = protocol::log_safe_text(message, max_message);
  {
    std::lock_guard lock(mutex_);
    if (options_.info_lines && level >= LogLevel::Info && info_lines_.size() < max_info_lines)
      info_lines_.push_back(text);
    if (queue_.size() >= max_queued) {
      ++dropped_;
      return;
    }
    queue_.push_back({level, std::move(text)});
    ++enqueued_;
  }
  wake_.notify_one();
}

void Logger::take_info_lines(std::vector<std::string>& out) {
  std::lock_guard lock(mutex_);
  if (info_lines_.empty()) return;
  for (auto& line : info_lines_) out.push_back(std::move(line));
  info_lines_.clear();
}

void Logger::flush() {
  std::unique_lock lock(mutex_);
  const auto target = enqueued_;
  written_.wait(lock, [&] { return done_ >= target || stopping_; });
}

void Logger::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<Entry> batch;
    batch.swap(queue_);
    const auto dropped = std::exchange(dropped_, 0);
    lock.unlock();
    if (dropped != 0)
      write_entry({LogLevel::Warning, "log queue full: " + std::to_string(dropped) + " messages dropped"});
    for (const auto& entry : batch) write_entry(entry);
    lock.lock();
    done_ += batch.size();
    written_.notify_all();
  }
}

void Logger::write_entry(const Entry& entry) {
  if (fd_ < 0) {
    ::syslog(syslog_priority(entry.level), "%s", entry.text.c_str());
    return;
  }
  char stamp[32];
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  std::string line;
  line.reserve(entry.text.size() + 64);
  line.append(stamp).append(" authd[").append(std::to_string(::getpid())).append("] ");
  line.append(log_level_name(entry.level)).append(": ").append(entry.text).push_back('\n');
  write_all(fd_, line);
}

}  // namespace authd
