// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel objects of uplinkd's that are not routing objects: its nftables table and the sysctls it sets.
// They go through the same Kernel interface as routes (kernel.hpp): dumped, compared (nft_diff.hpp,
// sysctl_diff.hpp), and changed by Changes placed in the same ordered list.
#pragma once

#include <optional>
#include <vector>

#include "netlink/nftables_objects.hpp"
#include "nft/nft_patch.hpp"
#include "plan/sysctl.hpp"

namespace uplinkd {

// What the kernel has of those, as Kernel::dump_host reports it.
struct HostObjects {
  std::optional<netlink::NftTableDump> nftables;  // nullopt: uplinkd's table does not exist
  std::vector<Sysctl> sysctls;                    // those that could be read
};

}  // namespace uplinkd
