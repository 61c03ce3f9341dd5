// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/rtt_estimate.hpp"

#include <algorithm>

namespace uplinkd {

// RFC 6298 section 2: alpha = 1/8, beta = 1/4, K = 4; the first sample sets SRTT = R and RTTVAR = R / 2.
void RttEstimate::sample(HealthDuration rtt) {
  if (!srtt_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    return;
  }
  const HealthDuration deviation = *srtt_ > rtt ? *srtt_ - rtt : rtt - *srtt_;
  rttvar_ = (3 * rttvar_ + deviation) / 4;
  srtt_ = (7 * *srtt_ + rtt) / 8;
}

std::optional<HealthDuration> RttEstimate::timeout(HealthDuration floor, HealthDuration ceiling) const {
  if (!srtt_) return std::nullopt;
  return std::clamp(*srtt_ + 4 * rttvar_, std::min(floor, ceiling), ceiling);
}

}  // namespace uplinkd
