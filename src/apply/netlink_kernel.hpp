// SPDX-License-Identifier: GPL-2.0-or-later
// The real Kernel: uplinkd's objects read and changed over rtnetlink.
#pragma once

#include <memory>
#include <vector>

#include "apply/kernel.hpp"
#include "netlink/mptcp_socket.hpp"
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

  // Over generic netlink (mptcp_pm), the socket opened on first use (netlink_kernel_mptcp.cpp).
  Expected<MptcpObjects> dump_mptcp() override;
  std::vector<std::optional<KernelError>> apply_mptcp(
      const std::vector<MptcpEndpointChange>& changes) override;
  std::optional<KernelError> set_mptcp_limits(const netlink::MptcpLimits& limits) override;

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
  std::optional<netlink::MptcpSocket> mptcp_socket_;   // opened on first use
  std::optional<KernelError> open_mptcp();
};

}  // namespace uplinkd
