// SPDX-License-Identifier: GPL-2.0-or-later
// The validated configuration. load_config() is the only way to make one, so every Config in the program
// has passed validation as a whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/ip.hpp"
#include "common/traffic_match.hpp"

namespace uplinkd {

enum class Mode { flow, resilient, connection, packet };
enum class GatewayKind { automatic, fixed, none };  // "auto", an address, "none" (a direct link)
enum class OnExit { flush, keep };                  // what a clean shutdown leaves in the kernel
// The address families an uplink is balanced for (`family`: "both", "ipv4", "ipv6"); at the top level, the
// default for every uplink and for `destinations`.
enum class IpFamilies { both, v4, v6 };

std::string_view mode_name(Mode mode);
std::string_view families_name(IpFamilies families);  // as the config writes it
inline bool carries(IpFamilies families, Family family) {
  return families == IpFamilies::both || (families == IpFamilies::v4) == (family == Family::v4);
}

// What a probe goes to: `icmp` (an echo to the address), `tcp` (a connect to address:port; a refusal counts
// as an answer), `arp` (an ARP request for the uplink's gateway on its own link: proves the gateway is alive
// there, nothing beyond it; src/sources/probe_arp.hpp).
// arp asks the uplink's IPv4 gateway, ndp (a neighbour solicitation) its IPv6 router: each is its family's
// way to see that the next hop is alive on the link.
struct HealthTarget {
  enum class Kind { icmp, tcp, arp, ndp };
  Kind kind = Kind::icmp;
  std::optional<IpAddress> address;  // icmp, tcp; empty for arp and ndp (the uplink's gateway or router)
  uint16_t port = 0;                 // tcp only
  bool operator==(const HealthTarget&) const = default;
};

// "1.1.1.1", "tcp:1.1.1.1:443", "tcp:[2606:4700::1111]:443", "arp", "ndp"; nullopt when the text is none.
std::optional<HealthTarget> parse_health_target(std::string_view text);
std::string to_string(const HealthTarget& target);  // the form parse_health_target() reads
// The family a target probes: its address's; arp is IPv4's, ndp IPv6's.
Family target_family(const HealthTarget& target);

// How long a round waits for its answers. `adaptive`: a timeout from each target's measured RTT (between
// min_timeout and timeout), and after a failed round the next one at once (a confirmation burst). `fixed`:
// every round waits `timeout`, rounds only every interval (uplinkd 0.1's behaviour).
enum class ProbeTiming { adaptive, fixed };
constexpr int kDownAfterAdaptive = 4;
constexpr int kDownAfterFixed = 3;

// Defaults and the arithmetic behind them: docs/health.md. In short: a silent upstream is down within
// interval + down_after * max(min_timeout, SRTT + 4 RTTVAR) = 0.68 s on links under ~60 ms RTT, a probe
// stream stays under 1 kbit/s per target while the uplink answers, and a link losing 30 % of its probes
// raises false alarms less often than with the fixed timing of uplinkd 0.1 (5.2 h -> 8 days, 3 targets).
struct HealthConfig {
  std::vector<HealthTarget> targets;  // empty = no probing, the uplink counts as healthy
  double interval_s = 0.36;           // between rounds; 44-byte echoes at this rate are 978 bit/s
  double timeout_s = 0.4;             // a later answer counts as lost; adaptive timing's ceiling
  ProbeTiming timing = ProbeTiming::adaptive;
  double min_timeout_s = 0.08;             // adaptive timing's floor
  int down_after = kDownAfterAdaptive;     // failed rounds in a row that take the uplink down
  int up_after = 5;                        // good rounds in a row that bring it back
  int min_up = 1;                          // targets that must answer for a round to be good (the quorum)
  std::optional<double> max_loss_percent;  // over `window`; beyond it the uplink is degraded
  std::optional<double> max_rtt_ms;        // average over `window`; beyond it the uplink is degraded
  double window_s = 10;                    // the sliding window for loss, RTT and jitter
  double hold_down_s = 10;                 // flap damping: the first hold; doubles per flap; 0 = none
  bool operator==(const HealthConfig&) const = default;
};

// Each family of an uplink has a verdict of its own, from its own targets (docs/health.md): the settings with
// only `family`'s targets. min_up counts within the family, and a family with fewer targets than min_up
// needs all of its own to answer.
HealthConfig health_of_family(const HealthConfig& health, Family family);

struct UplinkConfig {
  std::string name;
  std::string interface;
  uint32_t table = 0;
  std::string table_name;                  // written to the rt_tables file; empty = no name
  uint16_t weight = 1;                     // 1..256
  uint32_t tier = 1;                       // lower is preferred
  IpFamilies families = IpFamilies::both;  // the top-level `family` unless the uplink sets its own
  GatewayKind gateway_kind = GatewayKind::automatic;
  std::optional<IpAddress> gateway;  // IPv4; set when gateway_kind == fixed
  // IPv6: "auto" learns the routers of the link's router advertisements (or a DHCPv6 client's default
  // route); a fixed one is often link-local (fe80::1), always used with the uplink's interface.
  GatewayKind gateway6_kind = GatewayKind::automatic;
  std::optional<IpAddress> gateway6;
  // net.ipv6.conf.IF.accept_ra, only when configured: a router (forwarding on) needs 2 to take RAs at all.
  std::optional<int> accept_ra;
  bool masquerade = false;
  // uplinkd keeps an MPTCP endpoint for each usable address of the uplink (src/plan/mptcp_endpoints.hpp);
  // the top-level `mptcp` unless the uplink sets its own.
  bool mptcp = false;
  HealthConfig health;
  SourceLocation where;  // where the uplink is defined, for messages about it at run time
};

// A traffic rule: what it matches (every given key must match; none given matches everything) and what it
// does. The first matching rule wins, in file order (docs/modes.md).
struct TrafficRule {
  TrafficMatch match;
  bool exclude = false;              // never balanced: routed by main, never marked
  std::vector<std::string> uplinks;  // names; empty = all of the mode's uplinks
  std::optional<Mode> mode;          // packet or connection; default: the global mode when that is one of
                                     // them, else connection
  SourceLocation where;              // the [[rule]] header
};

// Where the HTTP endpoint listens ([web] listen): /metrics, /api/status, /api/events and the status page.
struct WebEndpoint {
  static constexpr uint16_t kDefaultPort = 9470;  // when `listen` gives only an address
  IpAddress address;
  uint16_t port = kDefaultPort;
  std::string to_string() const;  // "127.0.0.1:9470", "[::1]:9470"
  bool operator==(const WebEndpoint&) const = default;
};

struct Config {
  std::string path;
  Mode mode = Mode::flow;
  IpFamilies families = IpFamilies::both;
  // Default: "default" and "default6", or the one of them that `family` leaves.
  std::vector<Prefix> destinations{Prefix::default_route(Family::v4), Prefix::default_route(Family::v6)};
  std::string socket = "/run/uplinkd/uplinkd.sock";  // under the unit's RuntimeDirectory=
  std::string rt_tables = "/etc/iproute2/rt_tables.d/uplinkd.conf";
  std::string state_file = "/var/lib/uplinkd/state.json";  // learned gateways survive a restart here
  uint32_t balance_table = 1000;                           // holds the balanced destinations
  std::string balance_table_name = "uplinkd-balance";
  std::optional<int> multipath_hash_policy;  // net.ipv4.fib_multipath_hash_policy, only when configured
  uint16_t resilient_buckets = 128;
  uint32_t resilient_idle_timer_s = 120;
  OnExit on_exit = OnExit::flush;
  // A program run (argv, no shell) when an uplink changes state; empty = none. argv[0] is an absolute path,
  // checked to be one but not to exist: it may be installed after the config is written, and a failure to
  // run it is logged each time (docs/configuration.md, "on_change").
  std::vector<std::string> on_change;
  double on_change_timeout_s = 10;  // then the program is killed, so a hung script cannot stall the next ones
  std::vector<Prefix> exclude;      // never balanced, in any mode
  std::vector<TrafficRule> rules;   // in file order
  std::optional<int> tcp_max_reordering;  // net.ipv4.tcp_max_reordering, only when configured
  double sticky_timeout_s = 0;            // connection mode: a source keeps its uplink this long; 0 = off
  // A LAN prefix (a ULA) that the masquerading uplinks translate to their delegated prefix, keeping the host
  // part, instead of masquerading it (docs/configuration.md, "nptv6").
  std::optional<Prefix> nptv6;
  std::optional<WebEndpoint> web;  // off unless [web] listen is given
  bool mptcp = false;              // the default of every uplink's `mptcp`
  std::vector<UplinkConfig> uplinks;

  const UplinkConfig* find_uplink(std::string_view name) const;
  const UplinkConfig* find_uplink_by_interface(std::string_view interface) const;
};

// Reads, detects the format (TOML, or dhcp-lb's `interface table-name table-id weight` lines), parses and
// validates. Throws InputError with `file:line:col` for the first problem found. The path must name a
// regular file of at most 1 MiB; anything else (a FIFO, a device, a directory) is refused without blocking.
Config load_config(const std::string& path);
Config parse_config(const std::string& text, const std::string& path);  // same, from text already read

}  // namespace uplinkd
