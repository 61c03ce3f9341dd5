// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/probe_window.hpp"

#include <algorithm>

namespace uplinkd {

void ProbeWindow::sent(uint64_t seq, HealthTime now) {
  samples_.push_back({seq, now, std::nullopt, false});
  ++totals_.sent;
}

std::optional<HealthDuration> ProbeWindow::answered(uint64_t seq, HealthTime now, HealthDuration timeout) {
  auto sample =
      std::find_if(samples_.rbegin(), samples_.rend(), [&](const Sample& s) { return s.seq == seq; });
  if (sample == samples_.rend() || sample->done) return std::nullopt;
  sample->done = true;
  if (now - sample->sent > timeout) {  // late: lost, as the round already judged it
    ++totals_.lost;
    return std::nullopt;
  }
  sample->rtt = now - sample->sent;
  totals_.rtt_seconds.observe(std::chrono::duration<double>(*sample->rtt).count());
  return sample->rtt;
}

void ProbeWindow::advance(HealthTime now, HealthDuration timeout, HealthDuration window) {
  for (auto& sample : samples_)
    if (!sample.done && now - sample.sent >= timeout) {
      sample.done = true;
      ++totals_.lost;
    }
  while (!samples_.empty() && samples_.front().done && samples_.front().sent < now - window)
    samples_.pop_front();
}

ProbeStats ProbeWindow::stats(HealthTime since) const {
  ProbeStats stats;
  HealthDuration rtt_sum{};
  HealthDuration jitter_sum{};
  int answers = 0;
  int differences = 0;
  std::optional<HealthDuration> previous;
  for (const auto& sample : samples_) {
    if (!sample.done || sample.sent < since) continue;
    ++stats.samples;
    if (!sample.rtt) {
      ++stats.lost;
      continue;
    }
    ++answers;
    rtt_sum += *sample.rtt;
    if (previous) {
      jitter_sum += *sample.rtt > *previous ? *sample.rtt - *previous : *previous - *sample.rtt;
      ++differences;
    }
    previous = sample.rtt;
    stats.last_rtt = sample.rtt;
  }
  if (stats.samples > 0) stats.loss_percent = 100.0 * stats.lost / stats.samples;
  if (answers > 0) stats.rtt_avg = rtt_sum / answers;
  if (differences > 0) stats.jitter = jitter_sum / differences;
  return stats;
}

std::optional<HealthTime> ProbeWindow::next_timeout(HealthDuration timeout) const {
  for (const auto& sample : samples_)
    if (!sample.done) return sample.sent + timeout;  // sending order is time order
  return std::nullopt;
}

}  // namespace uplinkd
