// SPDX-License-Identifier: GPL-2.0-or-later
// Typed kernel objects. The netlink layer turns these into messages and back; nothing above src/netlink/
// ever sees an nlmsghdr. Field defaults are what the kernel assumes when an attribute is absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "common/traffic_match.hpp"

namespace uplinkd::netlink {

struct Link {
  uint32_t index = 0;
  std::string name;
  bool admin_up = false;  // IFF_UP
  bool carrier = false;   // IFF_LOWER_UP
  bool operator==(const Link&) const = default;
};

// A link's counters since it was made (IFLA_STATS64), for /metrics and the status page's traffic shares.
struct LinkTraffic {
  uint32_t index = 0;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

struct Address {
  uint32_t ifindex = 0;
  Prefix local;        // the interface's own address with the subnet's length, e.g. 100.64.1.10/24
  uint8_t scope = 0;   // RT_SCOPE_UNIVERSE
  uint32_t flags = 0;  // IFA_F_*: an IPv6 address is tentative during DAD, deprecated, temporary (privacy)
  bool operator==(const Address&) const = default;
};

struct RouteNexthop {  // one leg of an RTA_MULTIPATH route
  std::optional<IpAddress> gateway;
  uint32_t ifindex = 0;
  uint16_t weight = 1;  // 1..256, as `ip route ... nexthop weight N`
  bool onlink = false;
  bool operator==(const RouteNexthop&) const = default;
};

struct Route {
  Prefix destination;     // its family is the route's family
  uint32_t table = 254;   // RT_TABLE_MAIN
  uint8_t protocol = 4;   // RTPROT_STATIC
  uint8_t scope = 0;      // RT_SCOPE_UNIVERSE; RT_SCOPE_LINK (253) for connected routes
  uint8_t type = 1;       // RTN_UNICAST
  uint32_t priority = 0;  // the metric
  std::optional<IpAddress> gateway;
  uint32_t oif = 0;
  std::optional<IpAddress> prefsrc;
  uint32_t nexthop_id = 0;  // RTA_NH_ID; when set, gateway/oif/multipath are absent
  std::vector<RouteNexthop> multipath;
  bool onlink = false;

  Family family() const { return destination.family(); }
  bool operator==(const Route&) const = default;
};

struct Rule {
  Family family = Family::v4;
  uint32_t priority = 0;
  uint32_t table = 0;
  uint8_t action = 1;  // FR_ACT_TO_TBL
  uint8_t protocol = 0;
  std::optional<Prefix> source;
  std::optional<Prefix> destination;
  uint32_t fwmark = 0;
  uint32_t fwmask = 0;
  std::optional<uint32_t> suppress_prefixlength;
  std::string iifname;
  std::string oifname;
  uint8_t ip_proto = 0;  // 0: any
  std::optional<PortRange> dport;
  bool operator==(const Rule&) const = default;
};

struct NexthopGroupMember {
  uint32_t id = 0;
  uint16_t weight = 1;  // 1..256
  bool operator==(const NexthopGroupMember&) const = default;
};

enum class NexthopGroupType : uint8_t { multipath = 0, resilient = 1 };  // NEXTHOP_GRP_TYPE_*

struct ResilientGroupParams {
  uint16_t buckets = 128;
  uint32_t idle_timer_s = 120;
  uint32_t unbalanced_timer_s = 0;
  bool operator==(const ResilientGroupParams&) const = default;
};

// A nexthop object (RTM_NEWNEXTHOP): either a single gateway/device, or a group of other nexthops.
struct Nexthop {
  uint32_t id = 0;
  // Groups travel as AF_UNSPEC: the kernel does not record a group's family, so the codec encodes a group
  // with AF_UNSPEC and decodes it as v4, and the applier's diff ignores `family` for groups.
  Family family = Family::v4;
  uint8_t protocol = 0;
  // single nexthop
  std::optional<IpAddress> gateway;
  uint32_t ifindex = 0;
  bool onlink = false;
  bool blackhole = false;
  // group
  std::vector<NexthopGroupMember> group;
  NexthopGroupType group_type = NexthopGroupType::multipath;
  std::optional<ResilientGroupParams> resilient;

  bool is_group() const { return !group.empty(); }
  bool operator==(const Nexthop&) const = default;
};

}  // namespace uplinkd::netlink
