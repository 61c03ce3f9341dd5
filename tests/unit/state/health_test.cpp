// SPDX-License-Identifier: GPL-2.0-or-later
// The health state machine against the figures docs/health.md promises for the defaults.
#include "state/health.hpp"

#include <gtest/gtest.h>

#include <random>

#include "health_sim.hpp"

namespace uplinkd {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using testing::health_config;
using testing::HealthSim;

const auto kFast = [](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> { return 20ms; };

HealthSim::Answer silent_from(HealthTime when) {
  return [when](size_t, uint64_t, HealthTime sent) -> std::optional<milliseconds> {
    if (sent + 20ms > when) return std::nullopt;
    return 20ms;
  };
}

TEST(Health, NoTargetsIsUnconfiguredAndAlwaysHealthy) {
  HealthMonitor monitor(HealthConfig{}, HealthTime{});
  EXPECT_EQ(monitor.state(), Health::unconfigured);
  EXPECT_FALSE(monitor.carrier_lost(HealthTime{} + 1s));
  EXPECT_EQ(monitor.state(), Health::unconfigured);
  EXPECT_FALSE(monitor.next_deadline());
}

TEST(Health, ProbingUntilUpAfterGoodRounds) {
  HealthSim sim(health_config(1), kFast);
  EXPECT_EQ(sim.monitor.state(), Health::probing);
  sim.run_until(sim.start + 4 * 360ms + 10ms);  // 5 rounds sent, the 5th not answered yet
  EXPECT_EQ(sim.monitor.state(), Health::probing);
  sim.run_until(sim.start + 4 * 360ms + 30ms);
  EXPECT_EQ(sim.monitor.state(), Health::up);
}

// Fixed timing's promise (uplinkd 0.1's defaults): a silent upstream is down within down_after * interval +
// timeout = 1.48 s of going silent, whatever the phase of the failure against the probe schedule. Adaptive
// timing's bound: adaptive_timing_test.cpp.
TEST(Health, FixedTimingSilentUpstreamIsDownWithinTheComputedTime) {
  HealthConfig fixed = health_config(1);
  fixed.timing = ProbeTiming::fixed;
  fixed.down_after = kDownAfterFixed;
  const auto bound = std::chrono::duration<double>(fixed.down_after * fixed.interval_s + fixed.timeout_s);
  EXPECT_LE(bound.count(), 1.5);
  HealthDuration worst{};
  for (int phase = 0; phase < 36; ++phase) {
    const HealthTime start{std::chrono::hours(1)};
    const HealthTime silent_at = start + 10s + phase * 10ms;
    HealthSim sim(fixed, silent_from(silent_at));
    sim.run_until(silent_at + 3s);
    auto down = sim.entered(Health::down, silent_at);
    ASSERT_TRUE(down) << "phase " << phase;
    worst = std::max(worst, *down - silent_at);
    EXPECT_LE(*down - silent_at, bound) << "phase " << phase;
    EXPECT_GE(*down - silent_at,
              std::chrono::duration<double>(fixed.timeout_s + 2 * fixed.interval_s - 0.02));
  }
  EXPECT_GT(worst, 1.4s);  // the bound is reached, not just respected
}

TEST(Health, RecoveryNeedsUpAfterGoodRoundsInARow) {
  const HealthTime start{std::chrono::hours(1)};
  const HealthTime back_at = start + 20s;
  HealthSim sim(health_config(1), [&](size_t, uint64_t, HealthTime sent) -> std::optional<milliseconds> {
    if (sent >= start + 10s && sent < back_at) return std::nullopt;
    return 20ms;
  });
  sim.run_until(back_at - 1ms);
  EXPECT_EQ(sim.monitor.state(), Health::down);
  sim.run_until(back_at + 4 * 360ms);  // at most 4 good rounds answered
  EXPECT_EQ(sim.monitor.state(), Health::down);
  sim.run_until(back_at + 5 * 360ms + 30ms);
  EXPECT_EQ(sim.monitor.state(), Health::up);
  EXPECT_EQ(sim.monitor.reason(), "5 rounds in a row answered");
}

TEST(Health, CarrierLossIsDownAtOnceAndItsReturnWaitsForProbes) {
  HealthSim sim(health_config(2), kFast);
  sim.run_until(sim.start + 5s);
  ASSERT_EQ(sim.monitor.state(), Health::up);
  EXPECT_TRUE(sim.monitor.carrier_lost(sim.now));
  EXPECT_EQ(sim.monitor.state(), Health::down);
  EXPECT_EQ(sim.monitor.reason(), "carrier lost");
  EXPECT_EQ(sim.monitor.transitions().back().at, sim.now);
  sim.run_until(sim.start + 8s);  // probes keep answering, but there is no carrier
  EXPECT_EQ(sim.monitor.state(), Health::down);
  sim.monitor.carrier_back(sim.now);
  EXPECT_EQ(sim.monitor.state(), Health::down);
  sim.run_until(sim.now + 3 * 360ms);
  EXPECT_EQ(sim.monitor.state(), Health::down);
  sim.run_until(sim.now + 3 * 360ms);
  EXPECT_EQ(sim.monitor.state(), Health::up);
}

TEST(Health, ALateAnswerCountsAsLost) {
  HealthSim sim(health_config(1), [](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> {
    return 410ms;  // just past the 400 ms timeout
  });
  sim.run_until(sim.start + 5s);
  EXPECT_EQ(sim.monitor.state(), Health::down);
  const auto stats = sim.monitor.targets()[0].stats;
  EXPECT_EQ(stats.lost, stats.samples);
  EXPECT_FALSE(stats.rtt_avg);
}

struct QuorumCase {
  int targets;
  int min_up;
  int silent;  // targets 0..silent-1 never answer
  Health expected;
};

class HealthQuorum : public ::testing::TestWithParam<QuorumCase> {};

TEST_P(HealthQuorum, UpWhileMinUpTargetsAnswer) {
  const auto c = GetParam();
  auto config = health_config(c.targets);
  config.min_up = c.min_up;
  HealthSim sim(config, [&](size_t target, uint64_t, HealthTime) -> std::optional<milliseconds> {
    if (static_cast<int>(target) < c.silent) return std::nullopt;
    return 20ms;
  });
  sim.run_until(sim.start + 10s);
  EXPECT_EQ(sim.monitor.state(), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, HealthQuorum,
                         ::testing::Values(QuorumCase{2, 1, 1, Health::up}, QuorumCase{2, 1, 2, Health::down},
                                           QuorumCase{2, 2, 1, Health::down}, QuorumCase{3, 2, 1, Health::up},
                                           QuorumCase{3, 2, 2, Health::down}, QuorumCase{3, 1, 2, Health::up},
                                           QuorumCase{3, 3, 0, Health::up},
                                           QuorumCase{3, 3, 1, Health::down}));

// 30 % of probes lost at random, three targets, the defaults: docs/health.md puts the mean time between
// false alarms near five hours, so ten minutes pass without one (and this seed is not special: see the
// loop over several).
TEST(Health, ThirtyPercentLossOnThreeTargetsNeverGoesDown) {
  for (unsigned seed : {1u, 2u, 3u, 42u}) {
    std::mt19937 random(seed);
    std::bernoulli_distribution lost(0.3);
    HealthSim sim(health_config(3), [&](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> {
      if (lost(random)) return std::nullopt;
      return 30ms;
    });
    sim.run_until(sim.start + 10min);
    EXPECT_FALSE(sim.entered(Health::down, sim.start)) << "seed " << seed << ": " << sim.monitor.reason();
    const auto stats = sim.monitor.targets()[0].stats;
    EXPECT_NEAR(stats.loss_percent, 30, 15);
  }
}

TEST(Health, ThirtyPercentLossIsDegradedWhenMaxLossIs20) {
  std::mt19937 random(42);
  std::bernoulli_distribution lost(0.3);
  auto config = health_config(3);
  config.max_loss_percent = 20;
  HealthSim sim(config, [&](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> {
    if (lost(random)) return std::nullopt;
    return 30ms;
  });
  sim.run_until(sim.start + 10min);
  auto degraded = sim.entered(Health::degraded, sim.start);
  ASSERT_TRUE(degraded);
  EXPECT_FALSE(sim.entered(Health::down, sim.start));
  // Once degraded it stays so: steady loss near the limit does not swing it back to up.
  EXPECT_FALSE(sim.entered(Health::up, *degraded)) << sim.monitor.reason();
}

// Loss that stays over the limit keeps the uplink degraded however the window swings; clean answers bring it
// back after up_after rounds within half of max_loss.
TEST(Health, DegradedClearsOnlyWellWithinTheLimit) {
  std::mt19937 random(7);
  std::bernoulli_distribution heavy(0.4), light(0.25), none(0.0);
  std::bernoulli_distribution* lost = &heavy;
  auto config = health_config(3);
  config.max_loss_percent = 20;
  HealthSim sim(config, [&](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> {
    if ((*lost)(random)) return std::nullopt;
    return 30ms;
  });
  sim.run_until(sim.start + 60s);
  ASSERT_EQ(sim.monitor.state(), Health::degraded) << sim.monitor.reason();
  const HealthTime light_since = sim.start + 60s;
  lost = &light;  // 25 %: the window swings between about 15 and 35 %
  sim.run_until(light_since + 60s);
  EXPECT_FALSE(sim.entered(Health::up, light_since)) << sim.monitor.reason();
  const HealthTime clean_since = light_since + 60s;
  lost = &none;
  sim.run_until(clean_since + 30s);
  EXPECT_TRUE(sim.entered(Health::up, clean_since)) << sim.monitor.reason();
}

// Losses leave the statistics `window` after they happened, also while every later probe is answered (so
// no probe times out and nothing but a send moves the window): a degraded uplink whose loss stopped is back
// within about `window`, not after the old losses have faded as 1/t.
TEST(Health, LossesLeaveTheWindowWhileEveryProbeIsAnswered) {
  std::mt19937 random(3);
  std::bernoulli_distribution lost(0.35);
  bool lossy = true;
  auto config = health_config(3);
  config.max_loss_percent = 20;
  HealthSim sim(config, [&](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> {
    if (lossy && lost(random)) return std::nullopt;
    return 20ms;
  });
  sim.run_until(sim.start + 30s);
  ASSERT_EQ(sim.monitor.state(), Health::degraded) << sim.monitor.reason();
  lossy = false;
  const HealthTime clean_since = sim.start + 30s;
  sim.run_until(clean_since + std::chrono::seconds(static_cast<int>(config.window_s)) + 5s);
  EXPECT_TRUE(sim.entered(Health::up, clean_since)) << sim.monitor.reason();
}

// One dead target among three does not degrade the uplink: the median target decides.
TEST(Health, OneDeadTargetDoesNotDegrade) {
  auto config = health_config(3);
  config.max_loss_percent = 20;
  HealthSim sim(config, [](size_t target, uint64_t, HealthTime) -> std::optional<milliseconds> {
    if (target == 2) return std::nullopt;
    return 30ms;
  });
  sim.run_until(sim.start + 60s);
  EXPECT_EQ(sim.monitor.state(), Health::up) << sim.monitor.reason();
  EXPECT_FALSE(sim.entered(Health::degraded, sim.start));
}

TEST(Health, SlowAnswersAreDegradedWhenMaxRttIsSet) {
  auto config = health_config(2);
  config.max_rtt_ms = 100;
  HealthSim sim(config, [](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> { return 150ms; });
  sim.run_until(sim.start + 10s);
  EXPECT_EQ(sim.monitor.state(), Health::degraded);
  EXPECT_NE(sim.monitor.reason().find("RTT 150 ms > max_rtt 100 ms"), std::string::npos)
      << sim.monitor.reason();
}

// A failure within 60 s of recovering is a flap: held down 10 s, then 20 s; a long stable stretch forgives.
TEST(Health, FlapDampingHoldsDownLongerForEachFlapAndForgives) {
  const HealthTime start{std::chrono::hours(1)};
  std::vector<HealthTime> outages = {start + 10s, start + 25s, start + 55s, start + 300s};
  HealthSim sim(health_config(1), [&](size_t, uint64_t, HealthTime sent) -> std::optional<milliseconds> {
    for (auto begin : outages)
      if (sent >= begin && sent < begin + 2s) return std::nullopt;
    return 20ms;
  });
  sim.run_until(outages[0] + 2s + 3s);
  auto first = sim.entered(Health::up, outages[0] + 2s);
  ASSERT_TRUE(first);
  EXPECT_LT(*first - (outages[0] + 2s), 2s);  // the first failure is not a flap: no hold
  sim.run_until(outages[1] + 20s);
  auto second = sim.entered(Health::up, outages[1] + 2s);
  ASSERT_TRUE(second);
  EXPECT_EQ(sim.monitor.damping().flaps(), 1);
  auto second_down = sim.entered(Health::down, outages[1]);
  ASSERT_TRUE(second_down);
  EXPECT_GE(*second - *second_down, 10s);  // held from the moment it went down
  EXPECT_LT(*second - *second_down, 10s + 400ms);
  sim.run_until(outages[2] + 40s);
  auto third = sim.entered(Health::up, outages[2] + 2s);
  ASSERT_TRUE(third);
  EXPECT_EQ(sim.monitor.damping().flaps(), 2);
  auto third_down = sim.entered(Health::down, outages[2]);
  ASSERT_TRUE(third_down);
  EXPECT_GE(*third - *third_down, 20s);
  EXPECT_LT(*third - *third_down, 20s + 400ms);
  // Up for more than 3 minutes: flaps forgiven, so the next failure is held by nothing.
  sim.run_until(outages[3] + 10s);
  auto fourth = sim.entered(Health::up, outages[3] + 2s);
  ASSERT_TRUE(fourth);
  EXPECT_LT(*fourth - (outages[3] + 2s), 2s);
  EXPECT_EQ(sim.monitor.damping().flaps(), 0);
}

TEST(Health, TransitionsAreRecordedWithReasonAndTime) {
  HealthSim sim(health_config(1), silent_from(HealthTime{std::chrono::hours(1)} + 5s));
  sim.run_until(sim.start + 10s);
  const auto& history = sim.monitor.transitions();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].from, Health::probing);
  EXPECT_EQ(history[0].to, Health::up);
  EXPECT_EQ(history[1].to, Health::down);
  EXPECT_EQ(history[1].reason,
            "4 rounds in a row without quorum (last: 0 of 1 targets answered, 1 needed, waited 80 ms)");
  EXPECT_GT(history[1].at, history[0].at);
}

TEST(ProbeWindow, LossRttAndJitter) {
  ProbeWindow window;
  const HealthTime t0{std::chrono::hours(1)};
  for (uint64_t seq = 0; seq < 4; ++seq) window.sent(seq, t0 + seq * 1s);
  EXPECT_TRUE(window.answered(0, t0 + 10ms, 400ms));
  EXPECT_TRUE(window.answered(1, t0 + 1s + 30ms, 400ms));
  EXPECT_FALSE(window.answered(2, t0 + 2s + 500ms, 400ms));  // late
  EXPECT_TRUE(window.answered(3, t0 + 3s + 20ms, 400ms));
  EXPECT_FALSE(window.answered(3, t0 + 3s + 25ms, 400ms));  // a duplicate changes nothing
  const auto stats = window.stats();
  EXPECT_EQ(stats.samples, 4);
  EXPECT_EQ(stats.lost, 1);
  EXPECT_DOUBLE_EQ(stats.loss_percent, 25);
  EXPECT_EQ(stats.rtt_avg, HealthDuration(20ms));
  EXPECT_EQ(stats.jitter, HealthDuration(15ms));  // |30-10| and |20-30| over consecutive answers
  EXPECT_EQ(stats.last_rtt, HealthDuration(20ms));
  window.advance(t0 + 11s + 500ms, 400ms, 10s);  // the first two leave the window
  EXPECT_EQ(window.stats().samples, 2);
}

}  // namespace
}  // namespace uplinkd
