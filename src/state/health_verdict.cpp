// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/health_verdict.hpp"

namespace uplinkd {

std::string_view health_name(Health health) {
  switch (health) {
    case Health::unconfigured:
      return "unconfigured";
    case Health::probing:
      return "probing";
    case Health::up:
      return "up";
    case Health::degraded:
      return "degraded";
    case Health::down:
      return "down";
  }
  return "?";
}

HealthVerdict followed_verdict(const HealthVerdict& other, Family other_family) {
  if (other.state == Health::unconfigured) return other;
  const std::string family = other_family == Family::v4 ? "IPv4" : "IPv6";
  return {other.state, "as " + family + (other.reason.empty() ? "" : ": " + other.reason)};
}

}  // namespace uplinkd
