// SPDX-License-Identifier: GPL-2.0-or-later
// An in-memory kernel for unit tests of the applier: it keeps uplinkd's objects with the kernel's rules
// that matter for ordering (a group needs its members, a route needs its nexthop, deleting a nexthop takes
// its routes and group memberships with it) and reports objects the way the kernel dumps them. It is for
// unit tests of logic only; behaviour is tested against the real kernel in tests/integration.
//
// It also keeps uplinkd's nftables table (as the planned Table it was given, plus the elements the packet
// path put in its sticky map) and the sysctls, and dumps the table's rules in "the kernel's own words"
// (kernel_words), so the applier's learning of how a chain comes back is exercised, not assumed.
//
// And the MPTCP endpoints and limits, with the kernel's refusals seen on 6.18 (tests/integration/
// mptcp_kernel_test.sh): EEXIST for an address that has an endpoint, EBUSY for an id in use, ERANGE for a
// ninth endpoint, EINVAL for an unknown id and for a limit above 8.
#pragma once

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "apply/kernel.hpp"

namespace uplinkd::testing {

class FakeKernel : public Kernel {
 public:
  KernelObjects objects;
  int dumps = 0;
  std::vector<Change> applied;
  // Called after every single change takes effect, to check invariants that must hold at every moment.
  std::function<void(const KernelObjects&)> after_each_change;
  std::function<std::optional<int>(const Change&)> fail_with;  // inject a failure (errno) for a change

  std::optional<nft::Table> nftables;        // uplinkd's table; nullopt: none
  std::vector<std::string> sticky_elements;  // what the packet path added to its maps
  std::map<std::string, std::string> sysctls;
  int host_dumps = 0;

  bool has_mptcp = true;  // false: a kernel without MPTCP (ENOENT)
  MptcpObjects mptcp;
  int mptcp_dumps = 0;
  std::vector<MptcpEndpointChange> mptcp_applied;
  std::vector<netlink::MptcpLimits> limits_set;
  std::function<std::optional<int>(const MptcpEndpointChange&)> mptcp_fail_with;  // inject a refusal (errno)

  Expected<MptcpObjects> dump_mptcp() override {
    ++mptcp_dumps;
    if (!has_mptcp)
      return KernelError{"resolving generic netlink family mptcp_pm", ENOENT, "the kernel has no MPTCP"};
    MptcpObjects dumped = mptcp;
    std::sort(dumped.endpoints.begin(), dumped.endpoints.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    return dumped;
  }

  std::vector<std::optional<KernelError>> apply_mptcp(
      const std::vector<MptcpEndpointChange>& changes) override {
    std::vector<std::optional<KernelError>> answers;
    for (const auto& change : changes) {
      mptcp_applied.push_back(change);
      int error = mptcp_fail_with ? mptcp_fail_with(change).value_or(0) : 0;
      if (!error) error = apply_mptcp_one(change);
      answers.push_back(error ? std::optional<KernelError>(KernelError{to_string(change), error, {}})
                              : std::nullopt);
    }
    return answers;
  }

  std::optional<KernelError> set_mptcp_limits(const netlink::MptcpLimits& limits) override {
    limits_set.push_back(limits);
    if (limits.subflows > netlink::kMptcpMaxLimit || limits.add_addr_accepted > netlink::kMptcpMaxLimit)
      return KernelError{"setting MPTCP limits", EINVAL, {}};
    mptcp.limits = limits;
    return std::nullopt;
  }

  const netlink::MptcpEndpoint* find_endpoint(uint8_t id) const {
    for (const auto& endpoint : mptcp.endpoints)
      if (endpoint.id == id) return &endpoint;
    return nullptr;
  }

  // How the kernel lists a rule it was given: never the same text (`meta l4proto udp th dport` is
  // `udp dport` there, and so on), so a diff that compared texts would see a difference every time.
  static std::string kernel_words(const std::string& rule) { return "[expr] " + rule; }

  Expected<HostObjects> dump_host(const std::vector<std::string>& sysctl_keys) override {
    ++host_dumps;
    HostObjects host;
    if (nftables) {
      netlink::NftTableDump dump;
      for (const auto& chain : nftables->chains) {
        netlink::NftChainDump dumped{chain.name, {}, {}};
        if (chain.hook)
          dumped.definition = chain.hook->type + "/" + chain.hook->hook + "/" + chain.hook->priority + "/" +
                              chain.hook->policy;
        for (const auto& rule : chain.rules) dumped.rules.push_back(kernel_words(rule));
        dump.chains.push_back(std::move(dumped));
      }
      for (const auto& map : nftables->maps)
        dump.sets.push_back(netlink::NftSetDump{map.name, 0, uint64_t{map.timeout_s} * 1000, 4, 4});
      host.nftables = std::move(dump);
    }
    for (const auto& key : sysctl_keys)
      if (auto it = sysctls.find(key); it != sysctls.end()) host.sysctls.push_back(Sysctl{key, it->second});
    return host;
  }

  Expected<KernelObjects> dump_owned() override {
    ++dumps;
    KernelObjects dumped = objects;
    // Compat-mode dumps expand a route's single nexthop into gateway and device, as the real kernel does.
    for (auto& route : dumped.routes) {
      if (const auto* nexthop = find_nexthop(route.nexthop_id); nexthop && !nexthop->is_group()) {
        route.gateway = nexthop->gateway;
        route.oif = nexthop->ifindex;
      }
    }
    return dumped;
  }

  std::vector<KernelError> apply(const std::vector<Change>& changes) override {
    std::vector<KernelError> errors;
    for (const auto& change : changes) {
      applied.push_back(change);
      int error = 0;
      if (fail_with) error = fail_with(change).value_or(0);
      if (!error)
        error = std::visit([&](const auto& object) { return apply_one(change.kind, object); }, change.object);
      if (error) {
        errors.push_back(KernelError{describe(change), error, {}});
        continue;
      }
      if (after_each_change) after_each_change(objects);
    }
    return errors;
  }

  const netlink::Nexthop* find_nexthop(uint32_t id) const {
    for (const auto& nexthop : objects.nexthops)
      if (nexthop.id == id) return &nexthop;
    return nullptr;
  }

 private:
  int apply_mptcp_one(const MptcpEndpointChange& change) {
    auto& list = mptcp.endpoints;
    auto same_id =
        std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.id == change.endpoint.id; });
    switch (change.kind) {
      case MptcpEndpointChange::Kind::remove:
        if (same_id == list.end()) return EINVAL;
        list.erase(same_id);
        return 0;
      case MptcpEndpointChange::Kind::set_backup:
        if (same_id == list.end()) return EINVAL;
        same_id->backup = change.endpoint.backup;
        return 0;
      case MptcpEndpointChange::Kind::add:
        break;
    }
    for (const auto& endpoint : list)
      if (endpoint.address == change.endpoint.address && endpoint.port == change.endpoint.port) return EEXIST;
    if (same_id != list.end()) return EBUSY;
    if (list.size() >= netlink::kMptcpMaxEndpoints) return ERANGE;
    list.push_back(change.endpoint);
    return 0;
  }

  static auto route_key(const netlink::Route& route) {
    return std::make_tuple(route.family(), route.table, route.destination, route.priority);
  }

  int apply_one(ChangeKind kind, netlink::Nexthop nexthop) {
    auto& list = objects.nexthops;
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& n) { return n.id == nexthop.id; });
    if (kind == ChangeKind::remove) {
      if (it != list.end()) remove_nexthop(nexthop.id);
      return 0;
    }
    if (nexthop.is_group()) {
      nexthop.family = Family::v4;  // the kernel does not keep a group's family
      for (const auto& member : nexthop.group) {
        const auto* target = find_nexthop(member.id);
        if (!target || target->is_group()) return EINVAL;
      }
    }
    if (it == list.end()) {
      list.push_back(nexthop);
      return 0;
    }
    if (kind == ChangeKind::add) return EEXIST;
    if (it->is_group() != nexthop.is_group() || it->group_type != nexthop.group_type) return EINVAL;
    *it = nexthop;
    return 0;
  }

  void remove_nexthop(uint32_t id) {
    auto& list = objects.nexthops;
    list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& n) { return n.id == id; }),
               list.end());
    std::vector<uint32_t> emptied;
    for (auto& nexthop : list) {
      auto& group = nexthop.group;
      if (group.empty()) continue;
      group.erase(std::remove_if(group.begin(), group.end(), [&](const auto& m) { return m.id == id; }),
                  group.end());
      if (group.empty()) emptied.push_back(nexthop.id);
    }
    auto& routes = objects.routes;
    routes.erase(
        std::remove_if(routes.begin(), routes.end(), [&](const auto& r) { return r.nexthop_id == id; }),
        routes.end());
    for (auto group_id : emptied) remove_nexthop(group_id);
  }

  int apply_one(ChangeKind kind, const netlink::Route& route) {
    auto& list = objects.routes;
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const auto& r) { return route_key(r) == route_key(route); });
    // Others' routes share the kernel's keys with uplinkd's: an add at a foreign route's place fails, a
    // replace takes it over, a remove matches either.
    auto& foreign = objects.foreign_routes;
    auto other = std::find_if(foreign.begin(), foreign.end(),
                              [&](const auto& r) { return route_key(r) == route_key(route); });
    if (kind == ChangeKind::remove) {
      if (it != list.end() && it->protocol == route.protocol)
        list.erase(it);
      else if (other != foreign.end())
        foreign.erase(other);
      return 0;
    }
    if (other != foreign.end()) {
      if (kind == ChangeKind::add) return EEXIST;
      if (route.nexthop_id && !find_nexthop(route.nexthop_id)) return EINVAL;
      foreign.erase(other);
    }
    if (route.nexthop_id && !find_nexthop(route.nexthop_id)) return EINVAL;
    netlink::Route stored = route;
    if (stored.nexthop_id) stored.gateway.reset(), stored.oif = 0;
    if (it == list.end()) {
      list.push_back(stored);
      return 0;
    }
    if (kind == ChangeKind::add) return EEXIST;
    *it = stored;
    return 0;
  }

  int apply_one(ChangeKind, const Sysctl& sysctl) {
    sysctls[sysctl.key] = sysctl.value + "\n";  // as /proc/sys reads back
    return 0;
  }

  // One nft transaction: all or nothing, as the kernel commits it.
  int apply_one(ChangeKind, const NftPatch& patch) {
    if (patch.remove_table || patch.whole_table) {
      nftables.reset();
      sticky_elements.clear();
      if (patch.remove_table) return 0;
    }
    nft::Table table = nftables.value_or(nft::Table{patch.family, patch.table, {}, {}});
    auto chain_named = [&](const std::string& name) {
      return std::find_if(table.chains.begin(), table.chains.end(),
                          [&](const auto& c) { return c.name == name; });
    };
    for (const auto& name : patch.deleted_chains) {
      if (chain_named(name) == table.chains.end()) return ENOENT;
      table.chains.erase(chain_named(name));
    }
    for (const auto& name : patch.flushed_chains) {
      if (chain_named(name) == table.chains.end()) return ENOENT;
      chain_named(name)->rules.clear();
    }
    for (const auto& map : patch.maps) {
      auto same = std::find_if(table.maps.begin(), table.maps.end(),
                               [&](const auto& m) { return m.name == map.name; });
      if (same == table.maps.end())
        table.maps.push_back(map);
      else if (!(*same == map))
        return EEXIST;  // a map cannot be redefined in place
    }
    for (const auto& chain : patch.chains) {
      auto existing = chain_named(chain.name);
      if (existing == table.chains.end()) {
        table.chains.push_back(chain);
      } else {  // `add chain` of an existing chain adds its rules after the ones it has
        if (existing->hook != chain.hook) return EEXIST;
        existing->rules.insert(existing->rules.end(), chain.rules.begin(), chain.rules.end());
      }
    }
    nftables = std::move(table);
    return 0;
  }

  int apply_one(ChangeKind kind, const netlink::Rule& rule) {
    auto& list = objects.rules;
    auto it = std::find(list.begin(), list.end(), rule);
    if (kind == ChangeKind::remove) {
      if (it != list.end()) list.erase(it);
      auto& foreign = objects.foreign_rules;
      foreign.erase(std::remove(foreign.begin(), foreign.end(), rule), foreign.end());
      return 0;
    }
    if (it == list.end()) list.push_back(rule);
    return 0;
  }
};

}  // namespace uplinkd::testing
