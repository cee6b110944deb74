#include "bench/authload/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace authd::bench {
namespace {

double nearest_rank(const std::vector<std::int64_t>& sorted, double fraction) {
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1]) / 1000.0;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out.append(escaped);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string joined_command(const std::vector<std::string>& command) {
  std::string text;
  for (const std::string& arg : command) {
    if (!text.empty()) text.push_back(' ');
    text.append(arg);
  }
  return text;
}

constexpr const char* kKindKeys[request_kind_count] = {"right_password", "wrong_password", "unknown_name",
                                                       "malformed_name", "slow_backend"};

std::string latency_text(const LatencySummary& latency) {
  return "p50 " + fixed(latency.p50_us, 1) + "  p95 " + fixed(latency.p95_us, 1) + "  p99 " + fixed(latency.p99_us, 1) +
         "  max " + fixed(latency.max_us, 1) + "  mean " + fixed(latency.mean_us, 1);
}

std::string latency_json(const std::optional<LatencySummary>& latency) {
  if (!latency) return "null";
  return "{\"p50\": " + fixed(latency->p50_us, 1) + ", \"p95\": " + fixed(latency->p95_us, 1) +
         ", \"p99\": " + fixed(latency->p99_us, 1) + ", \"max\": " + fixed(latency->max_us, 1) +
         ", \"mean\": " + fixed(latency->mean_us, 1) + "}";
}

std::string samples_json(const std::vector<HelperSample>& samples) {
  std::string json = "[";
  for (const HelperSample& sample : samples) {
    if (json.size() > 1) json.append(",");
    json.append("\n    {\"seconds\": ").append(fixed(sample.seconds, 3));
    json.append(", \"answered\": ").append(std::to_string(sample.answered));
    json.append(", \"rss_kib\": ").append(std::to_string(sample.rss_kib));
    json.append(", \"open_fds\": ").append(std::to_string(sample.open_fds)).append("}");
  }
  return json.append(samples.empty() ? "]" : "\n  ]");
}

std::string memory_trend_json(const std::optional<MemoryTrend>& trend) {
  if (!trend) return "null";
  return "{\"warmup_requests\": " + std::to_string(trend->warmup_requests) +
         ", \"samples\": " + std::to_string(trend->samples) +
         ", \"rss_first_kib\": " + std::to_string(trend->rss_first_kib) +
         ", \"rss_last_kib\": " + std::to_string(trend->rss_last_kib) +
         ", \"rss_max_kib\": " + std::to_string(trend->rss_max_kib) +
         ", \"rss_slope_kib_per_million\": " + fixed(trend->rss_slope_kib_per_million, 2) +
         ", \"fds_first\": " + std::to_string(trend->fds_first) + ", \"fds_last\": " + std::to_string(trend->fds_last) +
         ", \"fds_max\": " + std::to_string(trend->fds_max) + "}";
}

}  // namespace

LatencySummary summarize_latencies(std::vector<std::int64_t> latencies_ns) {
  LatencySummary summary;
  if (latencies_ns.empty()) return summary;
  std::sort(latencies_ns.begin(), latencies_ns.end());
  summary.p50_us = nearest_rank(latencies_ns, 0.50);
  summary.p95_us = nearest_rank(latencies_ns, 0.95);
  summary.p99_us = nearest_rank(latencies_ns, 0.99);
  summary.max_us = static_cast<double>(latencies_ns.back()) / 1000.0;
  const long double total = std::accumulate(latencies_ns.begin(), latencies_ns.end(), 0.0L);
  summary.mean_us = static_cast<double>(total / static_cast<long double>(latencies_ns.size()) / 1000.0L);
  return summary;
}

std::optional<MemoryTrend> summarize_samples(const std::vector<HelperSample>& samples, std::size_t warmup_requests) {
  std::vector<const HelperSample*> kept;
  for (const HelperSample& sample : samples) {
    if (sample.answered >= warmup_requests) kept.push_back(&sample);
  }
  if (kept.size() < 2) return std::nullopt;
  MemoryTrend trend;
  trend.warmup_requests = warmup_requests;
  trend.samples = kept.size();
  trend.rss_first_kib = kept.front()->rss_kib;
  trend.rss_last_kib = kept.back()->rss_kib;
  trend.fds_first = kept.front()->open_fds;
  trend.fds_last = kept.back()->open_fds;
  double mean_x = 0;
  double mean_y = 0;
  for (const HelperSample* sample : kept) {
    trend.rss_max_kib = std::max(trend.rss_max_kib, sample->rss_kib);
    trend.fds_max = std::max(trend.fds_max, sample->open_fds);
    mean_x += static_cast<double>(sample->answered) / 1e6;
    mean_y += static_cast<double>(sample->rss_kib);
  }
  mean_x /= static_cast<double>(kept.size());
  mean_y /= static_cast<double>(kept.size());
  double covariance = 0;
  double variance = 0;
  for (const HelperSample* sample : kept) {
    const double dx = static_cast<double>(sample->answered) / 1e6 - mean_x;
    covariance += dx * (static_cast<double>(sample->rss_kib) - mean_y);
    variance += dx * dx;
  }
  // Samples that all saw the same count (a stalled helper) give no slope.
  trend.rss_slope_kib_per_million = variance > 0 ? covariance / variance : 0;
  return trend;
}

void print_text(std::ostream& out, const Report& report) {
  out << "helper          " << joined_command(report.command) << "\n"
      << "protocol        " << report.protocol << ", window " << report.window << ", seed " << report.seed << "\n"
      << "requests        " << report.answered;
  if (report.capped) out << " of " << report.planned << " (stopped by --duration-cap)";
  out << "\n               ";
  for (std::size_t kind = 0; kind < request_kind_count; ++kind) {
    if (report.answered_by_kind[kind] == 0) continue;
    out << " " << report.answered_by_kind[kind] << " " << describe(static_cast<RequestKind>(kind)) << ",";
  }
  out << " every answer as expected\n"
      << "seconds         " << fixed(report.seconds, 3) << "\n"
      << "requests/s      " << fixed(report.requests_per_second, 0) << "\n"
      << "latency us      " << latency_text(report.latency) << "\n";
  if (report.latency_fast) out << "  without slow   " << latency_text(*report.latency_fast) << "\n";
  if (report.latency_slow) out << "  slow backend   " << latency_text(*report.latency_slow) << "\n";
  if (report.rate) out << "paced at        " << fixed(*report.rate, 0) << " requests/s\n";
  out
      << "helper CPU s    " << fixed(report.helper_user_seconds + report.helper_system_seconds, 3) << " (user "
      << fixed(report.helper_user_seconds, 3) << ", system " << fixed(report.helper_system_seconds, 3) << ")\n"
      << "helper peak RSS " << report.helper_peak_rss_kib << " KiB\n"
      << "authload CPU s  " << fixed(report.driver_cpu_seconds, 3) << "\n";
  if (report.handshake_seconds) {
    out << "INTF answered   " << fixed(*report.handshake_seconds, 4) << " s after start (version "
        << report.interface_version.value_or(0) << ")\n";
  }
  if (report.first_answer_seconds) {
    out << "first answer    " << fixed(*report.first_answer_seconds, 4) << " s after start\n";
  }
  if (report.info_lines != 0) out << "info lines      " << report.info_lines << "\n";
  if (const auto& trend = report.memory_trend) {
    out << "helper RSS KiB  " << trend->rss_first_kib << " -> " << trend->rss_last_kib << " (max " << trend->rss_max_kib
        << ") after the first " << trend->warmup_requests << " requests, slope "
        << fixed(trend->rss_slope_kib_per_million, 1) << " KiB per million requests, " << trend->samples
        << " samples\n"
        << "helper open fds " << trend->fds_first << " -> " << trend->fds_last << " (max " << trend->fds_max << ")\n";
  } else if (!report.samples.empty()) {
    out << "helper samples  " << report.samples.size() << ", too few after the warm-up for a trend\n";
  }
}

std::string to_json(const Report& report) {
  std::string json = "{\n";
  const auto field = [&json](std::string_view key, const std::string& value) {
    json.append("  ").append(json_string(key)).append(": ").append(value).append(",\n");
  };
  field("helper", json_string(joined_command(report.command)));
  field("protocol", json_string(report.protocol));
  field("window", std::to_string(report.window));
  field("seed", std::to_string(report.seed));
  field("requests_planned", std::to_string(report.planned));
  field("requests", std::to_string(report.answered));
  std::string kinds = "{";
  for (std::size_t kind = 0; kind < request_kind_count; ++kind) {
    if (kind != 0) kinds.append(", ");
    kinds.append(json_string(kKindKeys[kind])).append(": ").append(std::to_string(report.answered_by_kind[kind]));
  }
  field("requests_by_kind", kinds + "}");
  field("stopped_by_duration_cap", report.capped ? "true" : "false");
  field("seconds", fixed(report.seconds, 6));
  field("requests_per_second", fixed(report.requests_per_second, 1));
  field("latency_us", latency_json(report.latency));
  field("latency_fast_us", latency_json(report.latency_fast));
  field("latency_slow_us", latency_json(report.latency_slow));
  field("rate", report.rate ? fixed(*report.rate, 1) : "null");
  field("helper_cpu_seconds", fixed(report.helper_user_seconds + report.helper_system_seconds, 6));
  field("helper_user_seconds", fixed(report.helper_user_seconds, 6));
  field("helper_system_seconds", fixed(report.helper_system_seconds, 6));
  field("helper_peak_rss_kib", std::to_string(report.helper_peak_rss_kib));
  field("authload_cpu_seconds", fixed(report.driver_cpu_seconds, 6));
  field("handshake_seconds", report.handshake_seconds ? fixed(*report.handshake_seconds, 6) : "null");
  field("first_answer_seconds", report.first_answer_seconds ? fixed(*report.first_answer_seconds, 6) : "null");
  field("interface_version", report.interface_version ? std::to_string(*report.interface_version) : "null");
  field("info_lines", std::to_string(report.info_lines));
  field("memory_trend", memory_trend_json(report.memory_trend));
  field("samples", samples_json(report.samples));
  json.resize(json.size() - 2);  // the last field's ",\n"
  json.append("\n}\n");
  return json;
}

}  // namespace authd::bench
