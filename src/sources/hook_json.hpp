// SPDX-License-Identifier: GPL-2.0-or-later
// HookEvent on the control socket, as JSON (uplinkctl → daemon):
//   {"client": "dhclient", "interface": "eth0", "reason": "BOUND", "change": "up",
//    "address": "100.64.1.10/24", "routers": ["100.64.1.1"], "old_address": "100.64.1.9/24"}
// address and old_address are left out when absent; routers is always written (maybe empty). A DHCPv6
// event (its reason says so: BOUND6, EXPIRE6, ...) has the IA_NA address, if any, as address and its
// delegated prefixes in "delegated" and "withdrawn" (arrays, left out when empty):
//   {"client": "dhclient", "interface": "eth0", "reason": "REBIND6", "change": "up", "routers": [],
//    "delegated": ["2001:db8:1:200::/60"], "withdrawn": ["2001:db8:1:100::/60"]}
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sources/hook_event.hpp"

namespace uplinkd {

nlohmann::json hook_event_to_json(const HookEvent& event);

// Validates everything a hook parser would, since the socket is open to any local client. InputError at
// SourceLocation{"request"} names the field under `path`: `request: event.interface is missing`.
HookEvent hook_event_from_json(const nlohmann::json& json, std::string_view path = "event");

}  // namespace uplinkd
