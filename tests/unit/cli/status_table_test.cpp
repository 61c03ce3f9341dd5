// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/status_table.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace uplinkd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

Json uplink(const std::string& name, const std::string& state) {
  return {{"name", name},
          {"interface", name},
          {"state", state},
          {"why", "usable"},
          {"address", "10.0.0.2/24"},
          {"gateway", "10.0.0.1"},
          {"gateway_source", "route"},
          {"weight", 1},
          {"tier", 1},
          {"table", 200},
          {"table_name", name}};
}

Json target(const std::string& name, Json rtt, Json jitter, double loss, int samples) {
  return {{"target", name}, {"samples", samples},  {"loss_percent", loss},
          {"rtt_ms", rtt},  {"jitter_ms", jitter}, {"last_rtt_ms", rtt}};
}

TEST(StatusTable, ResponsesWithoutHealthLookAsBefore) {
  Json status = {{"mode", "flow"},
                 {"active", 1},
                 {"uplinks", {uplink("wan1", "active")}},
                 {"notes", {"a note"}},
                 {"errors", Json::array()}};
  EXPECT_EQ(render_status_table(status),
            "mode flow, balancing over 1 of 1 uplinks\n"
            "UPLINK  INTERFACE  STATE   ADDRESS      GATEWAY           WEIGHT  TIER  TABLE     WHY\n"
            "wan1    wan1       active  10.0.0.2/24  10.0.0.1 (route)  1       1     200 wan1  usable\n"
            "note: a note\n");
}

TEST(StatusTable, HealthColumnSaysStateAndDrained) {
  Json up = uplink("wan1", "active");
  up["drained"] = false;
  up["health"] = {{"state", "up"}, {"reason", "5 good rounds"}, {"since", "2026-12-01T20:00:00.123Z"}};
  Json down = uplink("wan2", "down");
  down["drained"] = true;
  down["health"] = {{"state", "down"}, {"reason", "3 rounds failed"}, {"since", "2026-12-01T20:00:01.000Z"}};
  Json old = uplink("wan3", "standby");  // the daemon sends the fields for every uplink, but be lenient
  old["drained"] = true;
  std::string table = render_status_table({{"mode", "flow"}, {"active", 1}, {"uplinks", {up, down, old}}});

  EXPECT_THAT(table, HasSubstr("TABLE     HEALTH         WHY\n")) << table;
  EXPECT_THAT(table, HasSubstr("200 wan1  up             usable\n")) << table;
  EXPECT_THAT(table, HasSubstr("200 wan2  down, drained  usable\n")) << table;
  EXPECT_THAT(table, HasSubstr("200 wan3  drained        usable\n")) << table;
  // Only a state that is not healthy explains itself.
  EXPECT_THAT(table, HasSubstr("\n  wan2 down since 2026-12-01T20:00:01.000Z: 3 rounds failed\n")) << table;
  EXPECT_THAT(table, Not(HasSubstr("5 good rounds"))) << table;
}

TEST(StatusTable, OneLinePerProbeTarget) {
  Json wan1 = uplink("wan1", "active");
  wan1["health"] = {
      {"state", "up"},
      {"reason", "5 good rounds"},
      {"since", nullptr},
      {"targets",
       {target("198.51.100.1", 1.25, 0.1, 3.7, 27), target("tcp:192.0.2.7:443", 12.5, 2.345, 0, 1)}}};
  Json lte = uplink("lte0", "down");
  lte["health"] = {
      {"state", "probing"},
      {"reason", "no answer yet"},
      {"since", nullptr},
      {"targets", {target("arp", nullptr, nullptr, 100, 3)}},
      {"last_error", "arp socket: Operation not permitted"},
      {"transitions", {{{"from", "unconfigured"}, {"to", "probing"}, {"reason", "start"}, {"at", "x"}}}}};
  std::string table = render_status_table({{"mode", "flow"}, {"active", 1}, {"uplinks", {wan1, lte}}});

  EXPECT_THAT(table,
              HasSubstr("\n"
                        "  wan1 198.51.100.1       rtt 1.25 ms  jitter 0.10 ms  loss 3.7% (27 probes)\n"
                        "  wan1 tcp:192.0.2.7:443  rtt 12.50 ms  jitter 2.35 ms  loss 0.0% (1 probe)\n"
                        "  lte0 probing: no answer yet\n"
                        "  lte0 probes: arp socket: Operation not permitted\n"
                        "  lte0 arp                rtt -  jitter -  loss 100.0% (3 probes)\n"))
      << table;
}

TEST(StatusTable, TheBriefsExampleLine) {
  Json wan1 = uplink("wan1", "active");
  wan1["health"] = {{"state", "up"}, {"targets", {target("198.51.100.1", 1.25, 0.1, 3.7, 27)}}};
  EXPECT_THAT(render_status_table({{"uplinks", {wan1}}}),
              HasSubstr("\n  wan1 198.51.100.1  rtt 1.25 ms  jitter 0.10 ms  loss 3.7% (27 probes)\n"));
}

TEST(StatusTable, ContestedAndForeignObjectsAreListedBelowTheTable) {
  Json status = {{"mode", "flow"},
                 {"active", 1},
                 {"uplinks", {uplink("wan1", "active")}},
                 {"contested",
                  {{{"object", "rule 20100 from 100.64.1.10/32 table 201"},
                    {"by", "removed"},
                    {"repairs", 3},
                    {"last_repair_s_ago", 1.25}},
                   {{"object", "route default table 201"}, {"by", "proto boot"}, {"repairs", 1}}}},
                 {"foreign", {"route 10.99.0.0/16 table 201 proto boot"}}};
  EXPECT_THAT(
      render_status_table(status),
      HasSubstr("contested: rule 20100 from 100.64.1.10/32 table 201 (removed), repaired 3 times, "
                "last 1.2 s ago\n"
                "contested: route default table 201 (proto boot), repaired 1 time\n"
                "foreign: route 10.99.0.0/16 table 201 proto boot (another program's, left alone)\n"));
  EXPECT_NO_THROW(render_status_table({{"contested", {1, Json::object()}}, {"foreign", "none"}}));
}

TEST(StatusTable, AnUplinksIpv6SideHasALineOnceItHasAnAddress) {
  Json wan1 = uplink("wan1", "active");
  wan1["ipv6"] = {{"state", "down"},
                  {"why", "no IPv6 router known for wan1"},
                  {"address", "2001:db8:1::10/64"},
                  {"prefixes", {"2001:db8:1::/64", "2001:db8:5::/64"}},
                  {"gateway", nullptr},
                  {"gateway_source", "none"}};
  Json wan2 = uplink("wan2", "active");
  wan2["ipv6"] = {{"state", "down"}, {"why", "no global IPv6 address on wan2"}, {"address", nullptr}};
  const std::string table = render_status_table({{"mode", "flow"}, {"uplinks", {wan1, wan2}}});
  EXPECT_THAT(table,
              HasSubstr("ipv6 wan1: down, 2001:db8:1::10/64, prefixes 2001:db8:1::/64 2001:db8:5::/64: "
                        "no IPv6 router known for wan1\n"));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("ipv6 wan2")));
  wan1["ipv6"]["health"] = {{"state", "down"}, {"reason", "3 rounds failed"}, {"targets", Json::array()}};
  wan2["ipv6"]["address"] = "2001:db8:2::10/64";
  wan2["ipv6"]["health"] = {{"state", "up"}, {"reason", "as ipv4"}, {"follows", "ipv4"}};
  const std::string with_health = render_status_table({{"mode", "flow"}, {"uplinks", {wan1, wan2}}});
  EXPECT_THAT(with_health, HasSubstr("no IPv6 router known for wan1; health down\n"));
  EXPECT_THAT(with_health, HasSubstr("; health up (as ipv4, no ipv6 targets)\n"));
  EXPECT_THAT(with_health, HasSubstr("  wan1 ipv6 down: 3 rounds failed\n"));
  EXPECT_THAT(with_health, ::testing::Not(HasSubstr("wan2 ipv6 up")));
  wan1["ipv6"]["odd"] = 1;
  wan1["ipv6"]["prefixes"] = "none";
  EXPECT_NO_THROW(render_status_table({{"uplinks", {wan1}}}));
}

// The likely reason an uplink has no IPv6 at all is shown although it has no address to show.
TEST(StatusTable, IgnoredRouterAdvertisementsHaveALineOfTheirOwn) {
  Json wan1 = uplink("wan1", "active");
  wan1["ipv6"] = {{"state", "down"},
                  {"why", "no global IPv6 address on wan1"},
                  {"address", nullptr},
                  {"router_advertisements", "ignored: forwarding is on and accept_ra is 1"}};
  const std::string table = render_status_table({{"mode", "flow"}, {"uplinks", {wan1}}});
  EXPECT_THAT(table,
              HasSubstr("ipv6 wan1: router advertisements ignored: forwarding is on and accept_ra is 1\n"));
}

TEST(StatusTable, DelegatedPrefixesFollowTheAddressPrefixes) {
  Json wan1 = uplink("wan1", "active");
  wan1["ipv6"] = {{"state", "active"},
                  {"why", "usable"},
                  {"address", "2001:db8:1::100/128"},
                  {"prefixes", {"2001:db8:1::100/128"}},
                  {"delegated", {"2001:db8:1:100::/60", "fd00:1::/48"}},
                  {"gateway", "fe80::1"},
                  {"gateway_source", "route"}};
  // A delegation known before the uplink has an address of its own is shown too.
  Json wan2 = uplink("wan2", "active");
  wan2["ipv6"] = {{"state", "down"},
                  {"why", "no global IPv6 address on wan2"},
                  {"address", nullptr},
                  {"prefixes", Json::array()},
                  {"delegated", {"2001:db8:2:100::/60"}}};
  const std::string table = render_status_table({{"mode", "flow"}, {"uplinks", {wan1, wan2}}});
  EXPECT_THAT(table, HasSubstr("ipv6 wan1: active, 2001:db8:1::100/128 via fe80::1 (route), prefixes "
                               "2001:db8:1::100/128, delegated 2001:db8:1:100::/60 fd00:1::/48: usable\n"));
  EXPECT_THAT(table, HasSubstr("ipv6 wan2: down, -, prefixes , delegated 2001:db8:2:100::/60: no global IPv6 "
                               "address on wan2\n"));
  wan1["ipv6"]["delegated"] = 5;
  EXPECT_NO_THROW(render_status_table({{"uplinks", {wan1}}}));
}

TEST(StatusTable, FieldsOfTheWrongTypeGiveATableNotAnException) {
  Json odd = uplink("wan1", "active");
  odd["drained"] = "yes";
  odd["health"] = {{"state", 3}, {"targets", Json::array({{{"target", 7}, {"rtt_ms", "fast"}}})}};
  Json odder = uplink("wan2", "active");
  odder["health"] = "up";
  std::string table;
  EXPECT_NO_THROW(table = render_status_table(
                      {{"uplinks", {odd, odder}}, {"notes", {1, "two"}}, {"errors", "not a list"}}));
  EXPECT_THAT(table, HasSubstr("  wan1 7  rtt -  jitter -  loss -\n")) << table;
  EXPECT_THAT(table, HasSubstr("note: 1\nnote: two\n")) << table;
  EXPECT_NO_THROW(render_status_table({{"uplinks", "none"}}));
  EXPECT_NO_THROW(render_status_table(Json::array()));
}

}  // namespace
}  // namespace uplinkd
