// SPDX-License-Identifier: GPL-2.0-or-later
// Runs one uplink's health probes on the daemon's loop and feeds what they see to its HealthMonitor.
//
// The monitor (src/state/health.hpp) decides; this class only keeps time and moves packets: it starts a
// round of probes every `interval` (and at once when the monitor is confirming a failed round), one probe per
// target with the round's number, reports each answer, and wakes the monitor at its next deadline (a round's
// timeout) so a silent uplink is judged on time even though nothing arrives. The probe sockets follow the
// uplink's address: they are made when it has one and remade when it changes; the monitor, with its history
// and flap damping, lives as long as the health settings.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/ip.hpp"
#include "config/config.hpp"
#include "sources/probe_arp.hpp"
#include "sources/probe_icmp.hpp"
#include "sources/probe_ndp.hpp"
#include "sources/probe_socket.hpp"
#include "sources/probe_tcp.hpp"
#include "state/health.hpp"

namespace uplinkd {

class UplinkHealth {
 public:
  // Called after every change of the monitor's state, from the loop (never from inside set_source() or
  // carrier(), whose callers read the verdict themselves).
  using OnTransition = std::function<void(const HealthTransition&)>;

  UplinkHealth(asio::io_context& io, std::string uplink, HealthConfig config, OnTransition on_transition);
  ~UplinkHealth();
  UplinkHealth(const UplinkHealth&) = delete;
  UplinkHealth& operator=(const UplinkHealth&) = delete;

  // Where probes leave from (the uplink's interface, its index, and address) and its gateway (for `arp`
  // and `ndp` targets). nullopt pauses probing until the uplink has an address again. A new ifindex (an
  // interface deleted and made again under its name, like a replugged modem) remakes the sockets bound to the
  // old one.
  void set_source(const std::optional<ProbeSource>& source, uint32_t ifindex,
                  const std::optional<IpAddress>& gateway);
  // The netlink view of the link's carrier; returns whether the verdict changed.
  bool carrier(bool up);

  const HealthConfig& config() const { return config_; }
  const HealthMonitor& monitor() const { return monitor_; }
  // The last error that kept a probe from leaving (no route, no socket...), for `status`; empty when fine.
  const std::string& last_error() const { return last_error_; }

 private:
  void open_probers();
  template <typename Prober>
  std::unique_ptr<Prober> open_neighbour_prober(HealthTarget::Kind kind);
  bool missing_probers() const;
  void start_round();
  bool send_round();
  void schedule_round();
  void schedule_deadline();
  void answered(size_t target, uint16_t sequence16, HealthTime at);
  void answered_round(size_t target, uint64_t round, HealthTime at);
  void after(bool changed);
  void failed_to_send(const KernelError& error);
  uint64_t round_of(uint16_t sequence16) const;

  asio::io_context& io_;
  std::string uplink_;
  HealthConfig config_;
  OnTransition on_transition_;
  HealthMonitor monitor_;
  asio::steady_timer round_timer_;
  asio::steady_timer deadline_timer_;
  HealthTime next_round_;
  uint64_t round_ = 0;  // the last round started; ICMP carries its low 16 bits
  std::optional<ProbeSource> source_;
  uint32_t ifindex_ = 0;
  std::optional<IpAddress> gateway_;
  std::unique_ptr<IcmpProber> icmp_;
  std::unique_ptr<TcpProber> tcp_;
  std::unique_ptr<ArpProber> arp_;
  std::unique_ptr<NdpProber> ndp_;
  bool carrier_ = true;
  std::string last_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards callbacks queued on the loop
};

}  // namespace uplinkd
