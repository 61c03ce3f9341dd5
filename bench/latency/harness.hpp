// SPDX-License-Identifier: GPL-2.0-or-later
// What every latency path of converge_latency shares that is not about kernel objects: refusing the
// machine's own namespace, timing and percentiles, talking to uplinkd and starting it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace uplinkd::bench {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message);

template <class T>
T must(Expected<T> value, const std::string& what) {
  if (!value) die(what + ": " + value.error().message());
  return std::move(*value);
}

// The bench adds and deletes addresses and routes and starts uplinkd: it refuses the machine's own namespace.
void require_own_netns();

double ms(Clock::duration duration);

// One RESULT line for run.sh's table (tab-separated, milliseconds) and a summary on stderr.
void report(const std::string& name, int uplinks, std::vector<double> samples);

// A control request that must succeed.
nlohmann::json call(const std::string& socket, const nlohmann::json& request);

// Polls `status` until `ready` holds for every uplink and uplinkd says it converged; the daemon answers only
// between converges (one thread), so an answer also means it is idle.
void wait_all_uplinks(const std::string& socket, int uplinks,
                      const std::function<bool(const nlohmann::json&)>& ready, const std::string& what);

// fork/exec uplinkd with stdout and stderr appended to `log`.
pid_t start_daemon(const std::vector<std::string>& command, const std::string& log);

}  // namespace uplinkd::bench
