// SPDX-License-Identifier: GPL-2.0-or-later
// Holds an uplink that keeps failing down for a growing time, so traffic is not moved back and forth
// every few seconds. A failure within kFlapWindow of the last recovery is a flap; the n-th flap holds the
// uplink down for base * 2^(n-1), at most kMaxHold (or base, if larger); every kFlapWindow spent up without
// failing forgives one flap.
#pragma once

#include <chrono>
#include <optional>

#include "state/probe_window.hpp"

namespace uplinkd {

class FlapDamping {
 public:
  static constexpr HealthDuration kFlapWindow = std::chrono::seconds(60);
  static constexpr HealthDuration kMaxHold = std::chrono::seconds(300);

  explicit FlapDamping(HealthDuration base) : base_(base) {}

  void went_down(HealthTime now);
  void came_up(HealthTime now) { last_up_ = now; }

  int flaps() const { return flaps_; }
  HealthTime held_until() const { return held_until_; }
  bool holding(HealthTime now) const { return now < held_until_; }

 private:
  HealthDuration base_;
  int flaps_ = 0;
  std::optional<HealthTime> last_up_;
  HealthTime held_until_{};
};

}  // namespace uplinkd
