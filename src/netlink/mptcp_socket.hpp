// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's MPTCP endpoints and limits over generic netlink ("mptcp_pm"), one request at a time, each
// waited for. The family is resolved once, when the socket opens.
//
// Not built on Socket (socket.hpp): that one opens NETLINK_ROUTE, and its requests are a variant of rtnetlink
// objects batched for one sendmsg. A namespace holds at most eight endpoints and uplinkd changes them rarely,
// so a plain request/ack loop is all this needs; it shares extended_ack_message() with Socket.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "netlink/mptcp_objects.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace uplinkd::netlink {

class MptcpSocket {
 public:
  // Fails with ENOENT ("resolving generic netlink family mptcp_pm") on a kernel built without MPTCP.
  static Expected<MptcpSocket> open();

  MptcpSocket(MptcpSocket&& other) noexcept;
  MptcpSocket& operator=(MptcpSocket&& other) noexcept;
  MptcpSocket(const MptcpSocket&) = delete;
  MptcpSocket& operator=(const MptcpSocket&) = delete;
  ~MptcpSocket();

  uint16_t family_id() const { return family_id_; }

  // In id order, implicit endpoints (the kernel's own) included.
  Expected<std::vector<MptcpEndpoint>> dump_endpoints();
  // Errors name the endpoint: "adding MPTCP endpoint 100.64.1.10 id 201 on wan1: File exists (…)". The kernel
  // says EEXIST for an address that has an endpoint, EBUSY for an id in use, ERANGE when eight exist.
  std::optional<KernelError> add_endpoint(const MptcpEndpoint& endpoint);
  // EINVAL ("address not found") when no endpoint has that id; id 0 is refused here with EINVAL.
  std::optional<KernelError> remove_endpoint(uint8_t id);
  // By endpoint.id (EINVAL for 0, and the kernel's EINVAL for an id no endpoint has); endpoint.fullmesh is
  // kept (see encode_mptcp_set_backup), the rest only names the endpoint in errors.
  std::optional<KernelError> set_backup(const MptcpEndpoint& endpoint, bool backup);
  // Every endpoint, the kernel's implicit ones too. 6.18 keeps the limits; the kernel sources before it that
  // were read for this reset add_addr_accepted to 0 on a flush (__reset_counters), so set them after one.
  std::optional<KernelError> flush_endpoints();

  Expected<MptcpLimits> limits();
  // Each limit 0..kMptcpMaxLimit; the kernel refuses more with EINVAL and changes neither.
  std::optional<KernelError> set_limits(const MptcpLimits& limits);

 private:
  explicit MptcpSocket(mnl_socket* socket);

  // Sends `request` and reads until its ack (or, for a dump, NLMSG_DONE) or the kernel's error; `each` sees
  // every other message of the reply.
  std::optional<KernelError> transact(nlmsghdr* request, const std::string& what,
                                      const std::function<void(const nlmsghdr*)>& each = {});

  mnl_socket* socket_ = nullptr;
  uint32_t port_ = 0;
  uint32_t sequence_ = 0;
  uint16_t family_id_ = 0;
  std::vector<char> buffer_;
};

// "MPTCP endpoint 100.64.1.10 id 201 on wan1", naming the interface as it is called now in this process's
// namespace ("ifindex 7" when none has that index, nothing when the endpoint has no interface).
std::string describe(const MptcpEndpoint& endpoint);

}  // namespace uplinkd::netlink
