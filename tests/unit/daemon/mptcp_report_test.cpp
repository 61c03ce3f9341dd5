// SPDX-License-Identifier: GPL-2.0-or-later
// What status, the table and the events say of uplinkd's MPTCP endpoints, from the applier's outcome on the
// fake kernel: each uplink family's endpoint, the limits, another manager's presence, and refusals.
#include "daemon/mptcp_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/status_table.hpp"
#include "daemon/status_report.hpp"
#include "fakes/fake_kernel.hpp"
#include "fakes/mptcp.hpp"
#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::bring_up6;
using testing::config_with;
using ::testing::ElementsAre;
using testing::FakeKernel;
using ::testing::HasSubstr;
using testing::ip;
using ::testing::Not;
using testing::uplink;
using Json = nlohmann::json;

// wan1 (dual-stack) and wan2 in tier 1, wan3 in tier 2; wanN is world.hpp's uplink N.
class MptcpReportTest : public ::testing::Test, protected testing::MptcpWorld {
 protected:
  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up6(state, 1);
    bring_up(state, "wan2", 2);
    bring_up(state, "wan3", 3);
  }

  MptcpOutcome apply() { return applier.apply(config, state, make_plan(config, state)); }

  Json status(const MptcpOutcome& outcome) {
    Json report = status_report(config, make_plan(config, state), {});
    add_mptcp_status(report, config, outcome);
    return report;
  }
};

TEST_F(MptcpReportTest, AnEventPerEndpointThatChangedThenTheLimits) {
  auto events = mptcp_events(config, apply());
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0], (Json{{"event", "mptcp"},
                             {"action", "add"},
                             {"uplink", "wan1"},
                             {"interface", "wan1"},
                             {"family", "ipv4"},
                             {"id", 255},
                             {"address", "100.64.1.10"},
                             {"backup", false}}));
  EXPECT_EQ(events[1]["family"], "ipv6");
  EXPECT_EQ(events[1]["id"], 254);
  EXPECT_EQ(events[1]["address"], "2001:db8:1::10");
  EXPECT_EQ(events[3]["uplink"], "wan3");
  EXPECT_EQ(events[3]["backup"], true);
  EXPECT_EQ(events[4],
            (Json{{"event", "mptcp"}, {"action", "limits"}, {"subflows", 4}, {"add_addr_accepted", 4}}));

  // Tier 1 has nothing left for new traffic: wan3 takes it (no backup now), wan2 steps back.
  state.set_drained("wan2", true);
  state.on_health("wan1", {Health::down, "3 rounds failed"});
  events = mptcp_events(config, apply());
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["action"], "remove");
  EXPECT_EQ(events[0]["uplink"], "wan1");
  EXPECT_EQ(events[0]["family"], "ipv6");  // by id: 254 before 255
  EXPECT_EQ(events[1]["action"], "remove");
  EXPECT_EQ(events[2], (Json{{"event", "mptcp"},
                             {"action", "backup"},
                             {"uplink", "wan3"},
                             {"interface", "wan3"},
                             {"family", "ipv4"},
                             {"id", 251},
                             {"address", "100.64.3.10"},
                             {"backup", false}}));
  EXPECT_EQ(events[3]["uplink"], "wan2");
  EXPECT_EQ(events[3]["backup"], true);
}

TEST_F(MptcpReportTest, ARefusedChangeIsNoEventAndNamesItsUplink) {
  kernel.mptcp_fail_with = [](const MptcpEndpointChange& change) -> std::optional<int> {
    if (change.endpoint.id == 253) return EEXIST;
    return std::nullopt;
  };
  auto outcome = apply();
  for (const auto& event : mptcp_events(config, outcome)) EXPECT_NE(event.value("uplink", ""), "wan2");
  ASSERT_EQ(outcome.failed.size(), 1u);
  const KernelError named = mptcp_refusal(config, outcome.failed[0]);
  EXPECT_THAT(named.message(),
              HasSubstr("uplink wan2's IPv4 MPTCP endpoint: add MPTCP endpoint 100.64.2.10 id 253"));
  EXPECT_THAT(named.message(), HasSubstr("File exists"));

  Json report = status(outcome);
  EXPECT_TRUE(report["uplinks"][1]["mptcp_endpoint"].is_null());
  EXPECT_THAT(report["uplinks"][1]["mptcp_refused"].get<std::string>(), HasSubstr("File exists"));
  EXPECT_THAT(render_status_table(report),
              HasSubstr("mptcp wan2: refused by the kernel: add MPTCP endpoint"));
}

TEST_F(MptcpReportTest, StatusShowsEachFamilysEndpointAndTheLimits) {
  state.set_drained("wan2", true);
  Json report = status(apply());
  EXPECT_EQ(report["mptcp"], (Json{{"configured", true},
                                   {"managed", true},
                                   {"limits", {{"subflows", 4}, {"add_addr_accepted", 4}}}}));
  const Json& wan1 = report["uplinks"][0];
  EXPECT_EQ(wan1["mptcp_endpoint"], (Json{{"id", 255}, {"address", "100.64.1.10"}, {"backup", false}}));
  EXPECT_EQ(wan1["ipv6"]["mptcp_endpoint"],
            (Json{{"id", 254}, {"address", "2001:db8:1::10"}, {"backup", false}}));
  EXPECT_EQ(report["uplinks"][1]["mptcp_endpoint"]["backup"], true);
  EXPECT_TRUE(report["uplinks"][1]["ipv6"]["mptcp_endpoint"].is_null());
  EXPECT_EQ(report["uplinks"][2]["mptcp_endpoint"]["backup"], true);

  const std::string table = render_status_table(report);
  EXPECT_THAT(table, HasSubstr("mptcp: endpoints kept by uplinkd, limits subflows 4 add_addr_accepted 4\n"
                               "mptcp wan1: endpoint 255 100.64.1.10\n"
                               "mptcp wan1 ipv6: endpoint 254 2001:db8:1::10\n"
                               "mptcp wan2: endpoint 253 100.64.2.10 backup\n"
                               "mptcp wan3: endpoint 251 100.64.3.10 backup\n"));
}

TEST_F(MptcpReportTest, AnotherManagerIsSaidWithItsEndpoints) {
  netlink::MptcpEndpoint theirs;
  theirs.id = 5;
  theirs.address = ip("10.9.9.9");
  theirs.subflow = true;
  kernel.mptcp.endpoints.push_back(theirs);
  Json report = status(apply());
  EXPECT_EQ(report["mptcp"]["managed"], false);
  EXPECT_THAT(report["mptcp"]["foreign_manager"].get<std::string>(), HasSubstr("10.9.9.9 id 5 (subflow)"));
  EXPECT_TRUE(report["uplinks"][0]["mptcp_endpoint"].is_null());
  EXPECT_THAT(
      render_status_table(report),
      HasSubstr("mptcp: left alone: MPTCP endpoint 10.9.9.9 id 5 (subflow) is managed by another program"));
}

TEST_F(MptcpReportTest, WithoutMptcpTheTableSaysNothingOfIt) {
  for (auto& one : config.uplinks) one.mptcp = false;
  Json report = status(apply());
  EXPECT_EQ(report["mptcp"]["configured"], false);
  EXPECT_THAT(render_status_table(report), Not(HasSubstr("mptcp")));
}

// A status from a daemon before MPTCP management has none of these fields: the table is as it was.
TEST(MptcpStatusTable, AnOlderDaemonsStatusHasNoMptcpLines) {
  Json status = {{"mode", "flow"}, {"uplinks", Json::array({{{"name", "wan1"}, {"state", "active"}}})}};
  EXPECT_THAT(render_status_table(status), Not(HasSubstr("mptcp")));
  status["mptcp"] = "garbage";
  status["uplinks"][0]["mptcp_endpoint"] = 7;
  EXPECT_THAT(render_status_table(status), Not(HasSubstr("mptcp")));
}

}  // namespace
}  // namespace uplinkd
