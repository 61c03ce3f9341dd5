// SPDX-License-Identifier: GPL-2.0-or-later
// /metrics' text: Prometheus' exposition format, grouped by metric, one-hot states, cumulative buckets.
#include "web/metrics.hpp"

#include <gmock/gmock.h>

#include <set>
#include <sstream>

namespace uplinkd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MetricsSnapshot two_uplinks() {
  MetricsSnapshot snapshot;
  snapshot.version = "1.2.3";
  snapshot.uplinks = {{"wan1", 1, 1, true, 1000, 2000, 10, 20, 3}, {"wan2", 2, 2, false}};
  snapshot.families = {{"wan1", "ipv4", "active", true, 4, 2}, {"wan2", "ipv4", "down", false, 1, 1}};
  ProbeTargetMetrics target{"wan1", "ipv4", "icmp 192.0.2.1", {}, 0.25, 0.002};
  target.totals.sent = 8;
  target.totals.lost = 2;
  target.totals.rtt_seconds.observe(0.0004);
  target.totals.rtt_seconds.observe(0.03);
  snapshot.targets = {target};
  snapshot.apply_seconds.observe(0.0003);
  snapshot.apply_errors = 5;
  snapshot.mptcp = MptcpMetrics{true, 8, {{"wan1", "ipv4", true, false}, {"wan2", "ipv4", true, true}}};
  return snapshot;
}

TEST(Metrics, BuildInfoCarriesTheVersion) {
  EXPECT_THAT(render_metrics(two_uplinks()), HasSubstr("uplinkd_build_info{version=\"1.2.3\"} 1\n"));
}

TEST(Metrics, StateIsOneHot) {
  const auto text = render_metrics(two_uplinks());
  EXPECT_THAT(text, HasSubstr("uplinkd_uplink_state{uplink=\"wan1\",family=\"ipv4\",state=\"active\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_uplink_state{uplink=\"wan1\",family=\"ipv4\",state=\"down\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_uplink_state{uplink=\"wan2\",family=\"ipv4\",state=\"down\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_uplink_usable{uplink=\"wan2\",family=\"ipv4\"} 0\n"));
}

TEST(Metrics, TrafficOnlyWhereKnown) {
  const auto text = render_metrics(two_uplinks());
  EXPECT_THAT(text, HasSubstr("uplinkd_uplink_receive_bytes_total{uplink=\"wan1\"} 1000\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_uplink_transmit_packets_total{uplink=\"wan1\"} 20\n"));
  EXPECT_THAT(text, Not(HasSubstr("uplinkd_uplink_receive_bytes_total{uplink=\"wan2\"}")));
  EXPECT_THAT(text, HasSubstr("uplinkd_conntrack_deleted_total{uplink=\"wan1\"} 3\n"));
}

TEST(Metrics, HistogramBucketsAreCumulativeInSeconds) {
  const auto text = render_metrics(two_uplinks());
  const std::string labels = "uplink=\"wan1\",family=\"ipv4\",target=\"icmp 192.0.2.1\"";
  EXPECT_THAT(text, HasSubstr("uplinkd_probe_rtt_seconds_bucket{" + labels + ",le=\"0.001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_probe_rtt_seconds_bucket{" + labels + ",le=\"0.025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_probe_rtt_seconds_bucket{" + labels + ",le=\"0.05\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_probe_rtt_seconds_bucket{" + labels + ",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_probe_rtt_seconds_count{" + labels + "} 2\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_probe_loss_ratio{" + labels + "} 0.25\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_probes_lost_total{" + labels + "} 2\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_apply_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_apply_errors_total 5\n"));
}

TEST(Metrics, EveryMetricHasHelpAndTypeBeforeItsSamplesOnce) {
  const auto text = render_metrics(two_uplinks());
  std::set<std::string> typed;
  std::string last_family;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.insert(name).second) << name << " typed twice";
      last_family = name;
      continue;
    }
    if (line.starts_with("#")) continue;
    auto name = line.substr(0, line.find_first_of("{ "));
    EXPECT_TRUE(name.starts_with(last_family)) << name << " outside its family " << last_family;
  }
}

TEST(Metrics, MptcpEndpointsPerUplinkAndFamily) {
  auto snapshot = two_uplinks();
  const auto text = render_metrics(snapshot);
  EXPECT_THAT(text, HasSubstr("uplinkd_mptcp_managed 1\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_mptcp_subflows_limit 8\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_mptcp_endpoint{uplink=\"wan1\",family=\"ipv4\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_mptcp_endpoint_backup{uplink=\"wan1\",family=\"ipv4\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("uplinkd_mptcp_endpoint_backup{uplink=\"wan2\",family=\"ipv4\"} 1\n"));
  // Gone with its uplink: its rows stay, at 0.
  snapshot.mptcp->endpoints[1].present = false;
  EXPECT_THAT(render_metrics(snapshot),
              HasSubstr("uplinkd_mptcp_endpoint_backup{uplink=\"wan2\",family=\"ipv4\"} 0\n"));
  snapshot.mptcp.reset();
  EXPECT_THAT(render_metrics(snapshot), Not(HasSubstr("uplinkd_mptcp")));
}

TEST(Metrics, LabelValuesAreEscaped) {
  MetricsSnapshot snapshot;
  snapshot.uplinks = {{"a\"b\\c\nd"}};
  EXPECT_THAT(render_metrics(snapshot), HasSubstr("uplinkd_uplink_weight{uplink=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

}  // namespace
}  // namespace uplinkd
