// SPDX-License-Identifier: GPL-2.0-or-later
// The attributes of an nftables (NETLINK_NETFILTER) message, indexed by type; absent ones are null.
#pragma once

#include <cstddef>
#include <vector>

struct nlattr;
struct nlmsghdr;

namespace uplinkd::netlink {

using NftAttributes = std::vector<const nlattr*>;

// `max` is the object's NFTA_*_MAX. Attributes beyond it, and a message too short for its nfgenmsg header,
// are ignored (the result is then all null).
NftAttributes nftables_attributes(const nlmsghdr* message, size_t max);

}  // namespace uplinkd::netlink
