// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/mptcp_socket.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "netlink/mptcp_codec.hpp"
#include "netlink/socket.hpp"

namespace uplinkd::netlink {

namespace {

// A dump's skbs are sized after the reader's buffer (capped near 32 KiB); eight endpoints take under 1 KiB,
// and the controller's reply about a family (its operations and groups) about as much.
constexpr size_t kReceiveBufferSize = 32768;
constexpr size_t kRequestSize = 256;
// A kernel that never answers is a bug, but waiting forever on it would freeze the daemon's one loop.
constexpr int kReplyTimeoutSeconds = 10;
// Endpoint ids are 1..255; the kernel reads 0 in a removal as "every connection's first subflow address".
constexpr const char* kNoId = "0 is no endpoint's id";

void enable(mnl_socket* socket, int option) {
  int one = 1;
  mnl_socket_setsockopt(socket, option, &one, sizeof one);
}

}  // namespace

std::string describe(const MptcpEndpoint& endpoint) {
  std::string text = "MPTCP endpoint " + endpoint.address.to_string();
  if (endpoint.port) text += " port " + std::to_string(*endpoint.port);
  if (endpoint.id) text += " id " + std::to_string(endpoint.id);
  if (endpoint.ifindex) {
    char name[IF_NAMESIZE];
    text += if_indextoname(endpoint.ifindex, name) ? std::string(" on ") + name
                                                   : " on ifindex " + std::to_string(endpoint.ifindex);
  }
  return text;
}

Expected<MptcpSocket> MptcpSocket::open() {
  mnl_socket* raw = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
  if (!raw) return KernelError{"open generic netlink socket", errno, ""};
  MptcpSocket socket(raw);  // closes `raw` on every return below
  if (mnl_socket_bind(raw, 0, MNL_SOCKET_AUTOPID) < 0)
    return KernelError{"bind generic netlink socket", errno, ""};
  socket.port_ = mnl_socket_get_portid(raw);

  const std::string what = "resolving generic netlink family " + std::string(kMptcpFamilyName);
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  std::optional<uint16_t> id;
  auto error = socket.transact(encode_genl_family_request(request, kMptcpFamilyName), what,
                               [&](const nlmsghdr* reply) {
                                 if (auto found = decode_genl_family_id(reply, kMptcpFamilyName)) id = found;
                               });
  if (error) {
    if (error->code == ENOENT) error->detail = "the kernel has no MPTCP (CONFIG_MPTCP)";
    return *error;
  }
  if (!id) return KernelError{what, EBADMSG, "the controller's reply carries no family id"};
  socket.family_id_ = *id;
  return socket;
}

MptcpSocket::MptcpSocket(mnl_socket* socket) : socket_(socket), buffer_(kReceiveBufferSize) {
  // Each is an improvement an old kernel may lack; without them errors lose only their text.
  enable(socket_, NETLINK_CAP_ACK);
  enable(socket_, NETLINK_EXT_ACK);
  const timeval timeout{kReplyTimeoutSeconds, 0};
  setsockopt(mnl_socket_get_fd(socket_), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sequence_ = static_cast<uint32_t>(time(nullptr));
}

MptcpSocket::MptcpSocket(MptcpSocket&& other) noexcept {
  *this = std::move(other);
}

MptcpSocket& MptcpSocket::operator=(MptcpSocket&& other) noexcept {
  if (this != &other) {
    if (socket_) mnl_socket_close(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
    port_ = other.port_;
    sequence_ = other.sequence_;
    family_id_ = other.family_id_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

MptcpSocket::~MptcpSocket() {
  if (socket_) mnl_socket_close(socket_);
}

std::optional<KernelError> MptcpSocket::transact(nlmsghdr* request, const std::string& what,
                                                 const std::function<void(const nlmsghdr*)>& each) {
  // Only a bug gets here (a request larger than kRequestSize); reported like the kernel's errors all the
  // same.
  if (!request) return KernelError{what, EMSGSIZE, "the request does not fit its buffer"};
  request->nlmsg_seq = ++sequence_;
  while (mnl_socket_sendto(socket_, request, request->nlmsg_len) < 0) {
    if (errno != EINTR) return KernelError{what, errno, ""};
  }
  for (;;) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (received < 0) {
      if (errno == EINTR) continue;
      const int error = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
      return KernelError{what, error, error == ETIMEDOUT ? "no reply from the kernel" : ""};
    }
    int left = static_cast<int>(received);
    for (auto* message = reinterpret_cast<const nlmsghdr*>(buffer_.data()); mnl_nlmsg_ok(message, left);
         message = mnl_nlmsg_next(message, &left)) {
      // Replies to an earlier request that timed out can still arrive; they are not ours to read.
      if (message->nlmsg_seq != request->nlmsg_seq || message->nlmsg_pid != port_) continue;
      if (message->nlmsg_type == NLMSG_DONE) {
        int status = 0;
        if (message->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof status)
          std::memcpy(&status, mnl_nlmsg_get_payload(message), sizeof status);
        if (status < 0) return KernelError{what, -status, extended_ack_message(message)};
        return std::nullopt;
      }
      if (message->nlmsg_type == NLMSG_ERROR) {
        if (message->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) return KernelError{what, EBADMSG, ""};
        const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
        if (error->error == 0) return std::nullopt;  // the ack; a reply it acknowledges came before it
        return KernelError{what, -error->error, extended_ack_message(message)};
      }
      // The endpoint dump walks at most eight entries by id, and mptcp_pm never flags NLM_F_DUMP_INTR, so
      // one pass is the whole list.
      if (each) each(message);
    }
  }
}

Expected<std::vector<MptcpEndpoint>> MptcpSocket::dump_endpoints() {
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  std::vector<MptcpEndpoint> endpoints;
  const auto error = transact(encode_mptcp_endpoint_dump(request, family_id_), "listing MPTCP endpoints",
                              [&](const nlmsghdr* m) {
                                if (auto endpoint = decode_mptcp_endpoint(m, family_id_))
                                  endpoints.push_back(std::move(*endpoint));
                              });
  if (error) return *error;
  return endpoints;
}

std::optional<KernelError> MptcpSocket::add_endpoint(const MptcpEndpoint& endpoint) {
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  return transact(encode_mptcp_add_endpoint(request, family_id_, endpoint), "adding " + describe(endpoint));
}

std::optional<KernelError> MptcpSocket::remove_endpoint(uint8_t id) {
  const std::string what = "removing MPTCP endpoint id " + std::to_string(id);
  if (id == 0) return KernelError{what, EINVAL, kNoId};
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  return transact(encode_mptcp_remove_endpoint(request, family_id_, id), what);
}

std::optional<KernelError> MptcpSocket::set_backup(const MptcpEndpoint& endpoint, bool backup) {
  const std::string what = "making " + describe(endpoint) + (backup ? " a backup" : " not a backup");
  if (endpoint.id == 0) return KernelError{what, EINVAL, kNoId};
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  return transact(encode_mptcp_set_backup(request, family_id_, endpoint, backup), what);
}

std::optional<KernelError> MptcpSocket::flush_endpoints() {
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  return transact(encode_mptcp_flush_endpoints(request, family_id_), "flushing MPTCP endpoints");
}

Expected<MptcpLimits> MptcpSocket::limits() {
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  const std::string what = "reading MPTCP limits";
  std::optional<MptcpLimits> limits;
  const auto error = transact(encode_mptcp_get_limits(request, family_id_), what, [&](const nlmsghdr* m) {
    if (auto found = decode_mptcp_limits(m, family_id_)) limits = found;
  });
  if (error) return *error;
  if (!limits) return KernelError{what, EBADMSG, "the kernel's reply carries no limits"};
  return *limits;
}

std::optional<KernelError> MptcpSocket::set_limits(const MptcpLimits& limits) {
  alignas(nlmsghdr) std::array<char, kRequestSize> request;
  return transact(encode_mptcp_set_limits(request, family_id_, limits),
                  "setting MPTCP limits subflows " + std::to_string(limits.subflows) + " add_addr_accepted " +
                      std::to_string(limits.add_addr_accepted));
}

}  // namespace uplinkd::netlink
