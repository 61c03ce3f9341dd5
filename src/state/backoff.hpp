// SPDX-License-Identifier: GPL-2.0-or-later
// A growing delay for something that keeps failing or keeps being undone: first, 2×first, 4×first, … up to
// `cap`. Pure, so the schedule is unit-tested and the daemon only arms a timer.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace uplinkd {

using BackoffClock = std::chrono::steady_clock;
using BackoffTime = BackoffClock::time_point;

struct Backoff {
  std::chrono::milliseconds first;
  std::chrono::milliseconds cap;

  // The delay before attempt number `attempt` (1 for the first retry).
  std::chrono::milliseconds delay(uint32_t attempt) const {
    auto delay = first;
    for (uint32_t i = 1; i < attempt && delay < cap; ++i) delay *= 2;
    return std::min(delay, cap);
  }
};

// An uplink whose objects the kernel refused is tried again after 1 s, 2 s, 4 s, … 5 min (a new lease or
// address is tried at once: the refusal was for the old one).
inline constexpr Backoff kRefusalBackoff{std::chrono::seconds(1), std::chrono::minutes(5)};
// A converge that failed for reasons no single uplink explains is retried after 1 s, 2 s, … 30 s.
inline constexpr Backoff kErrorBackoff{std::chrono::seconds(1), std::chrono::seconds(30)};

}  // namespace uplinkd
