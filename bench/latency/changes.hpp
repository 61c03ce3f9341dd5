// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkd's kernel changes as the bench's own netlink monitor sees them. Every path names the changes it
// waits for as keys ("+route6 2001:db8:1::/64 table 201", "-rule4 20100 from 100.64.1.10/32 table 201",
// "+group 1978662913 1979711689,1979711690") built by the same functions that name the events, so what a path
// expects and what the kernel announced are compared as plain strings.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "netlink/monitor.hpp"
#include "netlink/socket.hpp"
#include "topology.hpp"

namespace uplinkd::bench {

enum class Change { added, removed };

std::string route_key(Change change, const Prefix& destination, uint32_t table,
                      const std::optional<IpAddress>& source = std::nullopt);
std::string rule_key(Change change, Family family, uint32_t priority, uint32_t table,
                     const std::optional<Prefix>& source = std::nullopt);
std::string nexthop_key(Change change, uint32_t id, const std::optional<IpAddress>& gateway = std::nullopt);
std::string group_key(uint32_t id, std::vector<uint32_t> members);  // added or replaced, members in any order

// The key of an event of uplinkd's (its protocol, rule priorities, nexthop ids), "" for anyone else's.
std::string change_key(const netlink::Event& event);

// Blocks on the monitor until every key in `expected` has been announced, and returns when the batch that
// completed the set was read (so the time includes the bench's wake-up, microseconds). Dies after 5 s.
Clock::time_point wait_changes(netlink::Monitor& monitor, const std::set<std::string>& expected,
                               const std::string& what);

// Everything queued on the monitor now, which must not have overrun.
std::vector<netlink::Event> drain(netlink::Monitor& monitor);

// How many of the drained events are uplinkd's changes.
size_t owned_changes(const std::vector<netlink::Event>& events);

// uplinkd's objects in the kernel now, both families.
size_t owned_object_count(netlink::Socket& socket);

// Runs the requests in one batch and returns when the kernel acked each (the kernel has announced the object
// by then). Dies on an error.
std::vector<Clock::time_point> execute_acked(netlink::Socket& socket,
                                             const std::vector<netlink::Request>& requests);

}  // namespace uplinkd::bench

namespace uplinkd::bench {

// The shape of every netlink-fact path: apply a change the way the kernel's owner of that fact would
// (a DHCP client, SLAAC, an RA), wait for uplinkd's resulting changes, and keep a figure per request: from
// that request's ack to the batch that completed the expected changes. After each step a `status` request
// (answered only between converges) and a drain count uplinkd's changes that came after the end condition:
// there should be none, else the expected set missed a change and the figure ended too early.
class TimedChanges {
 public:
  TimedChanges(std::string socket_path, int uplinks);

  netlink::Socket& socket() { return socket_; }
  uint32_t ifindex(int uplink) const;

  // `figures[i]` names the figure that requests[i]'s ack starts ("" for none).
  void step(const std::vector<netlink::Request>& requests, const std::vector<std::string>& figures,
            const std::set<std::string>& expected, const std::string& what);

  // The RESULT lines of every figure, in the order they were first named, and a LATE line.
  void report_all() const;

 private:
  std::string socket_path_;
  int uplinks_;
  netlink::Socket socket_;
  netlink::Monitor monitor_;
  std::vector<uint32_t> ifindex_;
  std::vector<std::pair<std::string, std::vector<double>>> figures_;
  size_t late_changes_ = 0;
};

}  // namespace uplinkd::bench
