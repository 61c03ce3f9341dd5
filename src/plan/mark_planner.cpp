// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/mark_planner.hpp"

#include <algorithm>
#include <iterator>

#include "plan/destinations.hpp"
#include "plan/owned_rule.hpp"
#include "plan/ownership.hpp"
#include "plan/prefix_sets.hpp"

namespace uplinkd {
namespace {

using netlink::Rule;

constexpr uint8_t kActionUnreachable = 7;  // FR_ACT_UNREACHABLE
constexpr Family kFamilies[] = {Family::v4, Family::v6};

// Excluded traffic is routed by main in every mode, flow and resilient included: the kernel's balancing
// is skipped by a rule before it, nftables' by a `return` before any mark. When main has no route for it,
// the rule after makes it unreachable instead of letting it fall through to uplinkd's balancing.
void plan_exclusion(const TrafficMatch& match, Family family, bool unmarked_only, Plan& plan) {
  Rule rule = owned_rule(ownership::kRulePriorityExclude, kMainTable, family);
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

// A pair of rules per family the match can meet: routing rules have a family, and one without prefixes
// (`proto = "udp"`, `iif = …`) excludes both. IPv6 once an uplink has it, as everything IPv6.
void plan_exclusions(const TrafficMatch& match, bool unmarked_only, bool ipv6, Plan& plan) {
  for (Family family : kFamilies)
    if ((family == Family::v4 || ipv6) && matches_family(match, family))
      plan_exclusion(match, family, unmarked_only, plan);
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

// Each family the rule can meet chooses among the rule's uplinks apart, as the groups do.
void plan_rule(const Config& config, const TrafficRule& rule, bool ipv6, Plan& plan) {
  if (rule.exclude) {
    plan.marks.rules.push_back(MarkRule{rule.match, true, Spread::connection, {}, {}});
    return;
  }
  auto named = [&](size_t i) {
    if (rule.uplinks.empty()) return true;
    for (const auto& name : rule.uplinks)
      if (name == config.uplinks[i].name) return true;
    return false;
  };
  MarkRule marked{rule.match, false, spread_of(rule, config.mode), {}, {}};
  std::vector<Family> met, lacking;
  for (Family family : kFamilies) {
    if ((family == Family::v6 && !ipv6) || !matches_family(rule.match, family)) continue;
    met.push_back(family);
    auto& shares = family == Family::v4 ? marked.shares : marked.shares6;
    shares = shares_of(config, choose_members(config, plan.uplinks, named, family));
    if (shares.empty()) lacking.push_back(family);
  }
  if (met.empty()) return;  // an IPv6 rule before any uplink has IPv6: nothing to say yet
  const std::string where = "the rule at " + rule.where.to_string() + " has no usable uplink";
  if (lacking.size() == met.size()) {
    plan.notes.push_back(where + ": its traffic is balanced like the rest until one returns");
    return;
  }
  for (Family family : lacking)
    plan.notes.push_back(where + (family == Family::v4 ? " for IPv4: its IPv4" : " for IPv6: its IPv6") +
                         " traffic is balanced like the rest until one returns");
  plan.marks.rules.push_back(std::move(marked));
}

// Every uplink's own and delegated IPv6 prefixes, and link-local (MarkPlan says why), except prefixes two
// uplinks share.
std::vector<Prefix> unmarked_sources6(const Config& config, const State& state) {
  const auto owned = uplink_prefixes6(config, state);
  std::vector<Prefix> sources{link_local6()};
  for (size_t i = 0; i < owned.size(); ++i)
    for (const auto& prefix : owned[i]) {
      bool shared = false;
      for (size_t j = 0; j < owned.size(); ++j)
        for (const auto& other : owned[j]) shared = shared || (j != i && overlapping(prefix, other));
      if (!shared) sources.push_back(prefix);
    }
  return outermost(std::move(sources));
}

// A usable uplink's mark routes by its table in the family: a dead uplink's connections are left to the
// group. Its mark is live and, in mode connection, kept by connections that arrive by it.
void plan_uplink_mark(const Config& config, size_t i, Family family, const std::vector<Prefix>& contested,
                      Plan& plan) {
  const UplinkConfig& uplink = config.uplinks[i];
  MarkPlan& marks = plan.marks;
  if (!plan.uplinks[i].of(family).usable || (marks.empty() && !uplink.masquerade)) return;
  const uint32_t mark = ownership::uplink_mark(uplink.table);
  Rule by_mark = owned_rule(ownership::kRulePriorityPinned, uplink.table, family);
  by_mark.fwmark = mark;
  by_mark.fwmask = 0xffffffff;
  plan.rules.push_back(by_mark);
  if (marks.empty()) return;
  marks.of(family).live.push_back(mark);
  if (config.mode == Mode::connection) marks.of(family).interface_marks.emplace_back(uplink.interface, mark);
  // Marked traffic to a contested destination must beat main's routes to it, as unmarked traffic does.
  for (const auto& destination : contested) {
    Rule marked = by_mark;
    marked.priority = ownership::kRulePriorityMarkedDestination;
    marked.destination = destination;
    plan.rules.push_back(marked);
  }
}

}  // namespace

void plan_marks(const Config& config, const State& state, const Members& group,
                const std::optional<Members>& group6, Plan& plan) {
  MarkPlan& marks = plan.marks;
  const bool ipv6 = group6.has_value();
  for (const auto& prefix : config.exclude)
    plan_exclusions(TrafficMatch{{}, prefix, {}, {}, {}}, false, ipv6, plan);
  for (const auto& rule : config.rules)
    if (rule.exclude) plan_exclusions(rule.match, true, ipv6, plan);

  if (config.mode == Mode::packet) marks.spread = Spread::packet;
  if (config.mode == Mode::connection) marks.spread = Spread::connection;
  for (const auto& rule : config.rules) plan_rule(config, rule, ipv6, plan);
  marks.excluded = config.exclude;  // also for the pin chain, which must not mark it either
  marks.marks_ipv6 = ipv6;
  if (ipv6) marks.unmarked_sources6 = unmarked_sources6(config, state);
  if (marks.spread) {
    for (const auto& destination : config.destinations)
      marks.of(destination.family()).destinations.push_back(destination);
    marks.v4.shares = shares_of(config, group);
    if (ipv6) marks.v6.shares = shares_of(config, *group6);
  }
  if (config.mode == Mode::connection)
    marks.sticky_timeout_s = static_cast<uint32_t>(config.sticky_timeout_s);

  const auto contested = marks.spread ? contested_destinations(config, plan.uplinks) : std::vector<Prefix>{};
  auto of_family = [&contested](Family family) {
    std::vector<Prefix> out;
    std::copy_if(contested.begin(), contested.end(), std::back_inserter(out),
                 [family](const Prefix& prefix) { return prefix.family() == family; });
    return out;
  };
  for (size_t i = 0; i < config.uplinks.size(); ++i) {
    plan_uplink_mark(config, i, Family::v4, of_family(Family::v4), plan);
    if (ipv6) plan_uplink_mark(config, i, Family::v6, of_family(Family::v6), plan);
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
