// plan = f(config, state): every kernel object the current state calls for. Pure: no I/O, so it is unit
// tested exhaustively, and `uplinkctl plan` shows exactly what the daemon would do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "netlink/objects.hpp"
#include "plan/nft_plan.hpp"
#include "state/state.hpp"

namespace uplinkd {

struct Sysctl {
  std::string key;  // below /proc/sys, with dots: "net.ipv4.fib_multipath_hash_policy"
  std::string value;
  bool operator==(const Sysctl&) const = default;
};

struct TableName {
  uint32_t id = 0;
  std::string name;
  bool operator==(const TableName&) const = default;
};

struct PlannedUplink {
  std::string name;
  UplinkStatus status;
  bool in_group = false;  // a member of the balanced group right now
};

struct Plan {
  std::vector<netlink::Nexthop> nexthops;
  std::vector<netlink::Route> routes;
  std::vector<netlink::Rule> rules;
  NatPlan nat;
  MarkPlan marks;
  std::vector<Sysctl> sysctls;
  std::vector<TableName> table_names;
  std::vector<PlannedUplink> uplinks;  // in config order: why each uplink is (not) used
  std::vector<std::string> notes;      // what the plan could not honour, for the log and `status`
};

Plan make_plan(const Config& config, const State& state);

}  // namespace uplinkd
