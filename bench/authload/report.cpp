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
                                                       "malformed_name"};

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
      << "latency us      p50 " << fixed(report.latency.p50_us, 1) << "  p95 " << fixed(report.latency.p95_us, 1)
      << "  p99 " << fixed(report.latency.p99_us, 1) << "  max " << fixed(report.latency.max_us, 1) << "  mean "
      << fixed(report.latency.mean_us, 1) << "\n"
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
  field("latency_us", "{\"p50\": " + fixed(report.latency.p50_us, 1) + ", \"p95\": " + fixed(report.latency.p95_us, 1) +
                          ", \"p99\": " + fixed(report.latency.p99_us, 1) + ", \"max\": " +
                          fixed(report.latency.max_us, 1) + ", \"mean\": " + fixed(report.latency.mean_us, 1) + "}");
  field("helper_cpu_seconds", fixed(report.helper_user_seconds + report.helper_system_seconds, 6));
  field("helper_user_seconds", fixed(report.helper_user_seconds, 6));
  field("helper_system_seconds", fixed(report.helper_system_seconds, 6));
  field("helper_peak_rss_kib", std::to_string(report.helper_peak_rss_kib));
  field("authload_cpu_seconds", fixed(report.driver_cpu_seconds, 6));
  field("handshake_seconds", report.handshake_seconds ? fixed(*report.handshake_seconds, 6) : "null");
  field("first_answer_seconds", report.first_answer_seconds ? fixed(*report.first_answer_seconds, 6) : "null");
  field("interface_version", report.interface_version ? std::to_string(*report.interface_version) : "null");
  field("info_lines", std::to_string(report.info_lines));
  json.resize(json.size() - 2);  // the last field's ",\n"
  json.append("\n}\n");
  return json;
}

}  // namespace authd::bench
