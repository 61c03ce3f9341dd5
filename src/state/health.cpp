// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/health.hpp"

#include <algorithm>
#include <cmath>

namespace uplinkd {
namespace {

HealthDuration seconds(double value) {
  return std::chrono::duration_cast<HealthDuration>(std::chrono::duration<double>(value));
}

std::string rounds_phrase(int count) {
  return std::to_string(count) + (count == 1 ? " round" : " rounds");
}

std::string percent(double value) {
  return std::to_string(static_cast<int>(std::lround(value))) + "%";
}

std::string milliseconds(HealthDuration value) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(value).count()) + " ms";
}

}  // namespace

HealthMonitor::HealthMonitor(HealthConfig config, HealthTime now)
    : config_(std::move(config)),
      timeout_(seconds(config_.timeout_s)),
      min_timeout_(seconds(config_.min_timeout_s)),
      window_(seconds(config_.window_s)),
      windows_(config_.targets.size()),
      rtts_(config_.targets.size()),
      state_(config_.targets.empty() ? Health::unconfigured : Health::probing),
      reason_(config_.targets.empty() ? "no health targets" : "no verdict yet"),
      damping_(seconds(config_.hold_down_s)),
      judged_since_(now) {}

int HealthMonitor::quorum() const {
  return std::min<int>(config_.min_up, static_cast<int>(config_.targets.size()));
}

bool HealthMonitor::probe_sent(size_t target, uint64_t seq, HealthTime now) {
  if (target >= windows_.size()) return false;
  // Every send slides the window: tick() alone runs only when a probe times out, and while all are answered
  // old samples (an outage's losses) would stay and fade as 1/t instead of leaving after `window`.
  windows_[target].advance(now, timeout_, window_);
  windows_[target].sent(seq, now);
  rounds_.try_emplace(seq, Round{now, 0});
  return judge_rounds(now);
}

bool HealthMonitor::probe_answered(size_t target, uint64_t seq, HealthTime now) {
  if (target >= windows_.size()) return false;
  if (auto rtt = windows_[target].answered(seq, now, timeout_)) {
    rtts_[target].sample(*rtt);
    auto round = rounds_.find(seq);
    if (round != rounds_.end())
      ++round->second.answered;
    else
      late_answer(seq);
  }
  return judge_rounds(now);
}

// An answer within `timeout` to a round the adaptive timeout already failed: the RTT grew (a queue filling,
// a reroute), the path works. Once such a round has its quorum the run of failures is void; the answer has
// also raised the target's estimate, so the next rounds wait longer. After the verdict it changes nothing:
// the uplink comes back by up_after good rounds like after any failure.
void HealthMonitor::late_answer(uint64_t seq) {
  auto suspect = suspects_.find(seq);
  if (suspect == suspects_.end() || ++suspect->second.answered < quorum()) return;
  suspects_.clear();
  failed_rounds_ = 0;
}

bool HealthMonitor::tick(HealthTime now) {
  for (auto& window : windows_) window.advance(now, timeout_, window_);
  return judge_rounds(now);
}

bool HealthMonitor::carrier_lost(HealthTime now) {
  if (state_ == Health::unconfigured) return false;
  const Health before = state_;
  carrier_ = false;
  good_rounds_ = 0;
  if (state_ != Health::down)
    go(Health::down, "carrier lost", now);
  else
    reason_ = "carrier lost";
  return state_ != before;
}

bool HealthMonitor::carrier_back(HealthTime now) {
  if (state_ == Health::unconfigured || carrier_) return false;
  carrier_ = true;
  good_rounds_ = 0;
  failed_rounds_ = 0;
  // Probes sent while the carrier was gone say nothing about the upstream; judge only what comes next.
  rounds_.clear();
  suspects_.clear();
  judged_since_ = now;
  reason_ = "carrier back, waiting for " + rounds_phrase(config_.up_after) + " answered";
  return false;
}

// Rounds are judged in seq order, so a fast answer to a later round never hides the failure of an earlier
// one.
bool HealthMonitor::judge_rounds(HealthTime now) {
  if (state_ == Health::unconfigured) return false;
  const Health before = state_;
  const HealthDuration timeout = round_timeout();
  while (!rounds_.empty()) {
    const auto& [seq, round] = *rounds_.begin();
    if (round.answered >= quorum()) {
      on_good_round(now);
    } else if (now - round.first_sent >= timeout) {
      on_failed_round(seq, round, now);
    } else {
      break;
    }
    rounds_.erase(rounds_.begin());
  }
  judge_recovery(now);
  return state_ != before;
}

void HealthMonitor::on_good_round(HealthTime now) {
  if (!carrier_) return;
  ++good_rounds_;
  failed_rounds_ = 0;
  suspects_.clear();
  if (state_ == Health::up || state_ == Health::degraded) judge_limits(now);
}

void HealthMonitor::on_failed_round(uint64_t seq, const Round& round, HealthTime now) {
  if (!carrier_) return;
  ++failed_rounds_;
  good_rounds_ = 0;
  within_limits_ = 0;
  if (state_ == Health::down) return;
  if (now - round.first_sent < timeout_) suspects_.emplace(seq, round);
  if (failed_rounds_ < config_.down_after) return;
  const std::string waited =
      config_.timing == ProbeTiming::adaptive ? ", waited " + milliseconds(round_timeout()) : "";
  go(Health::down,
     rounds_phrase(failed_rounds_) + " in a row without quorum (last: " + std::to_string(round.answered) +
         " of " + std::to_string(config_.targets.size()) + " targets answered, " + std::to_string(quorum()) +
         " needed" + waited + ")",
     now);
}

void HealthMonitor::judge_recovery(HealthTime now) {
  if (state_ != Health::probing && state_ != Health::down) return;
  if (!carrier_ || good_rounds_ < config_.up_after) return;
  if (damping_.holding(now)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::seconds>(damping_.held_until() - now).count() + 1;
    reason_ = "answering again, but held down " + std::to_string(left) + " s more for flapping (" +
              std::to_string(damping_.flaps()) + " flaps)";
    return;
  }
  judged_since_ = now;
  within_limits_ = 0;
  // Only a recovery starts the flap clock: failing soon after the first verdict is one failure, not a flap.
  if (state_ == Health::down) damping_.came_up(now);
  go(Health::up, rounds_phrase(good_rounds_) + " in a row answered", now);
}

// The uplink is judged by its median target (of those with enough probes): one dead or lucky target does
// not decide for the others. `clearing` (while degraded) asks for a margin: loss within half of max_loss
// and RTT within 80 % of max_rtt. Without it a link whose loss sits near the limit would go in and out of
// `degraded` with every swing of its ~28-probe window (±9 % at 30 % loss).
std::optional<std::string> HealthMonitor::limits_exceeded(bool clearing) const {
  if (!config_.max_loss_percent && !config_.max_rtt_ms) return std::nullopt;
  const double loss_limit = config_.max_loss_percent.value_or(0) * (clearing ? kClearLossFactor : 1.0);
  const double rtt_limit = config_.max_rtt_ms.value_or(0) * (clearing ? kClearRttFactor : 1.0);
  struct Judged {
    double loss;
    std::optional<HealthDuration> rtt;
    size_t target;
  };
  std::vector<Judged> judged;
  for (size_t i = 0; i < windows_.size(); ++i) {
    const ProbeStats stats = windows_[i].stats(judged_since_);
    if (stats.samples >= kMinJudgedSamples) judged.push_back({stats.loss_percent, stats.rtt_avg, i});
  }
  if (judged.empty()) return std::nullopt;
  const size_t middle = (judged.size() - 1) / 2;  // the lower median: the better of two
  std::vector<Judged> by_loss = judged;
  std::nth_element(by_loss.begin(), by_loss.begin() + static_cast<long>(middle), by_loss.end(),
                   [](const Judged& a, const Judged& b) { return a.loss < b.loss; });
  const Judged& loss = by_loss[middle];
  if (config_.max_loss_percent && loss.loss > loss_limit)
    return "loss " + percent(loss.loss) + " > " +
           (clearing ? "half of max_loss " + percent(loss_limit) : "max_loss " + percent(loss_limit)) +
           " (median target " + to_string(config_.targets[loss.target]) + ")";
  if (!config_.max_rtt_ms) return std::nullopt;
  std::vector<Judged> timed;
  for (const auto& one : judged)
    if (one.rtt) timed.push_back(one);
  if (timed.empty()) return std::nullopt;
  const size_t rtt_middle = (timed.size() - 1) / 2;
  std::nth_element(timed.begin(), timed.begin() + static_cast<long>(rtt_middle), timed.end(),
                   [](const Judged& a, const Judged& b) { return *a.rtt < *b.rtt; });
  const Judged& rtt = timed[rtt_middle];
  if (std::chrono::duration<double, std::milli>(*rtt.rtt).count() > rtt_limit)
    return "RTT " + milliseconds(*rtt.rtt) + " > " + (clearing ? "80% of max_rtt " : "max_rtt ") +
           std::to_string(static_cast<int>(rtt_limit)) + " ms (median target " +
           to_string(config_.targets[rtt.target]) + ")";
  return std::nullopt;
}

// Degraded leaves with the same hysteresis as down: up_after good rounds in a row within the limits.
void HealthMonitor::judge_limits(HealthTime now) {
  auto exceeded = limits_exceeded(/*clearing=*/state_ == Health::degraded);
  if (exceeded) {
    within_limits_ = 0;
    if (state_ == Health::up)
      go(Health::degraded,
         *exceeded + " over the last " + std::to_string(static_cast<int>(config_.window_s)) + " s", now);
    return;
  }
  if (state_ == Health::degraded && ++within_limits_ >= config_.up_after)
    go(Health::up, "within max_loss/max_rtt for " + rounds_phrase(within_limits_), now);
}

void HealthMonitor::go(Health to, std::string reason, HealthTime now) {
  if (to == Health::down) {
    damping_.went_down(now);
    good_rounds_ = 0;
    suspects_.clear();
  }
  transitions_.push_back({state_, to, reason, now});
  ++transitions_total_;
  if (transitions_.size() > kHistory) transitions_.pop_front();
  state_ = to;
  reason_ = std::move(reason);
}

std::vector<TargetHealth> HealthMonitor::targets() const {
  std::vector<TargetHealth> result;
  for (size_t i = 0; i < windows_.size(); ++i)
    result.push_back({config_.targets[i], windows_[i].stats(), windows_[i].totals()});
  return result;
}

std::optional<HealthTime> HealthMonitor::next_deadline() const {
  std::optional<HealthTime> next;
  auto consider = [&](HealthTime when) {
    if (!next || when < *next) next = when;
  };
  const HealthDuration timeout = round_timeout();
  for (const auto& [seq, round] : rounds_) consider(round.first_sent + timeout);
  for (const auto& window : windows_)
    if (auto when = window.next_timeout(timeout_)) consider(*when);
  if (state_ == Health::down && good_rounds_ >= config_.up_after) consider(damping_.held_until());
  return next;
}

bool HealthMonitor::confirming() const {
  return config_.timing == ProbeTiming::adaptive && carrier_ && failed_rounds_ > 0 && rounds_.empty() &&
         state_ != Health::down && state_ != Health::unconfigured;
}

// The slowest target's, so that a round fails only when even its slowest target is overdue. A target without
// an answer yet has no estimate; until one has, rounds wait the whole `timeout`.
HealthDuration HealthMonitor::round_timeout() const {
  if (config_.timing == ProbeTiming::fixed) return timeout_;
  std::optional<HealthDuration> slowest;
  for (const auto& rtt : rtts_)
    if (auto timeout = rtt.timeout(min_timeout_, timeout_); timeout && (!slowest || *timeout > *slowest))
      slowest = timeout;
  return slowest.value_or(timeout_);
}

}  // namespace uplinkd
