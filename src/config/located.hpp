// SPDX-License-Identifier: GPL-2.0-or-later
// What the format readers hand to validation: each setting as written, with where it was written, so that
// one validator serves both formats and every message points at the offending text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace uplinkd::detail {

template <class T>
struct Located {
  std::optional<T> value;  // nullopt: not written, the default applies
  SourceLocation where;

  bool given() const { return value.has_value(); }
};

using LocatedStrings = std::vector<Located<std::string>>;

struct RawHealth {
  Located<LocatedStrings> targets;
  Located<double> interval;
  Located<double> timeout;
  Located<std::string> timing;
  Located<double> min_timeout;
  Located<int64_t> down_after;
  Located<int64_t> up_after;
  Located<int64_t> min_up;
  Located<double> max_loss;
  Located<double> max_rtt;
  Located<double> window;
  Located<double> hold_down;
};

struct RawUplink {
  SourceLocation where;  // the [[uplink]] header, or the dhcp-lb line
  Located<std::string> name;
  Located<std::string> interface;
  Located<int64_t> table;
  Located<std::string> table_name;
  Located<int64_t> weight;
  Located<int64_t> tier;
  Located<std::string> family;
  Located<std::string> gateway;
  Located<std::string> gateway6;
  Located<int64_t> accept_ra;
  Located<bool> masquerade;
  Located<bool> mptcp;
  RawHealth health;
};

struct RawRule {
  SourceLocation where;  // the [[rule]] header
  Located<std::string> src;
  Located<std::string> dst;
  Located<std::variant<std::string, int64_t>> proto;
  Located<std::variant<std::string, int64_t>> dport;
  Located<std::string> iif;
  Located<bool> exclude;
  Located<LocatedStrings> uplinks;
  Located<std::string> mode;
};

struct RawConfig {
  std::string path;
  Located<std::string> mode;
  Located<std::string> family;
  Located<LocatedStrings> destinations;
  Located<std::string> socket;
  Located<std::string> rt_tables;
  Located<std::string> state_file;
  Located<int64_t> balance_table;
  Located<std::string> balance_table_name;
  Located<std::variant<std::string, int64_t>> multipath_hash_policy;
  Located<std::string> on_exit;
  Located<LocatedStrings> on_change;  // a string is read as an argv of one
  Located<double> on_change_timeout;
  Located<int64_t> resilient_buckets;
  Located<int64_t> resilient_idle_timer;
  Located<LocatedStrings> exclude;
  Located<int64_t> tcp_max_reordering;
  Located<double> sticky_timeout;
  Located<std::string> nptv6;
  Located<bool> mptcp;
  Located<std::string> web_listen;  // [web]
  Located<bool> web_allow_remote;
  std::vector<RawUplink> uplinks;
  std::vector<RawRule> rules;
};

}  // namespace uplinkd::detail
