// SPDX-License-Identifier: GPL-2.0-or-later
// A histogram with fixed upper bounds, as Prometheus exposes one: a count per bucket, their sum and count.
// Kept by the daemon's loop for probe RTTs and kernel apply latency, read by /metrics.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace uplinkd {

class Histogram {
 public:
  Histogram() = default;
  explicit Histogram(std::span<const double> upper_bounds);  // ascending; +Inf is implied

  void observe(double value);

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // counts()[i]: observations <= upper_bounds()[i] and above the bound before (not cumulative); the last
  // entry is those above every bound.
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(1);
  uint64_t count_ = 0;
  double sum_ = 0;
};

// In seconds: probe RTTs from a LAN's 1 ms to a satellite's second.
inline constexpr double kRttBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

}  // namespace uplinkd
