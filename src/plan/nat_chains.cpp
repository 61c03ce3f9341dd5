// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/nat_chains.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "plan/ownership.hpp"

namespace uplinkd::nft {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// NPTv6's inbound side: a connection from outside to the uplink's translated prefix reaches the LAN host
// with the same host part, so the mapping is one-to-one both ways, as RFC 6296's is. Whether it may pass is
// the firewall's forward chain's call, as for any routed IPv6 host; dstnat (-100) is nat's own priority.
void add_inbound_translation(Table& table, const NatPlan& plan) {
  if (plan.translations6.empty()) return;
  Chain chain{"prerouting", ChainHook{"nat", "prerouting", "dstnat"}, {}};
  for (const auto& translation : plan.translations6)
    chain.rules.push_back("iifname " + quoted_interface(translation.interface) + " ip6 daddr " +
                          translation.uplink.to_string() + " dnat ip6 prefix to " +
                          translation.lan.to_string());
  table.chains.push_back(std::move(chain));
}

// ffff:ffff:ffff:ffff:: for 64: the mask that keeps a prefix's network bits of an IPv6 address.
std::string mask6(uint8_t length) {
  uint8_t bytes[16] = {};
  for (size_t bit = 0; bit < length && bit < 128; ++bit)
    bytes[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
  return IpAddress::from_bytes(Family::v6, bytes).to_string();
}

// IPv6 is pinned by prefix: an address masked to a prefix length, looked up in an exact-match map of that
// length's prefixes; one map per length, shortest first, so that the longest matching prefix sets the mark
// last. Not one map of prefixes (`ct reply ip6 daddr map { 2001:db8:1::/64 : MARK }`, which nft makes an
// interval map): the kernel replaces a rule's anonymous set with the rule, and while an interval set is
// replaced its lookups miss for an instant. bench/failover.sh saw it: at a pin change, 1-4 live IPv6 flows'
// packets went unmarked in 7 of 71 runs, routed by the group to the other uplink, where the kernel drops the
// packet and forgets the masqueraded connection (NAT to another interface), which then starts again NATed to
// that uplink. Exact-match (hash) sets take their new elements at the commit with the rule, as the IPv4
// address map always has: 0 unmarked packets in 24 runs.
void add_pin6_rules(Chain& pin, const std::vector<PinnedPrefix>& pinned6) {
  std::map<uint8_t, std::set<std::pair<IpAddress, uint32_t>>> by_length;
  for (const auto& pinned : pinned6)
    by_length[pinned.prefix.length].insert({pinned.prefix.network().address, pinned.mark});
  for (const auto& [length, prefixes] : by_length) {
    std::string map;
    for (const auto& [network, mark] : prefixes)
      map += (map.empty() ? "" : ", ") + network.to_string() + " : " + hex_mark(mark);
    const std::string key = " ip6 daddr & " + mask6(length) + " map { " + map + " }";
    pin.rules.push_back("meta nfproto ipv6 ct direction original meta mark set ct reply" + key);
    // The same for a connection from outside to one of the uplink's prefixes (NPTv6's inbound side too).
    pin.rules.push_back("meta nfproto ipv6 ct direction reply meta mark set ct original" + key);
  }
}

}  // namespace

void add_nat_chains(Table& table, const NatPlan& plan, const std::vector<std::string>& unpinned) {
  if (!plan.pinned.empty() || !plan.pinned6.empty()) {
    // mangle (-150): after conntrack (-200) has found the connection, before the routing decision. Only the
    // original direction: replies are addressed to the LAN host and routed by main as always.
    // mangle + 1: after the balance chain (mangle), whatever order the two were created in. At one
    // priority the kernel's order is that of registration (a newer chain first), and after a restart the
    // applier re-creates a changed chain alone, which would reverse them; the pin decides last, as it always
    // has.
    Chain pin{"pin", ChainHook{"filter", "prerouting", "mangle + 1"}, unpinned};
    std::string map;
    for (const auto& pin : plan.pinned)
      map += (map.empty() ? "" : ", ") + pin.address.to_string() + " : " + hex_mark(pin.mark);
    // A connection from outside to an uplink's address (a port the operator forwards to a LAN host) answers
    // from the LAN: its replies leave by the uplink it came in by, where its address is valid. Without this
    // they follow the group, and another ISP drops them (BCP 38).
    if (!map.empty()) {
      pin.rules.push_back("meta nfproto ipv4 ct direction original meta mark set ct reply ip daddr map { " +
                          map + " }");
      pin.rules.push_back("meta nfproto ipv4 ct direction reply meta mark set ct original ip daddr map { " +
                          map + " }");
    }
    add_pin6_rules(pin, plan.pinned6);
    table.chains.push_back(std::move(pin));
  }
  add_inbound_translation(table, plan);
  if (plan.masquerade_interfaces.empty()) return;
  // srcnat (100) is where masquerade belongs; a firewall's own nat chains at the same hook coexist with ours.
  Chain chain{"postrouting", ChainHook{"nat", "postrouting", "srcnat"}, {}};
  for (const auto& interface : plan.masquerade_interfaces) {
    const std::string oifname = "oifname " + quoted_interface(interface);
    // IPv4 by its own rule: an inet table's bare masquerade would rewrite IPv6 too, the uplinks' own global
    // addresses included (the kernel picks a source of its own choosing), which routed IPv6 must never see.
    chain.rules.push_back("meta nfproto ipv4 " + oifname + " masquerade");
    if (!contains(plan.masquerade6_interfaces, interface)) continue;
    // The first nat verdict wins: the LAN prefix's hosts keep their host part, the rest is masqueraded.
    for (const auto& translation : plan.translations6)
      if (translation.interface == interface)
        chain.rules.push_back(oifname + " ip6 saddr " + translation.lan.to_string() + " snat ip6 prefix to " +
                              translation.uplink.to_string());
    std::string untranslated;
    for (const auto& prefix : plan.untranslated6)
      untranslated += (untranslated.empty() ? "" : ", ") + prefix.to_string();
    // nft has no empty anonymous set: before any uplink has an IPv6 prefix, every source is masqueraded.
    chain.rules.push_back(untranslated.empty() ? "meta nfproto ipv6 " + oifname + " masquerade"
                                               : "meta nfproto ipv6 " + oifname + " ip6 saddr != { " +
                                                     untranslated + " } masquerade");
  }
  table.chains.push_back(std::move(chain));
}

Table nat_table(const NatPlan& plan) {
  Table table{"inet", ownership::kNftTable, {}, {}};
  add_nat_chains(table, plan);
  return table;
}

}  // namespace uplinkd::nft
