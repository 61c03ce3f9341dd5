// SPDX-License-Identifier: GPL-2.0-or-later
// What the operator sees of uplinkd's MPTCP endpoints (MptcpApplier's outcome): the `mptcp` events, the
// status's `mptcp` object and each uplink family's `mptcp_endpoint`, and the words of a refusal. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apply/mptcp_applier.hpp"
#include "config/config.hpp"

namespace uplinkd {

// One event per change the kernel took, in order ({"event":"mptcp","action":"add","uplink":"wan1",
// "family":"ipv4","id":255,"address":"100.64.1.10","backup":false}; "remove", and "backup" when only the
// flag changed), then one "limits" event when they were raised. Without `at`: Daemon::publish adds it.
std::vector<nlohmann::json> mptcp_events(const Config& config, const MptcpOutcome& outcome);

// The kernel's answer to a refused change, named by its uplink: "uplink wan2's IPv4 MPTCP endpoint: adding
// MPTCP endpoint 100.64.2.10 id 253 on wan2: File exists" is what the log and the status's errors say.
KernelError mptcp_refusal(const Config& config, const MptcpFailure& failure);

// Adds the top-level "mptcp" object (configured, managed, limits, and foreign_manager or unavailable when
// so) and, in each uplink's family objects, "mptcp_endpoint" ({id, address, backup} or null) and
// "mptcp_refused" when the kernel refused that endpoint. `report` is status_report()'s.
void add_mptcp_status(nlohmann::json& report, const Config& config, const MptcpOutcome& outcome);

}  // namespace uplinkd
