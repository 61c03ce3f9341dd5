// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/metrics_report.hpp"

#include "common/version.hpp"
#include "daemon/status_report.hpp"

namespace uplinkd {
namespace {

std::string family_label(Family family) {
  return family == Family::v4 ? "ipv4" : "ipv6";
}

template <class Map, class Key>
uint64_t count_of(const Map& map, const Key& key) {
  auto found = map.find(key);
  return found == map.end() ? 0 : found->second;
}

// A row per family of each uplink with `mptcp` on, present or not, so that a scrape sees an endpoint go.
std::optional<MptcpMetrics> mptcp_metrics(const Config& config, const MptcpOutcome& outcome) {
  if (!outcome.configured) return std::nullopt;
  MptcpMetrics metrics;
  metrics.managed = outcome.managed;
  if (outcome.limits) metrics.subflows_limit = outcome.limits->subflows;
  for (const auto& uplink : config.uplinks) {
    if (!uplink.mptcp) continue;
    for (const Family family : {Family::v4, Family::v6}) {
      if (!carries(uplink.families, family)) continue;
      MptcpEndpointMetrics row{uplink.name, family_label(family)};
      for (const auto& kept : outcome.endpoints)
        if (kept.uplink == uplink.name && kept.family == family) {
          row.present = true;
          row.backup = kept.endpoint.backup;
        }
      metrics.endpoints.push_back(row);
    }
  }
  return metrics;
}

}  // namespace

MetricsSnapshot metrics_report(const Config& config, const Plan& plan, const HealthMonitors& health,
                               const DaemonCounters& counters, const InterfaceTraffic& traffic,
                               const MptcpOutcome& mptcp) {
  MetricsSnapshot snapshot;
  snapshot.version = kVersion;
  snapshot.apply_seconds = counters.apply_seconds;
  snapshot.apply_errors = counters.apply_errors;
  snapshot.mptcp = mptcp_metrics(config, mptcp);
  for (size_t i = 0; i < config.uplinks.size() && i < plan.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    UplinkMetrics metrics{uplink.name, uplink.weight, uplink.tier};
    if (auto link = traffic.find(uplink.interface); link != traffic.end()) {
      metrics.traffic_known = true;
      metrics.rx_bytes = link->second.rx_bytes;
      metrics.tx_bytes = link->second.tx_bytes;
      metrics.rx_packets = link->second.rx_packets;
      metrics.tx_packets = link->second.tx_packets;
    }
    metrics.conntrack_deleted = count_of(counters.conntrack_deleted, uplink.name);
    snapshot.uplinks.push_back(metrics);
    for (const Family family : {Family::v4, Family::v6}) {
      if (!carries(uplink.families, family)) continue;
      const auto key = std::pair{uplink.name, family};
      UplinkFamilyMetrics side{uplink.name, family_label(family),
                               std::string(uplink_state_name(plan.uplinks[i], family)),
                               plan.uplinks[i].of(family).usable, count_of(counters.transitions, key)};
      if (auto monitor = health.find(key); monitor != health.end()) {
        side.health_transitions = monitor->second->transitions_total();
        for (const auto& target : monitor->second->targets())
          snapshot.targets.push_back(
              {uplink.name, side.family, to_string(target.target), target.totals,
               target.stats.loss_percent / 100.0,
               target.stats.jitter
                   ? std::optional(std::chrono::duration<double>(*target.stats.jitter).count())
                   : std::nullopt});
      }
      snapshot.families.push_back(side);
    }
  }
  return snapshot;
}

}  // namespace uplinkd
