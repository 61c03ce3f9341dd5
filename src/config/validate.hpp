// SPDX-License-Identifier: GPL-2.0-or-later
// Turns what a reader found into a Config, checking the config as a whole: ranges, addresses, names, and
// that no two uplinks share a name, interface, table or table name.
#pragma once

#include "config/config.hpp"
#include "config/located.hpp"
#include "config/problems.hpp"

namespace uplinkd::detail {

// Throws InputError for the problem nearest the top of the file.
Config validate(const RawConfig& raw);

// The parts of validate(), each adding what is wrong to `problems` and leaving the default where a value
// is unusable, so later checks do not report the same mistake again.
void check_settings(const RawConfig& raw, Config& config, Problems& problems);

struct CheckedUplink {
  UplinkConfig uplink;
  SourceLocation name_at;  // the name, or the interface it defaults to
  SourceLocation interface_at;
  SourceLocation table_at;  // empty when the table is chosen by default
  SourceLocation table_name_at;
  bool name_ok = false;
  bool interface_ok = false;
  bool table_ok = false;  // an explicit table that passed its checks
  bool table_name_ok = false;
};
CheckedUplink check_uplink(const RawUplink& raw, Problems& problems);
void check_health(const RawHealth& raw, HealthConfig& health, Problems& problems);
// Once the uplink's families are known: each target must probe one of them.
void check_health_families(const Located<LocatedStrings>& raw, IpFamilies families, Problems& problems);

// `family` ("both", "ipv4", "ipv6"), at the top level or in an [[uplink]]; nullopt when not given or wrong.
std::optional<IpFamilies> checked_families(const Located<std::string>& raw, Problems& problems);

// After the uplinks: `nptv6` translates for the masquerading ones.
void check_nptv6(const Located<std::string>& raw, Config& config, Problems& problems);

// [web]: `listen` as "ADDR:PORT", "[IPV6]:PORT" or an address alone; off the loopback only with allow_remote.
void check_web(const RawConfig& raw, Config& config, Problems& problems);

// After the uplinks: a rule names them.
void check_rules(const RawConfig& raw, Config& config, Problems& problems);

// A prefix as written in `what` ("destination", "src"): parsed, and without host bits set (the kernel refuses
// those in routes and rules). Nullopt, with the problem added, otherwise.
std::optional<Prefix> checked_prefix(std::string_view what, const Located<std::string>& raw,
                                     Problems& problems);

}  // namespace uplinkd::detail
