// SPDX-License-Identifier: GPL-2.0-or-later
// udp_stream: a steady packet stream for failover tests and benchmarks, and the receiver that measures it.
//
//   udp_stream send DST PORT [--flows N] [--interval-us U] [--seconds S] [--first-port P]
//   udp_stream recv PORT [--seconds S]        (also stops on SIGTERM/SIGINT), prints a JSON report
//
// DST may be IPv4 or IPv6; the receiver takes both on one socket.
//
// Each flow is its own socket with a fixed source port, so the router hashes it like one connection, and
// sends one 64-byte packet {magic, flow, sequence, send time} every U microseconds. The receiver reports per
// flow what arrived, what was lost (holes in the sequence), the longest gap between two arrivals (the outage
// a user of that flow saw), and the source addresses it arrived from in order — behind the test ISPs'
// masquerade that address names the uplink, so a flow's path changes are visible.
//
// Written by hand rather than with iperf3: iperf3 reports loss per interval of at least 100 ms, not the
// length of an outage to the millisecond, nor which path each packet took.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kMagic = 0x55534d31;  // "USM1"

struct Packet {
  uint32_t magic;
  uint32_t flow;
  uint64_t sequence;
  uint64_t sent_ns;
  uint8_t padding[40];
};
static_assert(sizeof(Packet) == 64);

std::atomic<bool> stopping{false};

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "udp_stream: " << what << ": " << std::strerror(errno) << "\n";
  std::exit(2);
}

// An IPv4 or IPv6 endpoint, by the address's own form: the stream runs over either family.
struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  int family() const { return address.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&address); }
};

Endpoint endpoint(const std::string& text, uint16_t port) {
  Endpoint e;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.address);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    e.length = sizeof *v4;
  } else if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    e.length = sizeof *v6;
  } else {
    std::cerr << "udp_stream: not an IPv4 or IPv6 address: " << text << "\n";
    std::exit(2);
  }
  return e;
}

// The sender's address as the report names paths: an IPv4 sender reaching the dual-stack receiver shows as
// ::ffff:a.b.c.d, printed as a.b.c.d so that reports read the same for either family.
std::string source_text(const sockaddr_storage& from) {
  char text[INET6_ADDRSTRLEN] = {};
  if (from.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&from)->sin_addr, text, sizeof text);
    return text;
  }
  const in6_addr& address = reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&address)) {
    inet_ntop(AF_INET, &address.s6_addr[12], text, sizeof text);
    return text;
  }
  inet_ntop(AF_INET6, &address, text, sizeof text);
  return text;
}

int send_stream(const std::string& destination, uint16_t port, int flows, int interval_us, double seconds,
                uint16_t first_port) {
  const Endpoint to = endpoint(destination, port);
  std::vector<int> sockets;
  for (int flow = 0; flow < flows; ++flow) {
    int fd = socket(to.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    // IPv6 only, so that an IPv4 stream may run beside it from the same ports.
    int v6only = 1;
    if (to.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    Endpoint from =
        endpoint(to.family() == AF_INET ? "0.0.0.0" : "::", static_cast<uint16_t>(first_port + flow));
    if (bind(fd, from.get(), from.length) != 0) die("bind");
    sockets.push_back(fd);
  }
  Packet packet{};
  packet.magic = kMagic;
  const uint64_t start = now_ns();
  const uint64_t end = start + static_cast<uint64_t>(seconds * 1e9);
  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  uint64_t sent = 0, errors = 0;
  for (uint64_t sequence = 0; !stopping && now_ns() < end; ++sequence) {
    for (int flow = 0; flow < flows; ++flow) {
      packet.flow = static_cast<uint32_t>(flow);
      packet.sequence = sequence;
      packet.sent_ns = now_ns();
      // A send error (no route for a moment during failover) is a lost packet, as on a real host.
      if (sendto(sockets[flow], &packet, sizeof packet, 0, to.get(), to.length) < 0)
        ++errors;
      else
        ++sent;
    }
    next.tv_nsec += interval_us * 1000L;
    while (next.tv_nsec >= 1'000'000'000L) {
      next.tv_nsec -= 1'000'000'000L;
      ++next.tv_sec;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
  }
  std::cout << nlohmann::json{{"sent", sent}, {"send_errors", errors}}.dump() << "\n";
  return 0;
}

struct FlowReport {
  uint64_t received = 0;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  uint64_t last_arrival_ns = 0;
  uint64_t max_gap_ns = 0;
  uint64_t max_gap_at_ns = 0;  // arrival time of the packet that ended the longest gap
  uint64_t out_of_order = 0;
  std::vector<std::pair<std::string, uint64_t>> paths;  // source address, packets, in order of change
};

int receive_stream(uint16_t port, double seconds) {
  // One socket for both families (IPv4 arrives v4-mapped).
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int v6only = 0;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  Endpoint local = endpoint("::", port);
  if (bind(fd, local.get(), local.length) != 0) die("bind");
  timeval poll_interval{0, 100'000};  // to notice SIGTERM and the end
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll_interval, sizeof poll_interval);
  int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  std::cout << "ready" << std::endl;  // the test starts the sender once this line is out

  const uint64_t start = now_ns();
  const uint64_t end = seconds > 0 ? start + static_cast<uint64_t>(seconds * 1e9) : UINT64_MAX;
  std::map<uint32_t, FlowReport> flows;
  while (!stopping && now_ns() < end) {
    Packet packet{};
    sockaddr_storage from{};
    socklen_t length = sizeof from;
    ssize_t n = recvfrom(fd, &packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&from), &length);
    if (n != static_cast<ssize_t>(sizeof packet) || packet.magic != kMagic) continue;
    const uint64_t arrival = now_ns();
    const std::string address = source_text(from);
    FlowReport& flow = flows[packet.flow];
    if (flow.received == 0) {
      flow.first_sequence = packet.sequence;
    } else {
      if (arrival - flow.last_arrival_ns > flow.max_gap_ns) {
        flow.max_gap_ns = arrival - flow.last_arrival_ns;
        flow.max_gap_at_ns = arrival;
      }
      if (packet.sequence < flow.last_sequence) ++flow.out_of_order;
    }
    flow.last_sequence = std::max(flow.last_sequence, packet.sequence);
    flow.last_arrival_ns = arrival;
    ++flow.received;
    if (flow.paths.empty() || flow.paths.back().first != address) flow.paths.emplace_back(address, 0);
    ++flow.paths.back().second;
  }

  nlohmann::json report = nlohmann::json::array();
  for (const auto& [id, flow] : flows) {
    nlohmann::json paths = nlohmann::json::array();
    for (const auto& [address, packets] : flow.paths)
      paths.push_back({{"from", address}, {"packets", packets}});
    const uint64_t expected = flow.last_sequence - flow.first_sequence + 1;
    report.push_back(
        {{"flow", id},
         {"received", flow.received},
         {"lost", expected > flow.received ? expected - flow.received : 0},
         {"max_gap_ms", static_cast<double>(flow.max_gap_ns) / 1e6},
         {"max_gap_at_s", flow.max_gap_at_ns ? static_cast<double>(flow.max_gap_at_ns - start) / 1e9 : 0},
         {"out_of_order", flow.out_of_order},
         {"paths", paths}});
  }
  std::cout << nlohmann::json{{"flows", report}}.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"udp_stream — a 1 ms packet stream and its receiver, for failover tests and benchmarks"};
  app.require_subcommand(1);
  std::string destination;
  uint16_t port = 0, first_port = 40000;
  int flows = 1, interval_us = 1000;
  double seconds = 0;
  auto* send = app.add_subcommand("send", "send FLOWS streams to DST:PORT");
  send->add_option("destination", destination)->required();
  send->add_option("port", port)->required();
  send->add_option("--flows", flows)->check(CLI::Range(1, 1000));
  send->add_option("--interval-us", interval_us)->check(CLI::Range(100, 1'000'000));
  send->add_option("--seconds", seconds)->required();
  send->add_option("--first-port", first_port);
  auto* recv =
      app.add_subcommand("recv", "receive on PORT until --seconds pass or SIGTERM; print a JSON report");
  recv->add_option("port", port)->required();
  recv->add_option("--seconds", seconds);
  CLI11_PARSE(app, argc, argv);

  struct sigaction action {};
  action.sa_handler = [](int) { stopping = true; };
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  if (send->parsed()) return send_stream(destination, port, flows, interval_us, seconds, first_port);
  return receive_stream(port, seconds);
}
