// SPDX-License-Identifier: GPL-2.0-or-later
// Drives a HealthMonitor the way the daemon does (src/daemon/uplink_health.cpp): one round of probes every
// interval, another at once whenever the monitor is confirming a failed round, answers after their RTT,
// tick() at every deadline the monitor asks for. `answer` decides each probe's fate.
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "state/health.hpp"

namespace uplinkd::testing {

using std::chrono::milliseconds;

inline HealthConfig health_config(int targets) {
  HealthConfig config;
  for (int i = 0; i < targets; ++i)
    config.targets.push_back(*parse_health_target("192.0.2." + std::to_string(i + 1)));
  return config;
}

class HealthSim {
 public:
  // nullopt: the probe is lost.
  using Answer = std::function<std::optional<milliseconds>(size_t target, uint64_t seq, HealthTime sent)>;

  HealthSim(HealthConfig config, Answer answer)
      : interval_(
            std::chrono::duration_cast<HealthDuration>(std::chrono::duration<double>(config.interval_s))),
        targets_(config.targets.size()),
        monitor(std::move(config), start),
        answer_(std::move(answer)) {}

  void run_until(HealthTime end) {
    while (true) {
      if (monitor.confirming()) send_round();
      HealthTime round_at = start + interval_ * static_cast<int64_t>(regular_rounds_);
      HealthTime next = round_at;
      if (!answers_.empty()) next = std::min(next, answers_.begin()->first);
      if (auto deadline = monitor.next_deadline()) next = std::min(next, *deadline);
      if (next > end) break;
      now = next;
      if (!answers_.empty() && answers_.begin()->first == now) {
        auto [target, seq] = answers_.begin()->second;
        answers_.erase(answers_.begin());
        monitor.probe_answered(target, seq, now);
      } else if (round_at == now) {
        send_round();
        ++regular_rounds_;
      } else {
        monitor.tick(now);
      }
    }
    now = end;
    monitor.tick(now);
  }

  // When the monitor last entered `state` at or after `since`.
  std::optional<HealthTime> entered(Health state, HealthTime since) const {
    std::optional<HealthTime> at;
    for (const auto& t : monitor.transitions())
      if (t.to == state && t.at >= since) at = t.at;
    return at;
  }

  const HealthTime start{std::chrono::hours(1)};
  HealthTime now = start;
  uint64_t rounds_sent() const { return seq_; }

 private:
  HealthDuration interval_;
  size_t targets_;

 public:
  HealthMonitor monitor;

 private:
  void send_round() {
    for (size_t target = 0; target < targets_; ++target) {
      monitor.probe_sent(target, seq_, now);
      if (auto rtt = answer_(target, seq_, now)) answers_.emplace(now + *rtt, std::pair{target, seq_});
    }
    ++seq_;
  }

  Answer answer_;
  uint64_t seq_ = 0;
  uint64_t regular_rounds_ = 0;
  std::multimap<HealthTime, std::pair<size_t, uint64_t>> answers_;
};

}  // namespace uplinkd::testing
