// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/applier.hpp"

#include <algorithm>

#include "apply/diff.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {

namespace {

template <class T>
bool holds(const std::vector<T>& values, const T& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool in(const KernelObjects& objects, const KernelObject& object) {
  if (const auto* nexthop = std::get_if<netlink::Nexthop>(&object)) return holds(objects.nexthops, *nexthop);
  if (const auto* route = std::get_if<netlink::Route>(&object)) return holds(objects.routes, *route);
  if (const auto* rule = std::get_if<netlink::Rule>(&object)) return holds(objects.rules, *rule);
  return false;  // nftables and sysctls are repaired by their own diff (applier_host.cpp), not guarded
}

void erase(KernelObjects& objects, const KernelObject& object) {
  auto drop = [](auto& values, const auto& value) {
    values.erase(std::remove(values.begin(), values.end(), value), values.end());
  };
  if (const auto* nexthop = std::get_if<netlink::Nexthop>(&object)) return drop(objects.nexthops, *nexthop);
  if (const auto* route = std::get_if<netlink::Route>(&object)) return drop(objects.routes, *route);
  if (const auto* rule = std::get_if<netlink::Rule>(&object)) drop(objects.rules, *rule);
}

}  // namespace

std::optional<std::string> Applier::repair_of(const Change& change,
                                              const std::vector<ForeignObject>& foreign) const {
  for (const auto& other : foreign) {
    if (other.fate == ForeignFate::left_alone) continue;
    const std::string by = "proto " + protocol_name(other.protocol);
    if (change.kind == ChangeKind::remove && other.object == change.object) return by;
    const auto* mine = std::get_if<netlink::Route>(&change.object);
    const auto* theirs = std::get_if<netlink::Route>(&other.object);
    if (change.kind != ChangeKind::remove && mine && theirs && other.fate == ForeignFate::replaced &&
        mine->table == theirs->table && mine->priority == theirs->priority &&
        mine->destination.network() == theirs->destination.network())
      return by;
  }
  if (change.kind != ChangeKind::remove && in(in_place_, change.object))
    return std::string(change.kind == ChangeKind::add ? "removed" : "changed");
  return std::nullopt;
}

ApplyOutcome Applier::converge(const std::vector<netlink::Nexthop>& nexthops,
                               const std::vector<netlink::Route>& routes,
                               const std::vector<netlink::Rule>& rules, const HostWanted& host,
                               std::optional<BackoffTime> now) {
  ApplyOutcome outcome;
  auto have = kernel_.dump_owned();
  if (!have) {
    outcome.errors.push_back(have.error());
    return outcome;
  }
  const WantedObjects wanted{nexthops, routes, rules};
  outcome.foreign = classify_foreign(wanted, *have);
  for (auto& change : diff(wanted, *have)) {
    auto by = now ? repair_of(change, outcome.foreign) : std::nullopt;
    if (!by) {
      outcome.changes.push_back(std::move(change));
      continue;
    }
    const std::string name = object_name(change.object);
    if (const ContestedObject* entry = guard_.allow(name, *by, *now)) {
      outcome.repairs.push_back({name, *by, entry->repairs});
      outcome.changes.push_back(std::move(change));
    } else {
      outcome.held_back.push_back(name);
    }
  }
  if (!outcome.held_back.empty()) outcome.next_repair_at = guard_.next_allowed(outcome.held_back);
  add_host_changes(host, outcome);
  if (!outcome.changes.empty()) outcome.errors = kernel_.apply(outcome.changes);
  learn_host(outcome);
  // Each error names its change as describe() does (kernel.hpp), in the order of the changes.
  size_t next = 0;
  for (const auto& error : outcome.errors) {
    for (size_t i = next; i < outcome.changes.size(); ++i) {
      if (describe(outcome.changes[i]) != error.object) continue;
      outcome.failed.push_back({outcome.changes[i], error});
      next = i + 1;
      break;
    }
  }
  in_place_ = KernelObjects{nexthops, routes, rules, {}, {}};
  for (const auto& failure : outcome.failed) erase(in_place_, failure.change.object);
  return outcome;
}

void Applier::forget_device(uint32_t ifindex) {
  std::vector<uint32_t> flushed;
  std::erase_if(in_place_.nexthops, [&](const netlink::Nexthop& nexthop) {
    if (!nexthop.group.empty() || nexthop.ifindex != ifindex) return false;
    flushed.push_back(nexthop.id);
    return true;
  });
  std::erase_if(in_place_.nexthops, [&](const netlink::Nexthop& nexthop) {
    return std::any_of(nexthop.group.begin(), nexthop.group.end(),
                       [&](const auto& member) { return holds(flushed, member.id); });
  });
  std::erase_if(in_place_.routes, [&](const netlink::Route& route) {
    return route.oif == ifindex || holds(flushed, route.nexthop_id) ||
           std::any_of(route.multipath.begin(), route.multipath.end(),
                       [&](const auto& leg) { return leg.ifindex == ifindex; });
  });
}

ApplyOutcome Applier::apply(const Plan& plan, BackoffTime now) {
  return converge(plan.nexthops, plan.routes, plan.rules, HostWanted{plan.nftables, plan.sysctls}, now);
}

ApplyOutcome Applier::flush() {
  static const nft::Table kNoTable{"inet", ownership::kNftTable, {}, {}};
  return converge({}, {}, {}, HostWanted{kNoTable, {}}, std::nullopt);
}

}  // namespace uplinkd
