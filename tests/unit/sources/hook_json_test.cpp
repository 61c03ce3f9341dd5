// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/hook_json.hpp"

#include <gtest/gtest.h>

#include "hook_test_support.hpp"
#include "sources/hook_env.hpp"

namespace uplinkd {
namespace {

using nlohmann::json;
using testing::dhclient_bound;
using testing::dhcpcd_bound;
using testing::expect_input_error;
using testing::udhcpc_bound;
using testing::with;

HookEvent round_trip(const HookEvent& event) {
  return hook_event_from_json(json::parse(hook_event_to_json(event).dump()));
}

TEST(HookJson, WireFormat) {
  auto env = with(with(dhclient_bound(), "old_ip_address", "100.64.1.9"), "old_subnet_mask", "255.255.255.0");
  EXPECT_EQ(hook_event_to_json(parse_dhclient(env)), json::parse(R"({
    "client": "dhclient", "interface": "eth1", "reason": "BOUND", "change": "up",
    "address": "100.64.1.10/24", "routers": ["100.64.1.1"], "old_address": "100.64.1.9/24"})"));
}

TEST(HookJson, AbsentAddressesAreLeftOut) {
  auto event = parse_udhcpc({"deconfig"}, {{"interface", "eth2"}});
  EXPECT_EQ(hook_event_to_json(event), json::parse(R"({
    "client": "udhcpc", "interface": "eth2", "reason": "deconfig", "change": "down", "routers": []})"));
}

TEST(HookJson, RoundTripsEveryClient) {
  std::vector<HookEvent> events = {
      parse_dhclient(dhclient_bound()),
      parse_dhclient({{"reason", "EXPIRE"},
                      {"interface", "eth1"},
                      {"old_ip_address", "100.64.1.10"},
                      {"old_subnet_mask", "255.255.255.0"}}),
      parse_dhclient(with(dhclient_bound(), "reason", "PREINIT")),
      parse_dhcpcd(dhcpcd_bound()),
      parse_dhcpcd(with(dhcpcd_bound(), "reason", "NOCARRIER")),
      parse_udhcpc({"bound"}, udhcpc_bound()),
      parse_udhcpc({"leasefail"}, udhcpc_bound()),
      parse_dhclient(with(dhclient_bound(), "new_subnet_mask", "0.0.0.0")),  // length 0 is not "default"
      parse_dhclient(testing::dhclient6_bound_address()),
      parse_dhclient(testing::dhclient6_bound_prefix()),
      parse_dhclient(
          {{"reason", "EXPIRE6"}, {"interface", "wan1"}, {"old_ip6_prefix", "2001:db8:1:100::/60"}}),
      parse_dhcpcd(testing::dhcpcd6_bound()),
      parse_dhcpcd(testing::dhcpcd6_renumbered()),
      parse_dhcpcd(with(testing::dhcpcd6_bound(), "reason", "STOP6")),
  };
  for (const auto& event : events) EXPECT_EQ(round_trip(event), event) << hook_event_to_json(event).dump();
}

TEST(HookJson, Dhcpv6WireFormat) {
  EXPECT_EQ(hook_event_to_json(parse_dhcpcd(testing::dhcpcd6_renumbered())), json::parse(R"({
    "client": "dhcpcd", "interface": "wan2", "reason": "REBIND6", "change": "up", "routers": [],
    "address": "2001:db8:2::100/128",
    "delegated": ["2001:db8:2:200::/60"], "withdrawn": ["2001:db8:2:100::/60"]})"));
}

// The family is the reason's: a DHCPv6 reason is read as one whatever else the request says.
TEST(HookJson, TheReasonGivesTheFamily) {
  auto event = hook_event_from_json(json::parse(R"({"client": "dhclient", "interface": "wan1",
    "reason": "BOUND6", "change": "up", "delegated": ["2001:db8:1:100::/60"]})"));
  EXPECT_EQ(event.family, Family::v6);
  EXPECT_EQ(event.address, std::nullopt) << "a DHCPv6 lease may hold only a prefix";
  EXPECT_EQ(event.delegated, std::vector{*Prefix::parse("2001:db8:1:100::/60")});
}

TEST(HookJson, NullMeansAbsent) {
  auto event = hook_event_from_json(json::parse(R"({"client": "dhcpcd", "interface": "eth0", "reason": "STOP",
    "change": "down", "address": null, "routers": null, "old_address": null})"));
  EXPECT_EQ(event.address, std::nullopt);
  EXPECT_TRUE(event.routers.empty());
}

struct BadRequest {
  const char* json;
  const char* message;
};

const BadRequest kBad[] = {
    {R"([])", "request: event must be an object"},
    {R"({"interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2/24"})",
     "request: event.client is missing"},
    {R"({"client": "dhclient", "reason": "BOUND", "change": "up", "address": "10.0.0.2/24"})",
     "request: event.interface is missing"},
    {R"({"client": "dhclient", "interface": 7, "reason": "BOUND", "change": "up"})",
     "request: event.interface must be a string"},
    {R"({"client": "pump", "interface": "eth0", "reason": "BOUND", "change": "up"})",
     "request: event.client \"pump\" is not dhclient, dhcpcd or udhcpc"},
    {R"({"client": "dhclient", "interface": "eth0;id", "reason": "BOUND", "change": "up"})",
     "request: event.interface \"eth0;id\" is not an interface name"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "bound", "change": "up"})",
     "request: event.reason \"bound\" is not a reason dhclient gives"},
    {R"({"client": "dhclient", "interface": "eth0", "change": "up"})", "request: event.reason is missing"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "sideways"})",
     "request: event.change \"sideways\" is not up, down or ignore"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up"})",
     "request: event.address is missing, and a lease that is up needs one"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2"})",
     "request: event.address \"10.0.0.2\" is not an IPv4 address with its prefix length"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "default"})",
     "request: event.address \"default\" is not"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2/33"})",
     "request: event.address \"10.0.0.2/33\" is not"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "2001:db8::2/64"})",
     "request: event.address \"2001:db8::2/64\" is not"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2/24",
         "routers": "10.0.0.1"})",
     "request: event.routers must be an array of addresses"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2/24",
         "routers": ["10.0.0.1", "gw"]})",
     "request: event.routers[1] must be a router's IPv4 address"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2/24",
         "routers": [1]})",
     "request: event.routers[0] must be a router's IPv4 address"},
    {R"({"client": "dhclient", "interface": "eth0\u0000x", "reason": "STOP", "change": "down"})",
     "request: event.interface \"eth0\\x00x\" holds a NUL byte"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2/24",
         "routers": ["10.0.0.1\u0000junk"]})",
     "request: event.routers[0] must be a router's IPv4 address"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "EXPIRE", "change": "down", "old_address": 5})",
     "request: event.old_address must be a string"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND6", "change": "up", "address": "10.0.0.2/24"})",
     "request: event.address \"10.0.0.2/24\" is not an IPv6 address with its prefix length"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND6", "change": "up",
         "delegated": "2001:db8:1:100::/60"})",
     "request: event.delegated must be an array of prefixes"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND6", "change": "up",
         "delegated": ["2001:db8:1:100::"]})",
     "request: event.delegated[0] must be an IPv6 prefix with its length"},
    {R"({"client": "dhcpcd", "interface": "eth0", "reason": "BOUND6", "change": "up",
         "delegated": ["2001:db8:1:100::/60", "::/0"]})",
     "request: event.delegated[1] \"::/0\" is shorter than /16"},
    {R"({"client": "dhcpcd", "interface": "eth0", "reason": "BOUND6", "change": "up",
         "delegated": ["default6"]})",
     "request: event.delegated[0] must be an IPv6 prefix"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "EXPIRE6", "change": "down",
         "withdrawn": ["fe80::/64"]})",
     "request: event.withdrawn[0] \"fe80::/64\" is link-local"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "EXPIRE6", "change": "down",
         "withdrawn": ["2001:db8:1:100::/60\u0000"]})",
     "request: event.withdrawn[0] must be an IPv6 prefix"},
    {R"({"client": "dhcpcd", "interface": "eth0", "reason": "BOUND6", "change": "up",
         "delegated": ["2001:db8::/64", "2001:db8:1::/64", "2001:db8:2::/64", "2001:db8:3::/64", "2001:db8:4::/64",
                       "2001:db8:5::/64", "2001:db8:6::/64", "2001:db8:7::/64", "2001:db8:8::/64", "2001:db8:9::/64",
                       "2001:db8:a::/64", "2001:db8:b::/64", "2001:db8:c::/64", "2001:db8:d::/64", "2001:db8:e::/64",
                       "2001:db8:f::/64", "2001:db8:10::/64"]})",
     "request: event.delegated holds 17 prefixes, at most 16 are taken"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up", "address": "10.0.0.2/24",
         "delegated": ["2001:db8:1:100::/60"]})",
     "request: event.delegated is for DHCPv6 events only, and BOUND is an IPv4 one"},
    {R"({"client": "dhclient", "interface": "eth0", "reason": "BOUND6", "change": "up",
         "routers": ["10.0.0.1"]})",
     "request: event.routers must be empty for a DHCPv6 event"},
};

class HookJsonBad : public ::testing::TestWithParam<BadRequest> {};

TEST_P(HookJsonBad, IsRejectedByField) {
  auto request = json::parse(GetParam().json);
  expect_input_error([&] { hook_event_from_json(request); }, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(Requests, HookJsonBad, ::testing::ValuesIn(kBad));

TEST(HookJson, PathNamesTheEnclosingField) {
  expect_input_error([] { hook_event_from_json(json::object(), "params.event"); },
                     "request: params.event.client is missing");
}

}  // namespace
}  // namespace uplinkd
