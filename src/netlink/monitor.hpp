// SPDX-License-Identifier: GPL-2.0-or-later
// The event socket: joins rtnetlink's multicast groups and nothing else, so that it can be drained whenever
// the loop finds it readable, apart from the command socket's request/ack traffic.
#pragma once

#include <cstddef>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "netlink/objects.hpp"

struct mnl_socket;

namespace uplinkd::netlink {

enum class EventKind { added, removed };  // RTM_NEW* (also a change), RTM_DEL*

template <class T>
struct ObjectEvent {
  EventKind kind = EventKind::added;
  T object;
  bool operator==(const ObjectEvent&) const = default;
};

using LinkEvent = ObjectEvent<Link>;
using AddressEvent = ObjectEvent<Address>;
using RouteEvent = ObjectEvent<Route>;
using RuleEvent = ObjectEvent<Rule>;
using NexthopEvent = ObjectEvent<Nexthop>;
using Event = std::variant<LinkEvent, AddressEvent, RouteEvent, RuleEvent, NexthopEvent>;

struct MonitorBatch {
  std::vector<Event> events;
  // The kernel dropped events (ENOBUFS): what was missed is unknown, so the caller dumps everything again.
  // The monitor itself keeps working.
  bool overrun = false;
};

struct MonitorOptions {
  // SO_RCVBUFFORCE (CAP_NET_ADMIN), else SO_RCVBUF capped by net.core.rmem_max. Tests set it tiny.
  int receive_buffer_bytes = 8 << 20;
};

class Monitor {
 public:
  static Expected<Monitor> open(MonitorOptions options = {});

  Monitor(Monitor&& other) noexcept;
  Monitor& operator=(Monitor&& other) noexcept;
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  ~Monitor();

  // Non-blocking; wait for it to become readable (Asio's posix::stream_descriptor), then read_pending().
  int fd() const;

  // Everything queued now, in the kernel's order. Messages that do not decode (another family, a kind
  // uplinkd does not model) are skipped.
  Expected<MonitorBatch> read_pending();

 private:
  explicit Monitor(mnl_socket* socket);

  mnl_socket* socket_ = nullptr;
  std::vector<char> buffer_;
};

// The events in a buffer of received messages; what does not decode is skipped. Exposed for tests.
std::vector<Event> decode_events(const void* data, size_t length);

}  // namespace uplinkd::netlink
