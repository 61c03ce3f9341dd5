// SPDX-License-Identifier: GPL-2.0-or-later
// Real-looking hook environments, taken from what each client sets (dhclient-script(8),
// dhcpcd-run-hooks(8) and dhcpcd's 01-test hook, busybox udhcpc's fill_envp()), for the hook parser tests.
#pragma once

#include <gmock/gmock.h>

#include <functional>
#include <string>

#include "common/error.hpp"
#include "sources/hook_event.hpp"

namespace uplinkd::testing {

inline Environment dhclient_bound() {
  return {
      {"reason", "BOUND"},
      {"interface", "eth1"},
      {"medium", ""},
      {"new_ip_address", "100.64.1.10"},
      {"new_subnet_mask", "255.255.255.0"},
      {"new_network_number", "100.64.1.0"},
      {"new_broadcast_address", "100.64.1.255"},
      {"new_routers", "100.64.1.1"},
      {"new_domain_name_servers", "100.64.1.1 9.9.9.9"},
      {"new_domain_name", "isp-a.example"},
      {"new_dhcp_lease_time", "600"},
      {"new_dhcp_server_identifier", "100.64.1.1"},
      {"new_dhcp_message_type", "5"},
      {"new_expiry", "1767225600"},
      {"requested_subnet_mask", "1"},
      {"requested_routers", "1"},
      {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
  };
}

inline Environment dhcpcd_bound() {
  return {
      {"interface", "wwan0"},
      {"pid", "812"},
      {"reason", "BOUND"},
      {"protocol", "dhcp"},
      {"ifcarrier", "up"},
      {"ifflags", "69699"},
      {"ifmetric", "1003"},
      {"ifmtu", "1500"},
      {"ifwireless", "0"},
      {"if_up", "true"},
      {"if_down", "false"},
      {"interface_order", "lo eth1 wwan0"},
      {"af_waiting", ""},
      {"new_ip_address", "10.20.30.40"},
      {"new_subnet_cidr", "22"},
      {"new_subnet_mask", "255.255.252.0"},
      {"new_network_number", "10.20.28.0"},
      {"new_broadcast_address", "10.20.31.255"},
      {"new_routers", "10.20.28.1"},
      {"new_domain_name_servers", "10.20.28.1"},
      {"new_dhcp_lease_time", "7200"},
      {"new_dhcp_server_identifier", "10.20.28.1"},
      {"new_dhcp_message_type", "5"},
  };
}

inline Environment udhcpc_bound() {
  return {
      {"interface", "eth2"},
      {"ip", "192.0.2.77"},
      {"siaddr", "192.0.2.1"},
      {"subnet", "255.255.255.128"},
      {"mask", "25"},
      {"router", "192.0.2.1 192.0.2.2"},
      {"dns", "192.0.2.1"},
      {"domain", "isp-c.example"},
      {"lease", "3600"},
      {"serverid", "192.0.2.1"},
      {"broadcast", "192.0.2.127"},
      {"opt53", "05"},
  };
}

// Captured from dhclient 4.4.3 (`dhclient -6 -P -N`) against kea-dhcp6 2.2 in
// tests/integration/dhcpv6_test.sh's topology: one call per binding, the IA_NA address first, then the IA_PD
// prefix.
inline Environment dhclient6_bound_address() {
  return {
      {"dad_wait_time", "0"},
      {"interface", "wan1"},
      {"new_dhcp6_client_id", "0:1:0:1:32:a6:93:8a:3e:8e:76:52:57:4"},
      {"new_dhcp6_server_id", "0:1:0:1:32:a6:93:88:12:16:4d:c6:93:62"},
      {"new_iaid", "76:52:57:04"},
      {"new_ip6_address", "2001:db8:1::100"},
      {"new_ip6_prefixlen", "128"},
      {"new_life_starts", "1796462348"},
      {"new_max_life", "60"},
      {"new_preferred_life", "40"},
      {"new_rebind", "30"},
      {"new_renew", "20"},
      {"new_starts", "1796462348"},
      {"pid", "29346"},
      {"reason", "BOUND6"},
      {"requested_dhcp6_domain_search", "1"},
      {"requested_dhcp6_fqdn", "1"},
      {"requested_dhcp6_name_servers", "1"},
      {"requested_dhcp6_sntp_servers", "1"},
  };
}

inline Environment dhclient6_bound_prefix() {
  auto env = dhclient6_bound_address();
  env.erase("new_ip6_address");
  env.erase("new_ip6_prefixlen");
  env["new_ip6_prefix"] = "2001:db8:1:100::/60";
  return env;
}

// dhcpcd 9.4.1 with `ia_na 1` and `ia_pd 2`, against kea-dhcp6 2.2: the whole lease in each call.
inline Environment dhcpcd6_bound() {
  return {
      {"if_configured", "true"},
      {"if_down", "false"},
      {"if_up", "true"},
      {"ifcarrier", "up"},
      {"ifflags", "69699"},
      {"ifmetric", "1003"},
      {"ifmtu", "1500"},
      {"ifwireless", "0"},
      {"interface", "wan2"},
      {"interface_order", "wan2"},
      {"new_dhcp6_client_id", "0001000132a6938aaab58242fb57"},
      {"new_dhcp6_ia_na1_ia_addr1", "2001:db8:2::100"},
      {"new_dhcp6_ia_na1_ia_addr1_pltime", "40"},
      {"new_dhcp6_ia_na1_ia_addr1_vltime", "60"},
      {"new_dhcp6_ia_na1_iaid", "00000001"},
      {"new_dhcp6_ia_na1_t1", "20"},
      {"new_dhcp6_ia_na1_t2", "30"},
      {"new_dhcp6_ia_pd1_iaid", "00000002"},
      {"new_dhcp6_ia_pd1_prefix1", "2001:db8:2:100::"},
      {"new_dhcp6_ia_pd1_prefix1_length", "60"},
      {"new_dhcp6_ia_pd1_prefix1_pltime", "40"},
      {"new_dhcp6_ia_pd1_prefix1_vltime", "60"},
      {"new_dhcp6_ia_pd1_t1", "20"},
      {"new_dhcp6_ia_pd1_t2", "30"},
      {"new_dhcp6_server_id", "0001000132a69388926c2d7e570f"},
      {"pid", "29358"},
      {"protocol", "dhcp6"},
      {"reason", "BOUND6"},
      {"syslog_debug", "true"},
  };
}

// The REBIND6 after the server was restarted with another prefix pool: the new prefix, and the old one
// with lifetimes 0 (RFC 8415 18.3.4: a server returns what the client may no longer use with lifetimes 0).
inline Environment dhcpcd6_renumbered() {
  auto env = dhcpcd6_bound();
  env["reason"] = "REBIND6";
  env["new_dhcp6_server_id"] = "0001000132a69397926c2d7e570f";
  env["new_dhcp6_ia_pd1_prefix1"] = "2001:db8:2:200::";
  env["new_dhcp6_ia_pd1_prefix2"] = "2001:db8:2:100::";
  env["new_dhcp6_ia_pd1_prefix2_length"] = "60";
  env["new_dhcp6_ia_pd1_prefix2_pltime"] = "0";
  env["new_dhcp6_ia_pd1_prefix2_vltime"] = "0";
  for (const auto& [name, value] : dhcpcd6_bound())
    if (name.starts_with("new_dhcp6_")) env["old_" + name.substr(4)] = value;
  return env;
}

inline Environment with(Environment env, const std::string& name, const std::string& value) {
  env[name] = value;
  return env;
}

inline Environment without(Environment env, const std::string& name) {
  env.erase(name);
  return env;
}

// Runs `call`, expecting an InputError whose message contains `text`.
inline void expect_input_error(const std::function<void()>& call, const std::string& text) {
  try {
    call();
    ADD_FAILURE() << "no InputError, expected one saying: " << text;
  } catch (const InputError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr(text));
  }
}

}  // namespace uplinkd::testing
