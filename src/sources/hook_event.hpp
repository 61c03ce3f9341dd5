// SPDX-License-Identifier: GPL-2.0-or-later
// What a DHCP client's hook tells uplinkd: a lease appeared, changed or went away on an interface.
// `uplinkctl hook` builds one from the client's environment and sends it to the daemon as JSON.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.hpp"

namespace uplinkd {

enum class DhcpClient { dhclient, dhcpcd, udhcpc };
enum class LeaseChange {
  up,      // BOUND, RENEW, REBIND, REBOOT (dhclient/dhcpcd), bound/renew (udhcpc): the lease below is current
  down,    // EXPIRE, FAIL, RELEASE, STOP, NAK, deconfig, ...: the interface has no lease any more
  ignore,  // PREINIT, MEDIUM, TIMEOUT without a lease, leasefail, ...: nothing for uplinkd to do
};
// The same for a DHCPv6 lease (reasons BOUND6, EXPIRE6, ...): up and down speak of the delegated prefixes.

// More than any ISP delegates to one router (RFC 7084 asks for one prefix), few enough that neither a
// request nor a stream of dhclient calls makes the daemon hold an unbounded list or plan that many rules.
inline constexpr size_t kMaxDelegatedPrefixes = 16;

// Enough routers for any real lease (the option holds 63), few enough that a request cannot balloon. A lease
// with more keeps the first ones; the rest are counted in HookEvent::ignored_routers.
inline constexpr size_t kMaxRouters = 64;

// A router of the lease that cannot be a next hop (gateway_problem() in common/ip.hpp says why).
struct RefusedRouter {
  IpAddress address;
  std::string why;  // "is the limited broadcast address"
  bool operator==(const RefusedRouter&) const = default;
};

struct HookEvent {
  DhcpClient client = DhcpClient::dhclient;
  std::string interface;
  std::string reason;  // as the client said it, for logs
  LeaseChange change = LeaseChange::ignore;
  std::optional<Prefix> address;   // the new lease's address and subnet length (change == up)
  std::vector<IpAddress> routers;  // the new lease's usable routers, in the order the server gave them
  std::vector<RefusedRouter> refused_routers = {};  // its routers that are no unicast next hop, in that order
  size_t ignored_routers = 0;                       // routers given past the first kMaxRouters
  std::optional<Prefix> old_address;                // the previous lease, when the client says so
  // Which lease the event is about: the interface's DHCP (IPv4) lease or its DHCPv6 lease, two leases that
  // come and go independently. Follows from the reason (hook_reasons.hpp). For IPv6, address and
  // old_address are the IA_NA address, for logs only (routing takes addresses from the kernel), and routers
  // stay empty (DHCPv6 has none: the router comes from router advertisements).
  Family family = Family::v4;
  // IPv6: prefixes delegated to the interface (IA_PD) that the event says are valid, and those it says are
  // gone (valid lifetime 0, expired, released). Whether `delegated` is the whole lease or one binding of it
  // depends on the client: reports_whole_lease6().
  std::vector<Prefix> delegated = {};
  std::vector<Prefix> withdrawn = {};

  bool operator==(const HookEvent&) const = default;
};

// dhcpcd passes the whole DHCPv6 lease to every hook call: its delegated prefixes are all there are, and a
// down event ends all of them. dhclient runs its script once per binding (an IA_NA address or one IA_PD
// prefix) with that binding's values only (ISC dhclient's start_bound() and unconfigure6()), so its events
// add or withdraw the prefixes they name and leave the others alone.
bool reports_whole_lease6(DhcpClient client);

// "dhclient REBIND6 on wan1: delegated 2001:db8:1:200::/60; withdrawn 2001:db8:1:100::/60", for the log
// (a DHCPv6 event's IA_NA address too: "dhclient BOUND6 on wan1: address 2001:db8:1::101/128").
std::string describe(const HookEvent& event);

// Sorts a lease's routers, as the server gave them, into event.routers and event.refused_routers, judging
// each against event.address (set it first), and keeps at most kMaxRouters of them.
void take_routers(HookEvent& event, const std::vector<IpAddress>& given);

using Environment = std::map<std::string, std::string>;

// The words used on the command line (`uplinkctl hook --client dhcpcd`), in JSON and in logs.
std::string_view to_string(DhcpClient client);
std::string_view to_string(LeaseChange change);
std::optional<DhcpClient> dhcp_client_from_string(std::string_view text);
std::optional<LeaseChange> lease_change_from_string(std::string_view text);

}  // namespace uplinkd
