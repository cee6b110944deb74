// The load loop: writes the plan's requests to the helper, keeping up to a
// window of them in flight, and checks every answer against the expected
// result. Any departure from the protocol or from the expected answers ends
// the run with a RunFailure: a benchmark of a helper that answers wrongly
// measures nothing.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/authload/helper_process.hpp"
#include "bench/authload/request_plan.hpp"

namespace authd::bench {

struct DriverSettings {
  WireProtocol protocol = WireProtocol::Authd;
  std::size_t window = 1;                                   // requests in flight at most
  std::optional<std::chrono::nanoseconds> duration_cap;     // stop sending after this
  std::optional<std::string> expected_error_text;           // every ERROR/ERR must carry exactly this
  std::chrono::milliseconds answer_timeout{30000};          // longest silence while requests are in flight
  std::chrono::milliseconds exit_timeout{10000};            // from end of input to the helper's exit
  std::optional<double> rate;                               // requests per second at most, evenly spaced
  std::optional<std::chrono::milliseconds> sample_interval; // how often to read the helper's RSS and open fds
};

// The helper's memory and descriptors at one moment of the run.
struct HelperSample {
  double seconds = 0;         // since the first request was written
  std::size_t answered = 0;   // requests answered by then
  long rss_kib = 0;           // VmRSS
  long open_fds = 0;          // entries of /proc/PID/fd
};

struct RunMeasurements {
  std::size_t answered = 0;
  std::array<std::size_t, request_kind_count> answered_by_kind{};
  bool capped = false;                                // the duration cap stopped sending early
  std::chrono::nanoseconds elapsed{0};                // first request written to last answer read
  std::vector<std::int64_t> latencies_ns;             // one per answered request, in request order
  std::optional<std::chrono::nanoseconds> handshake;  // start of the helper to its INTF answer (authd)
  std::optional<std::uint64_t> interface_version;     // the version the helper answered to INTF
  std::optional<std::chrono::nanoseconds> first_answer;  // start of the helper to its first VRFY answer
  std::size_t info_lines = 0;                         // "* text" lines seen
  HelperExit helper_exit;
  std::optional<long> helper_peak_rss_kib;  // VmHWM just before end of input
  std::vector<HelperSample> samples;        // with a sample interval: from start to end of input
};

class RunFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs the whole session: handshake, the plan, end of input, the helper's
// exit. Throws RunFailure for a wrong answer or a misbehaving helper.
RunMeasurements drive(HelperProcess& helper, const RequestPlan& plan, const DriverSettings& settings);

}  // namespace authd::bench
