// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/mptcp_applier.hpp"

#include <algorithm>
#include <cerrno>
#include <map>

namespace uplinkd {
namespace {

using netlink::MptcpEndpoint;
using netlink::MptcpLimits;

bool ours(const MptcpEndpoint& endpoint) {
  return owns_mptcp_id(endpoint.id) && !endpoint.implicit;
}

// Limits are raised, never lowered. They are the namespace's, and cap every MPTCP connection, not only
// those over uplinkd's endpoints (a server here takes its clients' extra subflows under the same
// `subflows`): a value someone set higher is theirs to keep. And after a restart uplinkd cannot tell a value
// it raised from one set by hand, so it cannot put back "what was there before" either: the limits stay when
// mptcp is turned off and on exit, as the sysctls uplinkd sets do.
MptcpLimits raised(const MptcpLimits& have, const MptcpLimits& need) {
  return {std::max(have.subflows, need.subflows), std::max(have.add_addr_accepted, need.add_addr_accepted)};
}

// uplinkd's endpoints after the changes that took effect, named by the uplink their id belongs to.
std::vector<PlannedMptcpEndpoint> endpoints_after(const Config& config,
                                                  const std::vector<MptcpEndpoint>& before,
                                                  const MptcpOutcome& outcome) {
  std::map<uint8_t, MptcpEndpoint> kept;
  for (const auto& endpoint : before)
    if (ours(endpoint)) kept[endpoint.id] = endpoint;
  for (const auto& change : outcome.changes) {
    const bool refused = std::any_of(outcome.failed.begin(), outcome.failed.end(),
                                     [&](const MptcpFailure& failure) { return failure.change == change; });
    if (refused) continue;
    switch (change.kind) {
      case MptcpEndpointChange::Kind::remove:
        kept.erase(change.endpoint.id);
        break;
      case MptcpEndpointChange::Kind::add:
        kept[change.endpoint.id] = change.endpoint;
        break;
      case MptcpEndpointChange::Kind::set_backup:
        if (auto it = kept.find(change.endpoint.id); it != kept.end())
          it->second.backup = change.endpoint.backup;
        break;
    }
  }
  std::vector<PlannedMptcpEndpoint> named;
  // From 255 down: config order, IPv4 before IPv6.
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    const auto owner = mptcp_id_owner(it->first);
    const std::string uplink =
        owner && owner->uplink_index < config.uplinks.size() ? config.uplinks[owner->uplink_index].name : "";
    named.push_back({uplink, owner ? owner->family : it->second.address.family(), it->second});
  }
  return named;
}

// What a converge or a stop without mptcp removes. uplinkd --flush removes every endpoint of uplinkd's ids
// (`whole_range`), as it removes everything else with uplinkd's marks. But a config without mptcp is also
// every config that never asked for MPTCP: there, only endpoints that carry all of uplinkd's fingerprint are
// removed (an id of its range, `subflow`, bound to the interface of the uplink that id is handed to), so that
// an endpoint someone gave an id of 200-255 by hand, or that the kernel numbered there, is not taken away by
// a program that was never asked to manage MPTCP. A crashed run's endpoints of uplinks the config has since
// lost stay: uplinkd --flush removes them.
std::vector<MptcpEndpoint> leftovers(const Config& config, const State* state,
                                     const std::vector<MptcpEndpoint>& current, bool whole_range) {
  std::vector<MptcpEndpoint> found;
  for (const auto& endpoint : current) {
    if (!ours(endpoint)) continue;
    if (!whole_range) {
      const auto owner = mptcp_id_owner(endpoint.id);
      if (!state || !owner || owner->uplink_index >= config.uplinks.size() || !endpoint.subflow) continue;
      const auto& ifindex = state->facts(config.uplinks[owner->uplink_index].interface).ifindex;
      if (!ifindex || *ifindex != endpoint.ifindex) continue;
    }
    found.push_back(endpoint);
  }
  return found;
}

}  // namespace

MptcpOutcome MptcpApplier::apply(const Config& config, const State& state, const Plan& plan) {
  return converge(config, &state, &plan, Mode::apply);
}

MptcpOutcome MptcpApplier::preview(const Config& config, const State& state, const Plan& plan) {
  return converge(config, &state, &plan, Mode::preview);
}

MptcpOutcome MptcpApplier::flush() {
  return converge(Config{}, nullptr, nullptr, Mode::flush);
}

MptcpOutcome MptcpApplier::flush(const Config& config, const State& state) {
  return converge(config, &state, nullptr, Mode::flush);
}

std::optional<std::string> MptcpApplier::other_manager(const Config& config) {
  if (!mptcp_configured(config)) return std::nullopt;
  const auto have = kernel_.dump_mptcp();
  return have ? foreign_manager(have->endpoints) : std::nullopt;
}

MptcpOutcome MptcpApplier::converge(const Config& config, const State* state, const Plan* plan, Mode mode) {
  MptcpOutcome outcome;
  outcome.configured = mode != Mode::flush && mptcp_configured(config);
  // Nothing to keep and nothing left over: not even a dump (a config without mptcp costs nothing).
  if (!outcome.configured && !may_have_ours_ && mode != Mode::flush) return outcome;

  auto have = kernel_.dump_mptcp();
  if (!have) {
    if (have.error().code == ENOENT) {
      // No MPTCP in this kernel: no endpoint of anyone's can exist, and none can be made.
      may_have_ours_ = false;
      if (outcome.configured)
        outcome.unavailable =
            have.error().message() + ": uplinkd keeps no MPTCP endpoints (mptcp = true does nothing)";
    } else {
      outcome.errors.push_back(have.error());
    }
    return outcome;
  }
  outcome.limits = have->limits;
  // What the status names as uplinkd's: without mptcp, only what it removes (or failed to).
  const bool whole_range = mode == Mode::flush && (!state || mptcp_configured(config));
  const std::vector<MptcpEndpoint> mine =
      outcome.configured ? have->endpoints : leftovers(config, state, have->endpoints, whole_range);

  if (outcome.configured) {
    outcome.foreign_manager = foreign_manager(have->endpoints);
    if (outcome.foreign_manager) {
      // Two managers would undo each other's endpoints: uplinkd's, if any, stay as they are too, until the
      // other program's are gone or mptcp is turned off (which removes uplinkd's).
      outcome.endpoints = endpoints_after(config, have->endpoints, outcome);
      return outcome;
    }
    outcome.managed = true;
    auto desired = desired_mptcp_endpoints(config, *state, plan->uplinks, have->endpoints);
    outcome.notes = std::move(desired.notes);
    outcome.wanted = desired.endpoints;
    outcome.changes = diff_mptcp_endpoints(desired.endpoints, have->endpoints);
    const MptcpLimits limits = raised(have->limits, mptcp_limits_for(desired.endpoints));
    if (limits != have->limits) outcome.raised_limits = limits;
  } else {
    outcome.changes = diff_mptcp_endpoints({}, mine);
  }

  if (mode == Mode::preview) {
    outcome.endpoints = endpoints_after(config, mine, MptcpOutcome{});
    return outcome;
  }
  if (!outcome.changes.empty()) {
    const auto answers = kernel_.apply_mptcp(outcome.changes);
    for (size_t i = 0; i < outcome.changes.size() && i < answers.size(); ++i)
      if (answers[i]) outcome.failed.push_back({outcome.changes[i], *answers[i]});
  }
  // After the endpoints, as `ip mptcp` would be used by hand; the limits count the endpoints wanted.
  if (outcome.raised_limits) {
    if (auto error = kernel_.set_mptcp_limits(*outcome.raised_limits)) {
      outcome.errors.push_back(*error);
      outcome.raised_limits.reset();
    } else {
      outcome.limits = outcome.raised_limits;
    }
  }
  outcome.endpoints = endpoints_after(config, mine, outcome);
  may_have_ours_ = outcome.configured || !outcome.endpoints.empty();
  return outcome;
}

}  // namespace uplinkd
