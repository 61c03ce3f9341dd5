// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/nftables_monitor.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "netlink/nftables_attributes.hpp"

namespace uplinkd::netlink {

bool changed_by_others(NftablesWatch& watch, const void* data, size_t length) {
  bool changed = false;
  const auto* bytes = static_cast<const char*>(data);
  for (size_t offset = 0; length - offset >= sizeof(nlmsghdr);) {
    const auto* message = reinterpret_cast<const nlmsghdr*>(bytes + offset);
    const size_t size = message->nlmsg_len;
    if (size < sizeof(nlmsghdr) || size > length - offset) break;
    offset += std::min<size_t>(NLMSG_ALIGN(size), length - offset);
    if ((message->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;
    if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg))) continue;
    const uint16_t type = message->nlmsg_type & 0xff;
    if (type == NFT_MSG_NEWGEN) {
      const auto attributes = nftables_attributes(message, NFTA_GEN_MAX);
      const nlattr* pid = attributes[NFTA_GEN_PROC_PID];
      const bool ours = pid && mnl_attr_get_payload_len(pid) >= 4 &&
                        static_cast<pid_t>(ntohl(mnl_attr_get_u32(pid))) == watch.self;
      changed |= watch.open && !ours;
      watch.open = false;
      continue;
    }
    if (type == NFT_MSG_NEWSETELEM || type == NFT_MSG_DELSETELEM) continue;
    const auto* header = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(message));
    if (header->nfgen_family != watch.family) continue;
    // Every object's event names its table in attribute 1 (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, ...).
    const auto attributes = nftables_attributes(message, 1);
    const nlattr* table = attributes[1];
    if (!table || mnl_attr_get_payload_len(table) == 0) continue;
    const auto* name = static_cast<const char*>(mnl_attr_get_payload(table));
    if (std::string(name, strnlen(name, mnl_attr_get_payload_len(table))) == watch.table) watch.open = true;
  }
  return changed;
}

Expected<NftablesMonitor> NftablesMonitor::open(uint8_t family, std::string table) {
  mnl_socket* socket = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (!socket) return KernelError{"open nftables monitor", errno, ""};
  NftablesMonitor monitor(socket);
  monitor.watch_ = NftablesWatch{family, std::move(table), getpid(), false};
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0)
    return KernelError{"bind nftables monitor", errno, ""};
  int group = NFNLGRP_NFTABLES;
  if (mnl_socket_setsockopt(socket, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
    return KernelError{"join the nftables event group", errno, ""};
  // A flush of a big ruleset is a burst of events; a larger buffer makes an overrun (harmless) rarer.
  int size = 1 << 20;
  setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return monitor;
}

NftablesMonitor::NftablesMonitor(NftablesMonitor&& other) noexcept
    : socket_(std::exchange(other.socket_, nullptr)),
      watch_(std::move(other.watch_)),
      buffer_(std::move(other.buffer_)) {}

NftablesMonitor& NftablesMonitor::operator=(NftablesMonitor&& other) noexcept {
  if (this != &other) {
    if (socket_) mnl_socket_close(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
    watch_ = std::move(other.watch_);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

NftablesMonitor::~NftablesMonitor() {
  if (socket_) mnl_socket_close(socket_);
}

int NftablesMonitor::fd() const {
  return mnl_socket_get_fd(socket_);
}

Expected<bool> NftablesMonitor::read_pending() {
  bool changed = false;
  for (;;) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return changed;
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        watch_.open = false;
        changed = true;
        continue;
      }
      return KernelError{"read nftables events", errno, ""};
    }
    changed |= changed_by_others(watch_, buffer_.data(), static_cast<size_t>(received));
  }
}

}  // namespace uplinkd::netlink
