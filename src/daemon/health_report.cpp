// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/health_report.hpp"

#include <cmath>

#include "daemon/change_notifier.hpp"

namespace uplinkd {
namespace {

nlohmann::json milliseconds(const std::optional<HealthDuration>& value) {
  if (!value) return nullptr;
  // Microsecond resolution is plenty for a network RTT and keeps the JSON short.
  return std::round(std::chrono::duration<double, std::micro>(*value).count()) / 1000.0;
}

}  // namespace

std::chrono::system_clock::time_point wall_time(HealthTime at) {
  return std::chrono::system_clock::now() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(HealthClock::now() - at);
}

nlohmann::json transition_json(const HealthTransition& transition) {
  return {{"from", std::string(health_name(transition.from))},
          {"to", std::string(health_name(transition.to))},
          {"reason", transition.reason},
          {"at", iso8601_utc(wall_time(transition.at))}};
}

nlohmann::json health_json(const HealthMonitor& monitor, const std::string& last_error) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& [target, stats, totals] : monitor.targets())
    targets.push_back({{"target", to_string(target)},
                       {"samples", stats.samples},
                       {"probes_sent", totals.sent},  // since the monitor started; samples is the window
                       {"probes_lost", totals.lost},
                       {"loss_percent", std::round(stats.loss_percent * 10) / 10},
                       {"rtt_ms", milliseconds(stats.rtt_avg)},
                       {"jitter_ms", milliseconds(stats.jitter)},
                       {"last_rtt_ms", milliseconds(stats.last_rtt)}});
  nlohmann::json transitions = nlohmann::json::array();
  for (const auto& transition : monitor.transitions()) transitions.push_back(transition_json(transition));
  const auto& history = monitor.transitions();
  nlohmann::json report = {
      {"state", std::string(health_name(monitor.state()))},
      {"reason", monitor.reason()},
      {"since",
       history.empty() ? nlohmann::json() : nlohmann::json(iso8601_utc(wall_time(history.back().at)))},
      {"targets", targets},
      {"transitions", transitions},
      {"flaps", monitor.damping().flaps()},
      // How long a round waits now: adaptive timing's RTO of the slowest target, or the fixed timeout.
      {"timeout_ms", milliseconds(monitor.round_timeout())},
  };
  if (!last_error.empty()) report["last_error"] = last_error;
  return report;
}

}  // namespace uplinkd
