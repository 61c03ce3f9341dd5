// SPDX-License-Identifier: GPL-2.0-or-later
// One [uplink.health] table. The defaults live in HealthConfig; docs/health.md explains them.
#include <cmath>

#include "config/validate.hpp"

namespace uplinkd::detail {
namespace {

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

void check_targets(const Located<LocatedStrings>& raw, HealthConfig& health, Problems& problems) {
  if (!raw.given()) return;
  health.targets.clear();
  for (const auto& target : *raw.value) {
    if (auto parsed = parse_health_target(*target.value))
      health.targets.push_back(*parsed);
    else
      problems.add(target.where, "health target " + quoted(*target.value) + " is not an IP address",
                   "write an IPv4/IPv6 address (\"1.1.1.1\", probed with ICMP echo), \"tcp:1.1.1.1:443\" "
                   "(a TCP connect; IPv6 in brackets), \"arp\" (the IPv4 gateway) or \"ndp\" (the IPv6 "
                   "router); names are not resolved");
  }
}

// `floor` is exclusive unless `zero_ok`; nan and inf (which TOML allows) always fail.
bool in_range(double value, double floor, double ceiling, bool zero_ok) {
  if (!std::isfinite(value)) return false;
  return (value > floor || (zero_ok && value == floor)) && value <= ceiling;
}

void check_number(std::string_view key, const Located<double>& raw, double floor, double ceiling,
                  bool zero_ok, const std::string& hint, double& target, Problems& problems) {
  if (!raw.given()) return;
  if (in_range(*raw.value, floor, ceiling, zero_ok))
    target = *raw.value;
  else
    problems.add(raw.where, std::string(key) + " is out of range", hint);
}

void check_seconds(std::string_view key, const Located<double>& raw, double& target, Problems& problems) {
  if (!raw.given()) return;
  if (in_range(*raw.value, 0, std::nextafter(86400.0, 0.0), false))
    target = *raw.value;
  else
    problems.add(raw.where, std::string(key) + " must be more than 0 seconds and less than a day",
                 "e.g. " + std::string(key) + " = 0.5");
}

void check_optional(std::string_view key, const Located<double>& raw, double floor, double ceiling,
                    const std::string& hint, std::optional<double>& target, Problems& problems) {
  double value = 0;
  check_number(key, raw, floor, ceiling, true, hint, value, problems);
  if (raw.given() && in_range(*raw.value, floor, ceiling, true)) target = value;
}

void check_count(std::string_view key, const Located<int64_t>& raw, int64_t min, std::string hint,
                 int& target, Problems& problems) {
  if (!raw.given()) return;
  if (*raw.value < min || *raw.value > 1000000)
    problems.add(raw.where, std::string(key) + " " + std::to_string(*raw.value) + " is out of range", hint);
  else
    target = static_cast<int>(*raw.value);
}

// Fixed timing keeps uplinkd 0.1's whole behaviour, its down_after default included (docs/health.md).
void check_timing(const RawHealth& raw, HealthConfig& health, Problems& problems) {
  if (raw.timing.given()) {
    if (*raw.timing.value == "adaptive")
      health.timing = ProbeTiming::adaptive;
    else if (*raw.timing.value == "fixed")
      health.timing = ProbeTiming::fixed;
    else
      problems.add(
          raw.timing.where, "timing " + quoted(*raw.timing.value) + " is not a probe timing",
          "write timing = \"adaptive\" (a timeout from the measured RTT, a confirmation burst after a "
          "missed round) or \"fixed\" (every round waits `timeout`)");
  }
  if (health.timing == ProbeTiming::fixed) health.down_after = kDownAfterFixed;
  check_seconds("min_timeout", raw.min_timeout, health.min_timeout_s, problems);
  if (raw.min_timeout.given() && health.min_timeout_s > health.timeout_s)
    problems.add(
        raw.min_timeout.where, "min_timeout is longer than timeout",
        "min_timeout is the adaptive timeout's floor and timeout its ceiling: make min_timeout smaller");
}

}  // namespace

void check_health_families(const Located<LocatedStrings>& raw, IpFamilies families, Problems& problems) {
  if (!raw.given()) return;
  for (const auto& text : *raw.value) {
    auto target = parse_health_target(*text.value);
    if (!target || carries(families, target_family(*target))) continue;
    const std::string family = target_family(*target) == Family::v4 ? "IPv4" : "IPv6";
    problems.add(text.where,
                 "health target " + quoted(*text.value) + " probes " + family +
                     ", but the uplink's family is " + quoted(families_name(families)),
                 "probe a target of the family the uplink carries, or set family = \"both\"");
  }
}

void check_health(const RawHealth& raw, HealthConfig& health, Problems& problems) {
  constexpr double kDay = 86400;
  check_targets(raw.targets, health, problems);
  check_seconds("interval", raw.interval, health.interval_s, problems);
  check_seconds("timeout", raw.timeout, health.timeout_s, problems);
  check_timing(raw, health, problems);
  check_count("down_after", raw.down_after, 1, "down_after counts failed rounds: 1 or more",
              health.down_after, problems);
  check_count("up_after", raw.up_after, 1, "up_after counts good rounds: 1 or more", health.up_after,
              problems);
  check_count("min_up", raw.min_up, 1, "min_up counts targets that must answer: 1 or more", health.min_up,
              problems);
  if (raw.min_up.given() && health.min_up > 1 && static_cast<size_t>(health.min_up) > health.targets.size())
    problems.add(raw.min_up.where,
                 "min_up " + std::to_string(health.min_up) + " is more than the " +
                     std::to_string(health.targets.size()) + " targets given",
                 "a round is good when min_up targets answer: add targets or lower min_up");
  check_optional("max_loss", raw.max_loss, 0, 100, "max_loss is a percentage: 0 to 100, e.g. max_loss = 20",
                 health.max_loss_percent, problems);
  // Milliseconds, unlike the other durations, because that is how RTTs are quoted; a value under 1 is far
  // more likely seconds written by mistake than a real limit.
  check_optional("max_rtt", raw.max_rtt, 1, 60000,
                 "max_rtt is in milliseconds: 1 to 60000, e.g. max_rtt = 250 (not 0.25)", health.max_rtt_ms,
                 problems);
  check_seconds("window", raw.window, health.window_s, problems);
  if (raw.window.given() && health.window_s < health.interval_s)
    problems.add(raw.window.where, "window is shorter than interval, so it would hold no probe",
                 "make window several intervals long, e.g. window = 10");
  check_number("hold_down", raw.hold_down, 0, kDay, true,
               "hold_down is in seconds: 0 (no flap damping) up to a day, e.g. hold_down = 10",
               health.hold_down_s, problems);
}

}  // namespace uplinkd::detail
