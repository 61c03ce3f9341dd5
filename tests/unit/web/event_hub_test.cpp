// SPDX-License-Identifier: GPL-2.0-or-later
#include "web/event_hub.hpp"

#include <gmock/gmock.h>

#include <thread>

namespace uplinkd {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

TEST(EventHub, StreamGetsLinesAfterItsPlace) {
  EventHub hub;
  hub.publish("a");
  const auto from = hub.next();
  hub.publish("b");
  hub.publish("c");
  auto got = hub.wait(from, 0ms);
  EXPECT_THAT(got.lines, ElementsAre("b", "c"));
  EXPECT_EQ(got.next, 3u);
  EXPECT_FALSE(got.missed);
  EXPECT_TRUE(hub.wait(got.next, 0ms).lines.empty());
}

TEST(EventHub, SlowStreamIsToldItMissedLines) {
  EventHub hub(2);
  for (auto line : {"a", "b", "c", "d"}) hub.publish(line);
  auto got = hub.wait(0, 0ms);
  EXPECT_TRUE(got.missed);
  EXPECT_THAT(got.lines, ElementsAre("c", "d"));
  EXPECT_THAT(hub.recent(1), ElementsAre("d"));
}

TEST(EventHub, WaitWakesOnPublishFromAnotherThread) {
  EventHub hub;
  std::thread publisher([&] { hub.publish("x"); });
  auto got = hub.wait(0, 10s);
  publisher.join();
  EXPECT_THAT(got.lines, ElementsAre("x"));
}

TEST(EventHub, CloseEndsTheWait) {
  EventHub hub;
  std::thread closer([&] { hub.close(); });
  auto got = hub.wait(0, 10s);
  closer.join();
  EXPECT_TRUE(got.closed);
  EXPECT_FALSE(hub.join()) << "no stream opens on a closed hub";
}

TEST(EventHub, StreamsAreCapped) {
  EventHub hub(8, 2);
  EXPECT_TRUE(hub.join());
  EXPECT_TRUE(hub.join());
  EXPECT_FALSE(hub.join());
  hub.leave();
  EXPECT_EQ(hub.streams(), 1u);
  EXPECT_TRUE(hub.join());
}

}  // namespace
}  // namespace uplinkd
