// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's MPTCP endpoints for the uplinks (`mptcp = true`, docs/configuration.md): one subflow endpoint
// per usable address, so that an MPTCP connection opens a subflow over each uplink and outlives any one of
// them. Pure like the rest of plan/: the kernel's endpoints come in as a value (the applier's dump), changes
// go out as values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "netlink/mptcp_objects.hpp"
#include "plan/plan.hpp"
#include "plan/sysctl.hpp"
#include "state/state.hpp"

namespace uplinkd {

// Endpoints record no owner (no protocol number, no cookie): the id is the only mark uplinkd can leave, so
// ids in this range are uplinkd's and every other id is foreign, never touched.
// Ids are handed out from the top (mptcp_endpoint_id): the kernel gives an endpoint added without an id
// (`ip mptcp endpoint add` without `id`, NetworkManager, the kernel's own implicit ones) the first free id
// above the highest id ever added, wrapping to 1 only once 255 is taken. From the top, uplinkd's first
// endpoint takes 255 and sends those below the range; from 200 up, every one after uplinkd's would land in
// the range and be removed as uplinkd's.
inline constexpr uint8_t kMptcpIdFirst = 200;
inline constexpr uint8_t kMptcpIdLast = 255;

inline constexpr bool owns_mptcp_id(uint8_t id) {
  return id >= kMptcpIdFirst && id <= kMptcpIdLast;
}

// The id of the endpoint for uplink number `uplink_index` (config order) in `family`: 255 - 2 × index, one
// less for IPv6. Stable while the config keeps its order, whatever the other uplinks do, so an uplink's
// endpoint is never renumbered under its live subflows. Nullopt past the range (from the 29th uplink on).
std::optional<uint8_t> mptcp_endpoint_id(size_t uplink_index, Family family);

// Whose id this is, as mptcp_endpoint_id hands them out: the uplink's place in the config and the family.
// Nullopt outside uplinkd's range. Names a removed endpoint in events and the log.
struct MptcpIdOwner {
  size_t uplink_index = 0;
  Family family = Family::v4;
  bool operator==(const MptcpIdOwner&) const = default;
};
std::optional<MptcpIdOwner> mptcp_id_owner(uint8_t id);

// Whether any uplink has `mptcp` on: uplinkd keeps MPTCP endpoints at all.
bool mptcp_configured(const Config& config);

// What the kernel needs for the endpoints to be used, when mptcp_configured(): MPTCP sockets allowed
// (net.mptcp.enabled, 1 by default, but a distribution or an administrator may have turned it off) and the
// in-kernel path manager, the one that reads endpoints (net.mptcp.pm_type = 0; with the userspace one, the
// endpoints would open no subflow). pm_type is deprecated since 6.15, where writing it sets path_manager =
// "kernel" as well, and absent before 5.19, when the in-kernel manager was the only one. Both are if_present:
// a kernel without MPTCP has neither, and the applier says once that MPTCP is unavailable instead of failing
// a sysctl on every converge. None while another program manages MPTCP (`other_manager`): its path manager
// may be the userspace one, and uplinkd changes nothing of MPTCP then.
std::vector<Sysctl> mptcp_sysctls(const Config& config, bool other_manager = false);

// An endpoint uplinkd wants, and for which uplink (what status, plan and events name).
struct PlannedMptcpEndpoint {
  std::string uplink;
  Family family = Family::v4;
  netlink::MptcpEndpoint endpoint;
  bool operator==(const PlannedMptcpEndpoint&) const = default;
};

struct DesiredMptcpEndpoints {
  // Best first: tier, then config order, IPv4 before IPv6 (the order the kernel's cap is filled in).
  std::vector<PlannedMptcpEndpoint> endpoints;
  std::vector<std::string> notes;  // what could not be honoured, for the log and `status`, as Plan::notes
};

// One endpoint, with `subflow`, per uplink with `mptcp` on and per family it is usable in (plan.uplinks:
// evaluate()'s verdict), on its address there (IPv6: the global one a host would pick as source) and its
// interface; `backup` when the planner leaves it out of the family's group for a better tier, or when it is
// drained (its subflows go on, as a drain promises, but carry traffic only when no other can). `state`
// gives the interfaces' ifindex; `current` is what the kernel has: the endpoints that are not uplinkd's
// count toward the kernel's cap of kMptcpMaxEndpoints, and an address one of them holds gets none of
// uplinkd's (the kernel would refuse it).
DesiredMptcpEndpoints desired_mptcp_endpoints(const Config& config, const State& state,
                                              const std::vector<PlannedUplink>& planned,
                                              const std::vector<netlink::MptcpEndpoint>& current);

struct MptcpEndpointChange {
  enum class Kind { remove, add, set_backup };
  Kind kind = Kind::add;
  // remove: as the kernel has it; add: as wanted; set_backup: as wanted, `backup` being the new flag.
  netlink::MptcpEndpoint endpoint;
  bool operator==(const MptcpEndpointChange&) const = default;
};

// The changes that turn the kernel's endpoints (`current`) into `desired`, in the order to apply them: every
// remove first (the kernel holds at most 8 endpoints and refuses an address twice, so an endpoint renumbered
// or moved to another id must be gone before its successor comes), then the adds, then the backup flags,
// cleared before set (a new primary is there before the old one steps back). Only uplinkd's ids are touched,
// and of those never an implicit endpoint (the kernel's own record of an address in use).
std::vector<MptcpEndpointChange> diff_mptcp_endpoints(const std::vector<PlannedMptcpEndpoint>& desired,
                                                      const std::vector<netlink::MptcpEndpoint>& current);

// "MPTCP endpoints 10.0.0.5 id 1 (subflow) are managed by another program (…)": when endpoints outside
// uplinkd's ids open subflows or announce addresses, another manager (NetworkManager's mptcp-flags,
// mptcpd) owns MPTCP here, and two managers would undo each other's endpoints; nullopt otherwise. Implicit
// endpoints are the kernel's own and endpoints with neither flag do nothing on their own: neither counts.
std::optional<std::string> foreign_manager(const std::vector<netlink::MptcpEndpoint>& current);

// The per-connection limits the desired endpoints need.
netlink::MptcpLimits mptcp_limits_for(const std::vector<PlannedMptcpEndpoint>& desired);

// "add MPTCP endpoint 100.64.1.10 id 255 ifindex 11 subflow", for the log, `plan` and test messages.
std::string to_string(const MptcpEndpointChange& change);

}  // namespace uplinkd
