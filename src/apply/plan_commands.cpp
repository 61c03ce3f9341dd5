// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/plan_commands.hpp"

#include "nft/nft_script.hpp"

namespace uplinkd {
namespace {

std::string device(uint32_t ifindex, const InterfaceNames& names) {
  auto it = names.find(ifindex);
  return it != names.end() ? it->second : "if" + std::to_string(ifindex);
}

std::string nexthop_command(const netlink::Nexthop& nexthop, const InterfaceNames& names) {
  // A group has no family of its own (its members have).
  std::string command = std::string(!nexthop.is_group() && nexthop.family == Family::v6 ? "ip -6" : "ip") +
                        " nexthop replace id " + std::to_string(nexthop.id);
  if (nexthop.is_group()) {
    command += " group ";
    for (size_t i = 0; i < nexthop.group.size(); ++i) {
      if (i) command += '/';
      command += std::to_string(nexthop.group[i].id) + "," + std::to_string(nexthop.group[i].weight);
    }
    if (nexthop.resilient) {
      command += " type resilient buckets " + std::to_string(nexthop.resilient->buckets) + " idle_timer " +
                 std::to_string(nexthop.resilient->idle_timer_s);
    }
  } else {
    if (nexthop.gateway) command += " via " + nexthop.gateway->to_string();
    command += " dev " + device(nexthop.ifindex, names);
    if (nexthop.onlink) command += " onlink";
  }
  return command + " proto " + std::to_string(nexthop.protocol);
}

std::string route_command(const netlink::Route& route, const InterfaceNames& names) {
  std::string command = std::string(route.family() == Family::v6 ? "ip -6" : "ip") + " route replace " +
                        route.destination.to_string() + " table " + std::to_string(route.table);
  if (route.nexthop_id) command += " nhid " + std::to_string(route.nexthop_id);
  if (route.gateway) command += " via " + route.gateway->to_string();
  if (route.oif) command += " dev " + device(route.oif, names);
  if (route.scope == 253) command += " scope link";
  if (route.prefsrc) command += " src " + route.prefsrc->to_string();
  command += " proto " + std::to_string(route.protocol);
  // ip reads every word after the first `nexthop` as part of a leg: they come last.
  for (const auto& leg : route.multipath) {
    command += " nexthop";
    if (leg.gateway) command += " via " + leg.gateway->to_string();
    command += " dev " + device(leg.ifindex, names) + " weight " + std::to_string(leg.weight);
    if (leg.onlink) command += " onlink";
  }
  return command;
}

std::string rule_command(const netlink::Rule& rule) {
  std::string command = std::string(rule.family == Family::v6 ? "ip -6" : "ip") + " rule add priority " +
                        std::to_string(rule.priority);
  if (rule.source) command += " from " + rule.source->to_string();
  if (rule.destination) command += " to " + rule.destination->to_string();
  if (!rule.iifname.empty()) command += " iif " + rule.iifname;
  if (rule.ip_proto) command += " ipproto " + std::to_string(rule.ip_proto);
  if (rule.dport)
    command += " dport " + std::to_string(rule.dport->first) +
               (rule.dport->last != rule.dport->first ? "-" + std::to_string(rule.dport->last) : "");
  if (rule.fwmark || rule.fwmask) {
    char mark[32];
    std::snprintf(mark, sizeof mark, " fwmark 0x%x/0x%x", rule.fwmark, rule.fwmask);
    command += mark;
  }
  if (rule.action == 7)  // FR_ACT_UNREACHABLE
    command += " unreachable";
  else
    command += " lookup " + std::to_string(rule.table);
  if (rule.suppress_prefixlength)
    command += " suppress_prefixlength " + std::to_string(*rule.suppress_prefixlength);
  return command + " protocol " + std::to_string(rule.protocol);
}

}  // namespace

std::vector<std::string> plan_commands(const Plan& plan, const InterfaceNames& names) {
  std::vector<std::string> commands;
  for (const auto& sysctl : plan.sysctls) commands.push_back("sysctl -w " + sysctl.key + "=" + sysctl.value);
  // Single nexthops before the groups that name them, as the kernel requires.
  for (const auto& nexthop : plan.nexthops)
    if (!nexthop.is_group()) commands.push_back(nexthop_command(nexthop, names));
  for (const auto& nexthop : plan.nexthops)
    if (nexthop.is_group()) commands.push_back(nexthop_command(nexthop, names));
  for (const auto& route : plan.routes) commands.push_back(route_command(route, names));
  for (const auto& rule : plan.rules) commands.push_back(rule_command(rule));
  // The whole table, as one transaction replaces it; nothing when uplinkd needs no table.
  if (!plan.nftables.chains.empty())
    commands.push_back("nft -f - <<'EOF'\n" + nft::render_replace(plan.nftables) + "EOF");
  return commands;
}

std::vector<std::string> mptcp_commands(const std::vector<PlannedMptcpEndpoint>& wanted,
                                        const std::optional<netlink::MptcpLimits>& limits,
                                        const InterfaceNames& names) {
  std::vector<std::string> commands;
  for (const auto& planned : wanted) {
    const auto& endpoint = planned.endpoint;
    std::string command = "ip mptcp endpoint add " + endpoint.address.to_string() + " id " +
                          std::to_string(endpoint.id) + " dev " + device(endpoint.ifindex, names) +
                          " subflow";
    if (endpoint.backup) command += " backup";
    commands.push_back(command);
  }
  if (limits)
    commands.push_back("ip mptcp limits set subflows " + std::to_string(limits->subflows) +
                       " add_addr_accepted " + std::to_string(limits->add_addr_accepted));
  return commands;
}

}  // namespace uplinkd
