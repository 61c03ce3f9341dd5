// SPDX-License-Identifier: GPL-2.0-or-later
// `nptv6`: the LAN prefix the masquerading uplinks translate (docs/configuration.md, "nptv6").
#include "config/validate.hpp"

namespace uplinkd::detail {

void check_nptv6(const Located<std::string>& raw, Config& config, Problems& problems) {
  if (!raw.given()) return;
  auto prefix = checked_prefix("nptv6", raw, problems);
  if (!prefix) return;
  const std::string what = "nptv6 \"" + *raw.value + "\"";
  if (prefix->family() != Family::v6)
    return problems.add(
        raw.where, what + " is IPv4",
        "nptv6 is the IPv6 LAN prefix to translate, e.g. \"fd00:1::/64\"; IPv4 is masqueraded");
  if (prefix->length < 16)
    return problems.add(raw.where, what + " is wider than /16, wider than any LAN",
                        "give the LAN's own prefix, a ULA such as \"fd00:1::/64\"");
  // The rule `ip6 saddr PREFIX snat ip6 prefix to ...` must not catch what no LAN host is numbered from.
  if (auto problem = delegated_prefix_problem(*prefix))
    return problems.add(raw.where, what + " " + *problem,
                        "give the LAN's own prefix, a ULA such as \"fd00:1::/64\" (/16 to /128)");
  bool masquerading = false;
  for (const auto& uplink : config.uplinks)
    masquerading = masquerading || (uplink.masquerade && carries(uplink.families, Family::v6));
  if (!masquerading)
    return problems.add(raw.where, what + " needs an uplink that masquerades IPv6",
                        "set masquerade = true on the uplinks that should translate it (family \"both\" or "
                        "\"ipv6\")");
  config.nptv6 = *prefix;
}

}  // namespace uplinkd::detail
