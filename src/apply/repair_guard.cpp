// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/repair_guard.hpp"

namespace uplinkd {

std::string object_name(const KernelObject& object) {
  const std::string described = describe(Change{ChangeKind::add, object});
  return described.substr(described.find(' ') + 1);
}

void RepairGuard::forget_quiet(BackoffTime now) {
  for (auto it = objects_.begin(); it != objects_.end();)
    it = now - it->second.last_repair >= kRepairQuietPeriod ? objects_.erase(it) : std::next(it);
}

const ContestedObject* RepairGuard::allow(const std::string& object, const std::string& by, BackoffTime now) {
  forget_quiet(now);
  auto [it, fresh] = objects_.try_emplace(object);
  ContestedObject& entry = it->second;
  if (fresh) {
    entry.object = object;
    entry.first_repair = now;
  } else if (now < entry.next_allowed) {
    return nullptr;
  }
  entry.by = by;
  ++entry.repairs;
  entry.last_repair = now;
  entry.next_allowed = now + kRepairBackoff.delay(entry.repairs);
  return &entry;
}

std::optional<BackoffTime> RepairGuard::next_allowed(const std::vector<std::string>& held) const {
  std::optional<BackoffTime> next;
  for (const auto& object : held) {
    auto it = objects_.find(object);
    if (it != objects_.end() && (!next || it->second.next_allowed < *next)) next = it->second.next_allowed;
  }
  return next;
}

std::vector<ContestedObject> RepairGuard::contested(BackoffTime now) {
  forget_quiet(now);
  std::vector<ContestedObject> list;
  for (const auto& [name, entry] : objects_) list.push_back(entry);
  return list;
}

}  // namespace uplinkd
