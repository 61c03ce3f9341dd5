// SPDX-License-Identifier: GPL-2.0-or-later
// Typed objects to rtnetlink messages and back. Encoders write one request into a caller's buffer and return
// it, or nullptr when it does not fit; the caller sets nlmsg_seq. Decoders return nullopt for a message of
// another kind or one that is malformed, and ignore attributes they do not know (a newer kernel's).
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <optional>
#include <span>

#include "netlink/objects.hpp"

namespace uplinkd::netlink {

// add: NLM_F_CREATE|NLM_F_EXCL; replace: NLM_F_CREATE|NLM_F_REPLACE; remove: RTM_DEL*. Every request asks for
// an ack.
enum class Operation { add, replace, remove };

nlmsghdr* encode_link(std::span<char> buffer, const Link& link);  // sets IFF_UP as link.admin_up says
nlmsghdr* encode_address(std::span<char> buffer, Operation operation, const Address& address);
nlmsghdr* encode_route(std::span<char> buffer, Operation operation, const Route& route);
nlmsghdr* encode_rule(std::span<char> buffer, Operation operation, const Rule& rule);
nlmsghdr* encode_nexthop(std::span<char> buffer, Operation operation, const Nexthop& nexthop);

std::optional<Link> decode_link(const nlmsghdr* message);                 // RTM_NEWLINK, RTM_DELLINK
std::optional<LinkTraffic> decode_link_traffic(const nlmsghdr* message);  // RTM_NEWLINK with IFLA_STATS64
std::optional<Address> decode_address(const nlmsghdr* message);           // RTM_NEWADDR, RTM_DELADDR
std::optional<Route> decode_route(const nlmsghdr* message);               // RTM_NEWROUTE, RTM_DELROUTE
std::optional<Rule> decode_rule(const nlmsghdr* message);                 // RTM_NEWRULE, RTM_DELRULE
std::optional<Nexthop> decode_nexthop(const nlmsghdr* message);           // RTM_NEWNEXTHOP, RTM_DELNEXTHOP

// Dump requests (NLM_F_DUMP). Route dumps carry the table and protocol so that a kernel with strict checking
// filters them itself; 0 means any.
nlmsghdr* encode_link_dump(std::span<char> buffer);
nlmsghdr* encode_address_dump(std::span<char> buffer, Family family);
nlmsghdr* encode_route_dump(std::span<char> buffer, Family family, uint32_t table, uint8_t protocol);
nlmsghdr* encode_rule_dump(std::span<char> buffer, Family family);
nlmsghdr* encode_nexthop_dump(std::span<char> buffer);

// Enough for any single object uplinkd writes (a multipath route with a few hundred legs fits).
inline constexpr size_t kMaxRequestSize = 16384;

}  // namespace uplinkd::netlink
