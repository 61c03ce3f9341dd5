// SPDX-License-Identifier: GPL-2.0-or-later
// diff for uplinkd's nftables table: the planned Table against the kernel's dump → at most one NftPatch.
// Pure.
//
// How a planned chain is compared with the kernel's: the kernel keeps a chain as expressions, and lists
// them in its own words (`meta l4proto udp th dport 5060` comes back as `udp dport 5060`, `timeout 600s`
// as `timeout 10m`), so neither side can be rewritten into the other without re-implementing nft. Instead,
// after the applier writes a chain it dumps it once and remembers which dump that planned chain came back
// as (NftKnown). From then on the chain is the same while its plan is unchanged and the kernel's dump is the
// one remembered; anything else — a chain someone edited, flushed or deleted, a plan that changed, a chain
// not written by this process (after a restart) — is replaced: refilled in place when this process wrote it
// with the same hook, deleted and created again otherwise (NftPatch says why in place is better). A wrong
// "differs" costs one chain replacement (under a millisecond, and the sticky sources stay); a wrong "same"
// cannot happen without a dump that matches byte for byte. The sets' elements are never read (they are the
// kernel's: sticky sources).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "apply/host_objects.hpp"

namespace uplinkd {

struct NftKnown {
  struct Written {
    nft::Chain planned;
    netlink::NftChainDump dumped;
  };
  std::map<std::string, Written> chains;  // by chain name
};

std::optional<NftPatch> diff_nftables(const nft::Table& wanted,
                                      const std::optional<netlink::NftTableDump>& have,
                                      const NftKnown& known);

// After `patch` took effect: remembers how the kernel dumps the chains it wrote (`have`: a dump taken then).
void learn_nftables(NftKnown& known, const NftPatch& patch, const std::optional<netlink::NftTableDump>& have);

}  // namespace uplinkd
