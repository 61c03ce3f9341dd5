// SPDX-License-Identifier: GPL-2.0-or-later
// One target's smoothed round-trip time and its variation, and the probe timeout derived from them, as TCP
// derives its retransmission timeout (RFC 6298): SRTT + 4 × RTTVAR, kept between a floor and a ceiling.
// docs/health.md ("Adaptive timing") gives the detection bound this timeout yields.
#pragma once

#include <optional>

#include "state/probe_window.hpp"

namespace uplinkd {

class RttEstimate {
 public:
  void sample(HealthDuration rtt);
  // nullopt until the first answer: the caller waits its ceiling then, as TCP starts from a long RTO.
  std::optional<HealthDuration> timeout(HealthDuration floor, HealthDuration ceiling) const;
  std::optional<HealthDuration> smoothed() const { return srtt_; }

 private:
  std::optional<HealthDuration> srtt_;
  HealthDuration rttvar_{};
};

}  // namespace uplinkd
