// SPDX-License-Identifier: GPL-2.0-or-later
// The `health` part of `status` and of the events stream: one uplink's verdict, per-target RTT, jitter and
// loss, and its recent transitions, with times as wall-clock ISO 8601 for people and scripts.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "state/health.hpp"

namespace uplinkd {

// A monitor's steady-clock time as wall-clock time (the monitor keeps steady time so that a clock step
// cannot fake an outage).
std::chrono::system_clock::time_point wall_time(HealthTime at);

nlohmann::json health_json(const HealthMonitor& monitor, const std::string& last_error);
nlohmann::json transition_json(const HealthTransition& transition);

}  // namespace uplinkd
