// SPDX-License-Identifier: GPL-2.0-or-later
// Makes the kernel's MPTCP endpoints match the uplinks (`mptcp = true`, plan/mptcp_endpoints.hpp), after
// every converge: dump them, compare, change what differs in the order the diff gives. Apart from Applier
// because the endpoints cannot be planned from config and state alone: what uplinkd may have depends on
// the kernel's other endpoints (its cap of 8, and whether another program manages MPTCP at all).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apply/kernel.hpp"
#include "config/config.hpp"
#include "plan/mptcp_endpoints.hpp"
#include "plan/plan.hpp"
#include "state/state.hpp"

namespace uplinkd {

// An endpoint change the kernel refused, with its answer.
struct MptcpFailure {
  MptcpEndpointChange change;
  KernelError error;
};

struct MptcpOutcome {
  bool configured = false;  // an uplink has `mptcp` on
  // The endpoints were compared with the plan's (and changed to match, unless a preview).
  bool managed = false;
  // foreign_manager()'s words: another program manages MPTCP here, and uplinkd changed nothing.
  std::optional<std::string> foreign_manager;
  // The kernel has no MPTCP (only said when configured): why, and that uplinkd keeps no endpoint.
  std::optional<std::string> unavailable;
  std::vector<MptcpEndpointChange> changes;  // sent (a preview: would be sent), in order
  std::vector<MptcpFailure> failed;          // those the kernel refused
  std::vector<KernelError> errors;           // a failed dump or limits change: no one endpoint's
  // uplinkd's endpoints as the kernel has them now (after the changes that took effect), named by uplink.
  std::vector<PlannedMptcpEndpoint> endpoints;
  // What uplinkd wants (when managed): what `uplinkctl plan` lists.
  std::vector<PlannedMptcpEndpoint> wanted;
  std::optional<netlink::MptcpLimits> limits;         // as the kernel has them now; nullopt: not read
  std::optional<netlink::MptcpLimits> raised_limits;  // what this apply set them to (a preview: would set)
  std::vector<std::string> notes;                     // desired_mptcp_endpoints()'s
};

class MptcpApplier {
 public:
  explicit MptcpApplier(Kernel& kernel) : kernel_(kernel) {}

  // With an uplink's `mptcp` on: uplinkd's endpoints made to match the plan's uplinks, the limits raised to
  // cover them; nothing at all while another program manages MPTCP (foreign_manager()). With every uplink's
  // `mptcp` off: uplinkd's endpoints removed, if any are left (a config that turned mptcp off leaves
  // nothing behind), whatever else is there; only those that are surely uplinkd's (mptcp_applier.cpp,
  // leftovers()). Each change alone: a refused one does not stop the others.
  MptcpOutcome apply(const Config& config, const State& state, const Plan& plan);
  // What apply would change now, changing nothing: `uplinkctl plan`, and the daemon's slow check for
  // endpoints changed behind its back (the kernel announces no endpoint change).
  MptcpOutcome preview(const Config& config, const State& state, const Plan& plan);
  // Removes uplinkd's endpoints; the limits stay, as sysctls do. Without a config (uplinkd --flush): every
  // endpoint with uplinkd's ids, as it removes everything else with uplinkd's marks. A daemon's stop
  // (on_exit = "flush") passes its config and state: with mptcp on, every id of the range is uplinkd's, as
  // in apply; without, only what apply would remove too (leftovers() in mptcp_applier.cpp).
  MptcpOutcome flush();
  MptcpOutcome flush(const Config& config, const State& state);

  // With an uplink's `mptcp` on: foreign_manager()'s words when another program's endpoints are in the
  // kernel now; nullopt otherwise (also when the endpoints cannot be read: apply says why). Asked before
  // planning, so that not even the sysctls are changed beside another manager.
  std::optional<std::string> other_manager(const Config& config);

  // With every uplink's `mptcp` off, apply looks at the kernel only while uplinkd's endpoints may be there.
  // After a restart or a reload that may be so whatever this process saw: look again.
  void forget() { may_have_ours_ = true; }

 private:
  enum class Mode { apply, preview, flush };
  MptcpOutcome converge(const Config& config, const State* state, const Plan* plan, Mode mode);

  Kernel& kernel_;
  bool may_have_ours_ = true;
};

}  // namespace uplinkd
