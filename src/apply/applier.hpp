// SPDX-License-Identifier: GPL-2.0-or-later
// Makes the kernel match a plan: dump what uplinkd owns, diff, apply the difference in one batch. Running
// it twice changes nothing the second time; after a crash it converges from whatever was left.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apply/diff.hpp"
#include "apply/kernel.hpp"
#include "apply/nft_diff.hpp"
#include "apply/repair_guard.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

// A change the kernel refused, with its answer.
struct FailedChange {
  Change change;
  KernelError error;
};

// A change that puts back an object of uplinkd's that someone removed or replaced, or removes a foreign
// object that took its place.
struct Repair {
  std::string object;
  std::string by;        // "proto boot", "removed", "changed"
  uint32_t repairs = 0;  // of this object since it was last quiet (RepairGuard)
};

struct ApplyOutcome {
  std::vector<Change> changes;                // what was sent
  std::vector<KernelError> errors;            // what failed (a failed dump is one error and no changes)
  std::vector<FailedChange> failed;           // the errors of the changes, each with its change
  std::vector<Repair> repairs;                // among the changes
  std::vector<std::string> held_back;         // repairs too soon after the last one (RepairGuard)
  std::optional<BackoffTime> next_repair_at;  // when the held-back repairs may happen
  std::vector<ForeignObject> foreign;         // others' objects in uplinkd's tables and range
  bool converged() const { return errors.empty(); }
};

class Applier {
 public:
  explicit Applier(Kernel& kernel) : kernel_(kernel) {}

  ApplyOutcome apply(const Plan& plan, BackoffTime now);
  ApplyOutcome apply(const Plan& plan) { return apply(plan, BackoffClock::now()); }
  // Removes every object uplinkd owns (a clean shutdown with on_exit = "flush"): routing objects and the
  // nftables table. Sysctls stay as configured.
  ApplyOutcome flush();

  // What apply(plan) would change in the nftables table and the sysctls now, changing nothing: the daemon's
  // slow check for what the kernel does not announce (a sysctl written behind uplinkd's back).
  Expected<std::vector<Change>> host_differences(const Plan& plan);

  // The kernel flushes the nexthops of a device that goes down or loses its carrier, with the routes through
  // them and their places in groups: none of that is someone undoing uplinkd's work, so its return after
  // the link is no repair (no "contested" in status, and no back-off when a link flaps).
  void forget_device(uint32_t ifindex);

  // Objects someone keeps undoing, for `status`.
  std::vector<ContestedObject> contested(BackoffTime now) { return guard_.contested(now); }

 private:
  // The nftables table and sysctls a converge makes the kernel match (applier_host.cpp).
  struct HostWanted {
    const nft::Table& nftables;
    const std::vector<Sysctl>& sysctls;
  };
  ApplyOutcome converge(const std::vector<netlink::Nexthop>& nexthops,
                        const std::vector<netlink::Route>& routes, const std::vector<netlink::Rule>& rules,
                        const HostWanted& host, std::optional<BackoffTime> now);
  // Puts the nftables and sysctl changes into `outcome.changes` (the routing changes) in their order.
  void add_host_changes(const HostWanted& host, ApplyOutcome& outcome);
  // After the changes were applied: learns how the kernel dumps the chains just written.
  void learn_host(const ApplyOutcome& outcome);

  std::optional<std::string> repair_of(const Change& change, const std::vector<ForeignObject>& foreign) const;

  Kernel& kernel_;
  NftKnown nft_known_;
  RepairGuard guard_;
  KernelObjects in_place_;  // what the last apply put in place (or found there) of what it wanted
};

}  // namespace uplinkd
