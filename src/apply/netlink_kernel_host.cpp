// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkKernel's part for the objects that are not routing objects: uplinkd's nftables table (dumped over
// NETLINK_NETFILTER, written with libnftables) and the sysctls it sets.
#include <linux/netfilter.h>

#include "apply/netlink_kernel.hpp"
#include "netlink/sysctl.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {

bool NetlinkKernel::has_host_changes(const std::vector<Change>& changes) {
  for (const auto& change : changes)
    if (std::holds_alternative<NftPatch>(change.object) || std::holds_alternative<Sysctl>(change.object))
      return true;
  return false;
}

std::vector<KernelError> NetlinkKernel::apply_in_order(const std::vector<Change>& changes) {
  std::vector<KernelError> errors;
  std::vector<Change> routing;
  auto flush_routing = [&] {
    if (routing.empty()) return;
    auto failed = apply(routing);
    errors.insert(errors.end(), failed.begin(), failed.end());
    routing.clear();
  };
  for (const auto& change : changes) {
    const bool host =
        std::holds_alternative<NftPatch>(change.object) || std::holds_alternative<Sysctl>(change.object);
    if (!host) {
      routing.push_back(change);
      continue;
    }
    flush_routing();
    if (auto error = apply_host(change)) errors.push_back(std::move(*error));
  }
  flush_routing();
  return errors;
}

std::optional<KernelError> NetlinkKernel::apply_host(const Change& change) {
  if (const auto* sysctl = std::get_if<Sysctl>(&change.object)) {
    auto error = netlink::write_sysctl(sysctl->key, sysctl->value);
    if (error) error->object = describe(change);
    return error;
  }
  if (!nft_) nft_ = std::make_unique<NftTable>();
  return nft_->apply(std::get<NftPatch>(change.object), describe(change));
}

Expected<HostObjects> NetlinkKernel::dump_host(const std::vector<std::string>& sysctl_keys) {
  HostObjects host;
  if (!nft_socket_) {
    auto socket = netlink::NftablesSocket::open();
    if (!socket) return socket.error();
    nft_socket_.emplace(std::move(*socket));
  }
  auto table = nft_socket_->dump_table(NFPROTO_INET, ownership::kNftTable);
  if (!table) return table.error();
  host.nftables = std::move(*table);
  for (const auto& key : sysctl_keys)
    if (auto value = netlink::read_sysctl(key)) host.sysctls.push_back(Sysctl{key, *value});
  return host;
}

}  // namespace uplinkd
