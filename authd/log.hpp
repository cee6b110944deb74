// The helper's log: a file or syslog, written by a thread of its own.
//
// Standard error is closed to diagnostics once the helper runs, so every
// message goes here. Callers (the dispatcher included) only append to a
// bounded queue and never wait on the disk or on syslog; when the queue is
// full, messages are dropped and counted, and the count is logged later.
// Messages at or above Info can also be copied to the host as "* text" lines.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "authd/api/plugin.hpp"

namespace authd {

std::optional<LogLevel> parse_log_level(std::string_view word) noexcept;

// Why `destination` ("syslog", "stderr" or a file path) cannot take the
// log, or empty when the Logger will be able to open it: a file that exists
// must be writable and not a directory; one that does not exist yet needs a
// writable directory to be created in. Nothing is created. Configuration
// loading asks this, so that --check-config and start-up refuse the same.
std::string log_destination_problem(const std::string& destination);
std::string_view log_level_name(LogLevel level) noexcept;

class Logger {
 public:
  static constexpr std::size_t max_queued = 10000;
  static constexpr std::size_t max_info_lines = 1000;
  static constexpr std::size_t max_message = 2000;

  struct Options {
    std::string destination = "syslog";  // "syslog", "stderr" (checks and tests only) or a file path
    LogLevel level = LogLevel::Info;
    bool info_lines = false;  // also queue Info and above for the host as "* text"
  };

  // Opens the destination; throws std::runtime_error with a clear message if
  // the file cannot be opened.
  explicit Logger(Options options);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();  // writes what is queued, then stops

  bool enabled(LogLevel level) const noexcept { return level >= options_.level; }
  void log(LogLevel level, std::string_view message);

  // Move the pending "* " lines (text only) into `out`; called by the dispatcher.
  void take_info_lines(std::vector<std::string>& out);

  // Block until everything queued so far is written (shutdown, tests).
  void flush();

 private:
  struct Entry {
    LogLevel level;
    std::string text;
  };
  void run();
  void write_entry(const Entry& entry);

  Options options_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::deque<Entry> queue_;
  std::vector<std::string> info_lines_;
  std::uint64_t dropped_ = 0;
  std::uint64_t enqueued_ = 0;
  std::uint64_t done_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace authd
