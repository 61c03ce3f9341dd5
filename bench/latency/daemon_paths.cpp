// SPDX-License-Identifier: GPL-2.0-or-later
// The paths that start at uplinkd itself: its start, and a DHCP client's hook call.
#include <linux/rtnetlink.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "changes.hpp"
#include "cli/control_client.hpp"
#include "paths.hpp"
#include "plan/ownership.hpp"

namespace uplinkd::bench {

namespace {

// The changes that announce the full dual-stack plan: per uplink and family its nexthop, the default and the
// connected route in its table and its source rule; IPv4's group with every uplink; per family the balance
// route (IPv6's is a multipath route with a leg per uplink, planner.cpp), the suppress_prefixlength rule and
// the balance rule. 8 N + 7 objects.
std::set<std::string> full_plan(int uplinks) {
  std::set<std::string> keys;
  std::vector<uint32_t> members4;
  const auto added = Change::added;
  for (int k = 1; k <= uplinks; ++k) {
    uint32_t table = table_of(k);
    keys.insert(nexthop_key(added, ownership::uplink_nexthop_id(table), host(k, 1)));
    keys.insert(route_key(added, Prefix::default_route(Family::v4), table));
    keys.insert(route_key(added, lease_prefix(k, 10).network(), table, host(k, 10)));
    keys.insert(
        rule_key(added, Family::v4, ownership::kRulePrioritySource, table, Prefix::host(host(k, 10))));
    members4.push_back(ownership::uplink_nexthop_id(table));
    keys.insert(nexthop_key(added, ownership::uplink_nexthop_id(table, Family::v6), ra_router()));
    keys.insert(route_key(added, Prefix::default_route(Family::v6), table));
    keys.insert(route_key(added, slaac_prefix(k, 0), table));
    keys.insert(rule_key(added, Family::v6, ownership::kRulePrioritySource, table, slaac_prefix(k, 0)));
  }
  keys.insert(group_key(ownership::kGroupIdMultipathV4, members4));
  for (Family family : {Family::v4, Family::v6}) {
    keys.insert(route_key(added, Prefix::default_route(family), kBalanceTable));
    keys.insert(rule_key(added, family, ownership::kRulePrioritySuppressMain, RT_TABLE_MAIN));
    keys.insert(rule_key(added, family, ownership::kRulePriorityBalance, kBalanceTable));
  }
  return keys;
}

nlohmann::json hook_event(int uplink, const std::string& reason, int gateway_octet) {
  nlohmann::json event = {{"client", "dhclient"},
                          {"interface", interface_of(uplink)},
                          {"reason", reason},
                          {"change", "up"},
                          {"address", lease_prefix(uplink, 10).address.to_string() + "/24"},
                          {"routers", {host(uplink, gateway_octet).to_string()}}};
  return {{"command", "hook"}, {"event", event}};
}

}  // namespace

int cold_start(int uplinks, int repeat, const std::string& pidfile, const std::string& log,
               const std::vector<std::string>& command) {
  auto socket = must(netlink::Socket::open(), "netlink socket");
  if (size_t left = owned_object_count(socket))
    die(std::to_string(left) + " objects of uplinkd's already exist");
  const auto expected = full_plan(uplinks);
  std::vector<double> samples;
  for (int run = 0; run < repeat; ++run) {
    // Subscribed before the fork, so not even the first object can be missed.
    auto monitor = must(netlink::Monitor::open(), "netlink monitor");
    auto started = Clock::now();
    pid_t pid = start_daemon(command, log);
    std::ofstream(pidfile) << pid << "\n";
    auto done_at =
        wait_changes(monitor, expected,
                     "the full plan of " + std::to_string(uplinks) + " uplinks (" +
                         std::to_string(expected.size()) + " objects; uplinkd's log: " + log + ")");
    samples.push_back(ms(done_at - started));
    // What the events said, checked against the kernel's own view.
    size_t have = owned_object_count(socket);
    if (have != expected.size())
      die("the kernel holds " + std::to_string(have) + " objects of uplinkd's, expected " +
          std::to_string(expected.size()));
    std::fprintf(stderr, "cold start %d/%d: %zu objects in %.3f ms\n", run + 1, repeat, expected.size(),
                 samples.back());
    if (run + 1 == repeat) break;  // the last one stays up for the latency runs
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    // on_exit = "flush": a clean stop removes everything, so each start really is cold.
    if (size_t left = owned_object_count(socket))
      die("uplinkd left " + std::to_string(left) + " objects after SIGTERM");
  }
  report("cold start to full plan", uplinks, samples);
  return 0;
}

int hook_path(const std::string& socket_path, int uplinks, int iterations) {
  auto socket = must(netlink::Socket::open(), "netlink socket");
  // Untimed: every uplink gets its lease (router .1), so each timed renew below really changes the gateway.
  for (int k = 1; k <= uplinks; ++k) call(socket_path, hook_event(k, "BOUND", 1));
  wait_all_uplinks(
      socket_path, uplinks,
      [](const nlohmann::json& uplink) {
        return uplink["state"] == "active" && uplink["gateway_source"] == "dhcp-hook";
      },
      "active with gateway source dhcp-hook");
  std::vector<double> samples;
  for (int i = 0; i < iterations; ++i) {
    int k = i % uplinks + 1;
    int gateway = (i / uplinks) % 2 == 0 ? 2 : 1;
    auto request = hook_event(k, "RENEW", gateway);
    auto sent = Clock::now();
    call(socket_path, request);
    samples.push_back(ms(Clock::now() - sent));
    // Untimed proof that the answer came after the kernel changed: the uplink's nexthop has the new router.
    bool applied = false;
    for (const auto& nh : must(socket.dump_nexthops(), "nexthop dump"))
      applied |= nh.id == ownership::uplink_nexthop_id(table_of(k)) && nh.gateway == host(k, gateway);
    if (!applied)
      die("uplinkd answered the hook before its nexthop had gateway " + host(k, gateway).to_string());
  }
  report("hook renew, send to response", uplinks, samples);
  return 0;
}

}  // namespace uplinkd::bench
