// SPDX-License-Identifier: GPL-2.0-or-later
// What /metrics shows, gathered on the loop from the config, the plan in force, the health monitors, the
// daemon's own counters and the kernel's link counters (web/metrics.hpp renders it).
#pragma once

#include <map>
#include <string>
#include <utility>

#include "apply/mptcp_applier.hpp"
#include "common/histogram.hpp"
#include "config/config.hpp"
#include "netlink/objects.hpp"
#include "plan/plan.hpp"
#include "state/health.hpp"
#include "web/metrics.hpp"

namespace uplinkd {

// Kept by the daemon since it started (a reload keeps them: Prometheus counters only grow).
struct DaemonCounters {
  Histogram apply_seconds{kApplyBuckets};
  uint64_t apply_errors = 0;
  std::map<std::string, uint64_t> conntrack_deleted;               // by uplink name
  std::map<std::pair<std::string, Family>, uint64_t> transitions;  // of the uplink's state
};

using HealthMonitors = std::map<std::pair<std::string, Family>, const HealthMonitor*>;
using InterfaceTraffic = std::map<std::string, netlink::LinkTraffic>;  // by interface name

MetricsSnapshot metrics_report(const Config& config, const Plan& plan, const HealthMonitors& health,
                               const DaemonCounters& counters, const InterfaceTraffic& traffic,
                               const MptcpOutcome& mptcp);

}  // namespace uplinkd
