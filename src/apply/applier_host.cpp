// SPDX-License-Identifier: GPL-2.0-or-later
// The applier's part for the nftables table and the sysctls: dumped and compared on every converge like the
// routing objects, and ordered with them (sysctl_diff.hpp's arrange()).
#include <algorithm>

#include "apply/applier.hpp"
#include "apply/sysctl_diff.hpp"

namespace uplinkd {
namespace {

std::vector<std::string> keys(const std::vector<Sysctl>& sysctls) {
  std::vector<std::string> names;
  for (const auto& sysctl : sysctls) names.push_back(sysctl.key);
  return names;
}

}  // namespace

void Applier::add_host_changes(const HostWanted& host, ApplyOutcome& outcome) {
  auto have = kernel_.dump_host(keys(host.sysctls));
  if (!have) {
    // The routing changes go ahead; the next converge (a retry follows every error) tries the rest again.
    outcome.errors.push_back(have.error());
    return;
  }
  outcome.changes =
      arrange(diff_sysctls(host.sysctls, have->sysctls),
              diff_nftables(host.nftables, have->nftables, nft_known_), std::move(outcome.changes));
}

void Applier::learn_host(const ApplyOutcome& outcome) {
  for (const auto& change : outcome.changes) {
    const auto* patch = std::get_if<NftPatch>(&change.object);
    if (!patch) continue;
    const std::string what = describe(change);
    const bool failed = std::any_of(outcome.errors.begin(), outcome.errors.end(),
                                    [&](const KernelError& error) { return error.object == what; });
    if (failed) {
      nft_known_.chains.clear();  // what the kernel has now is unknown: the next converge rewrites it
      continue;
    }
    auto have = kernel_.dump_host({});
    if (have)
      learn_nftables(nft_known_, *patch, have->nftables);
    else
      nft_known_.chains.clear();
  }
}

Expected<std::vector<Change>> Applier::host_differences(const Plan& plan) {
  auto have = kernel_.dump_host(keys(plan.sysctls));
  if (!have) return have.error();
  return arrange(diff_sysctls(plan.sysctls, have->sysctls),
                 diff_nftables(plan.nftables, have->nftables, nft_known_), {});
}

}  // namespace uplinkd
