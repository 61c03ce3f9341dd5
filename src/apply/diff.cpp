// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/diff.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "plan/ownership.hpp"

namespace uplinkd {
namespace {

using netlink::Nexthop;
using netlink::Route;
using netlink::Rule;

// Routes are identified as the kernel identifies them for NLM_F_REPLACE.
auto route_key(const Route& route) {
  return std::make_tuple(route.family(), route.table, route.destination.network(), route.priority);
}
using RouteKey = decltype(route_key(std::declval<const Route&>()));

Route comparable(Route route) {
  if (route.nexthop_id) {
    route.gateway.reset();
    route.oif = 0;
    route.multipath.clear();
    route.onlink = false;
  }
  route.destination = route.destination.network();
  // The kernel lists an IPv6 multipath route's legs in its own order.
  std::sort(route.multipath.begin(), route.multipath.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ifindex, a.gateway, a.weight) < std::tie(b.ifindex, b.gateway, b.weight);
  });
  return route;
}

template <class T, class Same>
bool contains(const std::vector<T>& values, const T& value, Same same) {
  return std::any_of(values.begin(), values.end(), [&](const T& other) { return same(other, value); });
}

// The fields that identify a rule; the kernel may report the rest (a mask, flags) in its own way.
auto rule_key(const Rule& rule) {
  return std::make_tuple(rule.family, rule.priority, rule.table, rule.source, rule.destination,
                         rule.suppress_prefixlength, rule.fwmark);
}

}  // namespace

bool wants(const WantedObjects& wanted, const Route& route) {
  return std::any_of(wanted.routes.begin(), wanted.routes.end(),
                     [&](const Route& other) { return route_key(other) == route_key(route); });
}

bool wants(const WantedObjects& wanted, const Rule& rule) {
  return std::any_of(wanted.rules.begin(), wanted.rules.end(),
                     [&](const Rule& other) { return rule_key(other) == rule_key(rule); });
}

bool wants(const WantedObjects& wanted, const Nexthop& nexthop) {
  return std::any_of(wanted.nexthops.begin(), wanted.nexthops.end(),
                     [&](const Nexthop& other) { return other.id == nexthop.id; });
}

bool same_nexthop(const Nexthop& a, const Nexthop& b) {
  if (a.is_group() != b.is_group()) return false;
  if (a.is_group()) {
    return a.id == b.id && a.protocol == b.protocol && a.group == b.group && a.group_type == b.group_type &&
           a.resilient == b.resilient;
  }
  return a == b;
}

bool same_route(const Route& a, const Route& b) {
  return comparable(a) == comparable(b);
}

std::string protocol_name(uint8_t protocol) {
  switch (protocol) {
    case 0:
      return "unspec";
    case 2:
      return "kernel";
    case 3:
      return "boot";
    case 4:
      return "static";
    case 9:
      return "ra";
    case 11:
      return "zebra";
    case 12:
      return "bird";
    case 16:
      return "dhcp";
    case 186:
      return "bgp";
    case 188:
      return "ospf";
    default:
      return std::to_string(protocol);
  }
}

std::vector<ForeignObject> classify_foreign(const WantedObjects& wanted, const KernelObjects& have) {
  std::vector<ForeignObject> foreign;
  for (const auto& route : have.foreign_routes) {
    ForeignFate fate = ForeignFate::left_alone;
    for (const auto& mine : wanted.routes) {
      if (mine.family() != route.family() || mine.table != route.table ||
          mine.destination.network() != route.destination.network())
        continue;
      fate = route_key(mine) == route_key(route) ? ForeignFate::replaced : ForeignFate::removed;
      break;
    }
    foreign.push_back({route, fate, route.protocol});
  }
  for (const auto& rule : have.foreign_rules) {
    // A duplicate of one of uplinkd's rules at another priority (`ip rule add from ADDR table T`) is left
    // alone: it changes nothing, and the kernel's delete of a rule without a protocol can take uplinkd's
    // twin.
    bool twin = false;
    for (const auto& mine : wanted.rules)
      twin |= mine.table == rule.table && mine.source == rule.source &&
              mine.destination == rule.destination && mine.fwmark == rule.fwmark &&
              mine.action == rule.action;
    const bool in_range = ownership::owns_rule_priority(rule.priority) && !twin;
    foreign.push_back({rule, in_range ? ForeignFate::removed : ForeignFate::left_alone, rule.protocol});
  }
  return foreign;
}

std::vector<Change> diff(const WantedObjects& wanted, const KernelObjects& have) {
  const auto foreign = classify_foreign(wanted, have);
  auto taken_by_foreign = [&](const Route& route) {
    for (const auto& other : foreign)
      if (other.fate == ForeignFate::replaced && route_key(std::get<Route>(other.object)) == route_key(route))
        return true;
    return false;
  };
  std::vector<Change> changes;
  auto find_nexthop = [&](uint32_t id) -> const Nexthop* {
    for (const auto& nexthop : have.nexthops)
      if (nexthop.id == id) return &nexthop;
    return nullptr;
  };
  for (bool groups : {false, true}) {
    for (const auto& nexthop : wanted.nexthops) {
      if (nexthop.is_group() != groups) continue;
      const Nexthop* current = find_nexthop(nexthop.id);
      if (!current) {
        changes.push_back({ChangeKind::add, nexthop});
      } else if (!same_nexthop(*current, nexthop)) {
        // A group cannot change type in place (the kernel refuses), and a single nexthop cannot become a
        // group; ids are planned so that neither happens, but a foreign hand could have done it.
        bool replaceable =
            current->is_group() == nexthop.is_group() && current->group_type == nexthop.group_type;
        if (!replaceable) changes.push_back({ChangeKind::remove, *current});
        changes.push_back({replaceable ? ChangeKind::replace : ChangeKind::add, nexthop});
      }
    }
  }
  // Routes by key, once: matching each wanted route against every route held (and back) costs N² keys,
  // each with two Prefix::network() calls, which with 64 dual-stack uplinks (500+ routes) took most of a
  // converge's 7 ms (bench/run.sh). The first route of a key wins, as a linear search would have it.
  std::map<RouteKey, const Route*> held;
  for (const auto& route : have.routes) held.emplace(route_key(route), &route);
  std::set<RouteKey> wanted_keys;
  for (const auto& route : wanted.routes) {
    auto key = route_key(route);
    wanted_keys.insert(key);
    auto current = held.find(key);
    if (current == held.end())
      // Another program's route holds the place (`ip route replace … table T proto boot`): an add would
      // fail with "File exists".
      changes.push_back({taken_by_foreign(route) ? ChangeKind::replace : ChangeKind::add, route});
    else if (!same_route(*current->second, route))
      changes.push_back({ChangeKind::replace, route});
  }
  for (const auto& rule : wanted.rules)
    if (!contains(have.rules, rule, std::equal_to<Rule>())) changes.push_back({ChangeKind::add, rule});

  for (const auto& rule : have.rules)
    if (!contains(wanted.rules, rule, std::equal_to<Rule>())) changes.push_back({ChangeKind::remove, rule});
  for (const auto& other : foreign)
    if (other.fate == ForeignFate::removed && std::holds_alternative<Rule>(other.object))
      changes.push_back({ChangeKind::remove, other.object});
  for (const auto& route : have.routes)
    if (!wanted_keys.contains(route_key(route))) changes.push_back({ChangeKind::remove, route});
  for (const auto& other : foreign)
    if (other.fate == ForeignFate::removed && std::holds_alternative<Route>(other.object))
      changes.push_back({ChangeKind::remove, other.object});
  for (bool groups : {true, false})
    for (const auto& nexthop : have.nexthops)
      if (nexthop.is_group() == groups && !wants(wanted, nexthop))
        changes.push_back({ChangeKind::remove, nexthop});
  return changes;
}

}  // namespace uplinkd
