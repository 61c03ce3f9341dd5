#include "plan/nat_planner.hpp"

#include <algorithm>
#include <cstring>

#include "plan/ownership.hpp"

namespace uplinkd {
namespace {

// Link-local sources (a DHCPv6 client's solicitations, the router's own link traffic) are never translated:
// their scope is the link.
const Prefix kLinkLocal{*IpAddress::parse("fe80::"), 10};

bool inside(const Prefix& inner, const Prefix& outer) {
  return outer.length <= inner.length && outer.contains(inner.address);
}

// Sorted, with prefixes inside another dropped: an nft interval set refuses overlapping elements.
std::vector<Prefix> outermost(std::vector<Prefix> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  std::vector<Prefix> kept;
  for (const auto& prefix : prefixes)
    if (std::none_of(prefixes.begin(), prefixes.end(),
                     [&](const Prefix& other) { return other != prefix && inside(prefix, other); }))
      kept.push_back(prefix);
  return kept;
}

std::vector<Prefix> untranslated_prefixes(const Config& config, const State& state) {
  std::vector<Prefix> prefixes{kLinkLocal};
  for (const auto& uplink : config.uplinks) {
    const UplinkFacts& facts = state.facts(uplink.interface);
    for (const auto& address : facts.addresses6) prefixes.push_back(address.prefix.network());
    for (const auto& delegated : facts.delegated) prefixes.push_back(delegated.network());
  }
  return outermost(std::move(prefixes));
}

// Established connections masqueraded to a usable uplink stay on it, whatever the group does (NatPlan's
// PinnedUplink says why). A dead uplink is not pinned: its connections must move (and the daemon deletes
// their conntrack entries so that they can).
void plan_pinning(const UplinkConfig& uplink, const UplinkStatus& status, Plan& plan) {
  plan.nat.pinned.push_back({status.address->address, ownership::uplink_mark(uplink.table)});
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
  if (!plan.nat.masquerade6_interfaces.empty()) plan.nat.untranslated6 = untranslated_prefixes(config, state);
}

}  // namespace uplinkd
