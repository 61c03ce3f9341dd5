// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/netlink_kernel.hpp"

#include <algorithm>
#include <cerrno>

#include "plan/ownership.hpp"

namespace uplinkd {

namespace {

netlink::Operation operation_of(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::add:
      return netlink::Operation::add;
    case ChangeKind::replace:
      return netlink::Operation::replace;
    case ChangeKind::remove:
      break;
  }
  return netlink::Operation::remove;
}

bool harmless(const Change& change, int code) {
  // ESRCH: what IPv4 route deletes report for a route that is not there; ENOENT: everything else.
  if (change.kind == ChangeKind::remove) return code == ENOENT || code == ESRCH;
  // A rule has no replace, so a rule already in place is the wanted state.
  if (std::holds_alternative<netlink::Rule>(change.object)) return code == EEXIST;
  return false;
}

bool owned(const netlink::Rule& rule) {
  return ownership::owns_rule_priority(rule.priority) && rule.protocol == ownership::kProtocol;
}

}  // namespace

Expected<std::unique_ptr<NetlinkKernel>> NetlinkKernel::open() {
  auto socket = netlink::Socket::open();
  if (!socket) return socket.error();
  return std::make_unique<NetlinkKernel>(std::move(*socket));
}

bool NetlinkKernel::claimed(uint32_t table) const {
  return std::find(claimed_tables_.begin(), claimed_tables_.end(), table) != claimed_tables_.end();
}

Expected<KernelObjects> NetlinkKernel::dump_owned() {
  KernelObjects objects;
  auto nexthops = socket_.dump_nexthops();
  if (!nexthops) return nexthops.error();
  for (auto& nexthop : *nexthops) {
    if (ownership::owns_nexthop_id(nexthop.id)) objects.nexthops.push_back(std::move(nexthop));
  }
  for (const Family family : {Family::v4, Family::v6}) {
    auto routes = socket_.dump_routes(family, {.table = 0, .protocol = ownership::kProtocol});
    if (!routes) return routes.error();
    objects.routes.insert(objects.routes.end(), routes->begin(), routes->end());
    auto rules = socket_.dump_rules(family);
    if (!rules) return rules.error();
    for (auto& rule : *rules) {
      if (owned(rule))
        objects.rules.push_back(std::move(rule));
      else if (ownership::owns_rule_priority(rule.priority) || claimed(rule.table))
        objects.foreign_rules.push_back(std::move(rule));
    }
    for (uint32_t table : claimed_tables_) {
      auto all = socket_.dump_routes(family, {.table = table, .protocol = 0});
      if (!all) return all.error();
      for (auto& route : *all)
        if (route.protocol != ownership::kProtocol) objects.foreign_routes.push_back(std::move(route));
    }
  }
  return objects;
}

std::vector<KernelError> NetlinkKernel::apply(const std::vector<Change>& changes) {
  if (has_host_changes(changes)) return apply_in_order(changes);
  std::vector<netlink::Request> requests;
  requests.reserve(changes.size());
  for (const auto& change : changes) {
    netlink::Request request;
    request.operation = operation_of(change.kind);
    std::visit(
        [&](const auto& object) {
          // Host objects never reach here: apply_in_order sends only routing changes to this batch.
          if constexpr (std::is_constructible_v<decltype(request.object), decltype(object)>)
            request.object = object;
        },
        change.object);
    request.description = describe(change);
    requests.push_back(std::move(request));
  }
  std::vector<KernelError> errors;
  for (auto& failure : socket_.execute(requests)) {
    if (!harmless(changes[failure.index], failure.error.code)) errors.push_back(std::move(failure.error));
  }
  return errors;
}

}  // namespace uplinkd
