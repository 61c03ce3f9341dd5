// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/mptcp_endpoints.hpp"

#include <algorithm>
#include <map>

namespace uplinkd {
namespace {

using netlink::MptcpEndpoint;

std::string_view family_word(Family family) {
  return family == Family::v4 ? "IPv4" : "IPv6";
}

std::string flags_text(const MptcpEndpoint& endpoint) {
  std::string text;
  auto add = [&](bool set, std::string_view flag) {
    if (set) text += (text.empty() ? "" : " ") + std::string(flag);
  };
  add(endpoint.signal, "signal");
  add(endpoint.subflow, "subflow");
  add(endpoint.backup, "backup");
  add(endpoint.fullmesh, "fullmesh");
  add(endpoint.implicit, "implicit");
  return text;
}

// "10.0.0.5 id 1 (subflow)", as `ip mptcp endpoint show` names an endpoint.
std::string describe(const MptcpEndpoint& endpoint) {
  const std::string flags = flags_text(endpoint);
  return endpoint.address.to_string() + " id " + std::to_string(endpoint.id) +
         (flags.empty() ? "" : " (" + flags + ")");
}

// Endpoints that are not uplinkd's to change but take a place in the kernel's list all the same.
bool is_others(const MptcpEndpoint& endpoint) {
  return endpoint.implicit || !owns_mptcp_id(endpoint.id);
}

// An address on link-local scope would open subflows that no ISP routes; the state keeps only global IPv6
// addresses, and this holds whatever it is given.
bool is_link_local(const IpAddress& address) {
  static const Prefix kLinkLocal = *Prefix::parse("fe80::/10");
  return address.family() == Family::v6 && kLinkLocal.contains(address);
}

// The best tier of the family's group as the planner chose it: drains, health and degraded uplinks are
// already weighed there, so an uplink outside the group but of this tier is not a backup.
std::optional<uint32_t> group_tier(const Config& config, const std::vector<PlannedUplink>& planned,
                                   Family family) {
  std::optional<uint32_t> best;
  for (size_t i = 0; i < planned.size() && i < config.uplinks.size(); ++i)
    if (planned[i].in_group_of(family))
      best = std::min(best.value_or(config.uplinks[i].tier), config.uplinks[i].tier);
  return best;
}

struct Candidate {
  uint32_t tier = 0;
  size_t index = 0;
  PlannedMptcpEndpoint planned;
};

// Why another program's endpoint keeps `wanted` out of the kernel, if one does: the kernel refuses an
// address twice (EEXIST; an implicit endpoint's address EINVAL with an explicit id) and an id in use (EBUSY).
// An endpoint with a port is told apart by it, as the kernel does.
std::optional<std::string> blocked_by(const MptcpEndpoint& wanted,
                                      const std::vector<MptcpEndpoint>& current) {
  for (const auto& endpoint : current) {
    if (!is_others(endpoint)) continue;
    if (endpoint.address == wanted.address && !endpoint.port)
      return "its address already has MPTCP endpoint " + describe(endpoint) + ", which is not uplinkd's";
    if (endpoint.id == wanted.id)
      return "its id " + std::to_string(wanted.id) + " is held by the kernel's endpoint " +
             describe(endpoint);
  }
  return std::nullopt;
}

// Everything but `backup` differs: set_backup cannot make it, the endpoint must be made anew.
bool differs_beyond_backup(MptcpEndpoint a, MptcpEndpoint b) {
  a.backup = b.backup = false;
  return a != b;
}

}  // namespace

std::optional<uint8_t> mptcp_endpoint_id(size_t uplink_index, Family family) {
  constexpr size_t kIds = kMptcpIdLast - kMptcpIdFirst + 1;
  if (uplink_index >= kIds / 2) return std::nullopt;
  const size_t offset = 2 * uplink_index + (family == Family::v6 ? 1 : 0);
  return static_cast<uint8_t>(kMptcpIdLast - offset);
}

std::optional<MptcpIdOwner> mptcp_id_owner(uint8_t id) {
  if (!owns_mptcp_id(id)) return std::nullopt;
  const size_t offset = kMptcpIdLast - id;
  return MptcpIdOwner{offset / 2, offset % 2 ? Family::v6 : Family::v4};
}

bool mptcp_configured(const Config& config) {
  return std::any_of(config.uplinks.begin(), config.uplinks.end(),
                     [](const UplinkConfig& uplink) { return uplink.mptcp; });
}

std::vector<Sysctl> mptcp_sysctls(const Config& config, bool other_manager) {
  if (!mptcp_configured(config) || other_manager) return {};
  return {{"net.mptcp.enabled", "1", true}, {"net.mptcp.pm_type", "0", true}};
}

DesiredMptcpEndpoints desired_mptcp_endpoints(const Config& config, const State& state,
                                              const std::vector<PlannedUplink>& planned,
                                              const std::vector<MptcpEndpoint>& current) {
  DesiredMptcpEndpoints desired;
  const std::optional<uint32_t> best_tier[] = {group_tier(config, planned, Family::v4),
                                               group_tier(config, planned, Family::v6)};
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < config.uplinks.size() && i < planned.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    if (!uplink.mptcp) continue;
    if (!mptcp_endpoint_id(i, Family::v4)) {
      desired.notes.push_back("uplink " + uplink.name + " gets no MPTCP endpoint: uplinkd's endpoint ids " +
                              std::to_string(kMptcpIdFirst) + "–" + std::to_string(kMptcpIdLast) +
                              " cover the first " + std::to_string((kMptcpIdLast - kMptcpIdFirst + 1) / 2) +
                              " uplinks of the config");
      continue;
    }
    const auto& ifindex = state.facts(uplink.interface).ifindex;
    for (Family family : {Family::v4, Family::v6}) {
      const UplinkStatus& status = planned[i].of(family);
      if (!status.usable || !status.address || !ifindex || is_link_local(status.address->address)) continue;
      const auto& best = best_tier[family == Family::v4 ? 0 : 1];
      MptcpEndpoint endpoint;
      endpoint.id = *mptcp_endpoint_id(i, family);
      endpoint.address = status.address->address;
      endpoint.ifindex = *ifindex;
      endpoint.subflow = true;
      endpoint.backup = status.drained || (best && uplink.tier > *best);
      candidates.push_back({uplink.tier, i, {uplink.name, family, endpoint}});
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.tier != b.tier ? a.tier < b.tier : a.index < b.index;
  });

  const auto others = static_cast<size_t>(std::count_if(current.begin(), current.end(), is_others));
  const size_t room = others < netlink::kMptcpMaxEndpoints ? netlink::kMptcpMaxEndpoints - others : 0;
  std::string left_out;
  for (auto& candidate : candidates) {
    const auto& planned_endpoint = candidate.planned;
    const std::string whose =
        "uplink " + planned_endpoint.uplink + "'s " + std::string(family_word(planned_endpoint.family));
    if (auto why = blocked_by(planned_endpoint.endpoint, current)) {
      desired.notes.push_back(whose + " gets no MPTCP endpoint: " + *why);
      continue;
    }
    if (desired.endpoints.size() < room) {
      desired.endpoints.push_back(std::move(candidate.planned));
      continue;
    }
    left_out += (left_out.empty() ? "" : ", ") + planned_endpoint.uplink + " " +
                std::string(family_word(planned_endpoint.family));
  }
  // The kernel refuses a ninth endpoint (ERANGE): better tiers first, so the subflows that carry traffic
  // are the ones kept.
  if (!left_out.empty())
    desired.notes.push_back("the kernel holds at most " + std::to_string(netlink::kMptcpMaxEndpoints) +
                            " MPTCP endpoints, " + std::to_string(others) +
                            " of them not uplinkd's: no endpoint for " + left_out);
  return desired;
}

std::vector<MptcpEndpointChange> diff_mptcp_endpoints(const std::vector<PlannedMptcpEndpoint>& desired,
                                                      const std::vector<MptcpEndpoint>& current) {
  std::map<uint8_t, const MptcpEndpoint*> ours;
  for (const auto& endpoint : current)
    if (!is_others(endpoint)) ours[endpoint.id] = &endpoint;
  std::map<uint8_t, const MptcpEndpoint*> wanted;
  for (const auto& planned : desired) wanted[planned.endpoint.id] = &planned.endpoint;

  std::vector<MptcpEndpointChange> removes, adds, backup_off, backup_on;
  for (const auto& [id, endpoint] : ours) {
    auto want = wanted.find(id);
    if (want == wanted.end() || differs_beyond_backup(*endpoint, *want->second))
      removes.push_back({MptcpEndpointChange::Kind::remove, *endpoint});
  }
  for (const auto& planned : desired) {
    const MptcpEndpoint& endpoint = planned.endpoint;
    auto have = ours.find(endpoint.id);
    if (have == ours.end() || differs_beyond_backup(*have->second, endpoint))
      adds.push_back({MptcpEndpointChange::Kind::add, endpoint});
    else if (have->second->backup != endpoint.backup)
      (endpoint.backup ? backup_on : backup_off).push_back({MptcpEndpointChange::Kind::set_backup, endpoint});
  }
  std::vector<MptcpEndpointChange> changes = std::move(removes);
  for (auto* part : {&adds, &backup_off, &backup_on})
    changes.insert(changes.end(), part->begin(), part->end());
  return changes;
}

std::optional<std::string> foreign_manager(const std::vector<MptcpEndpoint>& current) {
  std::vector<const MptcpEndpoint*> managed;
  for (const auto& endpoint : current)
    if (!endpoint.implicit && !owns_mptcp_id(endpoint.id) && (endpoint.subflow || endpoint.signal))
      managed.push_back(&endpoint);
  if (managed.empty()) return std::nullopt;
  std::string names;
  for (const auto* endpoint : managed) names += (names.empty() ? "" : ", ") + describe(*endpoint);
  const bool one = managed.size() == 1;
  return std::string(one ? "MPTCP endpoint " : "MPTCP endpoints ") + names + (one ? " is" : " are") +
         " managed by another program (NetworkManager's mptcp-flags or mptcpd?): uplinkd leaves MPTCP "
         "alone; remove " +
         (one ? "it" : "them") + " or set mptcp = false";
}

netlink::MptcpLimits mptcp_limits_for(const std::vector<PlannedMptcpEndpoint>& desired) {
  // A connection opens a subflow from each endpoint's address but the one it started on, and may take more
  // to addresses the server announces (ADD_ADDR), which it acts on only up to add_addr_accepted: one of each
  // per endpoint. Never below the kernel's own default of 2 subflows, never above its cap (EINVAL over 8).
  const auto count = static_cast<uint32_t>(std::min<size_t>(desired.size(), netlink::kMptcpMaxLimit));
  return {std::max<uint32_t>(2, count), count};
}

std::string to_string(const MptcpEndpointChange& change) {
  const MptcpEndpoint& endpoint = change.endpoint;
  const std::string where = endpoint.address.to_string() + " id " + std::to_string(endpoint.id);
  switch (change.kind) {
    case MptcpEndpointChange::Kind::remove:
      return "remove MPTCP endpoint " + where;
    case MptcpEndpointChange::Kind::add:
      return "add MPTCP endpoint " + where + " ifindex " + std::to_string(endpoint.ifindex) + " " +
             flags_text(endpoint);
    case MptcpEndpointChange::Kind::set_backup:
      return "set MPTCP endpoint " + where + (endpoint.backup ? " backup" : " nobackup");
  }
  return "?";
}

}  // namespace uplinkd
