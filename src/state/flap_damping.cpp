// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/flap_damping.hpp"

#include <algorithm>

namespace uplinkd {

void FlapDamping::went_down(HealthTime now) {
  if (!last_up_) return;  // never up yet: failing from the start is not flapping
  const auto up_for = now - *last_up_;
  last_up_.reset();
  const auto forgiven = static_cast<int>(up_for / kFlapWindow);
  flaps_ = std::max(0, flaps_ - forgiven);
  if (up_for >= kFlapWindow) return;
  ++flaps_;
  if (base_ <= HealthDuration::zero()) return;
  const auto cap = std::max(kMaxHold, base_);
  HealthDuration hold = base_;
  for (int i = 1; i < flaps_ && hold < cap; ++i) hold *= 2;
  held_until_ = now + std::min(hold, cap);
}

}  // namespace uplinkd
