// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_icmp.hpp"

#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <random>

#include "sources/probe_icmp_codec.hpp"
#include "sources/probe_reader.hpp"

namespace uplinkd {

// Requests sent and not yet answered. Probes go out about once a second per target and time out in seconds;
// 64 outstanding covers several targets with room, and bounds memory when a target never answers.
constexpr size_t kMaxOutstanding = 64;

struct Outstanding {
  IpAddress target;
  uint16_t sequence;
  std::chrono::steady_clock::time_point sent;
};

struct IcmpProber::State {
  State(asio::io_context& io, int fd, SocketKind kind, ProbeSource source, ReplyHandler on_reply,
        ErrorHandler on_error)
      : descriptor(io, fd),
        kind(kind),
        source(std::move(source)),
        on_reply(std::move(on_reply)),
        on_error(std::move(on_error)) {}

  asio::posix::stream_descriptor descriptor;
  SocketKind kind;
  ProbeSource source;
  ReplyHandler on_reply;
  ErrorHandler on_error;
  uint16_t identifier = 0;  // what replies carry: ours on a raw socket, the kernel's on a ping socket
  std::deque<Outstanding> outstanding;
  bool closed = false;
};

namespace {

using State = IcmpProber::State;

std::string what(const State& state, const std::string& step) {
  return "icmp probe on " + state.source.to_string() + ": " + step;
}

// A raw socket sees every ICMP packet for its address; let the kernel drop all but echo replies. Its result
// is not checked: the filter only saves work, the decoder rejects everything else anyway.
void pass_only_echo_replies(int fd, Family family) {
  if (family == Family::v4) {
    icmp_filter filter{~(1u << ICMP_ECHOREPLY)};
    ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  } else {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
}

// The socket's kind, or the error of the raw fallback (the ping socket's is less useful: EACCES just means
// ping_group_range excludes us).
Expected<std::pair<int, IcmpProber::SocketKind>> make_socket(Family family) {
  constexpr int kFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  const int af = to_af(family);
  const int protocol = family == Family::v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  int fd = ::socket(af, SOCK_DGRAM | kFlags, protocol);
  if (fd >= 0) return std::pair{fd, IcmpProber::SocketKind::ping};
  fd = ::socket(af, SOCK_RAW | kFlags, protocol);
  if (fd < 0) return errno_error("icmp probe socket", errno);
  pass_only_echo_replies(fd, family);
  return std::pair{fd, IcmpProber::SocketKind::raw};
}

uint16_t bound_identifier(int fd) {
  // A ping socket's identifier is its local "port", chosen at bind().
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return 0;
  if (local.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
}

void handle_packet(State& state, std::span<const uint8_t> data, const IpAddress& source) {
  const Family family = state.source.address.family();
  std::span<const uint8_t> icmp_bytes = data;
  // A raw IPv4 socket reads the IP header too; a raw IPv6 socket never does (RFC 3542 section 3).
  if (state.kind == IcmpProber::SocketKind::raw && family == Family::v4) {
    const auto stripped = icmp::strip_ipv4_header(data);
    if (!stripped) return;
    icmp_bytes = stripped->icmp;
  }
  const auto echo = icmp::decode_echo_reply(icmp_bytes, family);
  // A ping socket's kernel has matched the identifier already (and may report it only after the first send).
  if (!echo || (state.kind == IcmpProber::SocketKind::raw && echo->identifier != state.identifier)) return;
  const auto match =
      std::find_if(state.outstanding.begin(), state.outstanding.end(),
                   [&](const Outstanding& o) { return o.sequence == echo->sequence && o.target == source; });
  // Not a reply to a request still outstanding (a duplicate, a late or a spoofed one, or from elsewhere).
  if (match == state.outstanding.end()) return;
  const auto now = std::chrono::steady_clock::now();
  const IcmpReply reply{source, echo->sequence, now, now - match->sent};
  state.outstanding.erase(match);
  // A copy: the handler may destroy the prober, which clears on_reply while it runs.
  const auto on_reply = state.on_reply;
  on_reply(reply);
}

void read_all(const std::shared_ptr<State>& state) {
  // A handler may destroy the prober (closed is then set): stop at once.
  const Family family = state->source.address.family();
  const auto error = read_datagrams<sockaddr_storage>(
      state->descriptor.native_handle(), [&] { return state->closed; },
      [&](std::span<const uint8_t> data, const sockaddr_storage& from) {
        const auto source = address_of(from);
        if (source && source->family() == family) handle_packet(*state, data, *source);
      });
  if (error) {
    const auto on_error = state->on_error;  // a copy, as in handle_packet
    on_error(errno_error(what(*state, "receive"), *error));
  }
}

void wait_readable(const std::shared_ptr<State>& state) {
  keep_reading(state, read_all, [state](const std::string& step) { return what(*state, step); });
}

}  // namespace

Expected<std::unique_ptr<IcmpProber>> IcmpProber::open(asio::io_context& io, ProbeSource source,
                                                       ReplyHandler on_reply, ErrorHandler on_error) {
  auto made = make_socket(source.address.family());
  if (!made) return KernelError{"icmp probe on " + source.to_string() + ": socket", made.error().code, {}};
  const auto [fd, kind] = *made;
  if (auto error = bind_to_uplink(fd, source)) {
    ::close(fd);
    return *error;
  }
  auto state =
      std::make_shared<State>(io, fd, kind, std::move(source), std::move(on_reply), std::move(on_error));
  if (kind == SocketKind::ping) {
    state->identifier = bound_identifier(fd);
  } else {
    // Tells our replies from other pingers' on the same host; the payload's magic and the outstanding list
    // do the rest.
    state->identifier = static_cast<uint16_t>(std::random_device{}());
  }
  wait_readable(state);
  return std::unique_ptr<IcmpProber>(new IcmpProber(std::move(state)));
}

IcmpProber::~IcmpProber() {
  stop_reading(*state_);
}

std::optional<KernelError> IcmpProber::send(const IpAddress& target, uint16_t sequence) {
  const Family family = state_->source.address.family();
  if (target.family() != family) {
    return errno_error(what(*state_, "to " + target.to_string() + " (the socket is " +
                                         std::string(family_name(family)) + ")"),
                       EAFNOSUPPORT);
  }
  const auto now = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  const auto packet =
      icmp::encode_echo(icmp::Echo{.type = icmp::echo_request_type(family),
                                   .identifier = state_->identifier,
                                   .sequence = sequence,
                                   .sent_ns = static_cast<uint64_t>(
                                       std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count())},
                        family);
  // No scope: the socket's device is the scope of a link-local target.
  const SocketAddress to = socket_address(target);
  const ssize_t n = ::sendto(state_->descriptor.native_handle(), packet.data(), packet.size(),
                             MSG_DONTWAIT | MSG_NOSIGNAL, to.get(), to.length);
  if (n < 0) return errno_error(what(*state_, "send to " + target.to_string()), errno);
  auto& outstanding = state_->outstanding;
  // A sequence number reused for the same target replaces the old request: its reply could not be told apart.
  std::erase_if(outstanding,
                [&](const Outstanding& o) { return o.sequence == sequence && o.target == target; });
  if (outstanding.size() >= kMaxOutstanding) outstanding.pop_front();
  outstanding.push_back({target, sequence, now});
  return std::nullopt;
}

IcmpProber::SocketKind IcmpProber::kind() const {
  return state_->kind;
}
const ProbeSource& IcmpProber::source() const {
  return state_->source;
}

}  // namespace uplinkd
