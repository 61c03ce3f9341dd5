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

}  // namespace uplinkd
