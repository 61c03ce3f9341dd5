// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP endpoints as uplinkd adds them, for the tests of the planner and the applier.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace uplinkd::testing
