// What a run measured, as text for people and as JSON for scripts.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/authload/driver.hpp"
#include "bench/authload/request_plan.hpp"

namespace authd::bench {

struct LatencySummary {
  double p50_us = 0;
  double p95_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double mean_us = 0;
};

// Nearest-rank percentiles of latencies in nanoseconds.
LatencySummary summarize_latencies(std::vector<std::int64_t> latencies_ns);

// How the helper's memory and descriptors moved once warmed up: a soak
// passes when the resident set stays flat and no descriptor is leaked.
struct MemoryTrend {
  std::size_t warmup_requests = 0;   // samples taken before this many answers are left out
  std::size_t samples = 0;           // samples after the warm-up
  long rss_first_kib = 0;
  long rss_last_kib = 0;
  long rss_max_kib = 0;
  double rss_slope_kib_per_million = 0;  // least-squares fit of RSS over requests answered
  long fds_first = 0;
  long fds_last = 0;
  long fds_max = 0;
};

// nullopt when fewer than two samples come after the warm-up.
std::optional<MemoryTrend> summarize_samples(const std::vector<HelperSample>& samples, std::size_t warmup_requests);

struct Report {
  std::string protocol;               // "authd" or "squid"
  std::vector<std::string> command;   // the helper's argv
  std::size_t window = 0;
  std::uint64_t seed = 0;
  std::size_t planned = 0;            // --requests
  std::size_t answered = 0;
  std::array<std::size_t, request_kind_count> answered_by_kind{};
  bool capped = false;
  double seconds = 0;
  double requests_per_second = 0;
  LatencySummary latency;
  // With slow-backend requests in the mix: the latency of the others, and theirs.
  std::optional<LatencySummary> latency_fast;
  std::optional<LatencySummary> latency_slow;
  double helper_user_seconds = 0;
  double helper_system_seconds = 0;
  long helper_peak_rss_kib = 0;
  double driver_cpu_seconds = 0;      // authload's own, to show it was not the bottleneck
  std::optional<double> handshake_seconds;
  std::optional<double> first_answer_seconds;
  std::optional<std::uint64_t> interface_version;
  std::size_t info_lines = 0;
  std::optional<double> rate;
  std::vector<HelperSample> samples;
  std::optional<MemoryTrend> memory_trend;
};

void print_text(std::ostream& out, const Report& report);
std::string to_json(const Report& report);

}  // namespace authd::bench
