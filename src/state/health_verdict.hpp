// SPDX-License-Identifier: GPL-2.0-or-later
// What health checking says about one uplink, as the planner and `status` read it. Kept apart from the
// monitor that produces it so that the pure decision (evaluate(), the planner) does not depend on probing.
#pragma once

#include <string>
#include <string_view>

#include "common/ip.hpp"

namespace uplinkd {

// unconfigured: no targets, always healthy. probing: targets, no verdict yet; it keeps carrying traffic,
// as it did before probing existed (innocent until proven silent, which takes at most 1.5 s by default).
// degraded: answers, but beyond max_loss or max_rtt; used only when no `up` uplink of its tier is left.
enum class Health { unconfigured, probing, up, degraded, down };

std::string_view health_name(Health health);

struct HealthVerdict {
  Health state = Health::unconfigured;
  std::string reason;
  bool operator==(const HealthVerdict&) const = default;
};

// The verdict of a family without health targets of its own: the other family's, `other`, which says so in
// its reason. An ISP whose IPv4 probes fail is taken to be dead for IPv6 too, unless IPv6 is probed itself.
HealthVerdict followed_verdict(const HealthVerdict& other, Family other_family);

}  // namespace uplinkd
