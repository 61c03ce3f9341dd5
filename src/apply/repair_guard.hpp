// SPDX-License-Identifier: GPL-2.0-or-later
// Own decisively, never fight blindly: an object of uplinkd's that someone removed or replaced, or a foreign
// object that took its place, is repaired at once the first time, and then no sooner than 0.25 s, 0.5 s,
// 1 s, … 30 s after the previous repair, so that a program fighting uplinkd over the same object (a dhcp-lb
// hook's `while ip rule del …; do :; done`) gets its turn and finishes, and neither side spins. An object
// left alone for a quiet minute starts again from the first step. Pure: time is passed in.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apply/kernel.hpp"
#include "state/backoff.hpp"

namespace uplinkd {

inline constexpr Backoff kRepairBackoff{std::chrono::milliseconds(250), std::chrono::seconds(30)};
inline constexpr std::chrono::seconds kRepairQuietPeriod{60};

struct ContestedObject {
  std::string object;    // "route default table 201", as describe() names it
  std::string by;        // "proto boot", or "removed" when nothing says who did it
  uint32_t repairs = 0;  // since the last quiet period
  BackoffTime first_repair;
  BackoffTime last_repair;
  BackoffTime next_allowed;  // the earliest time of the next repair
};

class RepairGuard {
 public:
  // Whether the repair of `object` may happen at `now`; if so, it is counted (and its entry returned).
  const ContestedObject* allow(const std::string& object, const std::string& by, BackoffTime now);
  // When the earliest repair held back by allow() may happen.
  std::optional<BackoffTime> next_allowed(const std::vector<std::string>& held) const;
  // Contested objects, without those quiet for kRepairQuietPeriod.
  std::vector<ContestedObject> contested(BackoffTime now);

 private:
  void forget_quiet(BackoffTime now);
  std::map<std::string, ContestedObject> objects_;
};

// The name of a kernel object in messages and as a RepairGuard key: describe() without the verb.
std::string object_name(const KernelObject& object);

}  // namespace uplinkd
