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
