// converge_latency: how long uplinkd takes from an event to the kernel state it calls for (issue 2).
//
// Runs inside the router namespace that bench/run.sh builds (wanK, K = 1..N, with 100.64.K.10/24, a default
// route in main via 100.64.K.1, uplinkd configured with table 200+K for wanK). Three subcommands:
//   cold-start  fork/exec uplinkd and time until every object of its full plan has been announced by the
//               kernel; the last start is left running for the other subcommands (its pid in --pidfile);
//   hook        200 DHCP renews sent as hook events whose router alternates between 100.64.K.1 and .2;
//   address     200 address changes (add the new one, delete the old one, .10 <-> .11) seen by netlink.
// Figures go to stdout as RESULT lines (tab-separated, milliseconds) for run.sh's table; progress to stderr.
// See docs/benchmarks.md for what each figure starts and ends with.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/control_client.hpp"
#include "netlink/monitor.hpp"
#include "netlink/socket.hpp"
#include "plan/ownership.hpp"

namespace {

using namespace uplinkd;
using Clock = std::chrono::steady_clock;
using netlink::EventKind;

constexpr uint32_t kFirstTable = 201;  // uplink K (1-based) uses table 200 + K, as run.sh writes the config
constexpr uint32_t kBalanceTable = 1000;
constexpr auto kEventTimeout = std::chrono::seconds(5);

[[noreturn]] void die(const std::string& message) {
  std::cerr << "converge_latency: " << message << "\n";
  std::exit(1);
}

// The bench adds and deletes addresses and starts uplinkd: refuse to do that to the machine's own namespace.
// /proc/1/ns/net is unreadable on some hosts even for root; init_net's inode is then the kernel's fixed
// PROC_NET_INIT_INO (0xEFFFFFF9, since Linux 3.8).
void require_own_netns() {
  struct stat self {};
  if (stat("/proc/self/ns/net", &self) != 0) die("cannot read /proc/self/ns/net: refusing to run");
  struct stat init {};
  ino_t initial = stat("/proc/1/ns/net", &init) == 0 ? init.st_ino : ino_t{0xEFFFFFF9};
  if (self.st_ino == initial)
    die("this is the machine's initial network namespace: refusing to run (use bench/run.sh, which runs "
        "the bench inside namespaces of its own)");
}

uint32_t table_of(int uplink) {
  return kFirstTable + static_cast<uint32_t>(uplink) - 1;
}
std::string interface_of(int uplink) {
  return "wan" + std::to_string(uplink);
}
IpAddress host(int uplink, int last_octet) {
  return *IpAddress::parse("100.64." + std::to_string(uplink) + "." + std::to_string(last_octet));
}
Prefix lease_prefix(int uplink, int last_octet) {
  return Prefix{host(uplink, last_octet), 24};
}

double ms(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// Nearest-rank percentile: the smallest sample with at least q of the samples at or below it.
double percentile(std::vector<double> sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

void report(const std::string& name, int uplinks, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  double median = percentile(samples, 0.5), p90 = percentile(samples, 0.9), p99 = percentile(samples, 0.99);
  std::fprintf(stdout, "RESULT\t%s\t%d\t%zu\t%.3f\t%.3f\t%.3f\t%.3f\n", name.c_str(), uplinks, samples.size(),
               median, p90, p99, samples.back());
  std::fflush(stdout);
  std::fprintf(stderr, "%-34s N=%-3d n=%-4zu median %.3f  p90 %.3f  p99 %.3f  max %.3f ms\n", name.c_str(),
               uplinks, samples.size(), median, p90, p99, samples.back());
}

template <class T>
T must(Expected<T> value, const std::string& what) {
  if (!value) die(what + ": " + value.error().message());
  return std::move(*value);
}

nlohmann::json call(const std::string& socket, const nlohmann::json& request) {
  auto response = call_daemon(socket, request);
  if (response.value("ok", false) != true) die("uplinkd refused " + request.dump() + ": " + response.dump());
  return response;
}

// Polls `status` until every uplink is active with the wanted gateway source; the daemon answers only between
// converges (one thread), so an answer also means it is idle.
void wait_all_active(const std::string& socket, int uplinks, const std::string& gateway_source) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  nlohmann::json status;
  while (Clock::now() < deadline) {
    status = call(socket, {{"command", "status"}});
    int good = 0;
    for (const auto& uplink : status["uplinks"])
      good += uplink["state"] == "active" && uplink["gateway_source"] == gateway_source;
    if (good == uplinks && status.value("converged", false)) return;
    usleep(10000);
  }
  die("not every uplink became active with gateway source " + gateway_source + ": " + status.dump());
}

struct Timed {
  netlink::Event event;
  Clock::time_point seen;
};

// Blocks on the monitor until `done` says the events so far complete the wait, and returns when the batch
// that completed it was read. Every event goes through `on_event`.
Clock::time_point wait_events(netlink::Monitor& monitor, const std::function<void(const Timed&)>& on_event,
                              const std::function<bool()>& done, const std::string& what) {
  auto deadline = Clock::now() + kEventTimeout;
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) die("timed out after 5 s waiting for " + what);
    pollfd fd{monitor.fd(), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left)) < 0 && errno != EINTR) die("poll on the netlink monitor failed");
    auto batch = must(monitor.read_pending(), "reading the netlink monitor");
    auto now = Clock::now();
    if (batch.overrun) die("netlink monitor overrun: events were lost, the measurement is void");
    for (auto& event : batch.events) on_event(Timed{std::move(event), now});
    if (done()) return now;
  }
  return Clock::now();
}

std::vector<netlink::Event> drain(netlink::Monitor& monitor) {
  auto batch = must(monitor.read_pending(), "reading the netlink monitor");
  if (batch.overrun) die("netlink monitor overrun");
  return batch.events;
}

bool owned(const netlink::Event& event) {
  if (const auto* route = std::get_if<netlink::RouteEvent>(&event))
    return route->object.protocol == ownership::kProtocol;
  if (const auto* rule = std::get_if<netlink::RuleEvent>(&event))
    return rule->object.protocol == ownership::kProtocol &&
           ownership::owns_rule_priority(rule->object.priority);
  if (const auto* nexthop = std::get_if<netlink::NexthopEvent>(&event))
    return ownership::owns_nexthop_id(nexthop->object.id);
  return false;
}

// The name of a full plan's object that an event announces (added), or "" for anything else. A group counts
// only once it holds every uplink.
std::string plan_object(const netlink::Event& event, int uplinks) {
  auto uplink_of_table = [&](uint32_t table) {
    return table >= kFirstTable && table < kFirstTable + static_cast<uint32_t>(uplinks);
  };
  if (const auto* nexthop = std::get_if<netlink::NexthopEvent>(&event)) {
    const auto& nh = nexthop->object;
    if (nexthop->kind != EventKind::added) return "";
    if (nh.id == ownership::kGroupIdMultipathV4)
      return nh.group.size() == static_cast<size_t>(uplinks) ? "group" : "";
    if (nh.id >= ownership::kNexthopIdFirst && uplink_of_table(nh.id - ownership::kNexthopIdFirst) &&
        nh.gateway)
      return "nexthop " + std::to_string(nh.id - ownership::kNexthopIdFirst);
  }
  if (const auto* route = std::get_if<netlink::RouteEvent>(&event)) {
    const auto& r = route->object;
    if (route->kind != EventKind::added || r.protocol != ownership::kProtocol) return "";
    if (r.table == kBalanceTable && r.destination.is_default() &&
        r.nexthop_id == ownership::kGroupIdMultipathV4)
      return "balance route";
    if (uplink_of_table(r.table))
      return (r.destination.is_default() ? "default route " : "connected route ") + std::to_string(r.table);
  }
  if (const auto* rule = std::get_if<netlink::RuleEvent>(&event)) {
    const auto& r = rule->object;
    if (rule->kind != EventKind::added || r.protocol != ownership::kProtocol) return "";
    if (r.priority == ownership::kRulePrioritySuppressMain) return "suppress rule";
    if (r.priority == ownership::kRulePriorityBalance && r.table == kBalanceTable) return "balance rule";
    if (r.priority == ownership::kRulePrioritySource && uplink_of_table(r.table) && r.source)
      return "source rule " + std::to_string(r.table);
  }
  return "";
}

size_t owned_object_count(netlink::Socket& socket) {
  size_t count = 0;
  for (const auto& nh : must(socket.dump_nexthops(), "nexthop dump"))
    count += ownership::owns_nexthop_id(nh.id);
  for (const auto& rule : must(socket.dump_rules(Family::v4), "rule dump"))
    count += rule.protocol == ownership::kProtocol && ownership::owns_rule_priority(rule.priority);
  count += must(socket.dump_routes(Family::v4, {0, ownership::kProtocol}), "route dump").size();
  return count;
}

pid_t start_daemon(const std::vector<std::string>& command, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    // uplinkd refuses the initial namespace itself with this set: a second guard, independent of ours.
    setenv("UPLINKD_REQUIRE_NETNS", "1", 1);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> argv;
    for (const auto& word : command) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int cold_start(int uplinks, int repeat, const std::string& pidfile, const std::string& log,
               const std::vector<std::string>& command) {
  auto socket = must(netlink::Socket::open(), "netlink socket");
  if (size_t left = owned_object_count(socket))
    die(std::to_string(left) + " objects of uplinkd's already exist");
  const size_t expected = 4 * static_cast<size_t>(uplinks) + 4;
  std::vector<double> samples;
  for (int run = 0; run < repeat; ++run) {
    // Subscribed before the fork, so not even the first object can be missed.
    auto monitor = must(netlink::Monitor::open(), "netlink monitor");
    std::set<std::string> seen;
    auto started = Clock::now();
    pid_t pid = start_daemon(command, log);
    std::ofstream(pidfile) << pid << "\n";
    auto done_at = wait_events(
        monitor,
        [&](const Timed& timed) {
          if (auto name = plan_object(timed.event, uplinks); !name.empty()) seen.insert(name);
        },
        [&] {
          int status = 0;
          if (waitpid(pid, &status, WNOHANG) == pid) die("uplinkd exited during start; see " + log);
          return seen.size() == expected;
        },
        "the full plan of " + std::to_string(uplinks) + " uplinks (" + std::to_string(expected) +
            " objects)");
    samples.push_back(ms(done_at - started));
    // What the events said, checked against the kernel's own view.
    size_t have = owned_object_count(socket);
    if (have != expected)
      die("the kernel holds " + std::to_string(have) + " objects of uplinkd's, expected " +
          std::to_string(expected));
    std::fprintf(stderr, "cold start %d/%d: %zu objects in %.3f ms\n", run + 1, repeat, expected,
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

nlohmann::json hook_event(int uplink, const std::string& reason, const std::string& change,
                          int gateway_octet) {
  nlohmann::json event = {
      {"client", "dhclient"}, {"interface", interface_of(uplink)}, {"reason", reason}, {"change", change}};
  if (change == "up") {
    event["address"] = lease_prefix(uplink, 10).address.to_string() + "/24";
    event["routers"] = {host(uplink, gateway_octet).to_string()};
  }
  return {{"command", "hook"}, {"event", event}};
}

int hook_path(const std::string& socket_path, int uplinks, int iterations) {
  auto socket = must(netlink::Socket::open(), "netlink socket");
  // Untimed: every uplink gets its lease (router .1), so each timed renew below really changes the gateway.
  for (int k = 1; k <= uplinks; ++k) call(socket_path, hook_event(k, "BOUND", "up", 1));
  wait_all_active(socket_path, uplinks, "dhcp-hook");
  std::vector<double> samples;
  for (int i = 0; i < iterations; ++i) {
    int k = i % uplinks + 1;
    int gateway = (i / uplinks) % 2 == 0 ? 2 : 1;
    auto request = hook_event(k, "RENEW", "up", gateway);
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

int address_path(const std::string& socket_path, int uplinks, int iterations) {
  auto socket = must(netlink::Socket::open(), "netlink socket");
  auto monitor = must(netlink::Monitor::open(), "netlink monitor");
  std::map<std::string, uint32_t> ifindex;
  for (const auto& link : must(socket.dump_links(), "link dump")) ifindex[link.name] = link.index;
  // Untimed: drop the hook leases (a lease names the old address and would mask the change); the gateway
  // is then the one learned from the default route in main via each wanK.
  for (int k = 1; k <= uplinks; ++k) call(socket_path, hook_event(k, "RELEASE", "down", 0));
  wait_all_active(socket_path, uplinks, "route");
  std::map<int, int> current;  // uplink -> last octet of its address
  for (int k = 1; k <= uplinks; ++k) current[k] = 10;

  std::vector<double> from_add, from_delete;
  size_t late_events = 0;
  for (int i = 0; i < iterations; ++i) {
    int k = i % uplinks + 1;
    int old_octet = current[k], new_octet = old_octet == 10 ? 11 : 10;
    uint32_t table = table_of(k);
    auto old_host = Prefix::host(host(k, old_octet)), new_host = Prefix::host(host(k, new_octet));
    drain(monitor);
    auto change = [&](netlink::Operation operation, int octet) {
      netlink::Request request{operation,
                               netlink::Address{ifindex.at(interface_of(k)), lease_prefix(k, octet), 0},
                               "address " + lease_prefix(k, octet).to_string()};
      auto errors = socket.execute({request});
      if (!errors.empty()) die(request.description + ": " + errors.front().error.message());
      return Clock::now();
    };
    // As a DHCP client that got a new address: the new one first, then the old one goes.
    auto add_acked = change(netlink::Operation::add, new_octet);
    auto delete_acked = change(netlink::Operation::remove, old_octet);

    bool rule_added = false, rule_removed = false, route_added = false;
    auto done_at = wait_events(
        monitor,
        [&](const Timed& timed) {
          if (const auto* rule = std::get_if<netlink::RuleEvent>(&timed.event)) {
            const auto& r = rule->object;
            if (r.protocol != ownership::kProtocol || r.priority != ownership::kRulePrioritySource ||
                r.table != table)
              return;
            if (rule->kind == EventKind::added && r.source == new_host) rule_added = true;
            if (rule->kind == EventKind::removed && r.source == old_host) rule_removed = true;
          } else if (const auto* route = std::get_if<netlink::RouteEvent>(&timed.event)) {
            const auto& r = route->object;
            if (route->kind == EventKind::added && r.protocol == ownership::kProtocol && r.table == table &&
                !r.destination.is_default() && r.prefsrc == new_host.address)
              route_added = true;
          }
        },
        [&] { return rule_added && rule_removed && route_added; },
        "uplinkd's rule and connected route for " + new_host.address.to_string());
    from_add.push_back(ms(done_at - add_acked));
    from_delete.push_back(ms(done_at - delete_acked));
    current[k] = new_octet;

    // Untimed: a status answer means the daemon finished whatever it was doing, so any change of its that
    // is still queued on the monitor came after the end condition. There should be none.
    call(socket_path, {{"command", "status"}});
    for (const auto& event : drain(monitor)) late_events += owned(event);
  }
  report("address change, add ack to applied", uplinks, from_add);
  report("address change, delete ack to applied", uplinks, from_delete);
  std::fprintf(stdout, "LATE\t%d\t%zu\n", uplinks, late_events);
  if (late_events)
    std::fprintf(stderr, "warning: %zu changes of uplinkd's came after the end condition\n", late_events);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"converge_latency: uplinkd's event-to-kernel latency (run it through bench/run.sh)"};
  app.require_subcommand(1);
  int uplinks = 2, iterations = 200, repeat = 5;
  std::string socket_path, pidfile, log;
  std::vector<std::string> command;
  auto* cold =
      app.add_subcommand("cold-start", "start uplinkd and time until its full plan is in the kernel");
  cold->add_option("--uplinks", uplinks)->required();
  cold->add_option("--repeat", repeat, "starts to time; the last one keeps running");
  cold->add_option("--pidfile", pidfile, "where the running uplinkd's pid is written")->required();
  cold->add_option("--log", log, "uplinkd's stdout and stderr")->required();
  cold->add_option("command", command, "uplinkd and its arguments (after --)")->required();
  for (auto* sub : {app.add_subcommand("hook", "renews as hook events: send to response"),
                    app.add_subcommand("address", "address changes: netlink ack to uplinkd's changes")}) {
    sub->add_option("--uplinks", uplinks)->required();
    sub->add_option("--socket", socket_path)->required();
    sub->add_option("--iterations", iterations);
  }
  CLI11_PARSE(app, argc, argv);
  require_own_netns();
  if (uplinks < 1 || uplinks > 254 || iterations < 1 || repeat < 1)
    die("out-of-range --uplinks/--iterations");
  try {
    if (app.got_subcommand("cold-start")) return cold_start(uplinks, repeat, pidfile, log, command);
    if (app.got_subcommand("hook")) return hook_path(socket_path, uplinks, iterations);
    return address_path(socket_path, uplinks, iterations);
  } catch (const std::exception& error) {
    die(error.what());
  }
}
