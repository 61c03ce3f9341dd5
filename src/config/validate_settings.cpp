// SPDX-License-Identifier: GPL-2.0-or-later
// The settings outside [[uplink]]: what to balance, how, and where uplinkd keeps its files.
#include <cmath>
#include <set>

#include "config/limits.hpp"
#include "config/names.hpp"
#include "config/validate.hpp"

namespace uplinkd::detail {
namespace {

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

void check_mode(const Located<std::string>& raw, Config& config, Problems& problems) {
  if (!raw.given()) return;
  const auto& text = *raw.value;
  for (auto mode : {Mode::flow, Mode::resilient, Mode::connection, Mode::packet})
    if (mode_name(mode) == text) return void(config.mode = mode);
  problems.add(raw.where, "mode " + quoted(text) + " is not a mode",
               "use \"flow\", \"resilient\", \"connection\" or \"packet\"");
}

void check_family(const RawConfig& raw, Config& config, Problems& problems) {
  if (auto families = checked_families(raw.family, problems)) config.families = *families;
}

void check_on_exit(const Located<std::string>& raw, Config& config, Problems& problems) {
  if (!raw.given()) return;
  if (*raw.value == "flush")
    config.on_exit = OnExit::flush;
  else if (*raw.value == "keep")
    config.on_exit = OnExit::keep;
  else
    problems.add(raw.where, "on_exit " + quoted(*raw.value) + " is not a choice",
                 "use \"flush\" (remove uplinkd's routes on exit) or \"keep\" (leave them)");
}

void check_hash_policy(const Located<std::variant<std::string, int64_t>>& raw, Config& config,
                       Problems& problems) {
  if (!raw.given()) return;
  constexpr const char* kHint =
      "use \"l3\", \"l4\", \"l3-inner\" or 0–3 (net.ipv4.fib_multipath_hash_policy)";
  if (const auto* number = std::get_if<int64_t>(&*raw.value)) {
    if (*number < 0 || *number > 3)
      problems.add(raw.where, "multipath_hash_policy " + std::to_string(*number) + " is out of range", kHint);
    else
      config.multipath_hash_policy = static_cast<int>(*number);
    return;
  }
  const auto& text = std::get<std::string>(*raw.value);
  if (text == "l3")
    config.multipath_hash_policy = 0;
  else if (text == "l4")
    config.multipath_hash_policy = 1;
  else if (text == "l3-inner")
    config.multipath_hash_policy = 2;
  else
    problems.add(raw.where, "multipath_hash_policy " + quoted(text) + " is not a policy", kHint);
}

// `what` names one item in messages ("destination", "exclude"). Nullopt, with the problem added, when the
// list is unusable as a whole; bad items are reported and left out.
std::optional<std::vector<Prefix>> checked_prefixes(std::string_view key, std::string_view what,
                                                    const Located<LocatedStrings>& raw, Problems& problems) {
  if (!raw.given()) return std::nullopt;
  if (raw.value->empty()) {
    problems.add(raw.where, std::string(key) + " is empty",
                 "list the prefixes, e.g. [\"default\"], or leave the key out");
    return std::nullopt;
  }
  std::vector<Prefix> prefixes;
  std::set<Prefix> seen;
  for (const auto& item : *raw.value) {
    auto prefix = checked_prefix(what, item, problems);
    if (!prefix) continue;
    if (!seen.insert(*prefix).second) {
      problems.add(item.where, std::string(what) + " " + quoted(*item.value) + " is listed twice",
                   "list each prefix once");
      continue;
    }
    prefixes.push_back(*prefix);
  }
  return prefixes;
}

// After check_family: destinations not given are the default routes of the families balanced; one given of a
// family left out is a mistake.
void check_destinations(const Located<LocatedStrings>& raw, Config& config, Problems& problems) {
  auto balanced = [&](const Prefix& prefix) { return carries(config.families, prefix.family()); };
  if (!raw.given()) {
    std::erase_if(config.destinations, [&](const Prefix& prefix) { return !balanced(prefix); });
    return;
  }
  auto destinations = checked_prefixes("destinations", "destination", raw, problems);
  if (!destinations) return;
  for (const auto& item : *raw.value) {
    auto prefix = Prefix::parse(*item.value);
    if (prefix && !balanced(*prefix))
      problems.add(item.where,
                   "destination " + quoted(*item.value) +
                       (prefix->family() == Family::v4 ? " is IPv4" : " is IPv6") +
                       ", but family = " + quoted(families_name(config.families)),
                   "leave it out, or set family = \"both\"");
  }
  std::erase_if(*destinations, [&](const Prefix& prefix) { return !balanced(prefix); });
  config.destinations = std::move(*destinations);
}

void check_exclude(const Located<LocatedStrings>& raw, Config& config, Problems& problems) {
  auto excluded = checked_prefixes("exclude", "exclude", raw, problems);
  if (!excluded) return;
  config.exclude = std::move(*excluded);  // either family: each is matched as its own
}

void check_tcp_max_reordering(const Located<int64_t>& raw, Config& config, Problems& problems) {
  if (!raw.given()) return;
  if (*raw.value < 3 || *raw.value > config_limits::kMaxTcpReordering)
    problems.add(raw.where, "tcp_max_reordering " + std::to_string(*raw.value) + " is out of range",
                 "use 3–" + std::to_string(config_limits::kMaxTcpReordering) +
                     " (packets; the kernel's default is 300)");
  else
    config.tcp_max_reordering = static_cast<int>(*raw.value);
}

// After check_mode: stickiness is a property of connection mode's choice.
void check_sticky_timeout(const Located<double>& raw, Config& config, Problems& problems) {
  if (!raw.given()) return;
  const auto limit = std::to_string(config_limits::kMaxStickyTimeout);
  if (!std::isfinite(*raw.value) || *raw.value < 1 || *raw.value > config_limits::kMaxStickyTimeout)
    problems.add(raw.where, "sticky_timeout must be 1–" + limit + " seconds",
                 "it is in seconds, e.g. sticky_timeout = 600; leave it out for no stickiness");
  else if (config.mode != Mode::connection)
    problems.add(raw.where, "sticky_timeout only applies to mode \"connection\"",
                 "set mode = \"connection\", or remove sticky_timeout");
  else
    config.sticky_timeout_s = *raw.value;
}

void check_path(std::string_view key, const Located<std::string>& raw, std::string& target,
                Problems& problems) {
  if (!raw.given()) return;
  if (raw.value->empty())
    problems.add(raw.where, std::string(key) + " is empty",
                 "give a file path, or leave the key out for the default");
  else
    target = *raw.value;
}

void check_balance_table(const RawConfig& raw, Config& config, Problems& problems) {
  if (raw.balance_table.given()) {
    // Only uplink tables feed nexthop ids; the balance table may be any table the kernel allows.
    if (auto complaint = check_table_id("balance_table", *raw.balance_table.value, UINT32_MAX))
      problems.add(raw.balance_table.where, complaint->what, complaint->hint);
    else
      config.balance_table = static_cast<uint32_t>(*raw.balance_table.value);
  }
  if (raw.balance_table_name.given()) {
    if (auto complaint = check_table_name(*raw.balance_table_name.value))
      problems.add(raw.balance_table_name.where, complaint->what, complaint->hint);
    else
      config.balance_table_name = *raw.balance_table_name.value;
  }
}

void check_resilient(const RawConfig& raw, Config& config, Problems& problems) {
  if (const auto& buckets = raw.resilient_buckets; buckets.given()) {
    if (*buckets.value < 1 || *buckets.value > 65535)
      problems.add(buckets.where, "buckets " + std::to_string(*buckets.value) + " is out of range",
                   "buckets must be 1–65535; a few per unit of total weight spreads traffic evenly");
    else
      config.resilient_buckets = static_cast<uint16_t>(*buckets.value);
  }
  if (const auto& idle = raw.resilient_idle_timer; idle.given()) {
    if (*idle.value < 0 || *idle.value > config_limits::kMaxIdleTimer)
      problems.add(idle.where, "idle_timer " + std::to_string(*idle.value) + " is out of range",
                   "idle_timer is in seconds, 0–" + std::to_string(config_limits::kMaxIdleTimer));
    else
      config.resilient_idle_timer_s = static_cast<uint32_t>(*idle.value);
  }
}

// Only the form is checked, not that the program exists: it may be installed after the config is written
// (or checked with --check on another machine), and it could vanish after any check anyway. A failure to run
// it is logged with every change, naming it.
void check_on_change(const Located<LocatedStrings>& raw, Config& config, Problems& problems) {
  if (!raw.given()) return;
  constexpr const char* kExample = "e.g. on_change = \"/usr/local/bin/uplink-changed\"";
  if (raw.value->empty()) {
    problems.add(
        raw.where, "on_change is empty",
        "give the program to run and its arguments, " + std::string(kExample) + ", or leave the key out");
    return;
  }
  bool ok = true;
  const auto& program = raw.value->front();
  if (program.value->empty()) {
    problems.add(program.where, "on_change program is empty",
                 "give its absolute path, " + std::string(kExample));
    ok = false;
  } else if (program.value->front() != '/') {
    auto name = program.value->substr(program.value->find_last_of('/') + 1);
    problems.add(program.where, "on_change program " + quoted(*program.value) + " is not an absolute path",
                 "uplinkd runs it without a shell and does not search PATH: write the full path, e.g. " +
                     quoted("/usr/local/bin/" + (name.empty() ? "uplink-changed" : name)));
    ok = false;
  }
  // An argv is handed to execve(2) as C strings, which would silently end at a NUL that TOML lets through.
  for (const auto& word : *raw.value) {
    if (word.value->find('\0') == std::string::npos) continue;
    problems.add(word.where, "on_change contains a NUL character (\\u0000)",
                 "a program's arguments cannot hold one; remove it");
    ok = false;
  }
  if (!ok) return;
  config.on_change.clear();
  for (const auto& word : *raw.value) config.on_change.push_back(*word.value);
}

void check_on_change_timeout(const Located<double>& raw, Config& config, Problems& problems) {
  if (!raw.given()) return;
  if (std::isfinite(*raw.value) && *raw.value > 0 && *raw.value <= config_limits::kMaxOnChangeTimeout)
    config.on_change_timeout_s = *raw.value;
  else
    problems.add(raw.where, "on_change_timeout must be more than 0 and at most 3600 seconds",
                 "it is in seconds, e.g. on_change_timeout = 10");
}

}  // namespace

std::optional<IpFamilies> checked_families(const Located<std::string>& raw, Problems& problems) {
  if (!raw.given()) return std::nullopt;
  for (auto families : {IpFamilies::both, IpFamilies::v4, IpFamilies::v6})
    if (families_name(families) == *raw.value) return families;
  problems.add(raw.where, "family " + quoted(*raw.value) + " is not a choice",
               "use \"both\" (IPv4 and IPv6, the default), \"ipv4\" or \"ipv6\"");
  return std::nullopt;
}

void check_settings(const RawConfig& raw, Config& config, Problems& problems) {
  config.path = raw.path;
  check_mode(raw.mode, config, problems);
  check_family(raw, config, problems);
  check_on_exit(raw.on_exit, config, problems);
  check_hash_policy(raw.multipath_hash_policy, config, problems);
  check_destinations(raw.destinations, config, problems);
  check_exclude(raw.exclude, config, problems);
  check_tcp_max_reordering(raw.tcp_max_reordering, config, problems);
  check_sticky_timeout(raw.sticky_timeout, config, problems);
  check_path("socket", raw.socket, config.socket, problems);
  check_path("rt_tables", raw.rt_tables, config.rt_tables, problems);
  check_path("state_file", raw.state_file, config.state_file, problems);
  check_balance_table(raw, config, problems);
  check_resilient(raw, config, problems);
  check_on_change(raw.on_change, config, problems);
  check_on_change_timeout(raw.on_change_timeout, config, problems);
  if (raw.mptcp.given()) config.mptcp = *raw.mptcp.value;
}

}  // namespace uplinkd::detail
