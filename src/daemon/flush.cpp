// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/flush.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "apply/applier.hpp"
#include "apply/mptcp_applier.hpp"
#include "apply/netlink_kernel.hpp"

namespace uplinkd {

bool socket_answers(const std::string& path) {
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof(address.sun_path)) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

FlushResult flush_owned_objects() {
  FlushResult result;
  auto kernel = NetlinkKernel::open();
  if (!kernel) {
    result.errors.push_back("netlink socket: " + kernel.error().message());
    return result;
  }
  Applier applier(**kernel);  // claims no table: only objects with uplinkd's marks are its
  auto outcome = applier.flush();
  result.removed = outcome.changes.size() - outcome.failed.size();
  for (const auto& error : outcome.errors) result.errors.push_back(error.message());
  auto endpoints = MptcpApplier(**kernel).flush();  // ids 200-255 (a kernel without MPTCP has none)
  result.removed += endpoints.changes.size() - endpoints.failed.size();
  for (const auto& failure : endpoints.failed) result.errors.push_back(failure.error.message());
  for (const auto& error : endpoints.errors) result.errors.push_back(error.message());
  return result;
}

}  // namespace uplinkd
