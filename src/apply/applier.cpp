#include "apply/applier.hpp"

#include "apply/diff.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {

ApplyOutcome Applier::converge(const std::vector<netlink::Nexthop>& nexthops,
                               const std::vector<netlink::Route>& routes,
                               const std::vector<netlink::Rule>& rules, const HostWanted& host) {
  ApplyOutcome outcome;
  auto have = kernel_.dump_owned();
  if (!have) {
    outcome.errors.push_back(have.error());
    return outcome;
  }
  outcome.changes = diff(WantedObjects{nexthops, routes, rules}, *have);
  add_host_changes(host, outcome);
  if (!outcome.changes.empty()) outcome.errors = kernel_.apply(outcome.changes);
  learn_host(outcome);
  // Each error names its change as describe() does (kernel.hpp), in the order of the changes.
  size_t next = 0;
  for (const auto& error : outcome.errors) {
    for (size_t i = next; i < outcome.changes.size(); ++i) {
      if (describe(outcome.changes[i]) != error.object) continue;
      outcome.failed.push_back({outcome.changes[i], error});
      next = i + 1;
      break;
    }
  }
  return outcome;
}

ApplyOutcome Applier::apply(const Plan& plan) {
  return converge(plan.nexthops, plan.routes, plan.rules, HostWanted{plan.nftables, plan.sysctls});
}

ApplyOutcome Applier::flush() {
  static const nft::Table kNoTable{"inet", ownership::kNftTable, {}, {}};
  return converge({}, {}, {}, HostWanted{kNoTable, {}});
}

}  // namespace uplinkd
