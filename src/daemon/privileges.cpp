// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/privileges.hpp"

#include <cap-ng.h>
#include <sys/prctl.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace uplinkd {
namespace {

constexpr int kSetPcap = 8;  // CAP_SETPCAP: only it lets a process narrow its bounding set

// linux/capability.h's names, by number, as /proc/PID/status and capsh print them.
constexpr std::array<const char*, 41> kNames{"CAP_CHOWN",
                                             "CAP_DAC_OVERRIDE",
                                             "CAP_DAC_READ_SEARCH",
                                             "CAP_FOWNER",
                                             "CAP_FSETID",
                                             "CAP_KILL",
                                             "CAP_SETGID",
                                             "CAP_SETUID",
                                             "CAP_SETPCAP",
                                             "CAP_LINUX_IMMUTABLE",
                                             "CAP_NET_BIND_SERVICE",
                                             "CAP_NET_BROADCAST",
                                             "CAP_NET_ADMIN",
                                             "CAP_NET_RAW",
                                             "CAP_IPC_LOCK",
                                             "CAP_IPC_OWNER",
                                             "CAP_SYS_MODULE",
                                             "CAP_SYS_RAWIO",
                                             "CAP_SYS_CHROOT",
                                             "CAP_SYS_PTRACE",
                                             "CAP_SYS_PACCT",
                                             "CAP_SYS_ADMIN",
                                             "CAP_SYS_BOOT",
                                             "CAP_SYS_NICE",
                                             "CAP_SYS_RESOURCE",
                                             "CAP_SYS_TIME",
                                             "CAP_SYS_TTY_CONFIG",
                                             "CAP_MKNOD",
                                             "CAP_LEASE",
                                             "CAP_AUDIT_WRITE",
                                             "CAP_AUDIT_CONTROL",
                                             "CAP_SETFCAP",
                                             "CAP_MAC_OVERRIDE",
                                             "CAP_MAC_ADMIN",
                                             "CAP_SYSLOG",
                                             "CAP_WAKE_ALARM",
                                             "CAP_BLOCK_SUSPEND",
                                             "CAP_AUDIT_READ",
                                             "CAP_PERFMON",
                                             "CAP_BPF",
                                             "CAP_CHECKPOINT_RESTORE"};

bool has(CapabilityMask mask, int capability) {
  return (mask >> capability) & 1;
}

std::optional<CapabilityMask> parse_hex(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  CapabilityMask value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

CapabilitySets read_own_status() {
  std::ifstream file("/proc/self/status");
  std::stringstream text;
  text << file.rdbuf();
  auto sets = parse_status_capabilities(text.str());
  if (!sets) throw std::runtime_error("cannot read the capability sets from /proc/self/status");
  return *sets;
}

void apply(capng_select_t which, const char* what) {
  int result = capng_apply(which);
  if (result != 0)
    throw std::runtime_error(std::string("cannot drop capabilities: setting the ") + what +
                             " failed (libcap-ng error " + std::to_string(result) + ")");
}

}  // namespace

CapabilitySets least_privilege(const CapabilitySets& now) {
  CapabilitySets target;
  target.permitted = now.permitted & kKeptCapabilities;
  target.effective = target.permitted;
  // Without CAP_SETPCAP (under systemd, whose CapabilityBoundingSet= already narrowed it) the bounding set
  // stays as it is; no_new_privs still keeps an execve from gaining any of it.
  target.bounding = has(now.effective, kSetPcap) ? now.bounding & kKeptCapabilities : now.bounding;
  target.no_new_privs = true;
  return target;
}

std::optional<CapabilitySets> parse_status_capabilities(std::string_view status) {
  struct Field {
    std::string_view name;
    CapabilityMask CapabilitySets::*member;
    bool seen = false;
  };
  std::array<Field, 5> fields{{{"CapInh:", &CapabilitySets::inheritable},
                               {"CapPrm:", &CapabilitySets::permitted},
                               {"CapEff:", &CapabilitySets::effective},
                               {"CapBnd:", &CapabilitySets::bounding},
                               {"CapAmb:", &CapabilitySets::ambient}}};
  CapabilitySets sets;
  while (!status.empty()) {
    auto end = status.find('\n');
    auto line = status.substr(0, end);
    status = end == std::string_view::npos ? std::string_view() : status.substr(end + 1);
    if (line.starts_with("NoNewPrivs:")) {
      auto value = parse_hex(line.substr(11));
      sets.no_new_privs = value && *value != 0;
      continue;
    }
    for (auto& field : fields) {
      if (!line.starts_with(field.name)) continue;
      auto value = parse_hex(line.substr(field.name.size()));
      if (!value) return std::nullopt;
      sets.*field.member = *value;
      field.seen = true;
    }
  }
  for (const auto& field : fields)
    if (!field.seen) return std::nullopt;
  return sets;
}

std::string capability_names(CapabilityMask mask) {
  std::string names;
  for (int capability = 0; capability < 64; ++capability) {
    if (!has(mask, capability)) continue;
    if (!names.empty()) names += ", ";
    names += capability < static_cast<int>(kNames.size()) ? std::string(kNames[capability])
                                                          : "cap_" + std::to_string(capability);
  }
  return names.empty() ? "none" : names;
}

DropOutcome drop_to_least_privilege() {
  DropOutcome outcome;
  outcome.before = read_own_status();
  const auto target = least_privilege(outcome.before);
  outcome.missing = kKeptCapabilities & ~outcome.before.permitted;

  capng_get_caps_process();
  capng_clear(CAPNG_SELECT_ALL);
  for (int capability = 0; capability < 64; ++capability) {
    if (has(target.permitted, capability))
      capng_update(CAPNG_ADD, static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
                   static_cast<unsigned>(capability));
    if (has(target.bounding, capability))
      capng_update(CAPNG_ADD, CAPNG_BOUNDING_SET, static_cast<unsigned>(capability));
  }
  // The bounding set first: narrowing it needs CAP_SETPCAP, which the next step drops.
  if (target.bounding != outcome.before.bounding) apply(CAPNG_SELECT_BOUNDS, "bounding set");
  apply(CAPNG_SELECT_CAPS, "permitted, effective and inheritable sets");
  if (outcome.before.ambient != 0) apply(CAPNG_SELECT_AMBIENT, "ambient set");
  // As the unit's NoNewPrivileges=yes: nothing uplinkd runs can gain privileges by execve (setuid, file
  // capabilities, or uid 0's implicit full set).
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error("cannot set no_new_privs: " + std::string(std::strerror(errno)));

  outcome.after = read_own_status();
  if (outcome.after != target)
    throw std::runtime_error("capabilities after the drop are not the expected ones: permitted " +
                             capability_names(outcome.after.permitted) + ", bounding " +
                             capability_names(outcome.after.bounding));
  return outcome;
}

}  // namespace uplinkd
