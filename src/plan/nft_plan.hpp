// SPDX-License-Identifier: GPL-2.0-or-later
// What uplinkd wants in its nftables table, as the planner computes it. Kept free of libnftables so that
// src/plan/ can include it and stay pure; src/nft/ turns it into a table and the kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "common/traffic_match.hpp"

namespace uplinkd {

// Connections masqueraded to `address` keep leaving by its uplink: packets of theirs get `mark`, which a
// rule routes by the uplink's table. So a change of the balanced group (a failure, a recovery, a drain, a
// weight) never moves an established connection to an uplink that would send it out with the wrong source
// address, where the ISP drops it.
struct PinnedUplink {
  IpAddress address;
  uint32_t mark = 0;
  bool operator==(const PinnedUplink&) const = default;
};

// The same for IPv6, by prefix: masquerade picks any of the uplink's global addresses (a temporary one, one
// of several prefixes), and NPTv6 translates into a subnet of its delegated prefix, so the connection's reply
// destination is somewhere in one of the uplink's prefixes.
struct PinnedPrefix {
  Prefix prefix;
  uint32_t mark = 0;
  bool operator==(const PinnedPrefix&) const = default;
};

// NPTv6-like prefix translation on one uplink (`nptv6`): LAN sources in `lan` leave by `interface` as the
// same host part in `uplink`, a prefix of the same length out of the uplink's delegated prefix; connections
// from outside to `uplink` reach the LAN host. Conntrack-based (nft `snat ip6 prefix to` / `dnat`).
struct PrefixTranslation {
  std::string interface;
  Prefix lan;
  Prefix uplink;
  bool operator==(const PrefixTranslation&) const = default;
};

struct NatPlan {
  // Traffic leaving by one of these interfaces is masqueraded to that interface's address. Names are
  // validated by the config; the order is kept, so the rendered table is stable from run to run.
  std::vector<std::string> masquerade_interfaces;
  std::vector<PinnedUplink> pinned;  // usable (or drained) masquerading uplinks, in config order
  // IPv6 is masqueraded by these interfaces only (the uplinks whose `family` carries it); a subset of
  // masquerade_interfaces.
  std::vector<std::string> masquerade6_interfaces = {};
  // IPv6 sources never translated: every uplink's global prefixes and delegated prefixes, whatever the
  // uplink's state. They are routed, BCP 38 clean, by their own uplink's source rule; masquerading one out of
  // another uplink would hide a host's wrong source instead of deprecating it (docs/design-choices.md).
  // Sorted, none inside another (an nft interval set refuses overlaps).
  std::vector<Prefix> untranslated6 = {};
  std::vector<PrefixTranslation> translations6 = {};  // at most one per interface, in config order
  // Usable (or drained) uplinks that masquerade IPv6: their own and delegated prefixes, sorted. A prefix two
  // uplinks share (nested or equal) says nothing about the uplink and is left out.
  std::vector<PinnedPrefix> pinned6 = {};

  bool operator==(const NatPlan&) const = default;
};

}  // namespace uplinkd

namespace uplinkd {

// How a choice of uplink is kept: per packet (mode "packet", the old `equalize`: no state at all) or per
// connection (mode "connection": the choice is the connection's ct mark, kept for its life).
enum class Spread { packet, connection };

// One uplink's part of a choice: `weight` of every sum-of-weights packets or new connections get `mark`.
struct MarkShare {
  uint32_t mark = 0;
  uint32_t weight = 1;
  bool operator==(const MarkShare&) const = default;
};

// A [[rule]] that can act now, for one family at least. Each family chooses among the rule's uplinks apart
// (an uplink whose IPv6 is down still carries the rule's IPv4); a family whose choice is empty is not matched
// by the rule, so its traffic falls through to the next rule and finally to the mode's own balancing. Rules
// that can act for no family are left out by the planner.
struct MarkRule {
  TrafficMatch match;
  bool exclude = false;  // never marked
  Spread spread = Spread::connection;
  std::vector<MarkShare> shares;        // IPv4; empty when exclude, or when the rule is not for IPv4
  std::vector<MarkShare> shares6 = {};  // IPv6, the same

  const std::vector<MarkShare>& shares_of(Family family) const {
    return family == Family::v4 ? shares : shares6;
  }
  bool operator==(const MarkRule&) const = default;
};

// What one address family marks: its uplinks are chosen apart from the other family's (plan/members.hpp).
struct FamilyMarks {
  // Mode "packet" or "connection": how traffic to `destinations` (this family's) is spread over `shares`.
  std::vector<Prefix> destinations;
  std::vector<MarkShare> shares;
  // Connection marks that are restored on the connection's packets: those of usable uplinks. A connection
  // whose uplink is dead is left to the kernel's routing (and its NAT entry is deleted by the daemon).
  std::vector<uint32_t> live;
  // Mode "connection": a connection that arrives by an uplink, or that the machine itself opens out of one,
  // is kept on that uplink (replies of a port forward leave by the ISP that delivered it).
  std::vector<std::pair<std::string, uint32_t>> interface_marks;
  bool operator==(const FamilyMarks&) const = default;
};

// The packet marking part of uplinkd's table (plan/mark_chains.hpp builds its chains). Marks are routed by
// `fwmark` rules into the uplinks' tables (plan/planner.cpp), one per family and usable uplink.
struct MarkPlan {
  std::vector<Prefix> excluded;  // never marked; both families
  std::vector<MarkRule> rules;   // first match wins
  std::optional<Spread> spread;  // mode "packet" or "connection"
  FamilyMarks v4;
  // Marked only once an uplink has IPv6 (as the rest of IPv6 is planned only then); until then the chains
  // let IPv6 pass unmarked.
  bool marks_ipv6 = false;
  FamilyMarks v6;
  // IPv6 sources never marked: every uplink's own and delegated prefixes (and link-local). Their source rule
  // sends them by the uplink that owns them, the only one whose ISP accepts them (BCP 38); a mark would win
  // over that rule. A prefix two uplinks share (the seed's same-address links) is left out: either may carry
  // it. Sorted, none inside another.
  std::vector<Prefix> unmarked_sources6;
  uint32_t sticky_timeout_s = 0;  // mode "connection": a source address keeps its uplink; 0 = off

  const FamilyMarks& of(Family family) const { return family == Family::v4 ? v4 : v6; }
  FamilyMarks& of(Family family) { return family == Family::v4 ? v4 : v6; }
  bool empty() const { return !spread && rules.empty(); }
  bool operator==(const MarkPlan&) const = default;
};

}  // namespace uplinkd
