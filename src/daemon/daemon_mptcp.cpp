// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's part for MPTCP endpoints (`mptcp = true`): reconciled after every converge, once the routing
// objects they depend on (each uplink's source rule sends its subflows out by it) are in place; changes
// logged and published, refusals reported like the kernel's other errors (logged when new, in the status,
// retried with the back-off), another manager's presence said once.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/daemon.hpp"
#include "daemon/mptcp_report.hpp"

namespace uplinkd {
namespace {

bool refused(const MptcpOutcome& outcome, const MptcpEndpointChange& change) {
  return std::any_of(outcome.failed.begin(), outcome.failed.end(),
                     [&](const MptcpFailure& failure) { return failure.change == change; });
}

std::string limits_text(const netlink::MptcpLimits& limits) {
  return "subflows " + std::to_string(limits.subflows) + " add_addr_accepted " +
         std::to_string(limits.add_addr_accepted);
}

}  // namespace

void Daemon::converge_mptcp(const Plan& plan, std::vector<KernelError>& errors) {
  MptcpOutcome outcome = mptcp_.apply(config_, state_, plan);
  counters_.apply_errors += outcome.failed.size() + outcome.errors.size();
  for (const auto& change : outcome.changes) {
    if (refused(outcome, change)) continue;
    const auto whose = mptcp_id_owner(change.endpoint.id);
    const UplinkConfig* uplink = whose && whose->uplink_index < config_.uplinks.size()
                                     ? &config_.uplinks[whose->uplink_index]
                                     : nullptr;
    spdlog::info("{}{}", to_string(change), uplink ? " (uplink " + uplink->name + ")" : "");
  }
  if (outcome.raised_limits) spdlog::info("MPTCP limits raised to {}", limits_text(*outcome.raised_limits));
  for (auto& event : mptcp_events(config_, outcome)) mptcp_events_.push_back(std::move(event));
  for (const auto& failure : outcome.failed) errors.push_back(mptcp_refusal(config_, failure));
  errors.insert(errors.end(), outcome.errors.begin(), outcome.errors.end());
  for (const auto& note : outcome.notes)
    if (std::find(mptcp_outcome_.notes.begin(), mptcp_outcome_.notes.end(), note) ==
        mptcp_outcome_.notes.end())
      spdlog::warn("{}", note);
  say_mptcp_management(outcome);
  mptcp_outcome_ = std::move(outcome);
}

// Once per change of standing, not per converge: another manager's endpoints may stay for days.
void Daemon::say_mptcp_management(const MptcpOutcome& outcome) {
  const std::optional<std::string> said =
      outcome.foreign_manager ? outcome.foreign_manager : outcome.unavailable;
  if (said == mptcp_said_) return;
  if (outcome.foreign_manager) {
    spdlog::warn("{}", *outcome.foreign_manager);
    mptcp_events_.push_back({{"event", "mptcp"}, {"action", "unmanaged"}, {"why", *outcome.foreign_manager}});
  } else if (outcome.unavailable) {
    spdlog::warn("{}", *outcome.unavailable);
  } else if (outcome.managed) {
    spdlog::info("MPTCP endpoints: no other program manages them now, uplinkd does again");
    mptcp_events_.push_back({{"event", "mptcp"}, {"action", "managed"}});
  }
  mptcp_said_ = said;
}

// The kernel announces no change of an endpoint (nor of the limits): someone's `ip mptcp endpoint delete`
// is found by comparing. What the last converge could not change (a refusal, retried with the back-off)
// does not count, nor does a failed look.
bool Daemon::mptcp_drifted() {
  const MptcpOutcome now = mptcp_.preview(config_, state_, plan_);
  if (now.foreign_manager != mptcp_outcome_.foreign_manager) return true;
  for (const auto& change : now.changes)
    if (!refused(mptcp_outcome_, change)) return true;
  return now.raised_limits && mptcp_outcome_.errors.empty();
}

// The endpoints and limits wanted, as `ip mptcp` commands among the others, and what differs now.
void Daemon::add_mptcp_plan(nlohmann::json& response, const Plan& plan, const InterfaceNames& names) {
  const MptcpOutcome preview = mptcp_.preview(config_, state_, plan);
  auto& commands = response["commands"];
  const auto limits = preview.raised_limits ? preview.raised_limits : preview.limits;
  for (auto& command : mptcp_commands(preview.wanted, preview.managed ? limits : std::nullopt, names))
    commands.push_back(std::move(command));
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& change : preview.changes) changes.push_back(to_string(change));
  if (preview.raised_limits) changes.push_back("set MPTCP limits " + limits_text(*preview.raised_limits));
  response["mptcp_changes"] = std::move(changes);
  if (preview.foreign_manager) response["mptcp_unmanaged"] = *preview.foreign_manager;
  if (preview.unavailable) response["mptcp_unmanaged"] = *preview.unavailable;
  for (const auto& error : preview.errors) response["mptcp_unmanaged"] = error.message();
}

}  // namespace uplinkd
