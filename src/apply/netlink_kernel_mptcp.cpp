// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkKernel's part for the MPTCP endpoints and limits: generic netlink (netlink/mptcp_socket.hpp), one
// request and its ack at a time.
#include "apply/netlink_kernel.hpp"

namespace uplinkd {

std::optional<KernelError> NetlinkKernel::open_mptcp() {
  if (mptcp_socket_) return std::nullopt;
  auto socket = netlink::MptcpSocket::open();
  if (!socket) return socket.error();
  mptcp_socket_.emplace(std::move(*socket));
  return std::nullopt;
}

Expected<MptcpObjects> NetlinkKernel::dump_mptcp() {
  if (auto error = open_mptcp()) return *error;
  MptcpObjects objects;
  auto endpoints = mptcp_socket_->dump_endpoints();
  if (!endpoints) return endpoints.error();
  objects.endpoints = std::move(*endpoints);
  auto limits = mptcp_socket_->limits();
  if (!limits) return limits.error();
  objects.limits = *limits;
  return objects;
}

std::vector<std::optional<KernelError>> NetlinkKernel::apply_mptcp(
    const std::vector<MptcpEndpointChange>& changes) {
  std::vector<std::optional<KernelError>> answers;
  const auto opened = open_mptcp();
  for (const auto& change : changes) {
    if (opened) {
      answers.push_back(opened);
      continue;
    }
    switch (change.kind) {
      case MptcpEndpointChange::Kind::remove:
        answers.push_back(mptcp_socket_->remove_endpoint(change.endpoint.id));
        break;
      case MptcpEndpointChange::Kind::add:
        answers.push_back(mptcp_socket_->add_endpoint(change.endpoint));
        break;
      case MptcpEndpointChange::Kind::set_backup:
        answers.push_back(mptcp_socket_->set_backup(change.endpoint, change.endpoint.backup));
        break;
    }
  }
  return answers;
}

std::optional<KernelError> NetlinkKernel::set_mptcp_limits(const netlink::MptcpLimits& limits) {
  if (auto error = open_mptcp()) return error;
  return mptcp_socket_->set_limits(limits);
}

}  // namespace uplinkd
