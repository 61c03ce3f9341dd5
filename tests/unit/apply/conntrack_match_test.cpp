// SPDX-License-Identifier: GPL-2.0-or-later
// Which conntrack entries a dead uplink takes with it: nated_to() on the entries a router holds. The
// deletion itself runs against the kernel in tests/integration/conntrack_test.sh.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "apply/conntrack_cleanup.hpp"

namespace uplinkd {
namespace {

IpAddress ip(const char* text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address) << text;
  return address.value_or(IpAddress{});
}

// An entry as `conntrack -L` shows it: original src/dst, then reply src/dst.
ConntrackAddresses entry(const char* src, const char* dst, const char* reply_src, const char* reply_dst) {
  return ConntrackAddresses{ip(src), ip(dst), ip(reply_src), ip(reply_dst)};
}

struct Case {
  std::string name;
  ConntrackAddresses entry;
  const char* uplink_address;  // IPv4's one address, or one of an IPv6 uplink's prefixes
  bool deleted;
};

// wan1 = 100.64.1.10, wan2 = 100.64.2.10, LAN 192.168.77.0/24 behind lan0 = 192.168.77.1, internet host
// 198.51.100.1.
const std::vector<Case> cases = {
    {"LAN host masqueraded out of the uplink",
     entry("192.168.77.10", "198.51.100.1", "198.51.100.1", "100.64.1.10"), "100.64.1.10", true},
    {"LAN host masqueraded out of another uplink",
     entry("192.168.77.10", "198.51.100.1", "198.51.100.1", "100.64.2.10"), "100.64.1.10", false},
    {"the router's own connection from the uplink's address",
     entry("100.64.1.10", "198.51.100.1", "198.51.100.1", "100.64.1.10"), "100.64.1.10", false},
    {"the router's own connection from another uplink's address, masqueraded out of this one",
     entry("100.64.2.10", "198.51.100.1", "198.51.100.1", "100.64.1.10"), "100.64.1.10", true},
    {"forwarded without NAT", entry("192.168.77.10", "198.51.100.1", "198.51.100.1", "192.168.77.10"),
     "100.64.1.10", false},
    {"port forward to a LAN host (destination NAT only)",
     entry("198.51.100.1", "100.64.1.10", "192.168.77.20", "198.51.100.1"), "100.64.1.10", false},
    {"LAN host talking to the uplink's address on the router",
     entry("192.168.77.10", "100.64.1.10", "100.64.1.10", "192.168.77.10"), "100.64.1.10", false},
    {"hairpin: LAN host to the uplink's address, forwarded to another LAN host and masqueraded to lan0",
     entry("192.168.77.10", "100.64.1.10", "192.168.77.20", "192.168.77.1"), "100.64.1.10", false},
    {"IPv6 entry masqueraded out of the uplink",
     entry("fd00::10", "2001:db8::1", "2001:db8::1", "2001:db8:1::10"), "2001:db8:1::10", true},
    {"IPv6 entry of the uplink's own address",
     entry("2001:db8:1::10", "2001:db8::1", "2001:db8::1", "2001:db8:1::10"), "2001:db8:1::10", false},
    {"an IPv4 uplink address never matches an IPv6 entry",
     entry("fd00::10", "2001:db8::1", "2001:db8::1", "::ffff:100.64.1.10"), "100.64.1.10", false},
    // IPv6 by prefix: masquerade picks any of the uplink's addresses, NPTv6 a subnet of its delegation.
    {"IPv6 masqueraded to another address of the uplink's prefix (a temporary one)",
     entry("fd00::10", "2001:db8::1", "2001:db8::1", "2001:db8:1::abcd:1"), "2001:db8:1::/64", true},
    {"IPv6 masqueraded out of another uplink",
     entry("fd00::10", "2001:db8::1", "2001:db8::1", "2001:db8:2::10"), "2001:db8:1::/64", false},
    {"NPTv6 into a subnet of the uplink's delegated prefix",
     entry("fd00:1::10", "2001:db8::1", "2001:db8::1", "2001:db8:1:10f::10"), "2001:db8:1:100::/60", true},
    {"a LAN host numbered from the delegated prefix (routed, not translated)",
     entry("2001:db8:1:100::10", "2001:db8::1", "2001:db8::1", "2001:db8:1:100::10"), "2001:db8:1:100::/60",
     false},
    {"the router's own connection from one of the uplink's addresses",
     entry("2001:db8:1::10", "2001:db8::1", "2001:db8::1", "2001:db8:1::10"), "2001:db8:1::/64", false},
};

class NatedTo : public ::testing::TestWithParam<Case> {};

TEST_P(NatedTo, DeletesOnlyTheUplinksMasqueradedConnections) {
  const Case& c = GetParam();
  const std::string text = c.uplink_address;
  if (text.find('/') == std::string::npos)
    EXPECT_EQ(nated_to(c.entry, ip(c.uplink_address)), c.deleted) << c.name;
  else
    EXPECT_EQ(nated_into(c.entry, *Prefix::parse(text)), c.deleted) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Entries, NatedTo, ::testing::ValuesIn(cases), [](const auto& info) {
  std::string name;
  for (char ch : info.param.name) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
});

}  // namespace
}  // namespace uplinkd
