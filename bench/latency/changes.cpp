// SPDX-License-Identifier: GPL-2.0-or-later
#include "changes.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <variant>

#include "plan/ownership.hpp"

namespace uplinkd::bench {

namespace {

constexpr auto kEventTimeout = std::chrono::seconds(5);

const char* sign(Change change) {
  return change == Change::added ? "+" : "-";
}
const char* family_tag(Family family) {
  return family == Family::v4 ? "4" : "6";
}
Change change_of(netlink::EventKind kind) {
  return kind == netlink::EventKind::added ? Change::added : Change::removed;
}

}  // namespace

std::string route_key(Change change, const Prefix& destination, uint32_t table,
                      const std::optional<IpAddress>& source) {
  std::string key = std::string(sign(change)) + "route" + family_tag(destination.family()) + " " +
                    destination.to_string() + " table " + std::to_string(table);
  if (source) key += " src " + source->to_string();
  return key;
}

std::string rule_key(Change change, Family family, uint32_t priority, uint32_t table,
                     const std::optional<Prefix>& source) {
  std::string key = std::string(sign(change)) + "rule" + family_tag(family) + " " + std::to_string(priority);
  if (source) key += " from " + source->to_string();
  return key + " table " + std::to_string(table);
}

// A removal names the id alone: the kernel's RTM_DELNEXTHOP need not repeat what the nexthop was.
std::string nexthop_key(Change change, uint32_t id, const std::optional<IpAddress>& gateway) {
  std::string key = std::string(sign(change)) + "nexthop " + std::to_string(id);
  if (change == Change::added && gateway) key += " via " + gateway->to_string();
  return key;
}

std::string group_key(uint32_t id, std::vector<uint32_t> members) {
  std::sort(members.begin(), members.end());
  std::string key = "+group " + std::to_string(id) + " ";
  for (size_t i = 0; i < members.size(); ++i) key += (i ? "," : "") + std::to_string(members[i]);
  return key;
}

std::string change_key(const netlink::Event& event) {
  if (const auto* nexthop = std::get_if<netlink::NexthopEvent>(&event)) {
    const auto& nh = nexthop->object;
    if (!ownership::owns_nexthop_id(nh.id)) return "";
    Change change = change_of(nexthop->kind);
    if (nh.is_group()) {
      if (change == Change::removed) return "-group " + std::to_string(nh.id);
      std::vector<uint32_t> members;
      for (const auto& member : nh.group) members.push_back(member.id);
      return group_key(nh.id, members);
    }
    return nexthop_key(change, nh.id, nh.gateway);
  }
  if (const auto* route = std::get_if<netlink::RouteEvent>(&event)) {
    const auto& r = route->object;
    if (r.protocol != ownership::kProtocol) return "";
    return route_key(change_of(route->kind), r.destination, r.table, r.prefsrc);
  }
  if (const auto* rule = std::get_if<netlink::RuleEvent>(&event)) {
    const auto& r = rule->object;
    if (r.protocol != ownership::kProtocol || !ownership::owns_rule_priority(r.priority)) return "";
    return rule_key(change_of(rule->kind), r.family, r.priority, r.table, r.source);
  }
  return "";
}

std::vector<netlink::Event> drain(netlink::Monitor& monitor) {
  auto batch = must(monitor.read_pending(), "reading the netlink monitor");
  if (batch.overrun) die("netlink monitor overrun: events were lost, the measurement is void");
  return batch.events;
}

Clock::time_point wait_changes(netlink::Monitor& monitor, const std::set<std::string>& expected,
                               const std::string& what) {
  std::set<std::string> missing = expected;
  auto deadline = Clock::now() + kEventTimeout;
  while (!missing.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      std::string keys;
      for (const auto& key : missing) keys += "\n  " + key;
      die("timed out after 5 s waiting for " + what + "; never announced:" + keys);
    }
    pollfd fd{monitor.fd(), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left)) < 0 && errno != EINTR) die("poll on the netlink monitor failed");
    auto events = drain(monitor);
    auto now = Clock::now();
    for (const auto& event : events) missing.erase(change_key(event));
    if (missing.empty()) return now;
  }
  return Clock::now();
}

size_t owned_changes(const std::vector<netlink::Event>& events) {
  return static_cast<size_t>(std::count_if(events.begin(), events.end(),
                                           [](const auto& event) { return !change_key(event).empty(); }));
}

size_t owned_object_count(netlink::Socket& socket) {
  size_t count = 0;
  for (const auto& nh : must(socket.dump_nexthops(), "nexthop dump"))
    count += ownership::owns_nexthop_id(nh.id);
  for (Family family : {Family::v4, Family::v6}) {
    for (const auto& rule : must(socket.dump_rules(family), "rule dump"))
      count += rule.protocol == ownership::kProtocol && ownership::owns_rule_priority(rule.priority);
    count += must(socket.dump_routes(family, {0, ownership::kProtocol}), "route dump").size();
  }
  return count;
}

std::vector<Clock::time_point> execute_acked(netlink::Socket& socket,
                                             const std::vector<netlink::Request>& requests) {
  std::vector<Clock::time_point> acked;
  // One request per execute() call: each ack gets its own time.
  for (const auto& request : requests) {
    auto errors = socket.execute({request});
    if (!errors.empty()) die(request.description + ": " + errors.front().error.message());
    acked.push_back(Clock::now());
  }
  return acked;
}

}  // namespace uplinkd::bench

namespace uplinkd::bench {

TimedChanges::TimedChanges(std::string socket_path, int uplinks)
    : socket_path_(std::move(socket_path)),
      uplinks_(uplinks),
      socket_(must(netlink::Socket::open(), "netlink socket")),
      monitor_(must(netlink::Monitor::open(), "netlink monitor")),
      ifindex_(static_cast<size_t>(uplinks) + 1, 0) {
  for (const auto& link : must(socket_.dump_links(), "link dump"))
    for (int k = 1; k <= uplinks; ++k)
      if (link.name == interface_of(k)) ifindex_[static_cast<size_t>(k)] = link.index;
  for (int k = 1; k <= uplinks; ++k)
    if (!ifindex(k)) die("no interface " + interface_of(k));
}

uint32_t TimedChanges::ifindex(int uplink) const {
  return ifindex_.at(static_cast<size_t>(uplink));
}

void TimedChanges::step(const std::vector<netlink::Request>& requests,
                        const std::vector<std::string>& figures, const std::set<std::string>& expected,
                        const std::string& what) {
  drain(monitor_);
  auto acked = execute_acked(socket_, requests);
  auto done_at = wait_changes(monitor_, expected, what);
  for (size_t i = 0; i < figures.size() && i < acked.size(); ++i) {
    if (figures[i].empty()) continue;
    auto figure = std::find_if(figures_.begin(), figures_.end(),
                               [&](const auto& named) { return named.first == figures[i]; });
    if (figure == figures_.end()) figure = figures_.insert(figures_.end(), {figures[i], {}});
    figure->second.push_back(ms(done_at - acked[i]));
  }
  call(socket_path_, {{"command", "status"}});
  late_changes_ += owned_changes(drain(monitor_));
}

void TimedChanges::report_all() const {
  for (const auto& [name, samples] : figures_) report(name, uplinks_, samples);
  std::fprintf(stdout, "LATE\t%d\t%zu\n", uplinks_, late_changes_);
  if (late_changes_)
    std::fprintf(stderr, "warning: %zu changes of uplinkd's came after the end condition\n", late_changes_);
}

}  // namespace uplinkd::bench
