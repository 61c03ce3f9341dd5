// SPDX-License-Identifier: GPL-2.0-or-later
// A lease's routers are judged one by one in every client's parser: an invalid one is refused with its
// reason, and the next valid one becomes the gateway. Syntax errors still refuse the whole event
// (hook_garbage_test.cpp): those are no DHCP server's values but a broken hook.
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_json.hpp"

namespace uplinkd {
namespace {

using testing::dhclient_bound;
using testing::dhcpcd_bound;
using testing::udhcpc_bound;
using testing::with;

// Each client's bound environment with its routers variable set to `routers`, parsed. The lease is
// 100.64.1.10/24 for all three, so that the cases read the same.
HookEvent parse_with_routers(DhcpClient client, const std::string& routers) {
  switch (client) {
    case DhcpClient::dhclient:
      return parse_dhclient(with(dhclient_bound(), "new_routers", routers));
    case DhcpClient::dhcpcd: {
      auto env = with(with(dhcpcd_bound(), "new_ip_address", "100.64.1.10"), "new_subnet_cidr", "24");
      return parse_dhcpcd(with(with(env, "new_subnet_mask", "255.255.255.0"), "new_routers", routers));
    }
    case DhcpClient::udhcpc: {
      auto env = with(with(udhcpc_bound(), "ip", "100.64.1.10"), "mask", "24");
      return parse_udhcpc({"bound"}, with(with(env, "subnet", "255.255.255.0"), "router", routers));
    }
  }
  return {};
}

struct RouterCase {
  const char* name;
  const char* routers;           // as the server gave them
  const char* gateway;           // the first usable one, or ""
  std::vector<std::string> why;  // a part of each refused router's reason, in order
};

const RouterCase kCases[] = {
    {"Unicast", "100.64.1.1", "100.64.1.1", {}},
    {"LimitedBroadcast", "255.255.255.255", "", {"is the limited broadcast address"}},
    {"Loopback", "127.0.0.1", "", {"loopback"}},
    {"Multicast", "224.0.0.5", "", {"multicast"}},
    {"ClassE", "240.1.2.3", "", {"class E"}},
    {"ZeroNet", "0.0.0.0", "", {"0.0.0.0/8"}},
    {"ZeroNetHost", "0.0.0.1", "", {"0.0.0.0/8"}},
    {"SubnetBroadcast", "100.64.1.255", "", {"is the broadcast address of 100.64.1.0/24"}},
    {"SubnetNetwork", "100.64.1.0", "", {"is the network address of 100.64.1.0/24"}},
    {"OwnAddress", "100.64.1.10", "", {"is the uplink's own address"}},
    {"FallsBackToTheNext", "255.255.255.255 100.64.1.1", "100.64.1.1", {"limited broadcast"}},
    {"SkipsSeveral",
     "127.0.0.1 100.64.1.255 100.64.1.2 100.64.1.3",
     "100.64.1.2",
     {"loopback", "broadcast address of 100.64.1.0/24"}},
    {"BadOneAfterAGoodOne", "100.64.1.1 224.0.0.1", "100.64.1.1", {"multicast"}},
    {"AllBad", "255.255.255.255 127.0.0.1 224.0.0.5", "", {"limited broadcast", "loopback", "multicast"}},
};

class LeaseRouters : public ::testing::TestWithParam<std::tuple<DhcpClient, RouterCase>> {};

TEST_P(LeaseRouters, AreJudgedOneByOne) {
  const auto& [client, test_case] = GetParam();
  auto event = parse_with_routers(client, test_case.routers);
  ASSERT_EQ(event.change, LeaseChange::up);
  if (*test_case.gateway) {
    ASSERT_FALSE(event.routers.empty());
    EXPECT_EQ(event.routers.front(), IpAddress::parse(test_case.gateway));
  } else {
    EXPECT_TRUE(event.routers.empty());
  }
  ASSERT_EQ(event.refused_routers.size(), test_case.why.size());
  for (size_t i = 0; i < test_case.why.size(); ++i)
    EXPECT_NE(event.refused_routers[i].why.find(test_case.why[i]), std::string::npos)
        << event.refused_routers[i].address.to_string() << " " << event.refused_routers[i].why;
  // The daemon judges them again and comes to the same answer.
  EXPECT_EQ(hook_event_from_json(nlohmann::json::parse(hook_event_to_json(event).dump())), event);
}

INSTANTIATE_TEST_SUITE_P(EveryClient, LeaseRouters,
                         ::testing::Combine(::testing::Values(DhcpClient::dhclient, DhcpClient::dhcpcd,
                                                              DhcpClient::udhcpc),
                                            ::testing::ValuesIn(kCases)),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) + "_" +
                                  std::get<1>(info.param).name;
                         });

std::string routers_text(int count, const std::string& first) {
  std::string text = first;
  for (int i = 1; i < count; ++i) text += " 100.64.1." + std::to_string(100 + i);
  return text;
}

TEST(LeaseRouters, PastSixtyFourTheRestAreIgnoredNotTheEvent) {
  for (auto client : {DhcpClient::dhclient, DhcpClient::dhcpcd, DhcpClient::udhcpc}) {
    auto event = parse_with_routers(client, routers_text(100, "255.255.255.255"));
    EXPECT_EQ(event.routers.size() + event.refused_routers.size(), kMaxRouters) << to_string(client);
    EXPECT_EQ(event.refused_routers.size(), 1u);
    EXPECT_EQ(event.ignored_routers, 36u);
    EXPECT_EQ(event.routers.front(), IpAddress::parse("100.64.1.101"));
    EXPECT_EQ(hook_event_from_json(nlohmann::json::parse(hook_event_to_json(event).dump())), event);
  }
}

TEST(LeaseRouters, TheDaemonRefusesWhatAClientLetThrough) {
  auto request = hook_event_to_json(parse_dhclient(dhclient_bound()));
  request["routers"] = {"100.64.1.255", "127.0.0.1", "100.64.1.1"};
  auto event = hook_event_from_json(request);
  EXPECT_EQ(event.routers, std::vector{*IpAddress::parse("100.64.1.1")});
  ASSERT_EQ(event.refused_routers.size(), 2u);
  EXPECT_EQ(event.refused_routers[0].address, IpAddress::parse("100.64.1.255"));
  EXPECT_EQ(event.refused_routers[0].why, "is the broadcast address of 100.64.1.0/24");
}

TEST(LeaseRouters, TheDaemonKeepsTheFirstSixtyFourOfARequest) {
  auto request = hook_event_to_json(parse_dhclient(dhclient_bound()));
  for (int i = 0; i < 100; ++i) request["routers"].push_back("100.64.1.2");
  request["refused_routers"] = {"255.255.255.255"};
  request["ignored_routers"] = 5;
  auto event = hook_event_from_json(request);
  EXPECT_EQ(event.routers.size(), kMaxRouters);
  EXPECT_TRUE(event.refused_routers.empty());
  EXPECT_EQ(event.ignored_routers, 37u + 1u + 5u);  // 101 - 64 routers, the refused one, and the client's 5
}

TEST(LeaseRouters, AnIgnoredCountMustBeACount) {
  auto request = hook_event_to_json(parse_dhclient(dhclient_bound()));
  for (auto bad : {nlohmann::json(-1), nlohmann::json("3"), nlohmann::json(1e9), nlohmann::json(1000001)}) {
    request["ignored_routers"] = bad;
    testing::expect_input_error([&] { hook_event_from_json(request); },
                                "request: event.ignored_routers must be a count");
  }
}

}  // namespace
}  // namespace uplinkd
