#include "sources/hook_env.hpp"
#include "sources/hook_fields.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {

using namespace hook;

namespace {

// Protocols whose events say nothing about an IPv4 lease: IPv6 (learned from the kernel so far) and IPv4
// link-local.
bool is_ignored_protocol(std::string_view protocol) {
  return protocol == "dhcp6" || protocol == "ipv6ra" || protocol == "ra" || protocol == "ipv4ll";
}

}  // namespace

HookEvent parse_dhcpcd(const Environment& env) {
  HookEvent event;
  event.client = DhcpClient::dhcpcd;
  event.reason = std::string(required_value(env, "reason", "is this run by dhcpcd-run-hooks?"));
  event.change = known_reason(DhcpClient::dhcpcd, "reason", event.reason);
  event.interface = interface_name(env, "interface");
  if (auto protocol = optional_value(env, "protocol")) {
    if (!is_plain_interface_name(*protocol))  // same alphabet as an interface name, and as short
      fail("protocol", quoted(*protocol) + " is not a dhcpcd protocol name");
    if (is_ignored_protocol(*protocol)) event.change = LeaseChange::ignore;
  }
  if (event.change == LeaseChange::ignore) return event;

  if (event.change == LeaseChange::up) {
    event.address = lease_prefix(env, "new_ip_address", {{"new_subnet_cidr", true}, {"new_subnet_mask"}});
    take_routers(event, ipv4_address_list(env, "new_routers"));
  }
  event.old_address =
      optional_lease_prefix(env, "old_ip_address", {{"old_subnet_cidr", true}, {"old_subnet_mask"}});
  return event;
}

}  // namespace uplinkd
