// The few statistics the conformance kit reports (the timing case).
#pragma once

#include <vector>

namespace authd::host::conformance {

double mean_of(const std::vector<double>& values);    // of at least one value
double median_of(std::vector<double> values);          // the upper median; 0 for none
// Welch's t of two samples of two values or more: (mean a - mean b) over
// its standard error. Infinite when both samples are constant but differ.
double welch_t(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace authd::host::conformance
