// The real Kernel: uplinkd's objects read and changed over rtnetlink.
#pragma once

#include <memory>
#include <vector>

#include "apply/kernel.hpp"
#include "netlink/socket.hpp"

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

 private:
  netlink::Socket socket_;
};

}  // namespace uplinkd
