// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/sysctl_diff.hpp"

#include <algorithm>

namespace uplinkd {
namespace {

// The kernel prints a value as it parsed it; uplinkd's are single numbers, so surrounding blanks (a
// trailing newline, a tab) are all that can differ.
std::string trimmed(const std::string& value) {
  const auto first = value.find_first_not_of(" \t\n");
  if (first == std::string::npos) return "";
  return value.substr(first, value.find_last_not_of(" \t\n") - first + 1);
}

}  // namespace

std::vector<Change> diff_sysctls(const std::vector<Sysctl>& wanted, const std::vector<Sysctl>& have) {
  std::vector<Change> changes;
  for (const auto& sysctl : wanted) {
    const auto current =
        std::find_if(have.begin(), have.end(), [&](const Sysctl& s) { return s.key == sysctl.key; });
    if (current == have.end() && sysctl.if_present) continue;
    if (current == have.end() || trimmed(current->value) != trimmed(sysctl.value))
      changes.push_back({ChangeKind::replace, sysctl});
  }
  return changes;
}

std::vector<Change> arrange(std::vector<Change> sysctls, const std::optional<NftPatch>& nftables,
                            std::vector<Change> routing) {
  std::vector<Change> changes = std::move(sysctls);
  if (nftables && nftables->before_routing) changes.push_back({ChangeKind::replace, *nftables});
  changes.insert(changes.end(), std::make_move_iterator(routing.begin()),
                 std::make_move_iterator(routing.end()));
  if (nftables && !nftables->before_routing) changes.push_back({ChangeKind::replace, *nftables});
  return changes;
}

}  // namespace uplinkd
