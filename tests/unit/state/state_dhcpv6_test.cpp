// SPDX-License-Identifier: GPL-2.0-or-later
// Delegated prefixes (DHCPv6 IA_PD) in the state: a lease of their own beside the IPv4 one, replaced on
// renumbering, gone with the lease, restored after a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::dhcpv6_event;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::prefix;
using testing::uplink;

constexpr auto kDhclient = DhcpClient::dhclient;
constexpr auto kDhcpcd = DhcpClient::dhcpcd;
constexpr auto kUp = LeaseChange::up;
constexpr auto kDown = LeaseChange::down;

struct Delegation : ::testing::Test {
  Config config = config_with({uplink("wan1", 200), uplink("wan2", 201)});
  State state{config};
  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
  }
  const std::vector<Prefix>& delegated(const std::string& interface) {
    return state.facts(interface).delegated;
  }
};

// dhclient's calls one by one, as captured: the address binding, the prefix binding; after the server's
// renumbering the new prefix, the old one with lifetime 0, its EXPIRE6; then RELEASE6 per binding.
TEST_F(Delegation, DhclientOneBindingAtATime) {
  EXPECT_FALSE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "BOUND6", kUp, {})));
  EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "BOUND6", kUp, {"2001:db8:1:100::/60"})));
  EXPECT_THAT(delegated("wan1"), ElementsAre(prefix("2001:db8:1:100::/60")));
  EXPECT_FALSE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "RENEW6", kUp, {"2001:db8:1:100::/60"})));

  EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "REBIND6", kUp, {"2001:db8:1:200::/60"})));
  EXPECT_THAT(delegated("wan1"), ElementsAre(prefix("2001:db8:1:100::/60"), prefix("2001:db8:1:200::/60")));
  EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "REBIND6", kUp, {}, {"2001:db8:1:100::/60"})));
  EXPECT_THAT(delegated("wan1"), ElementsAre(prefix("2001:db8:1:200::/60")));
  EXPECT_FALSE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "EXPIRE6", kDown, {}, {"2001:db8:1:100::/60"})));

  EXPECT_FALSE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "RELEASE6", kDown, {})));  // the address
  EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhclient, "wan1", "RELEASE6", kDown, {}, {"2001:db8:1:200::/60"})));
  EXPECT_THAT(delegated("wan1"), IsEmpty());
}

// dhcpcd's calls carry the whole lease: a renumbered lease replaces the list, a down event clears it.
TEST_F(Delegation, DhcpcdTheWholeLeaseEachTime) {
  EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhcpcd, "wan2", "BOUND6", kUp, {"2001:db8:2:100::/60"})));
  EXPECT_TRUE(state.on_hook(
      dhcpv6_event(kDhcpcd, "wan2", "REBIND6", kUp, {"2001:db8:2:200::/60"}, {"2001:db8:2:100::/60"})));
  EXPECT_THAT(delegated("wan2"), ElementsAre(prefix("2001:db8:2:200::/60")));
  // A prefix the lease no longer names is gone even without a lifetime of 0.
  EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhcpcd, "wan2", "RENEW6", kUp, {"2001:db8:2:300::/60"})));
  EXPECT_THAT(delegated("wan2"), ElementsAre(prefix("2001:db8:2:300::/60")));
  EXPECT_FALSE(state.on_hook(dhcpv6_event(kDhcpcd, "wan2", "RENEW6", kUp, {"2001:db8:2:300::/60"})));
  for (const char* reason : {"EXPIRE6", "RELEASE6", "STOP6"}) {
    state.on_hook(dhcpv6_event(kDhcpcd, "wan2", "BOUND6", kUp, {"2001:db8:2:300::/60"}));
    EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhcpcd, "wan2", reason, kDown, {}))) << reason;
    EXPECT_THAT(delegated("wan2"), IsEmpty()) << reason;
  }
  EXPECT_FALSE(state.on_hook(dhcpv6_event(kDhcpcd, "wan2", "INFORM6", LeaseChange::ignore, {})));
}

// Two leases of one interface: either one's end leaves the other as it was.
TEST_F(Delegation, TheIpv4AndIpv6LeasesAreIndependent) {
  const auto lease = state.facts("wan1").lease;
  ASSERT_TRUE(lease.has_value());
  state.on_hook(dhcpv6_event(kDhcpcd, "wan1", "BOUND6", kUp, {"2001:db8:1:100::/60"}));
  EXPECT_TRUE(state.on_hook(dhcpv6_event(kDhcpcd, "wan1", "STOP6", kDown, {})));
  EXPECT_EQ(state.facts("wan1").lease, lease) << "STOP6 ends the DHCPv6 lease only";

  state.on_hook(dhcpv6_event(kDhcpcd, "wan1", "BOUND6", kUp, {"2001:db8:1:100::/60"}));
  HookEvent expire;
  expire.client = kDhcpcd;
  expire.interface = "wan1";
  expire.reason = "EXPIRE";
  expire.change = kDown;
  EXPECT_TRUE(state.on_hook(expire));
  EXPECT_FALSE(state.facts("wan1").lease.has_value());
  EXPECT_THAT(delegated("wan1"), ElementsAre(prefix("2001:db8:1:100::/60")))
      << "EXPIRE ends the IPv4 one only";
}

// Hook facts survive what the kernel says: a resync, a link that goes and comes back.
TEST_F(Delegation, KernelEventsKeepThePrefixes) {
  state.on_hook(dhcpv6_event(kDhcpcd, "wan1", "BOUND6", kUp, {"2001:db8:1:100::/60"}));
  state.reset({}, {}, {});
  EXPECT_THAT(delegated("wan1"), ElementsAre(prefix("2001:db8:1:100::/60")));
  state.on_link(netlink::Link{11, "wan1", true, true}, true);
  EXPECT_THAT(delegated("wan1"), ElementsAre(prefix("2001:db8:1:100::/60")));
}

TEST_F(Delegation, NoMoreThanTheLimitAccumulate) {
  for (size_t i = 0; i < kMaxDelegatedPrefixes + 4; ++i)
    state.on_hook(
        dhcpv6_event(kDhclient, "wan1", "BOUND6", kUp, {"2001:db8:1:" + std::to_string(100 + i) + "::/64"}));
  EXPECT_EQ(delegated("wan1").size(), kMaxDelegatedPrefixes);
}

TEST_F(Delegation, RestoredAfterARestart) {
  EXPECT_TRUE(
      state.restore_delegated("wan2", {prefix("2001:db8:2:100::/60"), prefix("2001:db8:2:100::/60")}));
  EXPECT_THAT(delegated("wan2"), ElementsAre(prefix("2001:db8:2:100::/60")));
  EXPECT_FALSE(state.restore_delegated("wan2", {prefix("2001:db8:2:100::/60")}));
  EXPECT_FALSE(state.restore_delegated("wan9", {prefix("2001:db8:2:100::/60")})) << "no such uplink";
  // Judged again: the file may have been edited.
  state.restore_delegated("wan1", {prefix("::/0"), prefix("2001:db8:1:100::/60")});
  EXPECT_THAT(delegated("wan1"), ElementsAre(prefix("2001:db8:1:100::/60")));
}

TEST_F(Delegation, StatusShowsThemWhateverTheUplinksState) {
  state.on_hook(dhcpv6_event(kDhcpcd, "wan1", "BOUND6", kUp, {"2001:db8:1:100::/60"}));
  auto status = evaluate(config.uplinks[0], state.facts("wan1"), Family::v6);
  EXPECT_FALSE(status.routable) << "no IPv6 address yet";
  EXPECT_THAT(status.delegated, ElementsAre(prefix("2001:db8:1:100::/60")));
  EXPECT_THAT(evaluate(config.uplinks[0], state.facts("wan1"), Family::v4).delegated, IsEmpty());
}

}  // namespace
}  // namespace uplinkd
