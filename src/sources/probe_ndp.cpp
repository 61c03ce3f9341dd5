// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_ndp.hpp"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sources/probe_link.hpp"
#include "sources/probe_reader.hpp"

namespace uplinkd {

// Requests sent and not yet answered: as for ARP (probe_arp.cpp), far more than any timeout needs.
constexpr size_t kMaxOutstanding = 64;

struct NdpProber::State {
  State(asio::io_context& io, int fd, EthernetLink link, ProbeSource source, ReplyHandler on_reply,
        ErrorHandler on_error)
      : descriptor(io, fd),
        link(link),
        source(std::move(source)),
        on_reply(std::move(on_reply)),
        on_error(std::move(on_error)) {}

  asio::posix::stream_descriptor descriptor;
  EthernetLink link;
  ProbeSource source;
  ReplyHandler on_reply;
  ErrorHandler on_error;
  // An advertisement carries no sequence number either: it answers the newest request to that router, for
  // the reasons arp::Outstanding gives.
  arp::Outstanding outstanding{kMaxOutstanding};
  bool closed = false;
};

namespace {

using State = NdpProber::State;

std::string what(const ProbeSource& source, const std::string& step) {
  return "ndp probe on " + source.to_string() + ": " + step;
}

std::optional<KernelError> set_ipv6_option(int fd, int name, int value, const ProbeSource& source,
                                           const char* step) {
  if (::setsockopt(fd, IPPROTO_IPV6, name, &value, sizeof value) != 0) {
    return errno_error(what(source, step), errno);
  }
  return std::nullopt;
}

// Unlike the type filter, each of these decides whether a probe can be answered or judged, so a failure is
// the prober's failure.
std::optional<KernelError> configure(int fd, const ProbeSource& source, int ifindex) {
  // RFC 4861 7.1: receivers drop ND with any hop limit but 255. The multicast default is 1.
  if (auto error = set_ipv6_option(fd, IPV6_UNICAST_HOPS, ndp::kHopLimit, source, "set unicast hop limit"))
    return error;
  if (auto error =
          set_ipv6_option(fd, IPV6_MULTICAST_HOPS, ndp::kHopLimit, source, "set multicast hop limit"))
    return error;
  if (auto error = set_ipv6_option(fd, IPV6_MULTICAST_IF, ifindex, source, "set multicast interface"))
    return error;
  // The hop limit and destination of what arrives: decode_advertisement checks both.
  if (auto error = set_ipv6_option(fd, IPV6_RECVHOPLIMIT, 1, source, "ask for hop limits")) return error;
  if (auto error = set_ipv6_option(fd, IPV6_RECVPKTINFO, 1, source, "ask for destinations")) return error;
  // A raw ICMPv6 socket sees every ICMPv6 message that reaches the interface; let the kernel drop all but
  // advertisements. Not checked: it only saves work, the decoder rejects everything else anyway.
  icmp6_filter filter;
  ICMP6_FILTER_SETBLOCKALL(&filter);
  ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &filter);
  ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  return std::nullopt;
}

struct Arrival {
  ndp::Envelope envelope;
  int ifindex = 0;  // 0 if the kernel did not say
};

Arrival arrival_of(const sockaddr_in6& from, msghdr& message) {
  Arrival arrival;
  arrival.envelope.source = IpAddress::from_bytes(Family::v6, &from.sin6_addr);
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      std::memcpy(&arrival.envelope.hop_limit, CMSG_DATA(c), sizeof(int));
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      arrival.envelope.destination = IpAddress::from_bytes(Family::v6, &info.ipi6_addr);
      arrival.ifindex = static_cast<int>(info.ipi6_ifindex);
    }
  }
  return arrival;
}

void handle_packet(State& state, std::span<const uint8_t> data, const Arrival& arrival) {
  // Bound to the interface, so only what arrives on it is delivered; checked again because an answer that
  // came by another uplink must never count.
  if (arrival.ifindex != 0 && arrival.ifindex != state.link.index) return;
  const auto advertisement = ndp::decode_advertisement(data, arrival.envelope);
  if (!advertisement || !ndp::answers(*advertisement, arrival.envelope, advertisement->target)) return;
  // As for ARP: an answer to the kernel's own solicitation while a probe waits proves the same, and counts.
  const auto request = state.outstanding.answer(advertisement->target);
  if (!request) return;
  const auto now = std::chrono::steady_clock::now();
  const NdpReply reply{advertisement->target, request->sequence, now, now - request->sent,
                       advertisement->mac};
  // A copy: the handler may destroy the prober, which clears on_reply while it runs.
  const auto on_reply = state.on_reply;
  on_reply(reply);
}

// read_datagrams' loop, with recvmsg for the hop limit and destination.
void read_all(const std::shared_ptr<State>& state) {
  std::array<uint8_t, 1500> buffer;
  alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo))> control;
  // A handler may destroy the prober (closed is then set): stop at once.
  while (!state->closed) {
    sockaddr_in6 from{};
    iovec data{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(state->descriptor.native_handle(), &message, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      const auto on_error = state->on_error;  // a copy, as in handle_packet
      on_error(errno_error(what(state->source, "receive"), errno));
      return;
    }
    // A truncated message or control data could hide an option or the hop limit.
    if (from.sin6_family != AF_INET6 || (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) continue;
    handle_packet(*state, std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)),
                  arrival_of(from, message));
  }
}

void wait_readable(const std::shared_ptr<State>& state) {
  keep_reading(state, read_all,
               [source = state->source](const std::string& step) { return what(source, step); });
}

}  // namespace

Expected<std::unique_ptr<NdpProber>> NdpProber::open(asio::io_context& io, ProbeSource source,
                                                     ReplyHandler on_reply, ErrorHandler on_error) {
  if (source.address.family() != Family::v6) {
    return errno_error(what(source, "neighbour discovery is IPv6 only (IPv4 has arp)"), EAFNOSUPPORT);
  }
  const int fd = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return errno_error(what(source, "socket"), errno);
  const auto link = find_ethernet_link(fd, source, what(source, ""), "it has no MAC for neighbour discovery");
  if (!link) {
    ::close(fd);
    return link.error();
  }
  auto error = bind_to_interface(fd, source);
  if (!error) error = configure(fd, source, link->index);
  if (error) {
    ::close(fd);
    return *error;
  }
  auto state =
      std::make_shared<State>(io, fd, *link, std::move(source), std::move(on_reply), std::move(on_error));
  wait_readable(state);
  return std::unique_ptr<NdpProber>(new NdpProber(std::move(state)));
}

NdpProber::~NdpProber() {
  stop_reading(*state_);
}

std::optional<KernelError> NdpProber::send(const IpAddress& router, uint16_t sequence) {
  if (router.family() != Family::v6) {
    return errno_error(what(state_->source, "to " + router.to_string()), EAFNOSUPPORT);
  }
  if (ndp::is_multicast(router) || router.is_unspecified()) {
    return errno_error(what(state_->source, "to " + router.to_string() + " (not a unicast address)"), EINVAL);
  }
  const auto now = std::chrono::steady_clock::now();
  const auto solicitation = ndp::encode_solicitation(router, state_->link.mac);
  const SocketAddress to =
      socket_address(ndp::solicited_node(router), 0, static_cast<uint32_t>(state_->link.index));
  const ssize_t n = ::sendto(state_->descriptor.native_handle(), solicitation.data(), solicitation.size(),
                             MSG_DONTWAIT | MSG_NOSIGNAL, to.get(), to.length);
  if (n < 0) return errno_error(what(state_->source, "send to " + router.to_string()), errno);
  state_->outstanding.add({router, sequence, now});
  return std::nullopt;
}

const ProbeSource& NdpProber::source() const {
  return state_->source;
}
const ndp::MacAddress& NdpProber::mac() const {
  return state_->link.mac;
}

}  // namespace uplinkd
