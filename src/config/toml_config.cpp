// SPDX-License-Identifier: GPL-2.0-or-later
// Reads the TOML format with toml++ into a RawConfig. Only the shape is checked here (known keys, value
// types); what the values mean is validate()'s job, shared with the dhcp-lb format.
#include <toml++/toml.h>

#include <array>
#include <span>

#include "config/format.hpp"
#include "config/suggest.hpp"

namespace uplinkd::detail {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::array<std::string_view, 21> kTopKeys = {"mode",
                                                       "family",
                                                       "destinations",
                                                       "socket",
                                                       "rt_tables",
                                                       "state_file",
                                                       "balance_table",
                                                       "balance_table_name",
                                                       "multipath_hash_policy",
                                                       "on_exit",
                                                       "on_change",
                                                       "on_change_timeout",
                                                       "resilient",
                                                       "exclude",
                                                       "tcp_max_reordering",
                                                       "sticky_timeout",
                                                       "nptv6",
                                                       "mptcp",
                                                       "uplink",
                                                       "rule",
                                                       "web"};
constexpr std::array<std::string_view, 2> kResilientKeys = {"buckets", "idle_timer"};
constexpr std::array<std::string_view, 2> kWebKeys = {"listen", "allow_remote"};
constexpr std::array<std::string_view, 13> kUplinkKeys = {
    "name",    "interface", "table",     "table_name", "weight", "tier",  "family",
    "gateway", "gateway6",  "accept_ra", "masquerade", "mptcp",  "health"};
constexpr std::array<std::string_view, 8> kRuleKeys = {"src", "dst",     "proto",   "dport",
                                                       "iif", "exclude", "uplinks", "mode"};
constexpr std::array<std::string_view, 12> kHealthKeys = {
    "targets",  "interval", "timeout",  "timing",  "min_timeout", "down_after",
    "up_after", "min_up",   "max_loss", "max_rtt", "window",      "hold_down"};

std::string_view type_phrase(toml::node_type type) {
  switch (type) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

class TomlReader {
 public:
  TomlReader(const std::string& path, Problems& problems) : path_(path), problems_(problems) {}

  RawConfig read(const toml::table& root) {
    RawConfig raw;
    raw.path = path_;
    check_keys(root, "the top level", kTopKeys);
    raw.mode = get<std::string>(root, "mode");
    raw.family = get<std::string>(root, "family");
    raw.destinations = strings(root, "destinations");
    raw.socket = get<std::string>(root, "socket");
    raw.rt_tables = get<std::string>(root, "rt_tables");
    raw.state_file = get<std::string>(root, "state_file");
    raw.balance_table = get<int64_t>(root, "balance_table");
    raw.balance_table_name = get<std::string>(root, "balance_table_name");
    raw.on_exit = get<std::string>(root, "on_exit");
    raw.on_change = argv(root, "on_change");
    raw.on_change_timeout = get<double>(root, "on_change_timeout");
    raw.multipath_hash_policy = string_or_integer(root, "multipath_hash_policy");
    raw.exclude = strings(root, "exclude");
    raw.tcp_max_reordering = get<int64_t>(root, "tcp_max_reordering");
    raw.sticky_timeout = get<double>(root, "sticky_timeout");
    raw.nptv6 = get<std::string>(root, "nptv6");
    raw.mptcp = get<bool>(root, "mptcp");
    if (const auto* resilient = table(root, "resilient", "a table ([resilient])")) {
      check_keys(*resilient, "[resilient]", kResilientKeys);
      raw.resilient_buckets = get<int64_t>(*resilient, "buckets");
      raw.resilient_idle_timer = get<int64_t>(*resilient, "idle_timer");
    }
    if (const auto* web = table(root, "web", "a table ([web])")) {
      check_keys(*web, "[web]", kWebKeys);
      raw.web_listen = get<std::string>(*web, "listen");
      raw.web_allow_remote = get<bool>(*web, "allow_remote");
    }
    read_uplinks(root, raw);
    read_rules(root, raw);
    return raw;
  }

 private:
  SourceLocation at(const toml::source_region& region) const {
    return {path_, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
  }

  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected) {
    problems_.add(at(node.source()),
                  std::string(key) + " must be " + std::string(expected) + ", not " +
                      std::string(type_phrase(node.type())),
                  "see docs/configuration.md for each key's type");
  }

  void check_keys(const toml::table& table, std::string_view section, Keys allowed) {
    for (auto&& [key, node] : table) {
      bool known = false;
      for (auto name : allowed) known = known || name == key.str();
      if (known) continue;
      std::string hint = "allowed keys: " + join(allowed);
      if (auto near = closest(key.str(), allowed); !near.empty())
        hint = "did you mean \"" + near + "\"? " + hint;
      problems_.add(at(key.source()),
                    "unknown key \"" + std::string(key.str()) + "\" in " + std::string(section), hint);
    }
  }

  template <class T>
  Located<T> get(const toml::table& table, std::string_view key) {
    Located<T> result;
    const auto* node = table.get(key);
    if (!node) return result;
    result.where = at(node->source());
    if constexpr (std::is_same_v<T, std::string>) {
      if (const auto* value = node->as_string()) result.value = value->get();
    } else if constexpr (std::is_same_v<T, int64_t>) {
      if (const auto* value = node->as_integer()) result.value = value->get();
    } else if constexpr (std::is_same_v<T, double>) {
      // A whole number of seconds is a number of seconds too.
      if (const auto* value = node->as_floating_point()) result.value = value->get();
      if (const auto* value = node->as_integer()) result.value = static_cast<double>(value->get());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (const auto* value = node->as_boolean()) result.value = value->get();
    }
    if (!result.value) wrong_type(key, *node, expected_phrase<T>());
    return result;
  }

  template <class T>
  static std::string_view expected_phrase() {
    if constexpr (std::is_same_v<T, std::string>) return "a string";
    if constexpr (std::is_same_v<T, int64_t>) return "an integer";
    if constexpr (std::is_same_v<T, double>) return "a number";
    if constexpr (std::is_same_v<T, bool>) return "true or false";
    return "something else";
  }

  Located<LocatedStrings> strings(const toml::table& table, std::string_view key) {
    Located<LocatedStrings> result;
    const auto* node = table.get(key);
    if (!node) return result;
    result.where = at(node->source());
    const auto* array = node->as_array();
    if (!array) {
      wrong_type(key, *node, "an array of strings");
      return result;
    }
    result.value.emplace();
    for (const auto& element : *array) {
      if (const auto* text = element.as_string())
        result.value->push_back({text->get(), at(element.source())});
      else
        wrong_type("each element of " + std::string(key), element, "a string");
    }
    return result;
  }

  Located<std::variant<std::string, int64_t>> string_or_integer(const toml::table& table,
                                                                std::string_view key) {
    Located<std::variant<std::string, int64_t>> result;
    const auto* node = table.get(key);
    if (!node) return result;
    result.where = at(node->source());
    if (const auto* text = node->as_string())
      result.value = text->get();
    else if (const auto* number = node->as_integer())
      result.value = number->get();
    else
      wrong_type(key, *node, "a string or an integer");
    return result;
  }

  // A command line: one string (the program alone) or an array (the program and its arguments).
  Located<LocatedStrings> argv(const toml::table& table, std::string_view key) {
    const auto* node = table.get(key);
    if (!node || node->is_array()) return strings(table, key);
    Located<LocatedStrings> result;
    const auto* text = node->as_string();
    if (!text) {
      wrong_type(key, *node, "a string or an array of strings");
      return result;
    }
    result.where = at(node->source());
    result.value = LocatedStrings{{text->get(), result.where}};
    return result;
  }

  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view expected) {
    const auto* node = parent.get(key);
    if (!node) return nullptr;
    if (const auto* found = node->as_table()) return found;
    wrong_type(key, *node, expected);
    return nullptr;
  }

  // `[[key]]` sections: calls `each` with every table, in file order.
  template <class Each>
  void read_sections(const toml::table& root, const std::string& key, Each each) {
    const auto* node = root.get(key);
    if (!node) return;
    const std::string hint = "write each " + key + " as a [[" + key + "]] table (double brackets)";
    const auto* array = node->as_array();
    if (!array) {
      problems_.add(at(node->source()),
                    key + " must be an array of tables, not " + std::string(type_phrase(node->type())), hint);
      return;
    }
    for (const auto& element : *array) {
      if (const auto* section = element.as_table())
        each(*section);
      else
        problems_.add(at(element.source()),
                      "each " + key + " must be a table, not " + std::string(type_phrase(element.type())),
                      hint);
    }
  }

  void read_uplinks(const toml::table& root, RawConfig& raw) {
    read_sections(root, "uplink",
                  [&](const toml::table& uplink) { raw.uplinks.push_back(read_uplink(uplink)); });
  }

  void read_rules(const toml::table& root, RawConfig& raw) {
    read_sections(root, "rule", [&](const toml::table& table) {
      RawRule rule;
      rule.where = at(table.source());
      check_keys(table, "[[rule]]", kRuleKeys);
      rule.src = get<std::string>(table, "src");
      rule.dst = get<std::string>(table, "dst");
      rule.proto = string_or_integer(table, "proto");
      rule.dport = string_or_integer(table, "dport");
      rule.iif = get<std::string>(table, "iif");
      rule.exclude = get<bool>(table, "exclude");
      rule.uplinks = strings(table, "uplinks");
      rule.mode = get<std::string>(table, "mode");
      raw.rules.push_back(std::move(rule));
    });
  }

  RawUplink read_uplink(const toml::table& table) {
    RawUplink raw;
    raw.where = at(table.source());
    check_keys(table, "[[uplink]]", kUplinkKeys);
    raw.name = get<std::string>(table, "name");
    raw.interface = get<std::string>(table, "interface");
    raw.table = get<int64_t>(table, "table");
    raw.table_name = get<std::string>(table, "table_name");
    raw.weight = get<int64_t>(table, "weight");
    raw.tier = get<int64_t>(table, "tier");
    raw.family = get<std::string>(table, "family");
    raw.gateway = get<std::string>(table, "gateway");
    raw.gateway6 = get<std::string>(table, "gateway6");
    raw.accept_ra = get<int64_t>(table, "accept_ra");
    raw.masquerade = get<bool>(table, "masquerade");
    raw.mptcp = get<bool>(table, "mptcp");
    if (const auto* health = this->table(table, "health", "a table ([uplink.health])")) {
      check_keys(*health, "[uplink.health]", kHealthKeys);
      raw.health.targets = strings(*health, "targets");
      raw.health.interval = get<double>(*health, "interval");
      raw.health.timeout = get<double>(*health, "timeout");
      raw.health.timing = get<std::string>(*health, "timing");
      raw.health.min_timeout = get<double>(*health, "min_timeout");
      raw.health.down_after = get<int64_t>(*health, "down_after");
      raw.health.up_after = get<int64_t>(*health, "up_after");
      raw.health.min_up = get<int64_t>(*health, "min_up");
      raw.health.max_loss = get<double>(*health, "max_loss");
      raw.health.max_rtt = get<double>(*health, "max_rtt");
      raw.health.window = get<double>(*health, "window");
      raw.health.hold_down = get<double>(*health, "hold_down");
    }
    return raw;
  }

  const std::string& path_;
  Problems& problems_;
};

}  // namespace

RawConfig read_toml(std::string_view text, const std::string& path, Problems& problems) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    throw InputError({path, static_cast<int>(begin.line), static_cast<int>(begin.column)},
                     "invalid TOML: " + std::string(error.description()),
                     "fix the syntax; a dhcp-lb file must not have '=' or '[' on its first line");
  }
  return TomlReader(path, problems).read(root);
}

}  // namespace uplinkd::detail
