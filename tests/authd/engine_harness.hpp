// Runs an Engine in-process on a pair of pipes, for tests that speak the
// protocol to it line by line.
//
// Credential failures are answered at once unless the configuration names
// failure_answer_time_ms: tests of backends and of the dispatcher's order
// would otherwise wait out the hold on every rejection. Tests of the hold
// set it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "authd/config.hpp"
#include "authd/engine.hpp"
#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "authd/plugin_loader.hpp"
#include "authd/routes.hpp"
#include "plugins/builtin_backends.hpp"
#include "plugins/test_backend.hpp"
#include "../support/line_from_fd.hpp"

namespace authd::testing {

// A fresh temporary directory, removed with its content.
class TempDir {
 public:
  TempDir() {
    std::string pattern = mkdtemp_template((std::filesystem::temp_directory_path() / "authd-test-").string());
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

class EngineHarness {
 public:
  using Clock = std::chrono::steady_clock;

  explicit EngineHarness(const std::string& toml) {
    register_builtin_backends(types_);
    types_.add(describe_backend<TestBackend>(), "test");
    const std::string log = (dir_.path() / "authd.log").string();
    auto loaded = load_config_text(toml + "", "test.toml", dir_.path().string(), types_, "");
    if (auto* issues = std::get_if<std::vector<ConfigIssue>>(&loaded)) {
      std::string all;
      for (const auto& issue : *issues) all += issue.to_string() + "\n";
      throw std::runtime_error("bad test configuration:\n" + all);
    }
    config_ = std::make_unique<Config>(std::get<Config>(std::move(loaded)));
    if (toml.find("failure_answer_time_ms") == std::string::npos) config_->failure_answer_time = {};
    logger_ = std::make_unique<Logger>(Logger::Options{log, LogLevel::Debug, config_->info_lines});
    services_ = std::make_unique<EngineServices>(config_->allow_weak_schemes, *logger_);
    auto routes = Routes::build(*config_, *services_);
    if (auto* issues = std::get_if<std::vector<ConfigIssue>>(&routes))
      throw std::runtime_error("backends failed: " + issues->front().to_string());
    routes_ = std::make_unique<Routes>(std::get<Routes>(std::move(routes)));
    engine_ = std::make_unique<Engine>(*config_, *routes_, *services_);
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    to_engine_ = in[1];
    from_engine_ = out[0];
    engine_in_ = in[0];
    engine_out_ = out[1];
    runner_ = std::thread([this] {
      status_ = engine_->run(engine_in_, engine_out_);
      ::close(engine_out_);
      finished_ = Clock::now();
    });
  }

  ~EngineHarness() {
    close_input();
    if (runner_.joinable()) runner_.join();
    // A worker the engine gave up on may still be inside a test backend.
    while (TestBackend::active() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::close(engine_in_);
    ::close(from_engine_);
  }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(to_engine_, bytes.data(), bytes.size());
      if (n <= 0) throw std::runtime_error("write to engine failed");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void send_line(std::string_view line) { send(std::string(line) + "\n"); }

  void close_input() {
    if (to_engine_ >= 0) ::close(to_engine_);
    to_engine_ = -1;
  }

  // The next line from the engine, or nullopt after `limit` or at its end.
  std::optional<std::string> read_line(std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    return read_line_from(from_engine_, buffer_, limit);
  }

  // Every byte the engine still writes, up to the end of its output or
  // `limit`; lines already split off by read_line() are not repeated.
  std::string read_to_end(std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
    const auto until = Clock::now() + limit;
    std::string all = std::exchange(buffer_, std::string());
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) return all;
      pollfd ready{from_engine_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left)) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(from_engine_, chunk, sizeof chunk);
      if (n <= 0) return all;
      all.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Send one request and return its answer.
  std::string ask(std::string_view line) {
    send_line(line);
    auto answer = read_line();
    return answer.value_or("<no answer>");
  }

  // Close the input and wait for the engine to stop; the run's status.
  int finish() {
    close_input();
    runner_.join();
    return status_;
  }
  Clock::time_point finished_at() const { return finished_; }
  Engine& engine() { return *engine_; }
  std::string log_text() {
    logger_->flush();
    std::ifstream in(dir_.path() / "authd.log");
    return {std::istreambuf_iterator<char>(in), {}};
  }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  BackendTypes types_;
  std::unique_ptr<Config> config_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<EngineServices> services_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<Engine> engine_;
  int to_engine_ = -1, from_engine_ = -1, engine_in_ = -1, engine_out_ = -1;
  std::string buffer_;
  std::thread runner_;
  int status_ = -1;
  Clock::time_point finished_{};
};

}  // namespace authd::testing
