// SPDX-License-Identifier: GPL-2.0-or-later
// Adaptive probe timing against what docs/health.md promises: a silent upstream is down within
// interval + down_after × clamp(SRTT + 4 RTTVAR, min_timeout, timeout), no extra probes while the uplink
// answers, a sudden RTT rise is not an outage, and false alarms on a lossy link are rarer than with the fixed
// timing of uplinkd 0.1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "health_sim.hpp"
#include "state/health.hpp"
#include "state/rtt_estimate.hpp"

namespace uplinkd {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using testing::health_config;
using testing::HealthSim;

HealthSim::Answer rtt_then_silent(milliseconds rtt, HealthTime silent_at) {
  return [=](size_t, uint64_t, HealthTime sent) -> std::optional<milliseconds> {
    if (sent + rtt > silent_at) return std::nullopt;
    return rtt;
  };
}

double seconds(HealthDuration value) {
  return std::chrono::duration<double>(value).count();
}

TEST(RttEstimate, FollowsRfc6298) {
  RttEstimate estimate;
  EXPECT_FALSE(estimate.timeout(80ms, 400ms));
  estimate.sample(100ms);  // SRTT 100, RTTVAR 50: 300 ms
  EXPECT_EQ(*estimate.timeout(80ms, 400ms), 300ms);
  estimate.sample(60ms);  // RTTVAR 3/4 × 50 + 1/4 × 40 = 47.5, SRTT 7/8 × 100 + 1/8 × 60 = 95
  EXPECT_EQ(*estimate.smoothed(), 95ms);
  EXPECT_EQ(*estimate.timeout(80ms, 400ms), 285ms);
  EXPECT_EQ(*estimate.timeout(80ms, 200ms), 200ms) << "the ceiling";
  for (int i = 0; i < 100; ++i) estimate.sample(5ms);
  EXPECT_EQ(*estimate.timeout(80ms, 400ms), 80ms) << "the floor";
  EXPECT_EQ(*estimate.timeout(500ms, 400ms), 400ms) << "a floor above the ceiling yields the ceiling";
}

struct DetectionCase {
  int rtt_ms;
  double bound_s;  // docs/health.md: interval + down_after × max(min_timeout, RTT) with the defaults
};

class AdaptiveDetection : public ::testing::TestWithParam<DetectionCase> {};

// 36 phases of the failure against the probe schedule, 10 ms apart: the bound holds in each and is reached.
TEST_P(AdaptiveDetection, SilentUpstreamIsDownWithinTheBound) {
  const auto [rtt_ms, bound_s] = GetParam();
  const HealthConfig defaults;
  const milliseconds rtt(rtt_ms);
  EXPECT_NEAR(bound_s,
              defaults.interval_s + defaults.down_after * std::max(defaults.min_timeout_s, rtt_ms / 1e3),
              0.001);
  std::vector<double> detections;
  for (int phase = 0; phase < 36; ++phase) {
    const HealthTime start{std::chrono::hours(1)};
    const HealthTime silent_at = start + 30s + phase * 10ms;  // 30 s of answers settle RTTVAR
    HealthSim sim(health_config(1), rtt_then_silent(rtt, silent_at));
    sim.run_until(silent_at - 1ms);
    ASSERT_EQ(sim.monitor.state(), Health::up);
    // The estimate a constant RTT leaves: SRTT = RTT, RTTVAR near 0.
    EXPECT_NEAR(seconds(sim.monitor.round_timeout()), std::max(defaults.min_timeout_s, rtt_ms / 1e3), 0.002);
    sim.run_until(silent_at + 3s);
    auto down = sim.entered(Health::down, silent_at);
    ASSERT_TRUE(down) << "phase " << phase;
    detections.push_back(seconds(*down - silent_at));
    EXPECT_LE(detections.back(), bound_s + 0.002) << "phase " << phase;
  }
  std::sort(detections.begin(), detections.end());
  // Regular rounds go on beside the burst and count too, so a long round timeout is overtaken by them; with
  // short ones the bound is reached but for the RTT (the last answered probe left RTT before the silence).
  if (rtt_ms <= 20) {
    EXPECT_GT(detections.back(), bound_s - rtt_ms / 1e3 - 0.01) << "the bound is reached";
  }
  if (rtt_ms <= 40) {  // issue 15's goals for the usual RTTs
    EXPECT_LE(detections.back(), 1.0);
    EXPECT_LE(detections[detections.size() / 2], 0.6);
  }
}

INSTANTIATE_TEST_SUITE_P(Rtts, AdaptiveDetection,
                         ::testing::Values(DetectionCase{1, 0.68}, DetectionCase{20, 0.68},
                                           DetectionCase{150, 0.96}),
                         [](const auto& info) { return std::to_string(info.param.rtt_ms) + "ms"; });

// The burst is for failures only: while every probe is answered, one round per interval.
TEST(AdaptiveTiming, NoExtraProbesWhileAnswered) {
  HealthSim sim(health_config(2),
                [](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> { return 30ms; });
  sim.run_until(sim.start + 60s - 1ms);
  EXPECT_EQ(sim.rounds_sent(), 167u);  // 60 s / 0.36 s
}

// A burst sends down_after − 1 rounds more at most, one round timeout apart, and none once down.
TEST(AdaptiveTiming, TheBurstIsShortAndStopsAtTheVerdict) {
  const HealthTime silent_at = HealthTime{std::chrono::hours(1)} + 10s;
  HealthSim sim(health_config(1), rtt_then_silent(20ms, silent_at));
  sim.run_until(silent_at);
  const uint64_t before = sim.rounds_sent();
  sim.run_until(silent_at + 10s);
  ASSERT_EQ(sim.monitor.state(), Health::down);
  EXPECT_LE(sim.rounds_sent() - before, 28u + 3u);  // 10 s of regular rounds and one burst
}

// The RTT jumps from 20 ms to 300 ms (a queue filling under a download) and stays there. The adaptive
// timeout fails the next rounds, but the first round's answer comes within `timeout` and before the
// down_after-th failure (4 × 80 ms): the run is void, the estimate has grown, and the uplink stays up.
TEST(AdaptiveTiming, ASuddenRttRiseWithinTheTimeoutIsNotAnOutage) {
  const HealthTime rise_at = HealthTime{std::chrono::hours(1)} + 20s;
  HealthSim sim(health_config(1), [&](size_t, uint64_t, HealthTime sent) -> std::optional<milliseconds> {
    return sent < rise_at ? 20ms : 300ms;
  });
  sim.run_until(rise_at + 20s);
  EXPECT_FALSE(sim.entered(Health::down, rise_at)) << sim.monitor.reason();
  EXPECT_EQ(sim.monitor.state(), Health::up);
  EXPECT_GT(sim.monitor.round_timeout(), 300ms);
}

// What fixed timing would have waited for: an RTT rising above down_after × min_timeout at once is
// taken for an outage (docs/health.md says so), and the uplink returns once its answers count again.
TEST(AdaptiveTiming, ARiseBeyondTheBurstIsAShortFalseAlarm) {
  const HealthTime rise_at = HealthTime{std::chrono::hours(1)} + 20s;
  HealthSim sim(health_config(1), [&](size_t, uint64_t, HealthTime sent) -> std::optional<milliseconds> {
    return sent < rise_at ? 20ms : 380ms;
  });
  sim.run_until(rise_at + 20s);
  auto down = sim.entered(Health::down, rise_at);
  ASSERT_TRUE(down);
  auto up = sim.entered(Health::up, *down);
  ASSERT_TRUE(up);
  EXPECT_LT(*up - *down, 3s);
}

// fixed: uplinkd 0.1's whole behaviour.
TEST(AdaptiveTiming, FixedTimingWaitsTheTimeoutAndSendsNoBurst) {
  auto config = health_config(1);
  config.timing = ProbeTiming::fixed;
  config.down_after = kDownAfterFixed;
  const HealthTime silent_at = HealthTime{std::chrono::hours(1)} + 10s;
  HealthSim sim(config, rtt_then_silent(20ms, silent_at));
  EXPECT_EQ(sim.monitor.round_timeout(), 400ms);
  sim.run_until(silent_at + 3s);
  EXPECT_EQ(sim.rounds_sent(), 37u);  // at 0, 0.36 … 12.96 s: regular rounds only
  auto down = sim.entered(Health::down, silent_at);
  ASSERT_TRUE(down);
  EXPECT_GE(*down - silent_at, 1100ms);
}

// Mean time between false alarms with ONE target losing `loss` of its probes at random, damping off so every
// alarm counts, over a simulated day: adaptive timing's defaults against fixed timing's. docs/health.md gives
// the arithmetic: at 30 % 44 s against 18.5 s, at 10 % an hour against 400 s; measured here from one alarm to
// the next, so at 30 % the ~6 s that up_after = 5 good rounds in a row take to come are added.
struct FalseAlarmCase {
  double loss;
  double fixed_expected_s;
  double adaptive_expected_s;
};

class FalseAlarms : public ::testing::TestWithParam<FalseAlarmCase> {};

double mean_time_between_alarms(HealthConfig config, double loss, unsigned seed) {
  config.hold_down_s = 0;
  std::mt19937 random(seed);
  std::bernoulli_distribution lost(loss);
  std::uniform_int_distribution<int> jitter(0, 10);
  HealthSim sim(std::move(config), [&](size_t, uint64_t, HealthTime) -> std::optional<milliseconds> {
    if (lost(random)) return std::nullopt;
    return milliseconds(20 + jitter(random));
  });
  sim.run_until(sim.start + 24h);
  const auto alarms = std::max<uint64_t>(1, sim.monitor.transitions_total() / 2);  // down and back up
  return 86400.0 / static_cast<double>(alarms);
}

TEST_P(FalseAlarms, AdaptiveTimingRaisesFewerThanFixed) {
  const auto [loss, fixed_expected_s, adaptive_expected_s] = GetParam();
  auto fixed = health_config(1);
  fixed.timing = ProbeTiming::fixed;
  fixed.down_after = kDownAfterFixed;
  const double fixed_mean = mean_time_between_alarms(fixed, loss, 7);
  const double adaptive_mean = mean_time_between_alarms(health_config(1), loss, 7);
  std::printf("loss %.0f %%: a false alarm every %.1f s with fixed timing, every %.1f s with adaptive\n",
              loss * 100, fixed_mean, adaptive_mean);
  EXPECT_NEAR(fixed_mean, fixed_expected_s, fixed_expected_s * 0.25);
  EXPECT_NEAR(adaptive_mean, adaptive_expected_s, adaptive_expected_s * 0.3);
  EXPECT_GT(adaptive_mean, 2 * fixed_mean);
}

INSTANTIATE_TEST_SUITE_P(Loss, FalseAlarms,
                         ::testing::Values(FalseAlarmCase{0.1, 402, 3600}, FalseAlarmCase{0.3, 24.5, 50}),
                         [](const auto& info) {
                           return std::to_string(static_cast<int>(info.param.loss * 100)) + "percent";
                         });

}  // namespace
}  // namespace uplinkd
