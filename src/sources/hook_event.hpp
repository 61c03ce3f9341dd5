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

struct HookEvent {
  DhcpClient client = DhcpClient::dhclient;
  std::string interface;
  std::string reason;  // as the client said it, for logs
  LeaseChange change = LeaseChange::ignore;
  std::optional<Prefix> address;      // the new lease's address and subnet length (change == up)
  std::vector<IpAddress> routers;     // the new lease's routers, in the order the server gave them
  std::optional<Prefix> old_address;  // the previous lease, when the client says so

  bool operator==(const HookEvent&) const = default;
};

using Environment = std::map<std::string, std::string>;

// The words used on the command line (`uplinkctl hook --client dhcpcd`), in JSON and in logs.
std::string_view to_string(DhcpClient client);
std::string_view to_string(LeaseChange change);
std::optional<DhcpClient> dhcp_client_from_string(std::string_view text);
std::optional<LeaseChange> lease_change_from_string(std::string_view text);

}  // namespace uplinkd
