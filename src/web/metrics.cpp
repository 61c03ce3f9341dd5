// SPDX-License-Identifier: GPL-2.0-or-later
#include "web/metrics.hpp"

#include <fmt/format.h>

#include <functional>
#include <limits>
#include <utility>

namespace uplinkd {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// The exposition format's escapes for a label value: backslash, double quote and line feed.
std::string escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string label_text(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i)
    out += (i ? "," : "") + labels[i].first + "=\"" + escaped(labels[i].second) + "\"";
  return out + "}";
}

// Shortest text that reads back as the same double; Prometheus' own spellings for the infinities.
std::string number(double value) {
  if (value == std::numeric_limits<double>::infinity()) return "+Inf";
  return fmt::format("{}", value);
}

class Exposition {
 public:
  // Every sample of a metric follows its HELP and TYPE lines, as the format requires.
  void family(const std::string& name, const char* type, const char* help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, const Labels& labels, double value) {
    out_ += name + label_text(labels) + " " + number(value) + "\n";
  }
  void histogram(const std::string& name, const Labels& labels, const Histogram& histogram) {
    uint64_t cumulative = 0;
    const auto& bounds = histogram.upper_bounds();
    for (size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += histogram.counts()[i];
      Labels with_le = labels;
      with_le.emplace_back("le", i < bounds.size() ? number(bounds[i]) : "+Inf");
      sample(name + "_bucket", with_le, static_cast<double>(cumulative));
    }
    sample(name + "_sum", labels, histogram.sum());
    sample(name + "_count", labels, static_cast<double>(histogram.count()));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

template <class Row>
void per_row(Exposition& out, const std::vector<Row>& rows, const std::string& name, const char* type,
             const char* help, const std::function<void(const Row&)>& each) {
  if (rows.empty()) return;
  out.family(name, type, help);
  for (const auto& row : rows) each(row);
}

constexpr const char* kStates[] = {"active", "standby", "drained", "down"};

void render_mptcp(Exposition& out, const MptcpMetrics& mptcp) {
  out.family(
      "uplinkd_mptcp_managed", "gauge",
      "1 when uplinkd manages the MPTCP endpoints, 0 when another program does or the kernel has no MPTCP");
  out.sample("uplinkd_mptcp_managed", {}, mptcp.managed);
  if (mptcp.subflows_limit) {
    out.family("uplinkd_mptcp_subflows_limit", "gauge",
               "the kernel's limit of extra subflows per MPTCP connection");
    out.sample("uplinkd_mptcp_subflows_limit", {}, *mptcp.subflows_limit);
  }
  using Endpoint = MptcpEndpointMetrics;
  auto labels = [](const Endpoint& e) -> Labels { return {{"uplink", e.uplink}, {"family", e.family}}; };
  per_row<Endpoint>(out, mptcp.endpoints, "uplinkd_mptcp_endpoint", "gauge",
                    "1 when uplinkd keeps an MPTCP subflow endpoint for the uplink's address in this family",
                    [&](const Endpoint& e) { out.sample("uplinkd_mptcp_endpoint", labels(e), e.present); });
  per_row<Endpoint>(out, mptcp.endpoints, "uplinkd_mptcp_endpoint_backup", "gauge",
                    "1 when that endpoint is a backup (a backup tier's or a drained uplink's)",
                    [&](const Endpoint& e) {
                      out.sample("uplinkd_mptcp_endpoint_backup", labels(e), e.present && e.backup);
                    });
}

}  // namespace

std::string render_metrics(const MetricsSnapshot& snapshot) {
  Exposition out;
  out.family("uplinkd_build_info", "gauge", "uplinkd's version; always 1");
  out.sample("uplinkd_build_info", {{"version", snapshot.version}}, 1);

  using Uplink = UplinkMetrics;
  per_row<Uplink>(out, snapshot.uplinks, "uplinkd_uplink_weight", "gauge", "the uplink's configured weight",
                  [&](const Uplink& u) {
                    out.sample("uplinkd_uplink_weight", {{"uplink", u.name}}, u.weight);
                  });
  per_row<Uplink>(out, snapshot.uplinks, "uplinkd_uplink_tier", "gauge",
                  "the uplink's tier (1 is used first)", [&](const Uplink& u) {
                    out.sample("uplinkd_uplink_tier", {{"uplink", u.name}}, u.tier);
                  });
  const std::pair<const char*, uint64_t Uplink::*> traffic[] = {
      {"uplinkd_uplink_receive_bytes_total", &Uplink::rx_bytes},
      {"uplinkd_uplink_transmit_bytes_total", &Uplink::tx_bytes},
      {"uplinkd_uplink_receive_packets_total", &Uplink::rx_packets},
      {"uplinkd_uplink_transmit_packets_total", &Uplink::tx_packets}};
  for (const auto& [name, field] : traffic)
    per_row<Uplink>(out, snapshot.uplinks, name, "counter", "the uplink interface's kernel counter",
                    [&, name = name, field = field](const Uplink& u) {
                      if (u.traffic_known)
                        out.sample(name, {{"uplink", u.name}}, static_cast<double>(u.*field));
                    });
  per_row<Uplink>(out, snapshot.uplinks, "uplinkd_conntrack_deleted_total", "counter",
                  "conntrack entries of connections masqueraded out of the uplink deleted when it failed",
                  [&](const Uplink& u) {
                    out.sample("uplinkd_conntrack_deleted_total", {{"uplink", u.name}},
                               static_cast<double>(u.conntrack_deleted));
                  });

  using Side = UplinkFamilyMetrics;
  per_row<Side>(out, snapshot.families, "uplinkd_uplink_state", "gauge",
                "1 for the uplink's state in this family (active, standby, drained, down), 0 for the others",
                [&](const Side& s) {
                  for (const char* state : kStates)
                    out.sample("uplinkd_uplink_state",
                               {{"uplink", s.uplink}, {"family", s.family}, {"state", state}},
                               s.state == state);
                });
  per_row<Side>(out, snapshot.families, "uplinkd_uplink_usable", "gauge",
                "1 when the uplink can carry this family's traffic (active, standby or drained)",
                [&](const Side& s) {
                  out.sample("uplinkd_uplink_usable", {{"uplink", s.uplink}, {"family", s.family}}, s.usable);
                });
  per_row<Side>(out, snapshot.families, "uplinkd_uplink_transitions_total", "counter",
                "changes of the uplink's state in this family since uplinkd started", [&](const Side& s) {
                  out.sample("uplinkd_uplink_transitions_total", {{"uplink", s.uplink}, {"family", s.family}},
                             static_cast<double>(s.transitions));
                });
  per_row<Side>(out, snapshot.families, "uplinkd_health_transitions_total", "counter",
                "changes of the family's health verdict (up, degraded, down) since its monitor started",
                [&](const Side& s) {
                  out.sample("uplinkd_health_transitions_total", {{"uplink", s.uplink}, {"family", s.family}},
                             static_cast<double>(s.health_transitions));
                });

  using Target = ProbeTargetMetrics;
  auto labels = [](const Target& t) -> Labels {
    return {{"uplink", t.uplink}, {"family", t.family}, {"target", t.target}};
  };
  per_row<Target>(out, snapshot.targets, "uplinkd_probe_rtt_seconds", "histogram",
                  "round-trip time of the answered health probes", [&](const Target& t) {
                    out.histogram("uplinkd_probe_rtt_seconds", labels(t), t.totals.rtt_seconds);
                  });
  per_row<Target>(out, snapshot.targets, "uplinkd_probe_loss_ratio", "gauge",
                  "share of the probes lost over the health window (0-1)",
                  [&](const Target& t) { out.sample("uplinkd_probe_loss_ratio", labels(t), t.loss_ratio); });
  per_row<Target>(out, snapshot.targets, "uplinkd_probe_jitter_seconds", "gauge",
                  "mean difference of consecutive RTTs over the health window", [&](const Target& t) {
                    if (t.jitter_seconds)
                      out.sample("uplinkd_probe_jitter_seconds", labels(t), *t.jitter_seconds);
                  });
  per_row<Target>(out, snapshot.targets, "uplinkd_probes_sent_total", "counter", "health probes sent",
                  [&](const Target& t) {
                    out.sample("uplinkd_probes_sent_total", labels(t), static_cast<double>(t.totals.sent));
                  });
  per_row<Target>(out, snapshot.targets, "uplinkd_probes_lost_total", "counter",
                  "health probes not answered within the timeout", [&](const Target& t) {
                    out.sample("uplinkd_probes_lost_total", labels(t), static_cast<double>(t.totals.lost));
                  });

  if (snapshot.mptcp) render_mptcp(out, *snapshot.mptcp);

  out.family("uplinkd_apply_duration_seconds", "histogram",
             "time to plan and bring the kernel to the plan, per converge");
  out.histogram("uplinkd_apply_duration_seconds", {}, snapshot.apply_seconds);
  out.family("uplinkd_apply_errors_total", "counter", "kernel changes or dumps that failed");
  out.sample("uplinkd_apply_errors_total", {}, static_cast<double>(snapshot.apply_errors));
  out.family("uplinkd_web_event_streams", "gauge", "open /api/events clients");
  out.sample("uplinkd_web_event_streams", {}, static_cast<double>(snapshot.event_streams));
  return out.take();
}

}  // namespace uplinkd
