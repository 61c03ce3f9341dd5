// The validated configuration. load_config() is the only way to make one, so every Config in the program
// has passed validation as a whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/ip.hpp"

namespace uplinkd {

enum class Mode { flow, resilient, connection, packet };
enum class GatewayKind { automatic, fixed, none };  // "auto", an address, "none" (a direct link)
enum class OnExit { flush, keep };                   // what a clean shutdown leaves in the kernel

std::string_view mode_name(Mode mode);

struct HealthConfig {
  std::vector<std::string> targets;  // probe targets; empty = no probing, the uplink counts as healthy
  double interval_s = 0.25;
  double timeout_s = 0.5;
  int down_after = 3;
  int up_after = 3;
};

struct UplinkConfig {
  std::string name;
  std::string interface;
  uint32_t table = 0;
  std::string table_name;  // written to the rt_tables file; empty = no name
  uint16_t weight = 1;     // 1..256
  uint32_t tier = 1;       // lower is preferred
  GatewayKind gateway_kind = GatewayKind::automatic;
  std::optional<IpAddress> gateway;  // set when gateway_kind == fixed
  bool masquerade = false;
  HealthConfig health;
  SourceLocation where;  // where the uplink is defined, for messages about it at run time
};

struct Config {
  std::string path;
  Mode mode = Mode::flow;
  std::vector<Prefix> destinations{Prefix::default_route(Family::v4)};
  std::string socket = "/run/uplinkd.sock";
  std::string rt_tables = "/etc/iproute2/rt_tables.d/uplinkd.conf";
  std::string state_file = "/var/lib/uplinkd/state.json";  // learned gateways survive a restart here
  uint32_t balance_table = 1000;       // holds the balanced destinations
  std::string balance_table_name = "uplinkd-balance";
  std::optional<int> multipath_hash_policy;  // net.ipv4.fib_multipath_hash_policy, only when configured
  uint16_t resilient_buckets = 128;
  uint32_t resilient_idle_timer_s = 120;
  OnExit on_exit = OnExit::flush;
  std::vector<UplinkConfig> uplinks;

  const UplinkConfig* find_uplink(std::string_view name) const;
  const UplinkConfig* find_uplink_by_interface(std::string_view interface) const;
};

// Reads, detects the format (TOML, or dhcp-lb's `interface table-name table-id weight` lines), parses and
// validates. Throws InputError with `file:line:col` for the first problem found.
Config load_config(const std::string& path);
Config parse_config(const std::string& text, const std::string& path);  // same, from text already read

}  // namespace uplinkd
