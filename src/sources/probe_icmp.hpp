// SPDX-License-Identifier: GPL-2.0-or-later
// ICMP echo probes for one uplink and one family, on the daemon's io_context; nothing here ever blocks.
//
// One socket per uplink and family, bound to its interface and address (probe_socket.hpp says why that keeps
// probes and their answers on the uplink); source.address's family decides which, ICMPv4 or ICMPv6 echo, and
// a target of the other family is an error from send(). It is an unprivileged "ping socket" (SOCK_DGRAM,
// IPPROTO_ICMP or IPPROTO_ICMPV6) where net.ipv4.ping_group_range allows it (that sysctl governs both
// families) — the kernel then owns the echo identifier and hands the socket only replies to it — else a raw
// socket (root in a namespace often lacks the sysctl's group), which picks an identifier and filters replies
// itself. Either way a reply counts only if it answers a request still outstanding, with the same sequence,
// from the address that request went to.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "sources/probe_socket.hpp"

namespace uplinkd {

struct IcmpReply {
  IpAddress target;
  uint16_t sequence = 0;
  std::chrono::steady_clock::time_point received;
  std::chrono::steady_clock::duration round_trip{};
};

class IcmpProber {
 public:
  enum class SocketKind { ping, raw };
  using ReplyHandler = std::function<void(const IcmpReply&)>;
  // Errors while reading (rare: ENOMEM, a socket error); the socket keeps reading afterwards.
  using ErrorHandler = std::function<void(const KernelError&)>;

  // The socket, or why it could not be made (EPERM without CAP_NET_RAW, ENODEV, EADDRNOTAVAIL...).
  static Expected<std::unique_ptr<IcmpProber>> open(asio::io_context& io, ProbeSource source,
                                                    ReplyHandler on_reply, ErrorHandler on_error);
  // Closes the socket; no handler runs after this, even for reads already queued on the io_context.
  ~IcmpProber();
  IcmpProber(const IcmpProber&) = delete;
  IcmpProber& operator=(const IcmpProber&) = delete;

  // One echo request to target. An error (ENETUNREACH: the uplink's table has no route; EPERM: a firewall;
  // EAFNOSUPPORT: a target of the other family) means the probe did not leave: count it as unanswered. A
  // full send buffer (EAGAIN) is such an error too, rather than a wait: a probe that cannot go now is as good
  // as lost.
  std::optional<KernelError> send(const IpAddress& target, uint16_t sequence);

  SocketKind kind() const;
  Family family() const { return source().address.family(); }
  const ProbeSource& source() const;

  struct State;  // shared with pending reads, so that they can outlive the prober safely

 private:
  explicit IcmpProber(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace uplinkd
