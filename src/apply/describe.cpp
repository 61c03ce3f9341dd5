// SPDX-License-Identifier: GPL-2.0-or-later
#include <string>
#include <variant>

#include "apply/kernel.hpp"

namespace uplinkd {
namespace {

std::string verb(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::add:
      return "add";
    case ChangeKind::replace:
      return "replace";
    case ChangeKind::remove:
      return "remove";
  }
  return "?";
}

std::string describe_object(const netlink::Nexthop& nexthop) {
  std::string text = "nexthop " + std::to_string(nexthop.id);
  if (nexthop.is_group()) {
    text += " group ";
    for (size_t i = 0; i < nexthop.group.size(); ++i) {
      if (i) text += '/';
      text += std::to_string(nexthop.group[i].id) + "," + std::to_string(nexthop.group[i].weight);
    }
    return text;
  }
  if (nexthop.gateway) text += " via " + nexthop.gateway->to_string();
  if (nexthop.ifindex) text += " ifindex " + std::to_string(nexthop.ifindex);
  return text;
}

std::string describe_object(const netlink::Route& route) {
  return "route " + route.destination.to_string() + " table " + std::to_string(route.table);
}

std::string describe_object(const netlink::Rule& rule) {
  std::string text = "rule " + std::to_string(rule.priority);
  if (rule.source) text += " from " + rule.source->to_string();
  if (rule.destination) text += " to " + rule.destination->to_string();
  if (!rule.iifname.empty()) text += " iif " + rule.iifname;
  if (rule.ip_proto) text += " ipproto " + std::to_string(rule.ip_proto);
  if (rule.dport)
    text += " dport " + std::to_string(rule.dport->first) + "-" + std::to_string(rule.dport->last);
  if (rule.fwmask) text += " fwmark " + std::to_string(rule.fwmark);
  if (rule.suppress_prefixlength)
    text += " suppress_prefixlength " + std::to_string(*rule.suppress_prefixlength);
  return text + (rule.action == 7 ? " unreachable" : " table " + std::to_string(rule.table));
}

std::string describe_object(const NftPatch& patch) {
  const std::string table = patch.family + " " + patch.table;
  if (patch.remove_table || patch.whole_table) return "nftables table " + table;
  std::string chains;
  for (const auto& chain : patch.chains) chains += (chains.empty() ? "" : ", ") + chain.name;
  for (const auto& name : patch.deleted_chains) {
    bool recreated = false;
    for (const auto& chain : patch.chains) recreated |= chain.name == name;
    if (!recreated) chains += (chains.empty() ? "" : ", ") + ("-" + name);  // deleted for good
  }
  return "nftables chains " + chains + " of " + table;
}

std::string describe_object(const Sysctl& sysctl) {
  return "sysctl " + sysctl.key + " = " + sysctl.value;
}

}  // namespace

std::string describe(const Change& change) {
  return verb(change.kind) + " " +
         std::visit([](const auto& object) { return describe_object(object); }, change.object);
}

}  // namespace uplinkd
