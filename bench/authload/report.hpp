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
  double helper_user_seconds = 0;
  double helper_system_seconds = 0;
  long helper_peak_rss_kib = 0;
  double driver_cpu_seconds = 0;      // authload's own, to show it was not the bottleneck
  std::optional<double> handshake_seconds;
  std::optional<double> first_answer_seconds;
  std::optional<std::uint64_t> interface_version;
  std::size_t info_lines = 0;
};

void print_text(std::ostream& out, const Report& report);
std::string to_json(const Report& report);

}  // namespace authd::bench
