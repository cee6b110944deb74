#include "host/conformance/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace authd::host::conformance {

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

double welch_t(const std::vector<double>& a, const std::vector<double>& b) {
  const auto variance = [](const std::vector<double>& v, double mean) {
    double sum = 0;
    for (const double x : v) sum += (x - mean) * (x - mean);
    return sum / static_cast<double>(v.size() - 1);
  };
  const double ma = mean_of(a), mb = mean_of(b);
  const double se = std::sqrt(variance(a, ma) / static_cast<double>(a.size()) +
                              variance(b, mb) / static_cast<double>(b.size()));
  if (se == 0) return ma == mb ? 0.0 : std::copysign(INFINITY, ma - mb);
  return (ma - mb) / se;
}

}  // namespace authd::host::conformance
