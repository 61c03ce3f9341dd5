// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/uplink_health.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace uplinkd {
namespace {

HealthDuration seconds(double value) {
  return std::chrono::duration_cast<HealthDuration>(std::chrono::duration<double>(value));
}

bool has_kind(const HealthConfig& config, HealthTarget::Kind kind) {
  for (const auto& target : config.targets)
    if (target.kind == kind) return true;
  return false;
}

}  // namespace

UplinkHealth::UplinkHealth(asio::io_context& io, std::string uplink, HealthConfig config,
                           OnTransition on_transition)
    : io_(io),
      uplink_(std::move(uplink)),
      config_(std::move(config)),
      on_transition_(std::move(on_transition)),
      monitor_(config_, HealthClock::now()),
      round_timer_(io),
      deadline_timer_(io),
      next_round_(HealthClock::now()) {
  if (!config_.targets.empty()) schedule_round();
}

UplinkHealth::~UplinkHealth() {
  *alive_ = false;
  round_timer_.cancel();
  deadline_timer_.cancel();
}

void UplinkHealth::set_source(const std::optional<ProbeSource>& source, uint32_t ifindex,
                              const std::optional<IpAddress>& gateway) {
  gateway_ = gateway;
  const bool same = source && source_ && source->interface == source_->interface &&
                    source->address == source_->address && source->mark == source_->mark &&
                    ifindex == ifindex_;
  if (same && !missing_probers()) return;
  source_ = source;
  ifindex_ = ifindex;
  icmp_.reset();
  tcp_.reset();
  arp_.reset();
  ndp_.reset();
  if (source_) open_probers();
}

bool UplinkHealth::missing_probers() const {
  return (!icmp_ && has_kind(config_, HealthTarget::Kind::icmp)) ||
         (!arp_ && has_kind(config_, HealthTarget::Kind::arp)) ||
         (!ndp_ && has_kind(config_, HealthTarget::Kind::ndp));
}

void UplinkHealth::open_probers() {
  if (has_kind(config_, HealthTarget::Kind::tcp) && !tcp_) tcp_ = std::make_unique<TcpProber>(io_, *source_);
  if (has_kind(config_, HealthTarget::Kind::arp) && !arp_)
    arp_ = open_neighbour_prober<ArpProber>(HealthTarget::Kind::arp);
  if (has_kind(config_, HealthTarget::Kind::ndp) && !ndp_)
    ndp_ = open_neighbour_prober<NdpProber>(HealthTarget::Kind::ndp);
  if (!has_kind(config_, HealthTarget::Kind::icmp) || icmp_) return;
  auto alive = alive_;
  auto prober = IcmpProber::open(
      io_, *source_,
      [this, alive](const IcmpReply& reply) {
        if (!*alive) return;
        for (size_t i = 0; i < config_.targets.size(); ++i)
          if (config_.targets[i].kind == HealthTarget::Kind::icmp &&
              config_.targets[i].address == reply.target)
            answered(i, reply.sequence, reply.received);
      },
      [this, alive](const KernelError& error) {
        if (*alive) failed_to_send(error);
      });
  if (prober)
    icmp_ = std::move(*prober);
  else
    failed_to_send(prober.error());  // retried when the address changes or at the next round
}

// `arp` and `ndp` targets: one prober of the gateway's neighbour protocol, answers counted for every target
// of that kind (they all name the gateway).
template <typename Prober>
std::unique_ptr<Prober> UplinkHealth::open_neighbour_prober(HealthTarget::Kind kind) {
  auto alive = alive_;
  auto prober = Prober::open(
      io_, *source_,
      [this, alive, kind](const auto& reply) {
        if (!*alive || reply.target != gateway_) return;
        for (size_t i = 0; i < config_.targets.size(); ++i)
          if (config_.targets[i].kind == kind) answered(i, reply.sequence, reply.received);
      },
      [this, alive](const KernelError& error) {
        if (*alive) failed_to_send(error);
      });
  if (prober) return std::move(*prober);
  failed_to_send(prober.error());
  return nullptr;
}

bool UplinkHealth::carrier(bool up) {
  if (up == carrier_) return false;
  carrier_ = up;
  const auto now = HealthClock::now();
  const bool changed = up ? monitor_.carrier_back(now) : monitor_.carrier_lost(now);
  schedule_deadline();
  return changed;
}

void UplinkHealth::schedule_round() {
  round_timer_.expires_at(next_round_);
  round_timer_.async_wait([this](std::error_code error) {
    if (error) return;
    start_round();
    // Drift-free, but a loop that fell behind (a suspended machine) starts afresh instead of catching up.
    const auto now = HealthClock::now();
    next_round_ += seconds(config_.interval_s);
    if (next_round_ < now) next_round_ = now + seconds(config_.interval_s);
    schedule_round();
  });
}

void UplinkHealth::start_round() {
  after(send_round());
}

// Returns whether the monitor's state changed.
bool UplinkHealth::send_round() {
  // Without an address the uplink is out anyway (not routable); rounds that could not leave would only
  // take it down again the moment its address arrives.
  if (!source_) return false;
  const uint64_t round = ++round_;
  const auto now = HealthClock::now();
  if (missing_probers()) open_probers();  // a socket that could not be made is retried every round
  bool changed = false;
  for (size_t i = 0; i < config_.targets.size(); ++i) {
    const HealthTarget& target = config_.targets[i];
    changed |= monitor_.probe_sent(i, round, now);
    if (target.kind == HealthTarget::Kind::icmp && icmp_) {
      if (auto error = icmp_->send(*target.address, static_cast<uint16_t>(round))) failed_to_send(*error);
    } else if (target.kind == HealthTarget::Kind::tcp && tcp_) {
      auto alive = alive_;
      tcp_->probe(*target.address, target.port, seconds(config_.timeout_s),
                  [this, alive, i, round](const TcpProber::Result& result) {
                    if (!*alive) return;
                    if (result.answered())
                      answered_round(i, round, HealthClock::now());
                    else if (const auto* error = std::get_if<KernelError>(&result.outcome))
                      failed_to_send(*error);
                  });
    } else if (target.kind == HealthTarget::Kind::arp && arp_ && gateway_) {
      if (auto error = arp_->send(*gateway_, static_cast<uint16_t>(round))) failed_to_send(*error);
    } else if (target.kind == HealthTarget::Kind::ndp && ndp_ && gateway_) {
      if (auto error = ndp_->send(*gateway_, static_cast<uint16_t>(round))) failed_to_send(*error);
    }
  }
  return changed;
}

// ICMP carries 16 bits of the round: the newest round with those bits. Answers come within `timeout`, far
// fewer than 65536 rounds later, so this is never ambiguous.
uint64_t UplinkHealth::round_of(uint16_t sequence16) const {
  uint64_t round = (round_ & ~uint64_t{0xffff}) | sequence16;
  if (round > round_) round -= 0x10000;
  return round;
}

void UplinkHealth::answered(size_t target, uint16_t sequence16, HealthTime at) {
  if (round_ == 0 || (round_ < 0x10000 && sequence16 > round_)) return;
  answered_round(target, round_of(sequence16), at);
}

void UplinkHealth::answered_round(size_t target, uint64_t round, HealthTime at) {
  last_error_.clear();
  after(monitor_.probe_answered(target, round, at));
}

void UplinkHealth::failed_to_send(const KernelError& error) {
  // Every round would log the same failure while a route is missing: debug here, `status` shows the last.
  if (last_error_ != error.message()) spdlog::debug("uplink {}: {}", uplink_, error.message());
  last_error_ = error.message();
}

void UplinkHealth::after(bool changed) {
  // The confirmation burst of adaptive timing: after a failed round the next one leaves now, not at the next
  // interval; the regular rounds go on beside it.
  if (monitor_.confirming()) changed |= send_round();
  schedule_deadline();
  if (changed && on_transition_ && !monitor_.transitions().empty())
    on_transition_(monitor_.transitions().back());
}

void UplinkHealth::schedule_deadline() {
  auto deadline = monitor_.next_deadline();
  if (!deadline) {
    deadline_timer_.cancel();
    return;
  }
  deadline_timer_.expires_at(*deadline);
  deadline_timer_.async_wait([this](std::error_code error) {
    if (error) return;
    after(monitor_.tick(HealthClock::now()));
  });
}

}  // namespace uplinkd
