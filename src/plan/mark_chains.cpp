// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/mark_chains.hpp"

#include <numeric>

namespace uplinkd::nft {
namespace {

constexpr Family kFamilies[] = {Family::v4, Family::v6};

// nft's own words for the protocols it knows by name, so that `nft list` and `uplinkctl plan` read alike.
std::string protocol_text(uint8_t protocol) {
  switch (protocol) {
    case kProtocolIcmp:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 47:
      return "gre";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case kProtocolIcmpv6:
      return "ipv6-icmp";
    case 132:
      return "sctp";
    default:
      return std::to_string(protocol);
  }
}

std::string prefix_text(const Prefix& prefix) {
  return prefix.network().address.to_string() +
         (prefix.length == prefix.max_length() ? "" : "/" + std::to_string(prefix.length));
}

// "a" or "{ a, b }".
std::string prefix_set(const std::vector<Prefix>& prefixes) {
  std::string items;
  for (const auto& prefix : prefixes) items += (items.empty() ? "" : ", ") + prefix_text(prefix);
  return prefixes.size() == 1 ? items : "{ " + items + " }";
}

// The payload keyword of a family's addresses: "ip" or "ip6".
std::string address_keyword(Family family) {
  return family == Family::v4 ? "ip" : "ip6";
}

std::string nfproto(Family family) {
  return family == Family::v4 ? "meta nfproto ipv4 " : "meta nfproto ipv6 ";
}

std::vector<Prefix> of_family(const std::vector<Prefix>& prefixes, Family family) {
  std::vector<Prefix> chosen;
  for (const auto& prefix : prefixes)
    if (prefix.family() == family) chosen.push_back(prefix);
  return chosen;
}

bool covers_everything(const std::vector<Prefix>& prefixes) {
  for (const auto& prefix : prefixes)
    if (prefix.is_default()) return true;
  return false;
}

// "ip daddr 10.0.0.0/8 " or "ip6 daddr { a, b } " for prefixes of `family`. When one of them covers
// everything: every packet of the family, "meta nfproto ipv4 ", or nothing at all when `qualified` is false
// (only that family reaches the rule).
std::string daddr_match(const std::vector<Prefix>& prefixes, Family family, bool qualified) {
  if (covers_everything(prefixes)) return qualified ? nfproto(family) : "";
  return address_keyword(family) + " daddr " + prefix_set(prefixes) + " ";
}

std::string match_text(const TrafficMatch& match) {
  std::string text;
  if (match.iif.size()) text += "iifname " + quoted_interface(match.iif) + " ";
  if (match.source)
    text += address_keyword(match.source->family()) + " saddr " + prefix_text(*match.source) + " ";
  if (match.destination)
    text += address_keyword(match.destination->family()) + " daddr " + prefix_text(*match.destination) + " ";
  if (match.protocol) text += "meta l4proto " + protocol_text(*match.protocol) + " ";
  if (match.dport) {
    text += "th dport " + std::to_string(match.dport->first);
    if (match.dport->last != match.dport->first) text += "-" + std::to_string(match.dport->last);
    text += " ";
  }
  return text;
}

// "meta mark set numgen inc mod 4 map { 0 : A, 1-3 : B }": each uplink takes a run of the counter as long as
// its weight, so the split is exact over every sum-of-weights packets or connections, with no state beyond
// the one counter. Weights are reduced by their common divisor first, which only shortens the map.
std::string choice(const std::vector<MarkShare>& shares) {
  if (shares.size() == 1) return "meta mark set " + hex_mark(shares.front().mark);
  uint32_t divisor = 0;
  for (const auto& share : shares) divisor = std::gcd(divisor, share.weight);
  std::string map;
  uint32_t next = 0;
  for (const auto& share : shares) {
    const uint32_t last = next + share.weight / divisor - 1;
    map += (map.empty() ? "" : ", ") + std::to_string(next) +
           (last > next ? "-" + std::to_string(last) : "") + " : " + hex_mark(share.mark);
    next = last + 1;
  }
  return "meta mark set numgen inc mod " + std::to_string(next) + " map { " + map + " }";
}

// Marks one packet, or a new connection and through its ct mark every later packet of it.
std::string action(Spread spread, const std::vector<MarkShare>& shares) {
  if (spread == Spread::packet) return choice(shares);
  return "ct state new " + choice(shares) + " ct mark set meta mark";
}

std::string interface_map(const FamilyMarks& marks, std::string_view key) {
  std::string map;
  for (const auto& [interface, mark] : marks.interface_marks)
    map += (map.empty() ? "" : ", ") + quoted_interface(interface) + " : " + hex_mark(mark);
  return std::string(key) + " map { " + map + " }";
}

bool keeps_connections(const MarkPlan& plan) {
  if (plan.spread == Spread::connection) return true;
  for (const auto& rule : plan.rules)
    if (!rule.exclude && rule.spread == Spread::connection) return true;
  return false;
}

// One family's version of a rule: `text` empty when the family has none; `names_family` when the text matches
// the family's addresses itself (nft then adds the family check on its own).
struct FamilyRule {
  std::string text;
  bool names_family = false;
};

// The two families' versions of a rule, as few rules as say it: one without a family match when they are
// alike (or IPv6 is not marked: it has returned already), else each behind its family's `meta nfproto`. The
// families differ where their uplinks do (an uplink whose IPv6 is down).
void add_per_family(std::vector<std::string>& rules, const MarkPlan& plan, const FamilyRule& v4,
                    const FamilyRule& v6) {
  if (!plan.marks_ipv6 || v4.text == v6.text) {
    if (!v4.text.empty()) rules.push_back(v4.text);
    return;
  }
  for (const auto* rule : {&v4, &v6})
    if (!rule->text.empty())
      rules.push_back((rule->names_family ? "" : nfproto(rule == &v4 ? Family::v4 : Family::v6)) +
                      rule->text);
}

// `return` for excluded destinations, per family.
void add_exclusions(std::vector<std::string>& rules, const MarkPlan& plan) {
  for (Family family : kFamilies) {
    const auto prefixes = of_family(plan.excluded, family);
    // Unqualified only where IPv4 is all that reaches the rule, as before IPv6 was marked.
    const bool qualified = plan.marks_ipv6 || family == Family::v6;
    if (!prefixes.empty()) rules.push_back(daddr_match(prefixes, family, qualified) + "return");
  }
}

// The [[rule]]s: an exclusion returns for both families; a rule that marks does so where its family has
// uplinks (the rule's own `shares` for that family), and falls through where it has none.
// `marking` false: only the `return`s, for the pin chain.
void add_rules(std::vector<std::string>& rules, const MarkPlan& plan, bool forwarded, bool marking) {
  for (const auto& rule : plan.rules) {
    if (!forwarded && !rule.match.iif.empty()) continue;  // the machine's own traffic arrives by no interface
    const std::string match = match_text(rule.match);
    const bool names_family = match_family(rule.match).has_value();
    auto version = [&](Family family) {
      const auto& shares = rule.shares_of(family);
      if (!matches_family(rule.match, family) || (!rule.exclude && shares.empty())) return FamilyRule{};
      if (rule.exclude || !marking) return FamilyRule{match + "return", names_family};
      return FamilyRule{match + action(rule.spread, shares) + " return", names_family};
    };
    add_per_family(rules, plan, version(Family::v4), version(Family::v6));
  }
}

enum class Hook { prerouting, output };

const char* sticky_map(Family family) {
  return family == Family::v4 ? kStickyMap : kStickyMap6;
}

// Mode "connection" with sticky_timeout, forwarded traffic of one family.
void add_sticky(std::vector<std::string>& rules, const MarkPlan& plan, Family family) {
  const FamilyMarks& marks = plan.of(family);
  const std::string to = daddr_match(marks.destinations, family, false);  // `saddr` names the family
  const std::string saddr = address_keyword(family) + " saddr";
  const std::string map = sticky_map(family);
  const std::string remember = " update @" + map + " { " + saddr + " : meta mark }";
  // A source keeps its uplink while that uplink takes new connections; one whose uplink died, was drained
  // or left the best tier picks again below, and the map then learns its new uplink. So the map never has
  // to be edited when the group changes (docs/modes.md, "Sticky sources").
  std::string taking;
  for (const auto& share : marks.shares) taking += (taking.empty() ? "" : ", ") + hex_mark(share.mark);
  rules.push_back(to + "ct state new meta mark set " + saddr + " map @" + map);
  rules.push_back(to + "ct state new meta mark { " + taking + " } ct mark set meta mark" + remember +
                  " return");
  rules.push_back(to + action(Spread::connection, marks.shares) + remember);
}

// The mode's own spreading of one family's traffic to its destinations; no text when it has no uplink.
FamilyRule spreading(const MarkPlan& plan, Family family, bool forwarded) {
  const FamilyMarks& marks = plan.of(family);
  if (marks.shares.empty() || marks.destinations.empty()) return {};
  const std::string to = daddr_match(marks.destinations, family, false);
  const bool names_family = !to.empty();
  if (*plan.spread == Spread::packet) return {to + choice(marks.shares), names_family};
  if (!forwarded) {
    // The machine's own connections keep the uplink the kernel chose for them: its choice also picked their
    // source address, which another uplink's ISP would drop.
    if (marks.interface_marks.empty()) return {};
    return {"ct state new ct mark set " + interface_map(marks, "oifname"), false};
  }
  return {to + action(Spread::connection, marks.shares), names_family};
}

Chain mark_chain(const MarkPlan& plan, Hook hook) {
  const bool forwarded = hook == Hook::prerouting;
  Chain chain;
  chain.name = forwarded ? "balance" : "balance_local";
  // mangle (-150): after conntrack (-200), before the routing decision. Output needs `type route`, whose
  // mark change makes the kernel route the packet again.
  chain.hook =
      forwarded ? ChainHook{"filter", "prerouting", "mangle"} : ChainHook{"route", "output", "mangle"};
  auto& rules = chain.rules;
  if (!plan.marks_ipv6) rules.push_back("meta nfproto ipv6 return");  // no uplink has IPv6 yet
  // A socket's own mark wins: VPN clients route their tunnels by it, and so do uplinkd's own probes.
  if (!forwarded) rules.push_back("meta mark != 0x00000000 return");
  if (plan.marks_ipv6 && !plan.unmarked_sources6.empty())
    rules.push_back("ip6 saddr " + prefix_set(plan.unmarked_sources6) + " return");
  add_exclusions(rules, plan);
  if (keeps_connections(plan)) {
    auto restore = [&](Family family) {
      std::string live;
      for (auto mark : plan.of(family).live) live += (live.empty() ? "" : ", ") + hex_mark(mark);
      return FamilyRule{live.empty() ? "" : "ct mark { " + live + " } meta mark set ct mark return"};
    };
    add_per_family(rules, plan, restore(Family::v4), restore(Family::v6));
  }
  if (plan.spread == Spread::connection && forwarded) {
    auto arrival = [&](Family family) {
      const FamilyMarks& marks = plan.of(family);
      if (marks.interface_marks.empty()) return FamilyRule{};
      return FamilyRule{"ct state new meta mark set " + interface_map(marks, "iifname") +
                        " ct mark set meta mark return"};
    };
    add_per_family(rules, plan, arrival(Family::v4), arrival(Family::v6));
  }
  // Only now: a connection that arrives by an uplink to this host or to a port forward (whose address is
  // this host's until dstnat) is kept on that uplink above. ARP never reaches nftables' inet family at all.
  rules.push_back(std::string("fib daddr type { ") + (forwarded ? "local, " : "") +
                  "broadcast, multicast } return");
  // Neighbour discovery is IPv6's ARP, and belongs to the link it is sent on. A reachability probe is a
  // unicast solicitation to the neighbour's own address, which a mark would route out of another link (the
  // output chain routes marked packets again): on links that share a prefix, the answer would come back on
  // that link, and the entry it was for would fail.
  if (plan.marks_ipv6 && !forwarded)
    rules.push_back(
        "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
        "nd-redirect } return");
  add_rules(rules, plan, forwarded, true);
  if (!plan.spread) return chain;
  if (forwarded && *plan.spread == Spread::connection && plan.sticky_timeout_s) {
    for (Family family : kFamilies) {
      const FamilyMarks& marks = plan.of(family);
      if ((family == Family::v4 || plan.marks_ipv6) && !marks.shares.empty() && !marks.destinations.empty())
        add_sticky(rules, plan, family);
    }
    return chain;
  }
  add_per_family(rules, plan, spreading(plan, Family::v4, forwarded), spreading(plan, Family::v6, forwarded));
  return chain;
}

}  // namespace

std::vector<std::string> unpinned_traffic(const MarkPlan& plan) {
  std::vector<std::string> rules;
  add_exclusions(rules, plan);
  add_rules(rules, plan, true, false);
  return rules;
}

void add_mark_chains(Table& table, const MarkPlan& plan) {
  if (plan.empty()) return;
  // Both maps whether or not an uplink has IPv6 yet: a map that came and went with IPv6 would make the
  // applier replace the whole table, and IPv4's sticky sources with it (apply/nft_diff.hpp).
  if (plan.spread == Spread::connection && plan.sticky_timeout_s) {
    table.maps.push_back(Map{kStickyMap, "ipv4_addr : mark", "dynamic,timeout", plan.sticky_timeout_s});
    table.maps.push_back(Map{kStickyMap6, "ipv6_addr : mark", "dynamic,timeout", plan.sticky_timeout_s});
  }
  table.chains.push_back(mark_chain(plan, Hook::prerouting));
  table.chains.push_back(mark_chain(plan, Hook::output));
}

}  // namespace uplinkd::nft
