// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkd's nftables table as a value: what the planner wants in it (plan/uplinkd_table.hpp builds it from
// the NatPlan and MarkPlan). Pure: src/nft/ renders it to nft script text and talks to the kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uplinkd::nft {

// What makes a chain a base chain: the netfilter hook it is attached to.
struct ChainHook {
  std::string type;      // filter, nat, route
  std::string hook;      // prerouting, output, postrouting, ...
  std::string priority;  // a number or nft's keyword (srcnat, mangle, ...)
  std::string policy = "accept";

  bool operator==(const ChainHook&) const = default;
};

struct Chain {
  std::string name;
  std::optional<ChainHook> hook;   // nullopt: a regular chain, reached by jump/goto
  std::vector<std::string> rules;  // one rule each, e.g. `oifname "eth0" masquerade`

  bool operator==(const Chain&) const = default;
};

// A named map, declared before the chains that use it. Its elements are the kernel's (the packet path adds
// them): a table change leaves them alone unless the map's definition itself changes.
struct Map {
  std::string name;
  std::string type;        // "ipv4_addr : mark"
  std::string flags;       // "dynamic,timeout"
  uint32_t timeout_s = 0;  // of each element; 0: none

  bool operator==(const Map&) const = default;
};

struct Table {
  std::string family = "inet";
  std::string name;  // ownership::kNftTable for uplinkd's own
  std::vector<Chain> chains;
  std::vector<Map> maps;

  bool operator==(const Table&) const = default;
};

// A mark as nft lists it: "0x750000c8".
std::string hex_mark(uint32_t mark);

// `"eth0"` for a rule. The name must be plain (config and hook parsers ensure that); anything that could
// break out of the quotes is a bug upstream and aborts.
std::string quoted_interface(std::string_view name);

}  // namespace uplinkd::nft
