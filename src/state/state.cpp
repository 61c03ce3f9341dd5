// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/state.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace uplinkd {
namespace {

constexpr uint32_t kMainTable = 254;
constexpr uint8_t kScopeUniverse = 0;  // RT_SCOPE_UNIVERSE: global addresses
// IFA_F_* (linux/if_addr.h), kept out of this pure layer's includes.
constexpr uint32_t kAddressTemporary = 0x01;
constexpr uint32_t kAddressDadFailed = 0x08;
constexpr uint32_t kAddressDeprecated = 0x20;
constexpr uint32_t kAddressTentative = 0x40;

template <class T>
bool insert_unique(std::vector<T>& values, const T& value) {
  if (std::find(values.begin(), values.end(), value) != values.end()) return false;
  values.push_back(value);
  return true;
}

template <class T>
bool erase_value(std::vector<T>& values, const T& value) {
  auto it = std::find(values.begin(), values.end(), value);
  if (it == values.end()) return false;
  values.erase(it);
  return true;
}

// A default route that someone else (a DHCP client, an admin) put in main: its gateways on `ifindex` are
// how uplinkd learns a gateway without any hook.
std::vector<IpAddress> default_gateways_on(const netlink::Route& route, uint32_t ifindex) {
  std::vector<IpAddress> gateways;
  if (route.table != kMainTable || !route.destination.is_default()) return gateways;
  // The kernel refuses most non-unicast gateways itself; the check keeps the rest (and a forged event) out.
  if (route.gateway && route.oif == ifindex && !gateway_problem(*route.gateway))
    gateways.push_back(*route.gateway);
  for (const auto& leg : route.multipath)
    if (leg.gateway && leg.ifindex == ifindex && !gateway_problem(*leg.gateway))
      gateways.push_back(*leg.gateway);
  return gateways;
}

}  // namespace

void State::reconfigure(const Config& config) {
  std::map<std::string, UplinkFacts> kept;
  for (const auto& uplink : config.uplinks) {
    auto known = facts_.find(uplink.interface);
    kept[uplink.interface] = known != facts_.end() ? known->second : UplinkFacts{};
  }
  facts_ = std::move(kept);
}

bool State::reset(const std::vector<netlink::Link>& links, const std::vector<netlink::Address>& addresses,
                  const std::vector<netlink::Route>& routes) {
  auto before = facts_;
  for (auto& [interface, facts] : facts_) {
    auto lease = facts.lease;
    auto delegated = facts.delegated;
    auto health = facts.health;
    auto health6 = facts.health6;
    auto drained = facts.drained;
    auto refused = facts.refused;
    auto refused6 = facts.refused6;
    facts = UplinkFacts{};
    facts.lease = lease;
    facts.delegated = delegated;
    facts.health = health;
    facts.health6 = health6;
    facts.drained = drained;
    facts.refused = refused;
    facts.refused6 = refused6;
  }
  for (const auto& link : links) on_link(link, false);
  for (const auto& address : addresses) on_address(address, false);
  for (const auto& route : routes) on_route(route, false);
  return before != facts_;
}

UplinkFacts* State::by_ifindex(uint32_t ifindex) {
  for (auto& [interface, facts] : facts_)
    if (facts.ifindex == ifindex) return &facts;
  return nullptr;
}

UplinkFacts* State::by_interface(const std::string& interface) {
  auto it = facts_.find(interface);
  return it == facts_.end() ? nullptr : &it->second;
}

bool State::on_link(const netlink::Link& link, bool removed) {
  UplinkFacts* facts = by_interface(link.name);
  // A renamed link: the uplink whose ifindex it had loses it.
  UplinkFacts* previous = by_ifindex(link.index);
  bool changed = false;
  if (previous && previous != facts) {
    auto lease = previous->lease;
    auto delegated = previous->delegated;
    auto health = previous->health;
    auto health6 = previous->health6;
    *previous = UplinkFacts{};
    previous->lease = lease;
    previous->delegated = delegated;
    previous->health = health;
    previous->health6 = health6;
    changed = true;
  }
  if (!facts) return changed;
  UplinkFacts updated = *facts;
  if (removed) {
    updated = UplinkFacts{};
    updated.lease = facts->lease;
    updated.delegated = facts->delegated;
    updated.health = facts->health;
    updated.health6 = facts->health6;
  } else {
    if (updated.ifindex &&
        *updated.ifindex != link.index) {  // recreated: its addresses and routes went with it
      updated.addresses.clear();
      updated.route_gateways.clear();
      updated.addresses6.clear();
      updated.route_gateways6.clear();
    }
    updated.ifindex = link.index;
    updated.admin_up = link.admin_up;
    updated.carrier = link.carrier;
  }
  changed = changed || updated != *facts;
  *facts = std::move(updated);
  return changed;
}

bool State::on_address(const netlink::Address& address, bool removed) {
  UplinkFacts* facts = by_ifindex(address.ifindex);
  if (!facts) return false;
  if (address.local.family() == Family::v4)
    return removed ? erase_value(facts->addresses, address.local)
                   : insert_unique(facts->addresses, address.local);
  // Link-local and host-scope addresses are no uplink's source; a tentative one is not usable until DAD
  // ends (the kernel announces it again then), one that failed DAD never is.
  if (address.scope != kScopeUniverse) return false;
  auto& known = facts->addresses6;
  auto it = std::find_if(known.begin(), known.end(),
                         [&](const Address6& held) { return held.prefix == address.local; });
  const bool present = !removed && !(address.flags & (kAddressTentative | kAddressDadFailed));
  if (!present) {
    if (it == known.end()) return false;
    known.erase(it);
    return true;
  }
  const Address6 updated{address.local, (address.flags & kAddressDeprecated) != 0,
                         (address.flags & kAddressTemporary) != 0};
  if (it == known.end()) {
    known.push_back(updated);
    return true;
  }
  if (*it == updated) return false;
  *it = updated;
  return true;
}

bool State::on_route(const netlink::Route& route, bool removed) {
  bool changed = false;
  for (auto& [interface, facts] : facts_) {
    if (!facts.ifindex) continue;
    auto& gateways = route.family() == Family::v4 ? facts.route_gateways : facts.route_gateways6;
    for (const auto& gateway : default_gateways_on(route, *facts.ifindex))
      changed |= removed ? erase_value(gateways, gateway) : insert_unique(gateways, gateway);
  }
  return changed;
}

bool State::on_hook(const HookEvent& event) {
  UplinkFacts* facts = by_interface(event.interface);
  if (!facts)
    throw InputError(
        {"request"}, "event.interface \"" + event.interface + "\" is not an uplink's interface",
        "list it as `interface` of an [[uplink]] in the config, or stop calling the hook for it");
  // The DHCPv6 lease is another lease of the interface: its events leave the IPv4 one as it is.
  if (event.family == Family::v6) return on_dhcpv6(*facts, event);
  switch (event.change) {
    case LeaseChange::ignore:
      return false;
    case LeaseChange::down: {
      bool had = facts->lease.has_value();
      facts->lease.reset();
      return had;
    }
    case LeaseChange::up: {
      UPLINKD_ASSERT(event.address.has_value(), "a lease-up hook event carries an address");
      DhcpLease lease{*event.address, std::nullopt, event.client, event.refused_routers};
      if (!event.routers.empty()) lease.gateway = event.routers.front();
      bool changed = facts->lease != lease;
      facts->lease = lease;
      return changed;
    }
  }
  return false;
}

// Renumbering (a new delegation replacing the old one) arrives as the new prefix and the old one withdrawn,
// in one dhcpcd event or in several dhclient calls; either way the old prefix's rule goes as the new one's
// comes. See reports_whole_lease6() for why the two clients differ.
bool State::on_dhcpv6(UplinkFacts& facts, const HookEvent& event) {
  if (event.change == LeaseChange::ignore) return false;
  // dhcpcd: the event is the whole lease (down: none left). dhclient: it names the bindings it adds or ends.
  std::vector<Prefix> delegated =
      reports_whole_lease6(event.client) ? std::vector<Prefix>{} : facts.delegated;
  for (const auto& prefix : event.withdrawn) erase_value(delegated, prefix);
  if (event.change == LeaseChange::up)
    for (const auto& prefix : event.delegated)
      if (delegated.size() < kMaxDelegatedPrefixes) insert_unique(delegated, prefix);
  if (delegated == facts.delegated) return false;
  facts.delegated = std::move(delegated);
  return true;
}

bool State::restore_delegated(const std::string& interface, const std::vector<Prefix>& prefixes) {
  UplinkFacts* facts = by_interface(interface);
  if (!facts) return false;
  std::vector<Prefix> delegated;
  for (const auto& prefix : prefixes)
    if (delegated.size() < kMaxDelegatedPrefixes && !delegated_prefix_problem(prefix))
      insert_unique(delegated, prefix);
  if (delegated == facts->delegated) return false;
  facts->delegated = std::move(delegated);
  return true;
}

bool State::on_health(const std::string& interface, Family family, const HealthVerdict& verdict) {
  UplinkFacts* facts = by_interface(interface);
  if (!facts || facts->health_of(family) == verdict) return false;
  facts->health_of(family) = verdict;
  return true;
}

bool State::on_health(const std::string& interface, const HealthVerdict& verdict) {
  const bool changed = on_health(interface, Family::v4, verdict);
  return on_health(interface, Family::v6, verdict) || changed;
}

bool State::restore_lease(const std::string& interface, const DhcpLease& lease) {
  UplinkFacts* facts = by_interface(interface);
  if (!facts || facts->lease == lease) return false;
  facts->lease = lease;
  return true;
}

bool State::set_drained(const std::string& interface, bool drained) {
  UplinkFacts* facts = by_interface(interface);
  if (!facts || facts->drained == drained) return false;
  facts->drained = drained;
  return true;
}

bool State::on_kernel_refused(const std::string& interface, Family family, const std::string& reason,
                              const std::optional<Prefix>& address, const std::optional<IpAddress>& gateway,
                              BackoffTime now) {
  UplinkFacts* facts = by_interface(interface);
  if (!facts) return false;
  auto& slot = facts->refusal(family);
  const auto before = slot;
  KernelRefusal refusal{reason, address, gateway, 1, {}, false};
  if (before && before->address == address && before->gateway == gateway)
    refusal.refusals = before->refusals + 1;
  refusal.retry_at = now + kRefusalBackoff.delay(refusal.refusals);
  slot = refusal;
  // The time alone changing is no news for the planner.
  return !before || before->retrying || before->reason != reason || before->address != address ||
         before->gateway != gateway;
}

bool State::on_kernel_accepted(const std::string& interface, Family family) {
  UplinkFacts* facts = by_interface(interface);
  if (!facts) return false;
  auto& slot = facts->refusal(family);
  if (!slot) return false;
  slot.reset();
  return true;
}

bool State::retry_refused(BackoffTime now) {
  bool changed = false;
  for (auto& [interface, facts] : facts_)
    for (auto* refused : {&facts.refused, &facts.refused6}) {
      if (!*refused || (*refused)->retrying || (*refused)->retry_at > now) continue;
      (*refused)->retrying = true;
      changed = true;
    }
  return changed;
}

std::optional<BackoffTime> State::next_refusal_retry() const {
  std::optional<BackoffTime> next;
  for (const auto& [interface, facts] : facts_)
    for (const auto* refused : {&facts.refused, &facts.refused6})
      if (*refused && !(*refused)->retrying && (!next || (*refused)->retry_at < *next))
        next = (*refused)->retry_at;
  return next;
}

const UplinkFacts& State::facts(const std::string& interface) const {
  static const UplinkFacts kUnknown;
  auto it = facts_.find(interface);
  return it == facts_.end() ? kUnknown : it->second;
}

}  // namespace uplinkd
