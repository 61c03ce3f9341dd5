// SPDX-License-Identifier: GPL-2.0-or-later
// gateway_problem(): the one check of "can this address be a next hop" for DHCP routers, learned routes,
// static gateways and saved leases.
#include <gtest/gtest.h>

#include "common/ip.hpp"

namespace uplinkd {
namespace {

struct GatewayCase {
  const char* name;
  const char* gateway;
  const char* own;      // the uplink's address and subnet, or "" when unknown
  const char* problem;  // a part of the answer, or "" when the gateway is usable
};

const GatewayCase kCases[] = {
    {"Unicast", "100.64.1.1", "100.64.1.10/24", ""},
    {"UnicastWithoutOwnAddress", "192.0.2.1", "", ""},
    {"OtherSubnet", "192.0.2.1", "100.64.1.10/24", ""},  // an onlink gateway outside the subnet is routable
    {"LinkLocal", "169.254.0.1", "", ""},
    {"SharedAddressSpace", "100.64.0.1", "", ""},
    {"LimitedBroadcast", "255.255.255.255", "100.64.1.10/24", "is the limited broadcast address"},
    {"LimitedBroadcastWithoutSubnet", "255.255.255.255", "", "is the limited broadcast address"},
    {"Unspecified", "0.0.0.0", "", "is in 0.0.0.0/8"},
    {"ThisNetwork", "0.1.2.3", "", "is in 0.0.0.0/8"},
    {"Loopback", "127.0.0.1", "", "is a loopback address (127.0.0.0/8)"},
    {"LoopbackHigh", "127.255.255.254", "", "is a loopback address"},
    {"Multicast", "224.0.0.5", "", "is a multicast address (224.0.0.0/4)"},
    {"MulticastHigh", "239.255.255.250", "", "is a multicast address"},
    {"ClassE", "240.0.0.1", "", "is a reserved class E address (240.0.0.0/4)"},
    {"ClassEHigh", "255.255.255.254", "", "is a reserved class E address"},
    {"SubnetBroadcast", "100.64.1.255", "100.64.1.10/24", "is the broadcast address of 100.64.1.0/24"},
    {"SubnetBroadcastSlash22", "10.20.31.255", "10.20.30.40/22", "is the broadcast address of 10.20.28.0/22"},
    {"SubnetNetwork", "100.64.1.0", "100.64.1.10/24", "is the network address of 100.64.1.0/24"},
    {"SlashThirtyBroadcast", "10.0.0.3", "10.0.0.2/30", "is the broadcast address of 10.0.0.0/30"},
    {"SlashThirtyOneHasNoBroadcast", "10.0.0.1", "10.0.0.0/31", ""},  // RFC 3021: both are hosts
    {"SlashThirtyOneOwnAddress", "10.0.0.0", "10.0.0.0/31", "is the uplink's own address"},
    {"SlashThirtyTwo", "100.64.1.255", "100.64.1.10/32", ""},
    {"OwnAddress", "100.64.1.10", "100.64.1.10/24", "is the uplink's own address"},
    {"BroadcastOfAnotherSubnet", "100.64.2.255", "100.64.1.10/24", ""},
    {"V6Unicast", "2001:db8::1", "", ""},
    {"V6LinkLocal", "fe80::1", "", ""},
    {"V6Unspecified", "::", "", "is the unspecified address"},
    {"V6Loopback", "::1", "", "is the loopback address"},
    {"V6Multicast", "ff02::1", "", "is a multicast address (ff00::/8)"},
    {"V6Own", "2001:db8::2", "2001:db8::2/64", "is the uplink's own address"},
    {"V4AgainstV6Subnet", "100.64.1.10", "2001:db8::2/64", ""},
};

class GatewayProblem : public ::testing::TestWithParam<GatewayCase> {};

TEST_P(GatewayProblem, Judges) {
  const auto& test_case = GetParam();
  auto gateway = IpAddress::parse(test_case.gateway);
  ASSERT_TRUE(gateway);
  std::optional<Prefix> own;
  if (*test_case.own) own = Prefix::parse(test_case.own);
  auto problem = gateway_problem(*gateway, own);
  if (!*test_case.problem) {
    EXPECT_EQ(problem, std::nullopt) << *problem;
  } else {
    ASSERT_TRUE(problem) << test_case.gateway << " was accepted";
    EXPECT_NE(problem->find(test_case.problem), std::string::npos) << *problem;
  }
}

INSTANTIATE_TEST_SUITE_P(Addresses, GatewayProblem, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace uplinkd
