#include "plan/mark_chains.hpp"

#include <numeric>

namespace uplinkd::nft {
namespace {

// nft's own words for the protocols it knows by name, so that `nft list` and `uplinkctl plan` read alike.
std::string protocol_text(uint8_t protocol) {
  switch (protocol) {
    case 1:
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

// "ip daddr 10.0.0.0/8" or "ip daddr { a, b }"; empty when the prefixes cover everything.
std::string daddr_match(const std::vector<Prefix>& prefixes) {
  std::string items;
  for (const auto& prefix : prefixes) {
    if (prefix.is_default()) return "";
    items += (items.empty() ? "" : ", ") + prefix_text(prefix);
  }
  return "ip daddr " + (prefixes.size() == 1 ? items : "{ " + items + " }") + " ";
}

std::string match_text(const TrafficMatch& match) {
  std::string text;
  if (match.iif.size()) text += "iifname " + quoted_interface(match.iif) + " ";
  if (match.source) text += "ip saddr " + prefix_text(*match.source) + " ";
  if (match.destination) text += "ip daddr " + prefix_text(*match.destination) + " ";
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

std::string interface_map(const MarkPlan& plan, std::string_view key) {
  std::string map;
  for (const auto& [interface, mark] : plan.interface_marks)
    map += (map.empty() ? "" : ", ") + quoted_interface(interface) + " : " + hex_mark(mark);
  return std::string(key) + " map { " + map + " }";
}

bool keeps_connections(const MarkPlan& plan) {
  if (plan.spread == Spread::connection) return true;
  for (const auto& rule : plan.rules)
    if (!rule.exclude && rule.spread == Spread::connection) return true;
  return false;
}

enum class Hook { prerouting, output };

Chain mark_chain(const MarkPlan& plan, Hook hook) {
  const bool forwarded = hook == Hook::prerouting;
  Chain chain;
  chain.name = forwarded ? "balance" : "balance_local";
  // mangle (-150): after conntrack (-200), before the routing decision. Output needs `type route`, whose
  // mark change makes the kernel route the packet again.
  chain.hook =
      forwarded ? ChainHook{"filter", "prerouting", "mangle"} : ChainHook{"route", "output", "mangle"};
  auto& rules = chain.rules;
  rules.push_back("meta nfproto ipv6 return");  // only IPv4 is balanced so far
  // A socket's own mark wins: VPN clients route their tunnels by it, and so do uplinkd's own probes.
  if (!forwarded) rules.push_back("meta mark != 0x00000000 return");
  if (!plan.excluded.empty()) rules.push_back(daddr_match(plan.excluded) + "return");
  if (keeps_connections(plan) && !plan.live.empty()) {
    std::string live;
    for (auto mark : plan.live) live += (live.empty() ? "" : ", ") + hex_mark(mark);
    rules.push_back("ct mark { " + live + " } meta mark set ct mark return");
  }
  if (plan.spread == Spread::connection && !plan.interface_marks.empty() && forwarded)
    rules.push_back("ct state new meta mark set " + interface_map(plan, "iifname") +
                    " ct mark set meta mark return");
  // Only now: a connection that arrives by an uplink to this host or to a port forward (whose address is
  // this host's until dstnat) is kept on that uplink above. ARP never reaches nftables' inet family at all.
  rules.push_back(std::string("fib daddr type { ") + (forwarded ? "local, " : "") +
                  "broadcast, multicast } return");
  for (const auto& rule : plan.rules) {
    if (!forwarded && !rule.match.iif.empty()) continue;  // the machine's own traffic arrives by no interface
    rules.push_back(match_text(rule.match) + (rule.exclude ? "" : action(rule.spread, rule.shares) + " ") +
                    "return");
  }
  if (!plan.spread || plan.shares.empty()) return chain;
  const std::string destinations = daddr_match(plan.destinations);
  if (*plan.spread == Spread::packet) {
    rules.push_back(destinations + choice(plan.shares));
  } else if (!forwarded) {
    // The machine's own connections keep the uplink the kernel chose for them: its choice also picked their
    // source address, which another uplink's ISP would drop.
    if (!plan.interface_marks.empty())
      rules.push_back("ct state new ct mark set " + interface_map(plan, "oifname"));
  } else if (plan.sticky_timeout_s) {
    const std::string remember = " update @" + std::string(kStickyMap) + " { ip saddr : meta mark }";
    // A source keeps its uplink while that uplink takes new connections; one whose uplink died, was drained
    // or left the best tier picks again below, and the map then learns its new uplink. So the map never has
    // to be edited when the group changes (docs/modes.md, "Sticky sources").
    std::string taking;
    for (const auto& share : plan.shares) taking += (taking.empty() ? "" : ", ") + hex_mark(share.mark);
    rules.push_back(destinations + "ct state new meta mark set ip saddr map @" + kStickyMap);
    rules.push_back(destinations + "ct state new meta mark { " + taking + " } ct mark set meta mark" +
                    remember + " return");
    rules.push_back(destinations + action(Spread::connection, plan.shares) + remember);
  } else {
    rules.push_back(destinations + action(Spread::connection, plan.shares));
  }
  return chain;
}

}  // namespace

std::vector<std::string> unpinned_traffic(const MarkPlan& plan) {
  std::vector<std::string> rules;
  if (!plan.excluded.empty()) rules.push_back(daddr_match(plan.excluded) + "return");
  for (const auto& rule : plan.rules) rules.push_back(match_text(rule.match) + "return");
  return rules;
}

void add_mark_chains(Table& table, const MarkPlan& plan) {
  if (plan.empty()) return;
  if (plan.spread == Spread::connection && plan.sticky_timeout_s)
    table.maps.push_back(Map{kStickyMap, "ipv4_addr : mark", "dynamic,timeout", plan.sticky_timeout_s});
  table.chains.push_back(mark_chain(plan, Hook::prerouting));
  table.chains.push_back(mark_chain(plan, Hook::output));
}

}  // namespace uplinkd::nft
