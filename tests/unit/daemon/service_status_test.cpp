// SPDX-License-Identifier: GPL-2.0-or-later
// The one-line STATUS= uplinkd gives systemd (`systemctl status uplinkd`).
#include <gtest/gtest.h>

#include "daemon/service_notifier.hpp"
#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::bring_up6;
using testing::config_with;
using testing::uplink;

TEST(ServiceStatus, CountsTheUplinksInTheGroup) {
  auto config = config_with({uplink("wan1", 201), uplink("wan2", 202), uplink("wan3", 203)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  EXPECT_EQ(service_status(config, make_plan(config, state)), "balancing over 2 of 3 uplinks");
}

TEST(ServiceStatus, SaysWhenNothingIsUsable) {
  auto config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  State state(config);
  EXPECT_EQ(service_status(config, make_plan(config, state)), "no uplink usable for IPv4");
}

TEST(ServiceStatus, AddsIpv6OnceAnUplinkHasIt) {
  auto config = config_with({uplink("wan1", 201), uplink("wan2", 202)});
  State state(config);
  bring_up(state, "wan1", 1);
  bring_up(state, "wan2", 2);
  bring_up6(state, 2);
  EXPECT_EQ(service_status(config, make_plan(config, state)),
            "balancing over 2 of 2 uplinks; IPv6 over 1 of 2");
}

}  // namespace
}  // namespace uplinkd
