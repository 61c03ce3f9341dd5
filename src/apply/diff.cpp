#include "apply/diff.hpp"

#include <algorithm>
#include <tuple>

namespace uplinkd {
namespace {

using netlink::Nexthop;
using netlink::Route;
using netlink::Rule;

// Routes are identified as the kernel identifies them for NLM_F_REPLACE.
auto route_key(const Route& route) {
  return std::make_tuple(route.family(), route.table, route.destination.network(), route.priority);
}

Route comparable(Route route) {
  if (route.nexthop_id) {
    route.gateway.reset();
    route.oif = 0;
    route.multipath.clear();
    route.onlink = false;
  }
  route.destination = route.destination.network();
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

std::vector<Change> diff(const WantedObjects& wanted, const KernelObjects& have) {
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
  for (const auto& route : wanted.routes) {
    auto current = std::find_if(have.routes.begin(), have.routes.end(),
                                [&](const Route& other) { return route_key(other) == route_key(route); });
    if (current == have.routes.end())
      changes.push_back({ChangeKind::add, route});
    else if (!same_route(*current, route))
      changes.push_back({ChangeKind::replace, route});
  }
  for (const auto& rule : wanted.rules)
    if (!contains(have.rules, rule, std::equal_to<Rule>())) changes.push_back({ChangeKind::add, rule});

  for (const auto& rule : have.rules)
    if (!contains(wanted.rules, rule, std::equal_to<Rule>())) changes.push_back({ChangeKind::remove, rule});
  for (const auto& route : have.routes)
    if (!wants(wanted, route)) changes.push_back({ChangeKind::remove, route});
  for (bool groups : {true, false})
    for (const auto& nexthop : have.nexthops)
      if (nexthop.is_group() == groups && !wants(wanted, nexthop))
        changes.push_back({ChangeKind::remove, nexthop});
  return changes;
}

}  // namespace uplinkd
