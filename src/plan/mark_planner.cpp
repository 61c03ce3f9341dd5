#include "plan/mark_planner.hpp"

#include "plan/destinations.hpp"
#include "plan/owned_rule.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {
namespace {

using netlink::Rule;

constexpr uint8_t kActionUnreachable = 7;  // FR_ACT_UNREACHABLE

// Excluded traffic is routed by main in every mode, flow and resilient included: the kernel's balancing
// is skipped by a rule before it, nftables' by a `return` before any mark. When main has no route for it,
// the rule after makes it unreachable instead of letting it fall through to uplinkd's balancing.
void plan_exclusion(const TrafficMatch& match, bool unmarked_only, Plan& plan) {
  Rule rule = owned_rule(ownership::kRulePriorityExclude, kMainTable);
  rule.source = match.source;
  rule.destination = match.destination;
  rule.iifname = match.iif;
  rule.ip_proto = match.protocol.value_or(0);
  rule.dport = match.dport;
  // For a [[rule]]: an earlier rule that matched (and marked) the same packet comes first.
  if (unmarked_only) rule.fwmask = 0xffffffff;
  plan.rules.push_back(rule);
  rule.priority = ownership::kRulePriorityExcludeUnreachable;
  rule.table = 0;
  rule.action = kActionUnreachable;
  plan.rules.push_back(rule);
}

std::vector<MarkShare> shares_of(const Config& config, const Members& members) {
  std::vector<MarkShare> shares;
  for (size_t i : members.indices)
    shares.push_back({ownership::uplink_mark(config.uplinks[i].table), config.uplinks[i].weight});
  return shares;
}

Spread spread_of(const TrafficRule& rule, Mode mode) {
  const Mode chosen = rule.mode.value_or(mode == Mode::packet ? Mode::packet : Mode::connection);
  return chosen == Mode::packet ? Spread::packet : Spread::connection;
}

void plan_rule(const Config& config, const TrafficRule& rule, Plan& plan) {
  if (rule.exclude) {
    plan.marks.rules.push_back(MarkRule{rule.match, true, Spread::connection, {}});
    return;
  }
  auto named = [&](size_t i) {
    if (rule.uplinks.empty()) return true;
    for (const auto& name : rule.uplinks)
      if (name == config.uplinks[i].name) return true;
    return false;
  };
  const Members members = choose_members(config, plan.uplinks, named);
  if (members.indices.empty()) {
    plan.notes.push_back("the rule at " + rule.where.to_string() +
                         " has no usable uplink: its traffic is balanced like the rest until one returns");
    return;
  }
  plan.marks.rules.push_back(
      MarkRule{rule.match, false, spread_of(rule, config.mode), shares_of(config, members)});
}

}  // namespace

void plan_marks(const Config& config, const Members& group, Plan& plan) {
  MarkPlan& marks = plan.marks;
  for (const auto& prefix : config.exclude) plan_exclusion(TrafficMatch{{}, prefix, {}, {}, {}}, false, plan);
  for (const auto& rule : config.rules)
    if (rule.exclude) plan_exclusion(rule.match, true, plan);

  if (config.mode == Mode::packet) marks.spread = Spread::packet;
  if (config.mode == Mode::connection) marks.spread = Spread::connection;
  for (const auto& rule : config.rules) plan_rule(config, rule, plan);
  marks.excluded = config.exclude;  // also for the pin chain, which must not mark it either
  if (marks.spread) {
    for (const auto& destination : config.destinations)
      if (destination.family() == Family::v4) marks.destinations.push_back(destination);
    marks.shares = shares_of(config, group);
  }
  if (config.mode == Mode::connection)
    marks.sticky_timeout_s = static_cast<uint32_t>(config.sticky_timeout_s);

  const auto contested = marks.spread ? contested_destinations(config, plan.uplinks) : std::vector<Prefix>{};
  // Every usable uplink's mark routes by its table: a dead uplink's connections are left to the group.
  for (size_t i = 0; i < config.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    if (!plan.uplinks[i].status.usable || (marks.empty() && !uplink.masquerade)) continue;
    const uint32_t mark = ownership::uplink_mark(uplink.table);
    Rule by_mark = owned_rule(ownership::kRulePriorityPinned, uplink.table);
    by_mark.fwmark = mark;
    by_mark.fwmask = 0xffffffff;
    plan.rules.push_back(by_mark);
    if (marks.empty()) continue;
    marks.live.push_back(mark);
    if (config.mode == Mode::connection) marks.interface_marks.emplace_back(uplink.interface, mark);
    // Marked traffic to a contested destination must beat main's routes to it, as unmarked traffic does.
    for (const auto& destination : contested) {
      Rule marked = by_mark;
      marked.priority = ownership::kRulePriorityMarkedDestination;
      marked.destination = destination;
      plan.rules.push_back(marked);
    }
  }
  if (config.mode == Mode::packet)
    for (const auto& uplink : config.uplinks)
      if (uplink.masquerade) {
        plan.notes.push_back("mode packet with masquerade on " + uplink.name +
                             ": each packet of a connection leaves with another address, which breaks it; "
                             "per-packet balancing suits links that share addresses (docs/modes.md)");
        break;
      }
}

}  // namespace uplinkd
