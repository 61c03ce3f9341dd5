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

// A [[rule]] that can act now. Rules whose uplinks are all unusable are left out by the planner, so their
// traffic falls through to the next rule and finally to the mode's own balancing.
struct MarkRule {
  TrafficMatch match;
  bool exclude = false;  // never marked
  Spread spread = Spread::connection;
  std::vector<MarkShare> shares;  // empty only when exclude
  bool operator==(const MarkRule&) const = default;
};

// The packet marking part of uplinkd's table (plan/mark_chains.hpp builds its chains). Marks are routed by
// `fwmark` rules into the uplinks' tables (plan/planner.cpp).
struct MarkPlan {
  std::vector<Prefix> excluded;  // never marked
  std::vector<MarkRule> rules;   // first match wins
  // Mode "packet" or "connection": how traffic to `destinations` is spread over `shares`.
  std::optional<Spread> spread;
  std::vector<Prefix> destinations;
  std::vector<MarkShare> shares;
  // Connection marks that are restored on the connection's packets: those of usable uplinks. A connection
  // whose uplink is dead is left to the kernel's routing (and its NAT entry is deleted by the daemon).
  std::vector<uint32_t> live;
  // Mode "connection": a connection that arrives by an uplink, or that the machine itself opens out of one,
  // is kept on that uplink (replies of a port forward leave by the ISP that delivered it).
  std::vector<std::pair<std::string, uint32_t>> interface_marks;
  uint32_t sticky_timeout_s = 0;  // mode "connection": a source address keeps its uplink; 0 = off

  bool empty() const { return !spread && rules.empty(); }
  bool operator==(const MarkPlan&) const = default;
};

}  // namespace uplinkd
