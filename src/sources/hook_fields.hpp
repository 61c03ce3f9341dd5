// SPDX-License-Identifier: GPL-2.0-or-later
// Reading a DHCP client's hook variables. Every value is untrusted (it comes from a DHCP server, through a
// shell script), so each is checked here and every failure is an InputError naming the variable:
//   hook environment: new_ip_address "10.0.0.x" is not an IPv4 address
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "sources/hook_event.hpp"

namespace uplinkd::hook {

// Longer values are refused before they are looked at: 2048 bytes hold 128 routers, far more than the
// 255-byte routers option can carry, so anything longer is garbage.
inline constexpr size_t kMaxValueLength = 2048;

// The name of an interface that uplinkd accepts: 1–15 bytes of [A-Za-z0-9_.-], not "." or "..".
// Stricter than the kernel (which allows any byte but '/', ':', whitespace and NUL): names travel into
// nft scripts, logs and shell hooks, and a name with quotes or `$(...)` in it is an attack, not an uplink.
bool is_plain_interface_name(std::string_view name);

// `value` for an error message: in quotes, non-printable bytes escaped, cut at 64 bytes.
std::string quoted(std::string_view value);

[[noreturn]] void fail(std::string_view variable, std::string problem, std::string hint = {});

// The variable's value; nullopt when it is unset or empty (shells cannot tell those apart reliably).
std::optional<std::string_view> optional_value(const Environment& env, std::string_view variable);
std::string_view required_value(const Environment& env, std::string_view variable,
                                std::string_view hint = {});

std::string interface_name(const Environment& env, std::string_view variable);
IpAddress ipv4_address(std::string_view variable, std::string_view text);
uint8_t netmask_length(std::string_view variable, std::string_view text);  // "255.255.255.0" → 24
uint8_t cidr_length(std::string_view variable, std::string_view text,
                    uint8_t max = 32);  // "24" → 24, 0–max

// A space-separated list of IPv4 addresses ("100.64.1.1 100.64.1.2"); an unset variable is an empty list.
// Only the syntax is checked here: whether each can be a router is take_routers()'s call (hook_event.hpp).
std::vector<IpAddress> ipv4_address_list(const Environment& env, std::string_view variable);

// A lease's address with its subnet length. `length_variables` are tried in order: each is either a
// dotted netmask or a cidr length (`cidr` says which); when several are set they must agree.
struct LengthVariable {
  std::string_view name;
  bool cidr = false;
};
Prefix lease_prefix(const Environment& env, std::string_view address_variable,
                    std::initializer_list<LengthVariable> length_variables);
// The same when the address is optional (old_*): nullopt when the address variable is unset. With the
// address but no length variable the lease is taken as a host prefix: clients always give both, and the
// state layer matches an old lease by its address.
std::optional<Prefix> optional_lease_prefix(const Environment& env, std::string_view address_variable,
                                            std::initializer_list<LengthVariable> length_variables);

// DHCPv6 (hook_fields6.cpp). Delegated prefixes are judged by delegated_prefix_problem() (common/ip.hpp).

// A delegated prefix in one word, "2001:db8:1:100::/56" (dhclient's new_ip6_prefix); nullopt when unset.
std::optional<Prefix> optional_delegated_prefix(const Environment& env, std::string_view variable);
// One given as an address and a length in two variables (dhcpcd's new_dhcp6_ia_pd1_prefix1 and
// new_dhcp6_ia_pd1_prefix1_length); both must be set.
Prefix delegated_prefix(const Environment& env, std::string_view address_variable,
                        std::string_view length_variable);
// An IA_NA address with its length (dhclient: new_ip6_address and new_ip6_prefixlen, 128 when unset);
// nullopt when the address variable is unset.
std::optional<Prefix> optional_ipv6_lease(const Environment& env, std::string_view address_variable,
                                          std::string_view length_variable);
// A lifetime in seconds, "0" to "4294967295" (infinity); nullopt when unset.
std::optional<uint32_t> optional_lifetime(const Environment& env, std::string_view variable);

}  // namespace uplinkd::hook
