// SPDX-License-Identifier: GPL-2.0-or-later
// The counters /metrics reads: they keep growing after the window has forgotten its samples.
#include <gmock/gmock.h>

#include "state/probe_window.hpp"

namespace uplinkd {
namespace {

using namespace std::chrono_literals;

TEST(ProbeTotals, CountSentLostAndAnsweredRtts) {
  ProbeWindow window;
  const HealthTime t0{};
  const HealthDuration timeout = 400ms;
  window.sent(1, t0);
  window.sent(2, t0 + 1s);
  window.sent(3, t0 + 2s);
  EXPECT_TRUE(window.answered(1, t0 + 20ms, timeout));
  EXPECT_FALSE(window.answered(2, t0 + 1s + 500ms, timeout)) << "late";
  window.advance(t0 + 3s, timeout, 1s);  // 3 times out, and the window forgets 1 and 2
  const auto& totals = window.totals();
  EXPECT_EQ(totals.sent, 3u);
  EXPECT_EQ(totals.lost, 2u);
  EXPECT_EQ(totals.rtt_seconds.count(), 1u);
  EXPECT_NEAR(totals.rtt_seconds.sum(), 0.020, 1e-9);
  EXPECT_EQ(window.stats().samples, 1) << "the window itself kept only the last probe";
  window.advance(t0 + 4s, timeout, 1s);
  EXPECT_EQ(window.totals().lost, 2u) << "a lost probe counts once";
}

}  // namespace
}  // namespace uplinkd
