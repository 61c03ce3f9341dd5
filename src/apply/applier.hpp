// Makes the kernel match a plan: dump what uplinkd owns, diff, apply the difference in one batch. Running
// it twice changes nothing the second time; after a crash it converges from whatever was left.
#pragma once

#include <vector>

#include "apply/kernel.hpp"
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
  // Removes every object uplinkd owns (a clean shutdown with on_exit = "flush").
  ApplyOutcome flush();

 private:
  ApplyOutcome converge(const std::vector<netlink::Nexthop>& nexthops,
                        const std::vector<netlink::Route>& routes, const std::vector<netlink::Rule>& rules);
  Kernel& kernel_;
};

}  // namespace uplinkd
