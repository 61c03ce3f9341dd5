// SPDX-License-Identifier: GPL-2.0-or-later
// When an uplink dies, the connections that were masqueraded out of it are dead too, but their conntrack
// entries live on: every further packet of such a connection matches its entry and keeps the dead uplink's
// address as its source, so its answers (if any) come back by the dead uplink — until the entry times out,
// five days for an established TCP connection. The kernel's masquerade forgets such entries by itself only
// when the interface is set down or loses its address; an uplink that fails its health probes does neither.
// Deleting exactly those entries makes the LAN host's next packet a new connection, which the routing and
// masquerade of a live uplink then handle. Nothing else is touched: other uplinks' connections and the
// router's own (bound to an address) keep their entries.
#pragma once

#include <cstddef>

#include "common/error.hpp"
#include "common/ip.hpp"

namespace uplinkd {

// The addresses of a conntrack entry's two tuples: ORIGINAL as the first packet was seen, REPLY as the
// answers are expected (after NAT: source NAT shows as a reply destination other than the original source).
struct ConntrackAddresses {
  IpAddress original_source;
  IpAddress original_destination;
  IpAddress reply_source;
  IpAddress reply_destination;
};

// True for an entry whose source was NATed into `prefix`: replies go to an address in it, but the connection
// did not start from that address. A connection the router itself opened from its own address is false: it
// is bound to that address and has nowhere else to go — also when the masquerade changed only its port (to
// avoid a clash), which gives it the kernel's source-NAT status bit, so that bit alone would not do. So is a
// LAN host numbered from the prefix (routed, not translated). IPv4 asks with the uplink's one address (a
// host prefix); IPv6 with each of the uplink's prefixes, which its masquerade and NPTv6 translate into.
bool nated_into(const ConntrackAddresses& entry, const Prefix& prefix);
inline bool nated_to(const ConntrackAddresses& entry, const IpAddress& address) {
  return nated_into(entry, Prefix::host(address));
}

// Deletes every conntrack entry of `prefix`'s family for which nated_into(entry, prefix) holds, in the
// calling thread's network namespace, and returns how many it deleted (entries that end between the dump and
// the delete are not counted). Call it once the plan without the uplink is applied: a packet that arrives
// before is routed, and NATed, out of the dead uplink again. Synchronous, and safe to call from any thread;
// the .cpp says what it costs.
Expected<size_t> delete_nated_conntrack(const Prefix& prefix);

}  // namespace uplinkd
