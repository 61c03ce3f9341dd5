// SPDX-License-Identifier: GPL-2.0-or-later
// One uplink's health: probes in, a verdict out. Pure: no sockets, no clock; the daemon passes the time of
// every event, so tests replay hours of probing in microseconds.
//
// A round is one probe to every target with the same seq (the caller's round counter, increasing). A round
// is good as soon as min_up targets have answered, failed when its timeout passes without that. Rounds are
// judged in seq order. With adaptive timing the timeout follows the targets' RTTs, and after a failed round
// the monitor asks for the next one at once (confirming()) instead of at the next interval.
// docs/health.md has the states, the rule and the arithmetic behind the defaults.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "state/flap_damping.hpp"
#include "state/health_verdict.hpp"
#include "state/probe_window.hpp"
#include "state/rtt_estimate.hpp"

namespace uplinkd {

struct HealthTransition {
  Health from = Health::unconfigured;
  Health to = Health::unconfigured;
  std::string reason;
  HealthTime at;
};

struct TargetHealth {
  HealthTarget target;
  ProbeStats stats;    // over the configured window
  ProbeTotals totals;  // since the monitor was made
};

class HealthMonitor {
 public:
  static constexpr size_t kHistory = 16;       // transitions kept for `status`
  static constexpr int kMinJudgedSamples = 5;  // max_loss/max_rtt are not judged on fewer probes
  // Leaving `degraded` needs loss within this share of max_loss and RTT within this share of max_rtt.
  static constexpr double kClearLossFactor = 0.5;
  static constexpr double kClearRttFactor = 0.8;

  HealthMonitor(HealthConfig config, HealthTime now);

  // Each returns whether state() changed. `target` indexes the config's targets.
  bool probe_sent(size_t target, uint64_t seq, HealthTime now);
  bool probe_answered(size_t target, uint64_t seq, HealthTime now);
  bool tick(HealthTime now);
  bool carrier_lost(HealthTime now);
  bool carrier_back(HealthTime now);

  Health state() const { return state_; }
  const std::string& reason() const { return reason_; }
  HealthVerdict verdict() const { return {state_, reason_}; }
  std::vector<TargetHealth> targets() const;
  const std::deque<HealthTransition>& transitions() const { return transitions_; }
  uint64_t transitions_total() const { return transitions_total_; }  // the history above keeps kHistory
  const FlapDamping& damping() const { return damping_; }
  // When tick() must next be called: a round's timeout or the end of a hold-down. nullopt: only events.
  std::optional<HealthTime> next_deadline() const;
  // Adaptive timing: a round has failed and no round is out, so the caller should send one now, not at the
  // next interval. Its rounds count toward down_after like any other.
  bool confirming() const;
  // How long a round waits now: `timeout` with fixed timing, else the slowest target's RTT-based timeout.
  HealthDuration round_timeout() const;

 private:
  struct Round {
    HealthTime first_sent;
    int answered = 0;
  };

  bool judge_rounds(HealthTime now);
  void on_good_round(HealthTime now);
  void on_failed_round(uint64_t seq, const Round& round, HealthTime now);
  void late_answer(uint64_t seq);
  void judge_recovery(HealthTime now);
  void judge_limits(HealthTime now);
  std::optional<std::string> limits_exceeded(bool clearing) const;
  void go(Health to, std::string reason, HealthTime now);
  int quorum() const;

  HealthConfig config_;
  HealthDuration timeout_;      // the ceiling: a later answer is lost
  HealthDuration min_timeout_;  // adaptive timing's floor
  HealthDuration window_;
  std::vector<ProbeWindow> windows_;  // one per target
  std::vector<RttEstimate> rtts_;     // one per target
  std::map<uint64_t, Round> rounds_;  // not yet judged, by seq
  // Rounds of the current failed run that the adaptive timeout judged before `timeout` passed: an answer
  // within `timeout` shows the RTT grew, not that the path died, and ends the run (docs/health.md).
  std::map<uint64_t, Round> suspects_;
  Health state_;
  std::string reason_;
  std::deque<HealthTransition> transitions_;
  uint64_t transitions_total_ = 0;
  FlapDamping damping_;
  bool carrier_ = true;
  int good_rounds_ = 0;      // in a row
  int failed_rounds_ = 0;    // in a row
  int within_limits_ = 0;    // good rounds in a row within max_loss/max_rtt, while degraded
  HealthTime judged_since_;  // loss and RTT limits look only at probes sent since the last recovery
};

}  // namespace uplinkd
