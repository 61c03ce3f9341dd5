// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/nat_planner.hpp"

#include <algorithm>
#include <cstring>

#include "plan/ownership.hpp"
#include "plan/prefix_sets.hpp"

namespace uplinkd {
namespace {

std::vector<Prefix> untranslated_prefixes(const Config& config, const State& state) {
  std::vector<Prefix> prefixes{link_local6()};
  for (const auto& own : uplink_prefixes6(config, state))
    prefixes.insert(prefixes.end(), own.begin(), own.end());
  return outermost(std::move(prefixes));
}

// Established connections masqueraded to a usable uplink stay on it, whatever the group does (NatPlan's
// PinnedUplink says why). A dead uplink is not pinned: its connections must move (and the daemon deletes
// their conntrack entries so that they can).
void plan_pinning(const UplinkConfig& uplink, const UplinkStatus& status, Plan& plan) {
  plan.nat.pinned.push_back({status.address->address, ownership::uplink_mark(uplink.table)});
}

// The same for IPv6, by the prefixes that its masquerade and NPTv6 translate into (PinnedPrefix says why):
// its own prefixes and its delegated ones. A LAN host numbered from a delegated prefix is pinned to the same
// uplink as its source rule sends it to. A prefix two uplinks share would pin a connection to either: it is
// left out, and such connections follow the balancing.
std::vector<PinnedPrefix> pinned_prefixes(const Config& config, const Plan& plan) {
  std::vector<std::pair<uint32_t, std::vector<Prefix>>> owned;  // mark, outermost prefixes
  for (size_t i = 0; i < config.uplinks.size(); ++i) {
    const UplinkStatus& status = plan.uplinks[i].status6;
    if (!config.uplinks[i].masquerade || !status.usable) continue;
    std::vector<Prefix> prefixes = status.prefixes;
    prefixes.insert(prefixes.end(), status.delegated.begin(), status.delegated.end());
    owned.emplace_back(ownership::uplink_mark(config.uplinks[i].table), outermost(std::move(prefixes)));
  }
  std::vector<PinnedPrefix> pinned;
  for (const auto& [mark, prefixes] : owned)
    for (const auto& prefix : prefixes) {
      bool shared = false;
      for (const auto& [other_mark, others] : owned)
        for (const auto& other : others)
          shared = shared || (other_mark != mark && overlapping(prefix, other));
      if (!shared) pinned.push_back({prefix, mark});
    }
  std::sort(pinned.begin(), pinned.end(),
            [](const PinnedPrefix& a, const PinnedPrefix& b) { return a.prefix < b.prefix; });
  return pinned;
}

void plan_translation(const Config& config, const UplinkConfig& uplink, const UplinkFacts& facts,
                      Plan& plan) {
  if (!config.nptv6) return;
  if (auto target = translation_target(*config.nptv6, facts.delegated)) {
    plan.nat.translations6.push_back({uplink.interface, *config.nptv6, *target});
    return;
  }
  // Its own /64 is on the ISP's link: the ISP's router would ask for each translated address by neighbour
  // discovery, and nothing answers for them. Masquerading keeps the LAN connected.
  plan.notes.push_back("uplink " + uplink.name + " has no delegated prefix of /" +
                       std::to_string(config.nptv6->length) + " or wider: nptv6 " +
                       config.nptv6->to_string() + " is masqueraded there");
}

}  // namespace

std::optional<Prefix> translation_target(const Prefix& lan, const std::vector<Prefix>& delegated) {
  for (const auto& prefix : delegated) {
    if (prefix.family() != Family::v6 || prefix.length > lan.length) continue;
    uint8_t bytes[16];
    std::memcpy(bytes, prefix.network().address.data(), sizeof bytes);
    for (size_t bit = prefix.length; bit < lan.length; ++bit)
      bytes[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
    return Prefix{IpAddress::from_bytes(Family::v6, bytes), lan.length};
  }
  return std::nullopt;
}

void plan_nat(const Config& config, const State& state, Plan& plan) {
  for (size_t i = 0; i < config.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    if (!uplink.masquerade) continue;
    plan.nat.masquerade_interfaces.push_back(uplink.interface);
    if (plan.uplinks[i].status.usable) plan_pinning(uplink, plan.uplinks[i].status, plan);
    if (!carries(uplink.families, Family::v6)) continue;
    plan.nat.masquerade6_interfaces.push_back(uplink.interface);
    plan_translation(config, uplink, state.facts(uplink.interface), plan);
  }
  if (!plan.nat.masquerade6_interfaces.empty()) {
    plan.nat.untranslated6 = untranslated_prefixes(config, state);
    plan.nat.pinned6 = pinned_prefixes(config, plan);
  }
}

}  // namespace uplinkd
