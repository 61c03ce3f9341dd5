// SPDX-License-Identifier: GPL-2.0-or-later
// The real Kernel: uplinkd's objects read and changed over rtnetlink.
#pragma once

#include <memory>
#include <vector>

#include "apply/kernel.hpp"
#include "netlink/nftables_socket.hpp"
#include "netlink/socket.hpp"
#include "nft/nft_table.hpp"

namespace uplinkd {

class NetlinkKernel : public Kernel {
 public:
  static Expected<std::unique_ptr<NetlinkKernel>> open();
  explicit NetlinkKernel(netlink::Socket socket) : socket_(std::move(socket)) {}

  // Routes of ownership::kProtocol in any table, rules in the owned priority range that also carry the
  // protocol, nexthops in the owned id range; both families.
  Expected<KernelObjects> dump_owned() override;

  // One batch. Removing what is already gone, and adding a rule that is already there, succeed: after a crash
  // the next sync repeats changes that may already have taken effect.
  std::vector<KernelError> apply(const std::vector<Change>& changes) override;

  // uplinkd's nftables table over NETLINK_NETFILTER (never its sets' elements), sysctls from /proc/sys.
  Expected<HostObjects> dump_host(const std::vector<std::string>& sysctl_keys) override;

 private:
  // netlink_kernel_host.cpp: a list with nftables or sysctl changes runs in its order, each run of routing
  // changes as one batch.
  static bool has_host_changes(const std::vector<Change>& changes);
  std::vector<KernelError> apply_in_order(const std::vector<Change>& changes);
  std::optional<KernelError> apply_host(const Change& change);

  bool claimed(uint32_t table) const;
  netlink::Socket socket_;
  std::optional<netlink::NftablesSocket> nft_socket_;  // opened on first use
  std::unique_ptr<NftTable> nft_;                      // libnftables, for writing only
};

}  // namespace uplinkd
