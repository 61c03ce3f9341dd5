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

  bool operator==(const HookEvent&) const = default;
};

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
