// SPDX-License-Identifier: GPL-2.0-or-later
#include <cctype>

#include "sources/hook_env.hpp"
#include "sources/hook_fields.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {

using namespace hook;

namespace {

bool is_ipv6_protocol(std::string_view protocol) {
  return protocol == "dhcp6" || protocol == "ipv6ra" || protocol == "ra" || protocol == "static6";
}

// "new_dhcp6_ia_pd1_prefix2" → true: dhcpcd's name for the second prefix of the first IA_PD
// (dhcpcd-definitions.conf: option 25 `index embed ia_pd`, encapsulating 26 `index embed prefix`).
bool is_delegated_prefix_variable(std::string_view name) {
  constexpr std::string_view kHead = "new_dhcp6_ia_pd";
  constexpr std::string_view kMiddle = "_prefix";
  auto digits = [](std::string_view text) {
    size_t count = 0;
    while (count < text.size() && std::isdigit(static_cast<unsigned char>(text[count]))) ++count;
    return count;
  };
  if (!name.starts_with(kHead)) return false;
  name.remove_prefix(kHead.size());
  size_t index = digits(name);
  if (index == 0 || !name.substr(index).starts_with(kMiddle)) return false;
  name.remove_prefix(index + kMiddle.size());
  size_t prefix = digits(name);
  return prefix > 0 && prefix == name.size();
}

// Every call carries the whole lease: one new_dhcp6_ia_pdN_prefixM (an address) with _length, _pltime and
// _vltime per delegated prefix. A prefix the server takes back comes with _vltime 0 (captured from dhcpcd
// 9.4.1 against Kea). The old_* values are not needed: the new list replaces the old one.
void read_dhcpv6(HookEvent& event, const Environment& env) {
  if (event.change != LeaseChange::up) return;
  // The environment is sorted: the IA_PD variables are one run of it.
  for (auto it = env.lower_bound("new_dhcp6_ia_pd");
       it != env.end() && it->first.starts_with("new_dhcp6_ia_pd"); ++it) {
    if (!is_delegated_prefix_variable(it->first) || it->second.empty()) continue;
    auto prefix = delegated_prefix(env, it->first, it->first + "_length");
    auto& list = optional_lifetime(env, it->first + "_vltime") == 0u ? event.withdrawn : event.delegated;
    if (event.delegated.size() + event.withdrawn.size() == kMaxDelegatedPrefixes)
      fail(it->first, "is one delegated prefix too many: uplinkd takes at most " +
                          std::to_string(kMaxDelegatedPrefixes) + " per lease");
    list.push_back(prefix);
  }
  event.address = optional_ipv6_lease(env, "new_dhcp6_ia_na1_ia_addr1", "");
}

}  // namespace

HookEvent parse_dhcpcd(const Environment& env) {
  HookEvent event;
  event.client = DhcpClient::dhcpcd;
  event.reason = std::string(required_value(env, "reason", "is this run by dhcpcd-run-hooks?"));
  event.change = known_reason(DhcpClient::dhcpcd, "reason", event.reason);
  event.family = *hook_reason_family(DhcpClient::dhcpcd, event.reason);
  event.interface = interface_name(env, "interface");
  if (auto protocol = optional_value(env, "protocol")) {
    if (!is_plain_interface_name(*protocol))  // same alphabet as an interface name, and as short
      fail("protocol", quoted(*protocol) + " is not a dhcpcd protocol name");
    // IPv4 link-local is never an uplink; and a reason of one family with the other's protocol says
    // nothing certain about either lease.
    if (*protocol == "ipv4ll" || is_ipv6_protocol(*protocol) != (event.family == Family::v6))
      event.change = LeaseChange::ignore;
  }
  if (event.change == LeaseChange::ignore) return event;
  if (event.family == Family::v6) {
    read_dhcpv6(event, env);
    return event;
  }

  if (event.change == LeaseChange::up) {
    event.address = lease_prefix(env, "new_ip_address", {{"new_subnet_cidr", true}, {"new_subnet_mask"}});
    take_routers(event, ipv4_address_list(env, "new_routers"));
  }
  event.old_address =
      optional_lease_prefix(env, "old_ip_address", {{"old_subnet_cidr", true}, {"old_subnet_mask"}});
  return event;
}

}  // namespace uplinkd
