// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_arp.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sources/probe_link.hpp"
#include "sources/probe_reader.hpp"

namespace uplinkd {

// Requests sent and not yet answered. One gateway per uplink, probed a few times a second and answered within
// milliseconds: 64 outstanding is far more than any timeout needs, and bounds memory when it never answers.
constexpr size_t kMaxOutstanding = 64;

struct ArpProber::State {
  State(asio::io_context& io, int fd, int ifindex, arp::MacAddress mac, ProbeSource source,
        ReplyHandler on_reply, ErrorHandler on_error)
      : descriptor(io, fd),
        ifindex(ifindex),
        mac(mac),
        source(std::move(source)),
        on_reply(std::move(on_reply)),
        on_error(std::move(on_error)) {}

  asio::posix::stream_descriptor descriptor;
  int ifindex;
  arp::MacAddress mac;
  ProbeSource source;
  ReplyHandler on_reply;
  ErrorHandler on_error;
  arp::Outstanding outstanding{kMaxOutstanding};
  bool closed = false;
};

namespace {

using State = ArpProber::State;

std::string what(const ProbeSource& source, const std::string& step) {
  return "arp probe on " + source.to_string() + ": " + step;
}

// Lets through only ARP replies to our address. It saves waking up for every broadcast request on a busy
// shared segment; its result is not checked because the decoder rejects everything else anyway. A SOCK_DGRAM
// packet socket's filter sees the frame without its Ethernet header, so the offsets are the ARP message's.
void attach_reply_filter(int fd, const IpAddress& our_address) {
  uint32_t ours;
  std::memcpy(&ours, our_address.data(), 4);
  std::array<sock_filter, 6> code{{
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, arp::kOperationOffset),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arp::kReply, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arp::kTargetIpOffset),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(ours), 0, 1),  // BPF loads words in network order
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  }};
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  ::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program);
}

void handle_packet(State& state, std::span<const uint8_t> data, const sockaddr_ll& from) {
  // Bound by index, so only this interface's frames arrive; checked again because a reply that came by
  // another uplink must never count. Outgoing frames are other programs' (the kernel does not loop our own
  // back to us).
  if (from.sll_ifindex != state.ifindex || from.sll_pkttype == PACKET_OUTGOING) return;
  const auto packet = arp::decode(data);
  if (!packet || !arp::answers(*packet, state.source.address, packet->sender_ip)) return;
  // Not a reply to a request still outstanding: a duplicate, a late or an unsolicited one, or an answer to
  // the kernel's own resolution while no probe waits. One that comes while a probe waits proves the same
  // thing as an answer to the probe, and counts.
  const auto request = state.outstanding.answer(packet->sender_ip);
  if (!request) return;
  const auto now = std::chrono::steady_clock::now();
  const ArpReply reply{packet->sender_ip, request->sequence, now, now - request->sent, packet->sender_mac};
  // A copy: the handler may destroy the prober, which clears on_reply while it runs.
  const auto on_reply = state.on_reply;
  on_reply(reply);
}

void read_all(const std::shared_ptr<State>& state) {
  // A handler may destroy the prober (closed is then set): stop at once.
  const auto error = read_datagrams<sockaddr_ll>(
      state->descriptor.native_handle(), [&] { return state->closed; },
      [&](std::span<const uint8_t> data, const sockaddr_ll& from) {
        if (from.sll_family == AF_PACKET) handle_packet(*state, data, from);
      });
  if (error) {
    const auto on_error = state->on_error;  // a copy, as in handle_packet
    on_error(errno_error(what(state->source, "receive"), *error));
  }
}

void wait_readable(const std::shared_ptr<State>& state) {
  keep_reading(state, read_all,
               [source = state->source](const std::string& step) { return what(source, step); });
}

sockaddr_ll link_address(int ifindex, const arp::MacAddress& mac) {
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ARP);
  address.sll_ifindex = ifindex;
  address.sll_halen = static_cast<unsigned char>(mac.size());
  std::memcpy(address.sll_addr, mac.data(), mac.size());
  return address;
}

}  // namespace

Expected<std::unique_ptr<ArpProber>> ArpProber::open(asio::io_context& io, ProbeSource source,
                                                     ReplyHandler on_reply, ErrorHandler on_error) {
  if (source.address.family() != Family::v4) {
    return errno_error(what(source, "ARP is IPv4 only (IPv6 has neighbour discovery)"), EAFNOSUPPORT);
  }
  // Protocol 0: the socket receives nothing until bind() gives it ETH_P_ARP and the interface. Created with
  // ETH_P_ARP it would take every interface's ARP in between.
  const int fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error(what(source, "socket"), errno);
  const auto interface = find_ethernet_link(fd, source, what(source, ""), "it has no ARP");
  if (!interface) {
    ::close(fd);
    return interface.error();
  }
  attach_reply_filter(fd, source.address);
  const sockaddr_ll local = link_address(interface->index, interface->mac);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int code = errno;
    ::close(fd);
    return errno_error(what(source, "bind to interface"), code);
  }
  auto state = std::make_shared<State>(io, fd, interface->index, interface->mac, std::move(source),
                                       std::move(on_reply), std::move(on_error));
  wait_readable(state);
  return std::unique_ptr<ArpProber>(new ArpProber(std::move(state)));
}

ArpProber::~ArpProber() {
  stop_reading(*state_);
}

std::optional<KernelError> ArpProber::send(const IpAddress& gateway, uint16_t sequence) {
  if (gateway.family() != Family::v4) {
    return errno_error(what(state_->source, "to " + gateway.to_string()), EAFNOSUPPORT);
  }
  const auto now = std::chrono::steady_clock::now();
  const auto request = arp::encode_request(state_->mac, state_->source.address, gateway);
  const sockaddr_ll to = link_address(state_->ifindex, arp::kBroadcast);
  const ssize_t n = ::sendto(state_->descriptor.native_handle(), request.data(), request.size(),
                             MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (n < 0) return errno_error(what(state_->source, "send to " + gateway.to_string()), errno);
  state_->outstanding.add({gateway, sequence, now});
  return std::nullopt;
}

const ProbeSource& ArpProber::source() const {
  return state_->source;
}
const arp::MacAddress& ArpProber::mac() const {
  return state_->mac;
}

}  // namespace uplinkd
