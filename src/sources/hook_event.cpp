// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/hook_event.hpp"

#include "common/error.hpp"

namespace uplinkd {

void take_routers(HookEvent& event, const std::vector<IpAddress>& given) {
  for (const auto& router : given) {
    if (event.routers.size() + event.refused_routers.size() == kMaxRouters) {
      ++event.ignored_routers;
    } else if (auto problem = gateway_problem(router, event.address)) {
      event.refused_routers.push_back({router, std::move(*problem)});
    } else {
      event.routers.push_back(router);
    }
  }
}

bool reports_whole_lease6(DhcpClient client) {
  return client == DhcpClient::dhcpcd;
}

std::string describe(const HookEvent& event) {
  std::string text = std::string(to_string(event.client)) + " " + event.reason + " on " + event.interface;
  const char* separator = ": ";
  auto list = [&](const char* what, const std::vector<Prefix>& prefixes) {
    if (prefixes.empty()) return;
    text += separator + std::string(what);
    separator = "; ";
    for (const auto& prefix : prefixes) text += " " + prefix.to_string();
  };
  // The IA_NA address of a DHCPv6 event; an IPv4 lease's address is logged where it is used.
  if (event.family == Family::v6 && event.address) list("address", {*event.address});
  list("delegated", event.delegated);
  list("withdrawn", event.withdrawn);
  return text;
}

std::string_view to_string(DhcpClient client) {
  switch (client) {
    case DhcpClient::dhclient:
      return "dhclient";
    case DhcpClient::dhcpcd:
      return "dhcpcd";
    case DhcpClient::udhcpc:
      return "udhcpc";
  }
  UPLINKD_ASSERT(false, "DhcpClient out of range");
}

std::string_view to_string(LeaseChange change) {
  switch (change) {
    case LeaseChange::up:
      return "up";
    case LeaseChange::down:
      return "down";
    case LeaseChange::ignore:
      return "ignore";
  }
  UPLINKD_ASSERT(false, "LeaseChange out of range");
}

std::optional<DhcpClient> dhcp_client_from_string(std::string_view text) {
  for (auto client : {DhcpClient::dhclient, DhcpClient::dhcpcd, DhcpClient::udhcpc})
    if (to_string(client) == text) return client;
  return std::nullopt;
}

std::optional<LeaseChange> lease_change_from_string(std::string_view text) {
  for (auto change : {LeaseChange::up, LeaseChange::down, LeaseChange::ignore})
    if (to_string(change) == text) return change;
  return std::nullopt;
}

}  // namespace uplinkd
