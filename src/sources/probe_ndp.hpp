// SPDX-License-Identifier: GPL-2.0-or-later
// Neighbour discovery probes of an uplink's IPv6 router (RFC 4861), IPv6's `arp` target, on the daemon's
// io_context; nothing here ever blocks.
//
// What an answer proves: the router is alive on the uplink's link and answers for its address. Nothing
// beyond it (the ISP's network, the internet) — combine an `ndp` target with icmp targets (docs/health.md).
//
// One raw ICMPv6 socket per uplink, bound to the uplink's interface (SO_BINDTODEVICE): it sends out of that
// interface only and sees only what arrives on it, so a router answering on another uplink cannot count. A
// probe is a Neighbour Solicitation sent to the router's solicited-node multicast group (ff02::1:ffXX:XXXX)
// with our MAC in it, as the kernel asks when it resolves a neighbour, not a unicast to the router's cached
// MAC: like ArpProber's broadcast it needs no neighbour cache to be right, and a router replaced by one with
// another MAC still answers. The answer is the router's solicited Neighbour Advertisement for its address,
// sent by it (probe_ndp_codec.hpp lists every check), with hop limit 255: anything else was forwarded by a
// router or forged off-link, and RFC 4861 says to drop it, as the kernel does.
//
// The source address is the interface's link-local one, chosen by the kernel: ND comes from link-local
// addresses (the router answers to it). While it is still tentative (the first second after the link comes
// up) the kernel has no such source and the probe goes unanswered. source.address, the uplink's global
// address, only names the uplink in messages; it must be IPv6.
//
// The target is normally the uplink's link-local router (fe80::, from router advertisements or gateway6),
// whose scope is the socket's interface; any unicast IPv6 address on the link works the same.
//
// The interface must have an Ethernet MAC (ARPHRD_ETHER): a tun, PPP or WireGuard link has none to put in
// the solicitation, and open() says so. The MAC is read at open(): make the prober again when the link
// changes, as for the other probers (probe_socket.hpp).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "sources/probe_ndp_codec.hpp"
#include "sources/probe_socket.hpp"

namespace uplinkd {

// ArpReply's fields, so one health loop can feed either to a monitor. The MAC is the advertisement's target
// link-layer address, if it carried one (it must when answering a multicast solicitation, RFC 4861 7.2.4).
struct NdpReply {
  IpAddress target;  // the router
  uint16_t sequence = 0;
  std::chrono::steady_clock::time_point received;
  std::chrono::steady_clock::duration round_trip{};
  std::optional<ndp::MacAddress> mac;
};

class NdpProber {
 public:
  using ReplyHandler = std::function<void(const NdpReply&)>;
  // Errors while reading (rare: ENOMEM, ENETDOWN when the interface goes down); the socket keeps reading
  // afterwards.
  using ErrorHandler = std::function<void(const KernelError&)>;

  // The socket, or why it could not be made (EPERM without CAP_NET_RAW, ENODEV, EAFNOSUPPORT for an IPv4
  // source or a link without an Ethernet MAC...).
  static Expected<std::unique_ptr<NdpProber>> open(asio::io_context& io, ProbeSource source,
                                                   ReplyHandler on_reply, ErrorHandler on_error);
  // Closes the socket; no handler runs after this, even for reads already queued on the io_context.
  ~NdpProber();
  NdpProber(const NdpProber&) = delete;
  NdpProber& operator=(const NdpProber&) = delete;

  // One solicitation for router. An error (ENETDOWN, ENODEV: the interface is down or gone; ENOBUFS, EAGAIN:
  // a full queue; EAFNOSUPPORT, EINVAL: not a unicast IPv6 address) means the probe did not leave: count it
  // as unanswered.
  std::optional<KernelError> send(const IpAddress& router, uint16_t sequence);

  const ProbeSource& source() const;
  const ndp::MacAddress& mac() const;  // the interface's, read at open()

  struct State;  // shared with pending reads, so that they can outlive the prober safely

 private:
  explicit NdpProber(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace uplinkd
