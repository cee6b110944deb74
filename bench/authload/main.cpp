// authload: drives an external-authentication helper at full speed and
// checks every answer it gives.
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/authload/driver.hpp"
#include "bench/authload/helper_process.hpp"
#include "bench/authload/report.hpp"
#include "bench/authload/request_plan.hpp"
#include "bench/common/credentials.hpp"

namespace {

using namespace authd::bench;

struct Options {
  std::string protocol = "authd";
  std::size_t requests = 100000;
  std::size_t window = 100;
  std::string credentials;
  double wrong_share = 0;
  double unknown_share = 0;
  double malformed_share = 0;
  double slow_share = 0;
  std::string slow_account;
  std::string slow_password = "secret";
  std::optional<double> rate;
  std::optional<unsigned> sample_interval_ms;
  double warmup_share = 0.1;
  std::optional<double> duration_cap;
  std::uint64_t seed = 1;
  std::string json;
  std::optional<std::string> expect_error_text;
  std::string mode = "IMAP";
  bool squid_strip_domain = false;
  std::string helper_stderr = "/dev/null";
  double answer_timeout = 30;
  double exit_timeout = 10;
  std::vector<std::string> command;
};

double cpu_seconds_of_self() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::chrono::milliseconds milliseconds_of(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// Checks what CLI11 cannot express; returns a message, empty if all is well.
std::string check_options(const Options& options) {
  if (options.wrong_share + options.unknown_share + options.malformed_share + options.slow_share > 1.0 + 1e-9) {
    return "--wrong-share, --unknown-share, --malformed-share and --slow-share add up to more than 1";
  }
  if (options.protocol == "squid" && options.malformed_share > 0) {
    return "--malformed-share is for --protocol authd only (Squid helpers have no notion of a malformed name)";
  }
  if (options.protocol == "squid" && options.slow_share > 0) {
    return "--slow-share is for --protocol authd only (it needs answers out of order)";
  }
  if (options.slow_share > 0 && options.slow_account.find('@') == std::string::npos) {
    return "--slow-share needs --slow-account name@domain, an account the helper routes to a slow backend";
  }
  if (options.protocol == "authd" && options.squid_strip_domain) {
    return "--squid-strip-domain is for --protocol squid only";
  }
  if (options.mode.find_first_of(" ()\t\r\n") != std::string::npos) {
    return "--mode must be a single word such as IMAP (or empty for none)";
  }
  return {};
}

// Latencies of the slow-backend requests apart from the others, which are
// the ones a slow backend must not hold up.
void split_latencies(const RequestPlan& plan, const RunMeasurements& run, Report& report) {
  std::vector<std::int64_t> fast;
  std::vector<std::int64_t> slow;
  fast.reserve(run.latencies_ns.size());
  for (std::size_t index = 0; index < run.latencies_ns.size(); ++index) {
    (plan.kind(index) == RequestKind::SlowBackend ? slow : fast).push_back(run.latencies_ns[index]);
  }
  if (slow.empty()) return;
  report.latency_fast = summarize_latencies(std::move(fast));
  report.latency_slow = summarize_latencies(std::move(slow));
}

Report make_report(const Options& options, const RequestPlan& plan, const RunMeasurements& run, double driver_cpu) {
  Report report;
  report.protocol = options.protocol;
  report.command = options.command;
  report.window = options.window;
  report.seed = options.seed;
  report.planned = options.requests;
  report.answered = run.answered;
  report.answered_by_kind = run.answered_by_kind;
  report.capped = run.capped;
  report.seconds = std::chrono::duration<double>(run.elapsed).count();
  report.requests_per_second = report.seconds > 0 ? static_cast<double>(run.answered) / report.seconds : 0;
  report.latency = summarize_latencies(run.latencies_ns);
  split_latencies(plan, run, report);
  report.rate = options.rate;
  report.samples = run.samples;
  if (!run.samples.empty()) {
    const auto warmup = static_cast<std::size_t>(options.warmup_share * static_cast<double>(run.answered));
    report.memory_trend = summarize_samples(run.samples, warmup);
  }
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  report.helper_user_seconds = seconds(run.helper_exit.usage.ru_utime);
  report.helper_system_seconds = seconds(run.helper_exit.usage.ru_stime);
  // wait4()'s figure starts from authload's own peak (see HelperProcess::peak_rss_kib).
  report.helper_peak_rss_kib = run.helper_peak_rss_kib.value_or(run.helper_exit.wait4_maxrss_kib());
  report.driver_cpu_seconds = driver_cpu;
  if (run.handshake) report.handshake_seconds = std::chrono::duration<double>(*run.handshake).count();
  if (run.first_answer) report.first_answer_seconds = std::chrono::duration<double>(*run.first_answer).count();
  report.interface_version = run.interface_version;
  report.info_lines = run.info_lines;
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"authload: runs an external-authentication helper as a child process, sends it VRFY requests "
               "(or Squid basic-auth lines) as fast as it takes them, checks every answer, and reports "
               "throughput, latency, and the helper's CPU time and peak memory."};
  app.footer(
      "Any wrong answer, FAILURE/BH, unknown or repeated sequence number, garbage line, or early exit of the helper "
      "fails the run (exit status 1, the problem on standard error). Usage errors exit with 2.\n\n"
      "Example:\n"
      "  gen --users 100000 --scheme SSHA --format passwd --output users.passwd --credentials users.cred\n"
      "  authload --credentials users.cred --requests 1000000 --window 1000 --wrong-share 0.1 \\\n"
      "      -- authd --config authd.toml");
  Options options;
  app.add_option("--protocol", options.protocol, "authd (sequence numbers, VRFY) or squid (basic-auth helper lines)")
      ->check(CLI::IsMember({"authd", "squid"}))
      ->capture_default_str();
  app.add_option("--requests", options.requests, "requests to send")->check(CLI::Range(1, 100000000))->capture_default_str();
  app.add_option("--window", options.window, "requests in flight at most; 1 is lock-step")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--credentials", options.credentials, "name@domain<TAB>password lines, as gen --credentials writes")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--wrong-share", options.wrong_share, "fraction of requests with a wrong password (expect ERROR)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--unknown-share", options.unknown_share, "fraction of requests for names that do not exist (expect ERROR)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--malformed-share", options.malformed_share,
                 "authd only: fraction of requests with a malformed name such as \"name@\" (expect ERROR)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--slow-share", options.slow_share,
                 "authd only: fraction of requests for --slow-account, which the helper routes to a slow backend "
                 "(expect OK); their latency is reported apart")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--slow-account", options.slow_account, "name@domain of the slow-backend requests");
  app.add_option("--slow-password", options.slow_password, "the right password of --slow-account")
      ->capture_default_str();
  app.add_option("--rate", options.rate,
                 "send at most this many requests per second, evenly spaced (default: as fast as the window allows)")
      ->check(CLI::PositiveNumber);
  app.add_option("--sample-interval-ms", options.sample_interval_ms,
                 "read the helper's RSS (VmRSS) and open descriptors this often, and report their trend after the "
                 "warm-up")
      ->check(CLI::Range(1u, 3600000u));
  app.add_option("--warmup-share", options.warmup_share,
                 "with --sample-interval-ms: the fraction of requests left out of the trend as warm-up")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  app.add_option("--duration-cap", options.duration_cap, "stop sending after this many seconds; what is in flight is still checked")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", options.seed, "chooses each request's kind and account")->capture_default_str();
  app.add_option("--json", options.json, "also write the results as JSON to this file");
  app.add_option("--expect-error-text", options.expect_error_text,
                 "every ERROR (squid: ERR) must carry exactly this text, e.g. authd's reject_text");
  app.add_option("--mode", options.mode, "authd: the service in VRFY's \"(mode)\"; empty sends none")->capture_default_str();
  app.add_flag("--squid-strip-domain", options.squid_strip_domain, "squid: send only the name before '@'");
  app.add_option("--helper-stderr", options.helper_stderr, "file for the helper's standard error")->capture_default_str();
  app.add_option("--answer-timeout", options.answer_timeout, "fail after this many seconds without an answer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--exit-timeout", options.exit_timeout, "fail if the helper has not exited this many seconds after end of input")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("command", options.command, "the helper and its arguments, after --")->required();
  CLI11_PARSE(app, argc, argv);

  if (const std::string problem = check_options(options); !problem.empty()) {
    std::cerr << "authload: " << problem << "\n";
    return 2;
  }
  const WireProtocol protocol = options.protocol == "squid" ? WireProtocol::Squid : WireProtocol::Authd;

  std::optional<RequestPlan> plan;
  try {
    const std::vector<Credential> credentials = read_credentials_file(options.credentials);
    PlanSettings plan_settings;
    plan_settings.protocol = protocol;
    plan_settings.requests = options.requests;
    plan_settings.wrong_share = options.wrong_share;
    plan_settings.unknown_share = options.unknown_share;
    plan_settings.malformed_share = options.malformed_share;
    plan_settings.slow_share = options.slow_share;
    plan_settings.slow_account = options.slow_account;
    plan_settings.slow_password = options.slow_password;
    plan_settings.seed = options.seed;
    plan_settings.mode = options.mode;
    plan_settings.squid_strip_domain = options.squid_strip_domain;
    plan.emplace(plan_settings, credentials);
  } catch (const std::exception& e) {
    std::cerr << "authload: " << e.what() << "\n";
    return 2;
  }

  DriverSettings driver_settings;
  driver_settings.protocol = protocol;
  driver_settings.window = options.window;
  if (options.duration_cap) {
    driver_settings.duration_cap =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(*options.duration_cap));
  }
  driver_settings.expected_error_text = options.expect_error_text;
  driver_settings.answer_timeout = milliseconds_of(options.answer_timeout);
  driver_settings.exit_timeout = milliseconds_of(options.exit_timeout);
  driver_settings.rate = options.rate;
  if (options.sample_interval_ms) driver_settings.sample_interval = std::chrono::milliseconds(*options.sample_interval_ms);

  // A helper that dies while we write must show up as EPIPE, not kill us.
  ::signal(SIGPIPE, SIG_IGN);

  RunMeasurements run;
  double driver_cpu = 0;
  try {
    HelperProcess helper(options.command, options.helper_stderr);
    const double cpu_before = cpu_seconds_of_self();
    run = drive(helper, *plan, driver_settings);
    driver_cpu = cpu_seconds_of_self() - cpu_before;
  } catch (const RunFailure& e) {
    std::cerr << "authload: FAILED: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "authload: " << e.what() << "\n";
    return 2;
  }

  const Report report = make_report(options, *plan, run, driver_cpu);
  print_text(std::cout, report);
  if (!options.json.empty()) {
    std::ofstream json(options.json, std::ios::binary | std::ios::trunc);
    json << to_json(report);
    json.close();
    if (!json) {
      std::cerr << "authload: cannot write " << options.json << "\n";
      return 2;
    }
  }
  return 0;
}
