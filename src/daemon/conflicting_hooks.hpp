// SPDX-License-Identifier: GPL-2.0-or-later
// Programs that fight uplinkd over its tables, found before they do: a dhclient exit hook that edits routing
// tables and rules as dhcp-lb's does (the LARTC recipe: flush each uplink's table, add its routes, delete
// and add its source rule). Run beside uplinkd it undoes uplinkd's objects at every DHCP event, and its
// `while ip rule del …; do :; done` waits for uplinkd's back-off. Warned about at start and by --check.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace uplinkd {

// Why the hook whose text this is conflicts with uplinkd's tables, if it does. Pure.
std::optional<std::string> hook_conflict(const std::string& text, const Config& config);

// One warning per conflicting hook in DIR/dhclient-exit-hooks.d/ and DIR/dhclient-exit-hooks, saying what to
// remove. DIR is $UPLINKD_DHCLIENT_DIR, default /etc/dhcp (tests point it at their own directory).
std::vector<std::string> conflicting_hook_warnings(const Config& config);

}  // namespace uplinkd
