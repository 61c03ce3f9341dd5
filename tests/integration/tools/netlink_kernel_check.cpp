// SPDX-License-Identifier: GPL-2.0-or-later
// Drives NetlinkKernel and Monitor against the real kernel for tests/integration/netlink_kernel_test.sh,
// which runs it inside a namespace of its own. Each subcommand is one step; the script compares with `ip`.
#include <net/if.h>
#include <poll.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "apply/netlink_kernel.hpp"
#include "netlink/monitor.hpp"
#include "plan/ownership.hpp"

namespace {

using namespace uplinkd;
using netlink::Nexthop;
using netlink::Route;
using netlink::Rule;

constexpr uint32_t kFirst = ownership::kNexthopIdFirst + 1;
constexpr uint32_t kSecond = ownership::kNexthopIdFirst + 2;
constexpr uint32_t kGroup = ownership::kGroupIdMultipathV4;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

Nexthop gateway_nexthop(uint32_t id, const char* gateway, uint32_t ifindex) {
  Nexthop nexthop;
  nexthop.id = id;
  nexthop.protocol = ownership::kProtocol;
  nexthop.gateway = ip(gateway);
  nexthop.ifindex = ifindex;
  return nexthop;
}

Nexthop group(uint16_t first_weight, uint16_t second_weight) {
  Nexthop nexthop;
  nexthop.id = kGroup;
  nexthop.protocol = ownership::kProtocol;
  nexthop.group = {{kFirst, first_weight}, {kSecond, second_weight}};
  return nexthop;
}

Route default_route() {
  Route route;
  route.destination = Prefix::default_route(Family::v4);
  route.table = 200;
  route.protocol = ownership::kProtocol;
  route.nexthop_id = kGroup;
  return route;
}

Rule source_rule() {
  Rule rule;
  rule.priority = ownership::kRulePrioritySource;
  rule.table = 200;
  rule.protocol = ownership::kProtocol;
  rule.source = *Prefix::parse("10.99.0.10/32");
  return rule;
}

Route host_route(uint32_t table, uint32_t n, uint32_t ifindex) {
  Route route;
  route.destination = Prefix{
      IpAddress::from_bytes(Family::v4, std::array<uint8_t, 4>{10, 200, uint8_t(n >> 8), uint8_t(n)}.data()),
      32};
  route.table = table;
  route.protocol = ownership::kProtocol;
  route.scope = 253;  // RT_SCOPE_LINK
  route.oif = ifindex;
  return route;
}

int report(const std::vector<KernelError>& errors) {
  for (const auto& error : errors) std::printf("error: %s [%d]\n", error.message().c_str(), error.code);
  return errors.empty() ? 0 : 1;
}

std::unique_ptr<NetlinkKernel> open_kernel() {
  auto kernel = NetlinkKernel::open();
  if (!kernel) {
    std::fprintf(stderr, "%s\n", kernel.error().message().c_str());
    std::exit(2);
  }
  return std::move(*kernel);
}

// Printed the way `ip` prints them, so that the script can look each line up in ip's output.
void print(const KernelObjects& objects) {
  for (const auto& nexthop : objects.nexthops) {
    std::string line = "nexthop id " + std::to_string(nexthop.id);
    if (nexthop.is_group()) {
      line += " group ";
      for (size_t i = 0; i < nexthop.group.size(); ++i) {
        if (i) line += "/";
        line += std::to_string(nexthop.group[i].id);
        if (nexthop.group[i].weight > 1) line += "," + std::to_string(nexthop.group[i].weight);
      }
    } else if (nexthop.gateway) {
      line += " via " + nexthop.gateway->to_string();
    }
    std::printf("%s proto %u\n", line.c_str(), nexthop.protocol);
  }
  for (const auto& route : objects.routes) {
    std::printf("route %s", route.destination.to_string().c_str());
    if (route.nexthop_id) std::printf(" nhid %u", route.nexthop_id);
    std::printf(" table %u proto %u\n", route.table, route.protocol);
  }
  for (const auto& rule : objects.rules) {
    std::printf("rule %u:", rule.priority);
    if (rule.source) std::printf(" from %s", rule.source->to_string().c_str());
    std::printf(" lookup %u proto %u\n", rule.table, rule.protocol);
  }
}

std::vector<Change> everything(ChangeKind kind, uint32_t ifindex) {
  return {{kind, gateway_nexthop(kFirst, "10.99.0.1", ifindex)},
          {kind, gateway_nexthop(kSecond, "10.99.0.2", ifindex)},
          {kind, group(1, 3)},
          {kind, default_route()},
          {kind, source_rule()}};
}

std::vector<Change> reversed(std::vector<Change> changes) {
  return {changes.rbegin(), changes.rend()};
}

// A burst of route adds against a monitor with a tiny receive buffer: the monitor must report the overrun
// and still deliver events afterwards.
int burst(NetlinkKernel& kernel, uint32_t ifindex, uint32_t count) {
  auto monitor = netlink::Monitor::open({.receive_buffer_bytes = 1});
  if (!monitor) return std::printf("%s\n", monitor.error().message().c_str()), 1;
  std::vector<Change> adds, removes;
  for (uint32_t n = 1; n <= count; ++n) {
    adds.push_back({ChangeKind::add, host_route(300, n, ifindex)});
    removes.push_back({ChangeKind::remove, host_route(300, n, ifindex)});
  }
  if (report(kernel.apply(adds))) return 1;
  auto first = monitor->read_pending();
  if (!first || !first->overrun) return std::printf("no overrun reported after %u adds\n", count), 1;
  std::printf("overrun reported, %zu events read\n", first->events.size());
  if (report(kernel.apply(removes))) return 1;
  (void)monitor->read_pending();

  const Route probe = host_route(301, 4242, ifindex);
  if (report(kernel.apply({{ChangeKind::add, probe}}))) return 1;
  pollfd ready{monitor->fd(), POLLIN, 0};
  bool seen = false;
  for (int round = 0; round < 20 && !seen && poll(&ready, 1, 100) >= 0; ++round) {
    auto batch = monitor->read_pending();
    if (!batch) return std::printf("%s\n", batch.error().message().c_str()), 1;
    for (const auto& event : batch->events) {
      const auto* route = std::get_if<netlink::RouteEvent>(&event);
      seen |= route && route->kind == netlink::EventKind::added && route->object == probe;
    }
  }
  report(kernel.apply({{ChangeKind::remove, probe}}));
  std::printf(seen ? "monitor works after the overrun\n"
                   : "monitor missed the route added after the overrun\n");
  return seen ? 0 : 1;
}

// One good change, one the kernel refuses, one good: exactly the middle one is reported, by its description.
int errors(NetlinkKernel& kernel, uint32_t ifindex) {
  Route good = host_route(201, 1, ifindex), bad = host_route(201, 2, 999999),
        also_good = host_route(201, 3, ifindex);
  const std::vector<Change> changes{
      {ChangeKind::add, good}, {ChangeKind::add, bad}, {ChangeKind::add, also_good}};
  const auto failures = kernel.apply(changes);
  report(failures);
  kernel.apply({{ChangeKind::remove, good}, {ChangeKind::remove, also_good}});
  const bool right =
      failures.size() == 1 && failures[0].object == describe(changes[1]) && failures[0].code == ENODEV;
  std::printf(right ? "errors mapped to their change\n" : "errors not mapped as expected\n");
  return right ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s setup|replace-group|dump|remove|re-add-rule|errors|burst [IFNAME] [N]\n",
                 argv[0]);
    return 2;
  }
  const std::string step = argv[1];
  const uint32_t ifindex = argc > 2 ? if_nametoindex(argv[2]) : 0;
  auto kernel = open_kernel();
  if (step == "setup") return report(kernel->apply(everything(ChangeKind::add, ifindex)));
  if (step == "replace-group") return report(kernel->apply({{ChangeKind::replace, group(5, 2)}}));
  if (step == "re-add-rule") return report(kernel->apply({{ChangeKind::add, source_rule()}}));
  if (step == "remove") return report(kernel->apply(reversed(everything(ChangeKind::remove, ifindex))));
  if (step == "errors") return errors(*kernel, ifindex);
  if (step == "burst") return burst(*kernel, ifindex, argc > 3 ? std::stoul(argv[3]) : 2000);
  if (step == "dump") {
    auto objects = kernel->dump_owned();
    if (!objects) return std::printf("%s\n", objects.error().message().c_str()), 1;
    print(*objects);
    return 0;
  }
  std::fprintf(stderr, "unknown step %s\n", step.c_str());
  return 2;
}
