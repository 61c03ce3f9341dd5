// SPDX-License-Identifier: GPL-2.0-or-later
// Where uplinkctl looks for the daemon when neither -s nor $UPLINKD_SOCKET says.
#pragma once

#include <string>

namespace uplinkd {

// Under RuntimeDirectory=uplinkd, writable with the unit's ProtectSystem=strict; the daemon's default too.
inline constexpr const char* kDefaultSocket = "/run/uplinkd/uplinkd.sock";
// The default before 0.2 (docs/operations.md, "Upgrading"): a daemon started by the older unit, still
// running during an upgrade, answers only there. Tried when the new path does not exist; to be dropped
// in the release after.
inline constexpr const char* kLegacySocket = "/run/uplinkd.sock";

// kDefaultSocket, or kLegacySocket when only that one exists.
std::string default_socket(bool default_exists, bool legacy_exists);
// The same, looking at the file system.
std::string default_socket();

}  // namespace uplinkd
