// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/hook_reasons.hpp"

#include <array>

#include "sources/hook_fields.hpp"

namespace uplinkd {
namespace {

using enum LeaseChange;

// dhclient-script(8) and Debian's /sbin/dhclient-script. TIMEOUT is listed as `ignore` here, but
// parse_dhclient() turns it into up or down: dhclient hands the script an old lease, and keeps it only if
// the script exits 0 (Debian's script pings the first router; on failure it flushes the address and
// exits 2). The exit hook sees that verdict in $exit_status.
constexpr std::array kDhclient{
    HookReason{"BOUND", up},
    HookReason{"RENEW", up},
    HookReason{"REBIND", up},
    HookReason{"REBOOT", up},
    HookReason{"EXPIRE", down},
    HookReason{"FAIL", down},
    HookReason{"RELEASE", down},
    HookReason{"STOP", down},
    HookReason{"TIMEOUT", ignore},
    HookReason{"PREINIT", ignore},
    HookReason{"MEDIUM", ignore},
    HookReason{"ARPCHECK", ignore},
    HookReason{"ARPSEND", ignore},
    HookReason{"NBI", ignore},
    // DHCPv6, one call per binding (hook_event.hpp, reports_whole_lease6). DEPREF6: the binding's preferred
    // lifetime is over; like a deprecated address, a deprecated delegated prefix keeps its rule, for the
    // connections that go on from it, until EXPIRE6. REBOOT6 is in dhclient-script(8), though 4.4 never
    // gives it.
    HookReason{"PREINIT6", ignore, Family::v6},
    HookReason{"BOUND6", up, Family::v6},
    HookReason{"RENEW6", up, Family::v6},
    HookReason{"REBIND6", up, Family::v6},
    HookReason{"REBOOT6", up, Family::v6},
    HookReason{"DEPREF6", ignore, Family::v6},
    HookReason{"EXPIRE6", down, Family::v6},
    HookReason{"RELEASE6", down, Family::v6},
    HookReason{"STOP6", down, Family::v6},
};

// dhcpcd-run-hooks(8), dhcpcd 9.4. TIMEOUT: "failed to contact any DHCP servers but was able to use an old
// lease", so the lease is current. NAK: "should be treated as EXPIRE". NOCARRIER: dhcpcd drops the address;
// NOCARRIER_ROAMING keeps it, so nothing changes. IPV4LL (169.254/16) is never an uplink.
constexpr std::array kDhcpcd{
    HookReason{"BOUND", up},
    HookReason{"RENEW", up},
    HookReason{"REBIND", up},
    HookReason{"REBOOT", up},
    HookReason{"STATIC", up},
    HookReason{"TIMEOUT", up},
    HookReason{"EXPIRE", down},
    HookReason{"NAK", down},
    HookReason{"NOCARRIER", down},
    HookReason{"RELEASE", down},
    HookReason{"STOP", down},
    HookReason{"STOPPED", down},
    HookReason{"DEPARTED", down},
    HookReason{"FAIL", down},
    HookReason{"PREINIT", ignore},
    HookReason{"CARRIER", ignore},
    HookReason{"NOCARRIER_ROAMING", ignore},
    HookReason{"INFORM", ignore},
    HookReason{"IPV4LL", ignore},
    HookReason{"3RDPARTY", ignore},
    HookReason{"RECONFIGURE", ignore},
    HookReason{"TEST", ignore},
    // DHCPv6 (dhcpcd 9.4's dhcp6.c): every call carries the whole lease. TIMEOUT6: no server answered and
    // dhcpcd goes on with its old lease. EXPIRE6 also comes when the carrier goes, RELEASE6 after `dhcpcd
    // -k`. DELEGATED6 is called for the downstream interface that got an address from a delegated prefix, not
    // for the uplink (whose own call lists the prefix). ROUTERADVERT and STATIC6: addresses and routers that
    // the kernel reports itself.
    HookReason{"BOUND6", up, Family::v6},
    HookReason{"RENEW6", up, Family::v6},
    HookReason{"REBIND6", up, Family::v6},
    HookReason{"REBOOT6", up, Family::v6},
    HookReason{"TIMEOUT6", up, Family::v6},
    HookReason{"EXPIRE6", down, Family::v6},
    HookReason{"RELEASE6", down, Family::v6},
    HookReason{"STOP6", down, Family::v6},
    HookReason{"INFORM6", ignore, Family::v6},
    HookReason{"DELEGATED6", ignore, Family::v6},
    HookReason{"UNKNOWN6", ignore, Family::v6},
    HookReason{"STATIC6", ignore, Family::v6},
    HookReason{"ROUTERADVERT", ignore, Family::v6},
};

// busybox udhcpc (networking/udhcp/dhcpc.c): the script's $1. After a NAK udhcpc itself runs `deconfig`
// when it held a lease, so `nak` needs no action of its own; `leasefail` means no lease was obtained, and
// any lease held before was already given up with `deconfig`.
constexpr std::array kUdhcpc{
    HookReason{"bound", up},         HookReason{"renew", up},   HookReason{"deconfig", down},
    HookReason{"leasefail", ignore}, HookReason{"nak", ignore},
};

}  // namespace

std::span<const HookReason> hook_reasons(DhcpClient client) {
  switch (client) {
    case DhcpClient::dhclient:
      return kDhclient;
    case DhcpClient::dhcpcd:
      return kDhcpcd;
    case DhcpClient::udhcpc:
      return kUdhcpc;
  }
  return {};
}

std::optional<LeaseChange> hook_reason_change(DhcpClient client, std::string_view reason) {
  for (const auto& known : hook_reasons(client))
    if (known.reason == reason) return known.change;
  return std::nullopt;
}

std::optional<Family> hook_reason_family(DhcpClient client, std::string_view reason) {
  for (const auto& known : hook_reasons(client))
    if (known.reason == reason) return known.family;
  return std::nullopt;
}

}  // namespace uplinkd

namespace uplinkd::hook {

LeaseChange known_reason(DhcpClient client, std::string_view variable, std::string_view reason) {
  if (auto change = hook_reason_change(client, reason)) return *change;
  std::string known;
  for (const auto& entry : hook_reasons(client))
    known += (known.empty() ? "" : ", ") + std::string(entry.reason);
  fail(variable, quoted(reason) + " is not a reason " + std::string(to_string(client)) + " gives",
       "known: " + known);
}

}  // namespace uplinkd::hook
