// SPDX-License-Identifier: GPL-2.0-or-later
// diff for the sysctls uplinkd sets: one replace per planned value the kernel does not have (none for an
// if_present sysctl the kernel lacks). Pure. Sysctls a plan no longer names are left as they are (the
// administrator's again), as they always were.
#pragma once

#include <vector>

#include "apply/kernel.hpp"

namespace uplinkd {

std::vector<Change> diff_sysctls(const std::vector<Sysctl>& wanted, const std::vector<Sysctl>& have);

// The full order of one converge: sysctls first (the hash policy before the group that uses it), then the
// nftables patch and the routing changes in the order the patch asks for.
std::vector<Change> arrange(std::vector<Change> sysctls, const std::optional<NftPatch>& nftables,
                            std::vector<Change> routing);

}  // namespace uplinkd
