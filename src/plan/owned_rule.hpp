// SPDX-License-Identifier: GPL-2.0-or-later
// A routing rule that is uplinkd's by its marks (plan/ownership.hpp): uplinkd's protocol, a priority in
// its range. Every rule the planner makes starts from this one.
#pragma once

#include <cstdint>

#include "netlink/objects.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {

inline constexpr uint32_t kMainTable = 254;  // RT_TABLE_MAIN

inline netlink::Rule owned_rule(uint32_t priority, uint32_t table, Family family = Family::v4) {
  netlink::Rule rule;
  rule.family = family;
  rule.priority = priority;
  rule.table = table;
  rule.protocol = ownership::kProtocol;
  return rule;
}

}  // namespace uplinkd
