// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP endpoints as uplinkd adds them, for the tests of the planner and the applier.
#pragma once

#include <cstdint>
#include <string>

#include "apply/mptcp_applier.hpp"
#include "fakes/fake_kernel.hpp"
#include "fakes/world.hpp"
#include "netlink/mptcp_objects.hpp"

namespace uplinkd::testing {

// A `subflow` endpoint on ADDRESS bound to IFINDEX, `backup` if asked.
inline netlink::MptcpEndpoint endpoint(uint8_t id, const std::string& address, uint32_t ifindex,
                                       bool backup = false) {
  netlink::MptcpEndpoint made;
  made.id = id;
  made.address = ip(address);
  made.ifindex = ifindex;
  made.subflow = true;
  made.backup = backup;
  return made;
}

// wan1 and wan2 in tier 1, wan3 in tier 2 (wanN is world.hpp's uplink N), every one with `mptcp` on, and an
// applier over a fake kernel: what the applier's and the report's tests start from.
struct MptcpWorld {
  MptcpWorld() {
    for (auto& one : config.uplinks) one.mptcp = true;
  }
  Config config = config_with({uplink("wan1", 201), uplink("wan2", 202), uplink("wan3", 203, 1, 2)});
  State state{config};
  FakeKernel kernel;
  MptcpApplier applier{kernel};
};

}  // namespace uplinkd::testing
