// SPDX-License-Identifier: GPL-2.0-or-later
// Driver for tests/integration/probe_test.sh: probes a target from one uplink (interface + address) with the
// real IcmpProber, TcpProber, ArpProber or NdpProber on an io_context, and prints one line per probe, then a
// summary (ADDRESS of either family: icmp and tcp probe IPv6 from an IPv6 address):
//
//   probe_check icmp IF ADDRESS TARGET COUNT [INTERVAL_MS] [TIMEOUT_MS]
//   probe_check tcp IF ADDRESS TARGET PORT COUNT [TIMEOUT_MS]
//   probe_check arp IF ADDRESS GATEWAY COUNT [INTERVAL_MS] [TIMEOUT_MS]
//   probe_check ndp IF ADDRESS ROUTER COUNT [INTERVAL_MS] [TIMEOUT_MS]
//
// Lines: "socket ping|raw", "mac MAC" (arp, ndp: the interface's), "reply SEQ from ADDRESS rtt_us N [mac
// MAC|none]",
// "lost SEQ", "connected|refused ...", "timeout ...", "error MESSAGE", and last "answers N of COUNT". Exit 0
// whenever the probes ran (the test judges the numbers), 2 on bad arguments or a prober that could not be
// made.
#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sources/probe_arp.hpp"
#include "sources/probe_icmp.hpp"
#include "sources/probe_ndp.hpp"
#include "sources/probe_tcp.hpp"

namespace {

using namespace uplinkd;
using namespace std::chrono;

int usage() {
  std::fprintf(stderr,
               "usage: probe_check icmp IF ADDRESS TARGET COUNT [INTERVAL_MS] [TIMEOUT_MS]\n"
               "       probe_check tcp IF ADDRESS TARGET PORT COUNT [TIMEOUT_MS]\n"
               "       probe_check arp IF ADDRESS GATEWAY COUNT [INTERVAL_MS] [TIMEOUT_MS]\n"
               "       probe_check ndp IF ADDRESS ROUTER COUNT [INTERVAL_MS] [TIMEOUT_MS]\n");
  return 2;
}

// What the timed probes of icmp and arp have in common: which sequences were answered.
struct Tally {
  std::map<uint16_t, bool> answered;
  int answers = 0;

  void reply(uint16_t sequence) {
    ++answers;
    answered[sequence] = true;
  }
};

// Probes go out every interval on timers, as the daemon will send them; the loop runs until the last probe's
// timeout has passed. send(sequence) returns the error that kept a probe from leaving, if any.
template <class Send>
int run_rounds(asio::io_context& io, Tally& tally, Send send, int count, milliseconds interval,
               milliseconds timeout) {
  asio::steady_timer timer(io);
  int sent = 0;
  std::function<void()> send_next = [&] {
    const auto sequence = static_cast<uint16_t>(sent + 1);
    tally.answered[sequence] = false;
    if (std::optional<KernelError> error = send(sequence))
      std::printf("error %s\n", error->message().c_str());
    if (++sent < count) {
      timer.expires_after(interval);
      timer.async_wait([&](const asio::error_code& ec) {
        if (!ec) send_next();
      });
    }
  };
  send_next();
  asio::steady_timer deadline(io);
  deadline.expires_after(interval * (count - 1) + timeout);
  deadline.async_wait([&](const asio::error_code&) { io.stop(); });
  io.run();
  for (const auto& [sequence, ok] : tally.answered) {
    if (!ok) std::printf("lost %u\n", sequence);
  }
  std::printf("answers %d of %d\n", tally.answers, count);
  return 0;
}

void print_error(const KernelError& error) {
  std::printf("error %s\n", error.message().c_str());
}

long long micros(steady_clock::duration d) {
  return static_cast<long long>(duration_cast<microseconds>(d).count());
}

int run_icmp(ProbeSource source, IpAddress target, int count, milliseconds interval, milliseconds timeout) {
  asio::io_context io;
  Tally tally;
  auto prober = IcmpProber::open(
      io, source,
      [&](const IcmpReply& reply) {
        tally.reply(reply.sequence);
        std::printf("reply %u from %s rtt_us %lld\n", reply.sequence, reply.target.to_string().c_str(),
                    micros(reply.round_trip));
      },
      print_error);
  if (!prober) {
    std::fprintf(stderr, "%s\n", prober.error().message().c_str());
    return 2;
  }
  std::printf("socket %s\n", (*prober)->kind() == IcmpProber::SocketKind::ping ? "ping" : "raw");
  return run_rounds(
      io, tally, [&](uint16_t sequence) { return (*prober)->send(target, sequence); }, count, interval,
      timeout);
}

int run_arp(ProbeSource source, IpAddress gateway, int count, milliseconds interval, milliseconds timeout) {
  asio::io_context io;
  Tally tally;
  auto prober = ArpProber::open(
      io, source,
      [&](const ArpReply& reply) {
        tally.reply(reply.sequence);
        std::printf("reply %u from %s rtt_us %lld mac %s\n", reply.sequence, reply.target.to_string().c_str(),
                    micros(reply.round_trip), arp::to_string(reply.mac).c_str());
      },
      print_error);
  if (!prober) {
    std::fprintf(stderr, "%s\n", prober.error().message().c_str());
    return 2;
  }
  std::printf("mac %s\n", arp::to_string((*prober)->mac()).c_str());
  return run_rounds(
      io, tally, [&](uint16_t sequence) { return (*prober)->send(gateway, sequence); }, count, interval,
      timeout);
}

int run_ndp(ProbeSource source, IpAddress router, int count, milliseconds interval, milliseconds timeout) {
  asio::io_context io;
  Tally tally;
  auto prober = NdpProber::open(
      io, source,
      [&](const NdpReply& reply) {
        tally.reply(reply.sequence);
        std::printf("reply %u from %s rtt_us %lld mac %s\n", reply.sequence, reply.target.to_string().c_str(),
                    micros(reply.round_trip), reply.mac ? arp::to_string(*reply.mac).c_str() : "none");
      },
      print_error);
  if (!prober) {
    std::fprintf(stderr, "%s\n", prober.error().message().c_str());
    return 2;
  }
  std::printf("mac %s\n", arp::to_string((*prober)->mac()).c_str());
  return run_rounds(
      io, tally, [&](uint16_t sequence) { return (*prober)->send(router, sequence); }, count, interval,
      timeout);
}

int run_tcp(ProbeSource source, IpAddress target, uint16_t port, int count, milliseconds timeout) {
  asio::io_context io;
  TcpProber prober(io, source);
  int answers = 0;
  // One at a time, each with its own socket, as the daemon's probe interval spaces them.
  std::function<void(int)> next = [&](int left) {
    if (left == 0) return;
    prober.probe(target, port, timeout, [&, left](const TcpProber::Result& result) {
      if (const auto* answer = std::get_if<TcpAnswer>(&result.outcome)) {
        ++answers;
        std::printf("%s %s:%u rtt_us %lld\n",
                    answer->kind == TcpAnswer::Kind::connected ? "connected" : "refused",
                    answer->target.to_string().c_str(), answer->port, micros(answer->round_trip));
      } else if (const auto* lost = std::get_if<TcpTimeout>(&result.outcome)) {
        std::printf("timeout %s:%u\n", lost->target.to_string().c_str(), lost->port);
      } else {
        std::printf("error %s\n", std::get<KernelError>(result.outcome).message().c_str());
      }
      next(left - 1);
    });
  };
  next(count);
  io.run();
  std::printf("answers %d of %d\n", answers, count);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Line by line even into a file: the test reads a prober's output while it still runs.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 6) return usage();
  const std::string mode = argv[1];
  const auto address = IpAddress::parse(argv[3]);
  const auto target = IpAddress::parse(argv[4]);
  if (!address || !target) return usage();
  const ProbeSource source{argv[2], *address};
  if (mode == "icmp" || mode == "arp" || mode == "ndp") {
    const int count = std::atoi(argv[5]);
    const milliseconds interval(argc > 6 ? std::atoi(argv[6]) : 200);
    const milliseconds timeout(argc > 7 ? std::atoi(argv[7]) : 1000);
    if (count <= 0) return usage();
    if (mode == "icmp") return run_icmp(source, *target, count, interval, timeout);
    if (mode == "arp") return run_arp(source, *target, count, interval, timeout);
    return run_ndp(source, *target, count, interval, timeout);
  }
  if (mode == "tcp" && argc >= 7) {
    const int count = std::atoi(argv[6]);
    const milliseconds timeout(argc > 7 ? std::atoi(argv[7]) : 1000);
    if (count <= 0) return usage();
    return run_tcp(source, *target, static_cast<uint16_t>(std::atoi(argv[5])), count, timeout);
  }
  return usage();
}
