// SPDX-License-Identifier: GPL-2.0-or-later
// ARP probes of an uplink's gateway, on the daemon's io_context; nothing here ever blocks.
//
// What an answer proves: the gateway is alive on the uplink's link and answers for its address. Nothing
// beyond it (the ISP's network, the internet) — combine an `arp` target with icmp targets (docs/health.md).
//
// One AF_PACKET socket per uplink (SOCK_DGRAM: the kernel adds and strips the Ethernet header) for ARP
// only, bound to the uplink's interface by index: it sends out of that interface and sees only the ARP frames
// that arrive on it, so a gateway answering through another uplink cannot count. A request is a broadcast
// "who has GATEWAY? tell ADDRESS", as the kernel asks when it resolves a neighbour, not a unicast to the
// gateway's cached MAC (arping -U style): a broadcast needs no cache to be right, so the first probe works
// before anything is resolved, and a gateway replaced by one with another MAC (a swapped modem, a VRRP or
// BNG failover) still answers where a unicast would go to the dead MAC and call a working uplink down. Its
// cost is a 60-byte frame per interval to every host on the segment.
//
// The interface must be Ethernet-like (ARPHRD_ETHER): PPP, WireGuard and raw-IP LTE links have no ARP, and
// open() says so. Its MAC is read at open(): make the prober again when the link changes, as for the other
// probers (probe_socket.hpp).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "sources/probe_arp_codec.hpp"
#include "sources/probe_socket.hpp"

namespace uplinkd {

// IcmpReply's fields, so one health loop can feed either to a monitor, plus the MAC the gateway answered
// from (for logs: a changed MAC means another box answers for the gateway now).
struct ArpReply {
  IpAddress target;  // the gateway
  uint16_t sequence = 0;
  std::chrono::steady_clock::time_point received;
  std::chrono::steady_clock::duration round_trip{};
  arp::MacAddress mac{};
};

class ArpProber {
 public:
  using ReplyHandler = std::function<void(const ArpReply&)>;
  // Errors while reading (rare: ENOMEM, ENETDOWN when the interface goes down); the socket keeps reading
  // afterwards.
  using ErrorHandler = std::function<void(const KernelError&)>;

  // The socket, or why it could not be made (EPERM without CAP_NET_RAW, ENODEV, EAFNOSUPPORT for an IPv6
  // address or a link without ARP...). source.address is what the requests say we are; it need not be on the
  // interface yet, but replies are sent to it, so it should be.
  static Expected<std::unique_ptr<ArpProber>> open(asio::io_context& io, ProbeSource source,
                                                   ReplyHandler on_reply, ErrorHandler on_error);
  // Closes the socket; no handler runs after this, even for reads already queued on the io_context.
  ~ArpProber();
  ArpProber(const ArpProber&) = delete;
  ArpProber& operator=(const ArpProber&) = delete;

  // One broadcast request for gateway. An error (ENETDOWN: the interface is down; ENOBUFS, EAGAIN: a full
  // queue) means the probe did not leave: count it as unanswered.
  std::optional<KernelError> send(const IpAddress& gateway, uint16_t sequence);

  const ProbeSource& source() const;
  const arp::MacAddress& mac() const;  // the interface's, read at open()

  struct State;  // shared with pending reads, so that they can outlive the prober safely

 private:
  explicit ArpProber(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace uplinkd
