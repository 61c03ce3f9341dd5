// SPDX-License-Identifier: GPL-2.0-or-later
// plan = f(config, state): every kernel object the current state calls for. Pure: no I/O, so it is unit
// tested exhaustively, and `uplinkctl plan` shows exactly what the daemon would do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "netlink/objects.hpp"
#include "plan/nft_objects.hpp"
#include "plan/nft_plan.hpp"
#include "plan/sysctl.hpp"
#include "state/state.hpp"

namespace uplinkd {

struct TableName {
  uint32_t id = 0;
  std::string name;
  bool operator==(const TableName&) const = default;
};

struct PlannedUplink {
  std::string name;
  UplinkStatus status;    // IPv4
  bool in_group = false;  // a member of the balanced IPv4 group right now
  UplinkStatus status6;   // IPv6: the same, for the uplink's IPv6 side
  bool in_group6 = false;

  const UplinkStatus& of(Family family) const { return family == Family::v4 ? status : status6; }
  bool& in_group_of(Family family) { return family == Family::v4 ? in_group : in_group6; }
  bool in_group_of(Family family) const { return family == Family::v4 ? in_group : in_group6; }
};

struct Plan {
  std::vector<netlink::Nexthop> nexthops;
  std::vector<netlink::Route> routes;
  std::vector<netlink::Rule> rules;
  NatPlan nat;
  MarkPlan marks;
  nft::Table nftables;  // uplinkd's whole table, built from nat and marks; no chains: no table
  std::vector<Sysctl> sysctls;
  std::vector<TableName> table_names;
  std::vector<PlannedUplink> uplinks;  // in config order: why each uplink is (not) used
  std::vector<std::string> notes;      // what the plan could not honour, for the log and `status`
};

Plan make_plan(const Config& config, const State& state);

// IPv6 is planned once an uplink has a global IPv6 address: on an IPv4-only network, uplinkd adds no IPv6
// rules, and `status` has no IPv6 outage to report.
bool plans_ipv6(const Plan& plan);

}  // namespace uplinkd
