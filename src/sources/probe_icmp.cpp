#include "sources/probe_icmp.hpp"

#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
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

// The socket's kind, or the error of the raw fallback (the ping socket's is less useful: EACCES just means
// ping_group_range excludes us).
Expected<std::pair<int, IcmpProber::SocketKind>> make_socket() {
  constexpr int kFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  int fd = ::socket(AF_INET, SOCK_DGRAM | kFlags, IPPROTO_ICMP);
  if (fd >= 0) return std::pair{fd, IcmpProber::SocketKind::ping};
  fd = ::socket(AF_INET, SOCK_RAW | kFlags, IPPROTO_ICMP);
  if (fd < 0) return errno_error("icmp probe socket", errno);
  // A raw socket sees every ICMP packet for its address; let the kernel drop all but echo replies. Its result
  // is not checked: the filter only saves work, the decoder rejects everything else anyway.
  icmp_filter filter{~(1u << ICMP_ECHOREPLY)};
  ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  return std::pair{fd, IcmpProber::SocketKind::raw};
}

uint16_t bound_identifier(int fd) {
  // A ping socket's identifier is its local "port", chosen at bind().
  sockaddr_in local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return 0;
  return ntohs(local.sin_port);
}

void handle_packet(State& state, std::span<const uint8_t> data, const sockaddr_in& from) {
  std::span<const uint8_t> icmp_bytes = data;
  if (state.kind == IcmpProber::SocketKind::raw) {
    const auto stripped = icmp::strip_ipv4_header(data);
    if (!stripped) return;
    icmp_bytes = stripped->icmp;
  }
  const auto echo = icmp::decode_echo_reply(icmp_bytes);
  // A ping socket's kernel has matched the identifier already (and may report it only after the first send).
  if (!echo || (state.kind == IcmpProber::SocketKind::raw && echo->identifier != state.identifier)) return;
  const IpAddress source = IpAddress::from_bytes(Family::v4, &from.sin_addr);
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
  const auto error = read_datagrams<sockaddr_in>(
      state->descriptor.native_handle(), [&] { return state->closed; },
      [&](std::span<const uint8_t> data, const sockaddr_in& from) {
        if (from.sin_family == AF_INET) handle_packet(*state, data, from);
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
  auto made = make_socket();
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
  if (target.family() != Family::v4) {
    return errno_error(what(*state_, "to " + target.to_string()), EAFNOSUPPORT);
  }
  const auto now = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  const auto packet = icmp::encode_echo(icmp::Echo{
      .type = icmp::kEchoRequest,
      .identifier = state_->identifier,
      .sequence = sequence,
      .sent_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count())});
  sockaddr_in to{};
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr, target.data(), 4);
  const ssize_t n = ::sendto(state_->descriptor.native_handle(), packet.data(), packet.size(),
                             MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&to), sizeof to);
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
