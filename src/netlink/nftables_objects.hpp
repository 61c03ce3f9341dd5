// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkd's nftables table as the kernel dumps it over NETLINK_NETFILTER: only what makes two tables the
// same, nothing that changes at run time (handles, use counts, the elements of a dynamic set).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace uplinkd::netlink {

// A chain and its rules in the kernel's own form. The rules are the raw NFTA_RULE_EXPRESSIONS of each rule,
// in order: the applier learns which dump a chain it wrote comes back as (apply/nft_diff.hpp), so nothing
// here decodes nft's expressions.
struct NftChainDump {
  std::string name;
  std::string definition;  // the raw hook (number, priority), type and policy of a base chain
  std::vector<std::string> rules;
  bool operator==(const NftChainDump&) const = default;
};

// A named set or map; anonymous sets (the `{ a, b }` inside a rule) belong to their rule and are left out.
struct NftSetDump {
  std::string name;
  uint32_t flags = 0;       // NFT_SET_*
  uint64_t timeout_ms = 0;  // the default timeout of its elements; 0: none
  uint32_t key_length = 0;
  uint32_t data_length = 0;
  bool operator==(const NftSetDump&) const = default;
};

struct NftTableDump {
  std::vector<NftChainDump> chains;
  std::vector<NftSetDump> sets;
  bool operator==(const NftTableDump&) const = default;
};

}  // namespace uplinkd::netlink
