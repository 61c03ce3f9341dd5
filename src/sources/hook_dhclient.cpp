// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>

#include "sources/hook_env.hpp"
#include "sources/hook_fields.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {

using namespace hook;

namespace {

// dhclient -6 runs its script once per binding of the lease, with that binding's values only: an IA_NA
// address (new_ip6_address, new_ip6_prefixlen) or an IA_PD prefix (new_ip6_prefix, "2001:db8:1:100::/60"),
// its lifetimes (new_max_life, new_preferred_life) and, when the previous lease had the same binding, the
// old_ ones. A prefix the server takes back comes once more with valid lifetime 0, then as EXPIRE6 with
// old_ip6_prefix; RELEASE6 and STOP6 name each binding in old_*. (Captured from dhclient 4.4.3 against Kea.)
void read_dhcpv6(HookEvent& event, const Environment& env) {
  if (event.change == LeaseChange::up) {
    if (auto prefix = optional_delegated_prefix(env, "new_ip6_prefix")) {
      if (optional_lifetime(env, "new_max_life") == 0u)
        event.withdrawn.push_back(*prefix);
      else
        event.delegated.push_back(*prefix);
    }
    event.address = optional_ipv6_lease(env, "new_ip6_address", "new_ip6_prefixlen");
  }
  if (auto old = optional_delegated_prefix(env, "old_ip6_prefix")) {
    auto named = [&](const std::vector<Prefix>& prefixes) {
      return std::find(prefixes.begin(), prefixes.end(), *old) != prefixes.end();
    };
    if (!named(event.delegated) && !named(event.withdrawn)) event.withdrawn.push_back(*old);
  }
  event.old_address = optional_ipv6_lease(env, "old_ip6_address", "old_ip6_prefixlen");
}

}  // namespace

HookEvent parse_dhclient(const Environment& env) {
  HookEvent event;
  event.client = DhcpClient::dhclient;
  event.reason = std::string(required_value(env, "reason", "is this run by dhclient-script?"));
  event.change = known_reason(DhcpClient::dhclient, "reason", event.reason);
  event.family = *hook_reason_family(DhcpClient::dhclient, event.reason);
  event.interface = interface_name(env, "interface");

  if (event.reason == "TIMEOUT") {
    // dhclient-script(8): the script tests the old lease it is handed and exits 0 if it is usable, and
    // dhclient keeps the lease exactly then. Debian's script flushes the address when the test fails.
    auto status = optional_value(env, "exit_status");
    if (status) event.change = *status == "0" ? LeaseChange::up : LeaseChange::down;
  }
  if (event.change == LeaseChange::ignore) return event;
  if (event.family == Family::v6) {
    read_dhcpv6(event, env);
    return event;
  }

  if (event.change == LeaseChange::up) {
    event.address = lease_prefix(env, "new_ip_address", {{"new_subnet_mask"}});
    take_routers(event, ipv4_address_list(env, "new_routers"));
  }
  event.old_address = optional_lease_prefix(env, "old_ip_address", {{"old_subnet_mask"}});
  return event;
}

}  // namespace uplinkd
