// SPDX-License-Identifier: GPL-2.0-or-later
// /metrics: what the daemon knows, in Prometheus' text exposition format (version 0.0.4). The daemon's loop
// fills a MetricsSnapshot (daemon/metrics_report.hpp); rendering it is pure, so it is tested without a daemon
// and runs on the HTTP thread, not the loop.
//
// Names follow Prometheus' conventions: an `uplinkd_` prefix, base units (seconds, bytes, ratios 0-1),
// `_total` counters. Labels are the config's uplink names, families and health targets only: a handful of
// series per uplink, never one per connection or address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/histogram.hpp"
#include "state/probe_window.hpp"

namespace uplinkd {

// The kernel apply latency's buckets, in seconds: a failover's batch takes 0.2-6 ms (README's figures).
inline constexpr double kApplyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                           0.01,   0.025,   0.05,   0.1,   0.25,   1};

struct UplinkMetrics {
  std::string name;
  uint32_t weight = 1;
  uint32_t tier = 1;
  bool traffic_known = false;  // the interface exists and the kernel gave its counters
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t conntrack_deleted = 0;  // entries of its dead connections released (apply/conntrack_cleanup.hpp)
};

// One family of one uplink.
struct UplinkFamilyMetrics {
  std::string uplink;
  std::string family;  // "ipv4", "ipv6"
  std::string state;   // "active", "standby", "drained", "down"
  bool usable = false;
  uint64_t transitions = 0;         // changes of `state` since the daemon started
  uint64_t health_transitions = 0;  // of its health monitor, when the family has targets of its own
};

struct ProbeTargetMetrics {
  std::string uplink;
  std::string family;
  std::string target;  // as the config and `status` write it: "192.0.2.1"
  ProbeTotals totals;
  double loss_ratio = 0;  // over the health window
  std::optional<double> jitter_seconds;
};

// One family of an uplink with `mptcp` on: whether uplinkd keeps its MPTCP endpoint in the kernel now.
struct MptcpEndpointMetrics {
  std::string uplink;
  std::string family;
  bool present = false;
  bool backup = false;  // a backup tier's or a drained uplink's endpoint: subflows only when no other is left
};

// Only when an uplink has `mptcp` on.
struct MptcpMetrics {
  bool managed = false;                    // false: another manager owns the endpoints, or no MPTCP
  std::optional<uint32_t> subflows_limit;  // the kernel's `ip mptcp limits` subflows; nullopt: not read
  std::vector<MptcpEndpointMetrics> endpoints;
};

struct MetricsSnapshot {
  std::string version;
  std::vector<UplinkMetrics> uplinks;
  std::vector<UplinkFamilyMetrics> families;
  std::vector<ProbeTargetMetrics> targets;
  Histogram apply_seconds{kApplyBuckets};  // one converge: plan, then nftables, sysctls and netlink changes
  uint64_t apply_errors = 0;
  uint64_t event_streams = 0;  // open /api/events clients
  std::optional<MptcpMetrics> mptcp;
};

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace uplinkd
