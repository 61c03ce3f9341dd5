#include "sources/hook_env.hpp"
#include "sources/hook_fields.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {

using namespace hook;

HookEvent parse_dhclient(const Environment& env) {
  HookEvent event;
  event.client = DhcpClient::dhclient;
  event.reason = std::string(required_value(env, "reason", "is this run by dhclient-script?"));
  event.change = known_reason(DhcpClient::dhclient, "reason", event.reason);
  event.interface = interface_name(env, "interface");

  if (event.reason == "TIMEOUT") {
    // dhclient-script(8): the script tests the old lease it is handed and exits 0 if it is usable, and
    // dhclient keeps the lease exactly then. Debian's script flushes the address when the test fails.
    auto status = optional_value(env, "exit_status");
    if (status) event.change = *status == "0" ? LeaseChange::up : LeaseChange::down;
  }
  if (event.change == LeaseChange::ignore) return event;

  if (event.change == LeaseChange::up) {
    event.address = lease_prefix(env, "new_ip_address", {{"new_subnet_mask"}});
    take_routers(event, ipv4_address_list(env, "new_routers"));
  }
  event.old_address = optional_lease_prefix(env, "old_ip_address", {{"old_subnet_mask"}});
  return event;
}

}  // namespace uplinkd
