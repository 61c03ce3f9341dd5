// SPDX-License-Identifier: GPL-2.0-or-later
// Which reasons each DHCP client gives its hooks, and what each means for an uplink. The tables are the
// single source for the parsers, the JSON codec's checks and the table-driven tests.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "sources/hook_event.hpp"

namespace uplinkd {

struct HookReason {
  std::string_view reason;  // exactly as the client spells it
  LeaseChange change;
  Family family = Family::v4;  // the lease it speaks of: DHCP (IPv4) or DHCPv6
};

// Every reason (udhcpc: every action word) the client is documented to give, IPv6 ones included.
std::span<const HookReason> hook_reasons(DhcpClient client);

// nullopt when the client never gives this reason.
std::optional<LeaseChange> hook_reason_change(DhcpClient client, std::string_view reason);
std::optional<Family> hook_reason_family(DhcpClient client, std::string_view reason);

}  // namespace uplinkd

namespace uplinkd::hook {

// The reason's LeaseChange; InputError naming `variable` when the client never gives this reason.
LeaseChange known_reason(DhcpClient client, std::string_view variable, std::string_view reason);

}  // namespace uplinkd::hook
