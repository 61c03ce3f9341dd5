// SPDX-License-Identifier: GPL-2.0-or-later
// One [[uplink]] on its own. Whatever involves other uplinks (defaults that must not clash, duplicates) is
// in validate.cpp.
#include "config/limits.hpp"
#include "config/names.hpp"
#include "config/validate.hpp"

namespace uplinkd::detail {
namespace {

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// `gateway` (IPv4) or `gateway6` (IPv6): "auto", "none" or a router's address of that family.
void check_gateway(std::string_view key, Family family, const Located<std::string>& raw, GatewayKind& kind,
                   std::optional<IpAddress>& gateway, Problems& problems) {
  if (!raw.given()) return;
  const auto& text = *raw.value;
  if (text == "auto") return void(kind = GatewayKind::automatic);
  if (text == "none") return void(kind = GatewayKind::none);
  const std::string what = std::string(key) + " " + quoted(text);
  const char* family_text = family == Family::v4 ? "IPv4" : "IPv6";
  auto address = IpAddress::parse(text);
  if (!address || address->is_unspecified()) {
    problems.add(raw.where, what + " is not an " + family_text + " address",
                 "use \"auto\" (learn it from " +
                     std::string(family == Family::v4 ? "DHCP" : "router advertisements") +
                     " or the kernel), \"none\" (a direct link) or the router's " + family_text + " address");
    return;
  }
  if (address->family() != family) {
    problems.add(raw.where, what + " is not an " + family_text + " address",
                 family == Family::v4 ? "an IPv6 router goes in gateway6" : "an IPv4 router goes in gateway");
    return;
  }
  if (auto problem = gateway_problem(*address)) {
    problems.add(raw.where, what + " " + *problem + ", not a router's address",
                 "give the router's unicast address on the uplink's link, or \"auto\"");
    return;
  }
  kind = GatewayKind::fixed;
  gateway = *address;
}

template <class T>
void check_count(std::string_view key, const Located<int64_t>& raw, int64_t min, int64_t max,
                 std::string hint, T& target, Problems& problems) {
  if (!raw.given()) return;
  if (*raw.value < min || *raw.value > max)
    problems.add(raw.where, std::string(key) + " " + std::to_string(*raw.value) + " is out of range", hint);
  else
    target = static_cast<T>(*raw.value);
}

}  // namespace

CheckedUplink check_uplink(const RawUplink& raw, Problems& problems) {
  CheckedUplink checked;
  auto& uplink = checked.uplink;
  uplink.where = raw.where;

  if (!raw.interface.given()) {
    // A type error in `interface` was reported by the reader, which stops before validation.
    problems.add(raw.where, "uplink has no interface",
                 "add interface = \"eth0\" with its Linux interface name");
  } else if (!is_valid_interface_name(*raw.interface.value)) {
    problems.add(raw.interface.where,
                 "interface " + quoted(*raw.interface.value) + " is not a valid interface name",
                 "Linux interface names are 1–15 characters, without '/', ':' or whitespace");
  } else {
    uplink.interface = *raw.interface.value;
    checked.interface_ok = true;
  }
  checked.interface_at = raw.interface.given() ? raw.interface.where : raw.where;

  if (raw.name.given()) {
    checked.name_at = raw.name.where;
    if (is_valid_uplink_name(*raw.name.value)) {
      uplink.name = *raw.name.value;
      checked.name_ok = true;
    } else {
      problems.add(raw.name.where, "uplink name " + quoted(*raw.name.value) + " is not valid",
                   "use 1–32 of A-Z a-z 0-9 _ . -");
    }
  } else if (checked.interface_ok) {
    checked.name_at = raw.interface.where;
    if (is_valid_uplink_name(uplink.interface)) {
      uplink.name = uplink.interface;
      checked.name_ok = true;
    } else {
      problems.add(
          raw.interface.where,
          "interface " + quoted(uplink.interface) + " cannot be the uplink's name, as it is by default",
          "give the uplink a name of 1–32 of A-Z a-z 0-9 _ . -");
    }
  }

  if (raw.table.given()) {
    checked.table_at = raw.table.where;
    if (auto complaint = check_table_id("table", *raw.table.value, config_limits::kMaxUplinkTable)) {
      problems.add(raw.table.where, complaint->what, complaint->hint);
    } else {
      uplink.table = static_cast<uint32_t>(*raw.table.value);
      checked.table_ok = true;
    }
  }

  if (raw.table_name.given()) {
    checked.table_name_at = raw.table_name.where;
    if (auto complaint = check_table_name(*raw.table_name.value)) {
      problems.add(raw.table_name.where, complaint->what, complaint->hint);
    } else {
      uplink.table_name = *raw.table_name.value;
      checked.table_name_ok = true;
    }
  } else if (checked.name_ok) {
    // The name's alphabet keeps the default a valid table name.
    checked.table_name_at = checked.name_at;
    uplink.table_name = "uplinkd-" + uplink.name;
    checked.table_name_ok = true;
  }

  check_count("weight", raw.weight, 1, config_limits::kMaxWeight, "weight must be 1–256", uplink.weight,
              problems);
  check_count("tier", raw.tier, 0, UINT32_MAX, "tier must be 0 or more; lower tiers are used first",
              uplink.tier, problems);
  if (auto families = checked_families(raw.family, problems)) uplink.families = *families;
  check_gateway("gateway", Family::v4, raw.gateway, uplink.gateway_kind, uplink.gateway, problems);
  check_gateway("gateway6", Family::v6, raw.gateway6, uplink.gateway6_kind, uplink.gateway6, problems);
  check_count("accept_ra", raw.accept_ra, 0, 2,
              "accept_ra is the kernel's setting: 0 ignores router advertisements, 1 takes them unless "
              "forwarding is on, 2 takes them also on a router",
              uplink.accept_ra, problems);
  if (raw.masquerade.given()) uplink.masquerade = *raw.masquerade.value;
  if (raw.mptcp.given()) uplink.mptcp = *raw.mptcp.value;
  check_health(raw.health, uplink.health, problems);
  return checked;
}

}  // namespace uplinkd::detail
