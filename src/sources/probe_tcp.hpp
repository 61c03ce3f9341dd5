// SPDX-License-Identifier: GPL-2.0-or-later
// TCP connect probes for one uplink, on the daemon's io_context; nothing here ever blocks.
//
// Each probe is a fresh socket bound to the uplink's interface and address (probe_socket.hpp says why),
// connecting to host:port ([host]:port for IPv6: the family is source.address's, and a target of the other
// family is an error) with a deadline, closed as soon as the answer is known.
//
// A refused connection (the target's RST) counts as an answer: the RST came back over this uplink from the
// target, so the path works, and that is what a health probe asks; whether the service listens is another
// question. No answer before the deadline, or an unreachable error (an ICMP unreachable from a router on the
// way, or no ARP reply from the gateway), does not.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "sources/probe_socket.hpp"

namespace uplinkd {

struct TcpAnswer {
  enum class Kind { connected, refused };
  IpAddress target;
  uint16_t port = 0;
  Kind kind = Kind::connected;
  std::chrono::steady_clock::duration round_trip{};
};

// No answer in time: the probe is lost, as a timeout, not a kernel error.
struct TcpTimeout {
  IpAddress target;
  uint16_t port = 0;
};

class TcpProber {
 public:
  // Exactly one of the three, once per probe(): an answer, the deadline passing, or the error that kept the
  // probe from going out or from being answered (socket, bind, ENETUNREACH, EHOSTUNREACH...).
  struct Result {
    std::variant<TcpAnswer, TcpTimeout, KernelError> outcome;
    bool answered() const { return outcome.index() == 0; }
  };
  using Handler = std::function<void(const Result&)>;

  TcpProber(asio::io_context& io, ProbeSource source) : io_(io), source_(std::move(source)) {}
  // Closes every probe in flight; no handler runs after this.
  ~TcpProber();
  TcpProber(const TcpProber&) = delete;
  TcpProber& operator=(const TcpProber&) = delete;

  void probe(const IpAddress& target, uint16_t port, std::chrono::steady_clock::duration timeout,
             Handler done);

  size_t in_flight() const { return attempts_.size(); }
  const ProbeSource& source() const { return source_; }

  struct Attempt;  // shared with its completion handlers, so that they can outlive the prober

 private:
  void finish(const std::shared_ptr<Attempt>& attempt, Result result);

  asio::io_context& io_;
  ProbeSource source_;
  std::vector<std::shared_ptr<Attempt>> attempts_;
};

}  // namespace uplinkd
