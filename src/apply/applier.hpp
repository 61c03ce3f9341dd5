// Makes the kernel match a plan: dump what uplinkd owns, diff, apply the difference in one batch. Running
// it twice changes nothing the second time; after a crash it converges from whatever was left.
#pragma once

#include <vector>

#include "apply/kernel.hpp"
#include "apply/nft_diff.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

// A change the kernel refused, with its answer.
struct FailedChange {
  Change change;
  KernelError error;
};

struct ApplyOutcome {
  std::vector<Change> changes;       // what was sent
  std::vector<KernelError> errors;   // what failed (a failed dump is one error and no changes)
  std::vector<FailedChange> failed;  // the errors of the changes, each with its change
  bool converged() const { return errors.empty(); }
};

class Applier {
 public:
  explicit Applier(Kernel& kernel) : kernel_(kernel) {}

  ApplyOutcome apply(const Plan& plan);
  // Removes every object uplinkd owns (a clean shutdown with on_exit = "flush"): routing objects and the
  // nftables table. Sysctls stay as configured.
  ApplyOutcome flush();

  // What apply(plan) would change in the nftables table and the sysctls now, changing nothing: the daemon's
  // slow check for what the kernel does not announce (a sysctl written behind uplinkd's back).
  Expected<std::vector<Change>> host_differences(const Plan& plan);

 private:
  // The nftables table and sysctls a converge makes the kernel match (applier_host.cpp).
  struct HostWanted {
    const nft::Table& nftables;
    const std::vector<Sysctl>& sysctls;
  };
  ApplyOutcome converge(const std::vector<netlink::Nexthop>& nexthops,
                        const std::vector<netlink::Route>& routes, const std::vector<netlink::Rule>& rules,
                        const HostWanted& host);
  // Puts the nftables and sysctl changes into `outcome.changes` (the routing changes) in their order.
  void add_host_changes(const HostWanted& host, ApplyOutcome& outcome);
  // After the changes were applied: learns how the kernel dumps the chains just written.
  void learn_host(const ApplyOutcome& outcome);

  Kernel& kernel_;
  NftKnown nft_known_;
};

}  // namespace uplinkd
