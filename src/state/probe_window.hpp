// SPDX-License-Identifier: GPL-2.0-or-later
// One target's recent probes: which were answered in time and how fast. Loss, average RTT and jitter are
// computed over a sliding window of send times, so old history stops counting on its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "common/histogram.hpp"

namespace uplinkd {

using HealthClock = std::chrono::steady_clock;
using HealthTime = HealthClock::time_point;
using HealthDuration = HealthClock::duration;

struct ProbeStats {
  int samples = 0;          // probes answered or timed out
  int lost = 0;             // of those, not answered in time
  double loss_percent = 0;  // 0 without samples
  std::optional<HealthDuration> rtt_avg;
  std::optional<HealthDuration> jitter;  // mean absolute difference of consecutive RTTs (RFC 3550's idea)
  std::optional<HealthDuration> last_rtt;
};

// Since the window was made, for /metrics: counters that only grow, and every answer's RTT.
struct ProbeTotals {
  uint64_t sent = 0;
  uint64_t lost = 0;  // not answered within the timeout (a late answer counts here)
  Histogram rtt_seconds{kRttBuckets};
};

class ProbeWindow {
 public:
  void sent(uint64_t seq, HealthTime now);
  // The RTT when the answer came within `timeout`; nullopt for a late (lost), unknown or repeated answer,
  // which changes nothing.
  std::optional<HealthDuration> answered(uint64_t seq, HealthTime now, HealthDuration timeout);
  // Marks probes unanswered for longer than `timeout` lost, and forgets probes sent before now - window.
  void advance(HealthTime now, HealthDuration timeout, HealthDuration window);
  // Over the probes sent at or after `since`, so an outage already acted on does not count twice.
  ProbeStats stats(HealthTime since = HealthTime::min()) const;
  std::optional<HealthTime> next_timeout(HealthDuration timeout) const;
  const ProbeTotals& totals() const { return totals_; }

 private:
  struct Sample {
    uint64_t seq = 0;
    HealthTime sent;
    std::optional<HealthDuration> rtt;
    bool done = false;
  };
  std::deque<Sample> samples_;  // in sending order
  ProbeTotals totals_;
};

}  // namespace uplinkd
