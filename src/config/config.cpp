// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/config.hpp"

#include <optional>

#include "common/regular_file.hpp"
#include "config/format.hpp"
#include "config/validate.hpp"

namespace uplinkd {

std::string_view families_name(IpFamilies families) {
  switch (families) {
    case IpFamilies::both:
      return "both";
    case IpFamilies::v4:
      return "ipv4";
    case IpFamilies::v6:
      return "ipv6";
  }
  return "unknown";
}

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::flow:
      return "flow";
    case Mode::resilient:
      return "resilient";
    case Mode::connection:
      return "connection";
    case Mode::packet:
      return "packet";
  }
  return "unknown";
}

const UplinkConfig* Config::find_uplink(std::string_view name) const {
  for (const auto& uplink : uplinks)
    if (uplink.name == name) return &uplink;
  return nullptr;
}

const UplinkConfig* Config::find_uplink_by_interface(std::string_view interface) const {
  for (const auto& uplink : uplinks)
    if (uplink.interface == interface) return &uplink;
  return nullptr;
}

Config parse_config(const std::string& text, const std::string& path) {
  detail::Problems problems;
  auto raw = detect_format(text) == ConfigFormat::dhcp_lb ? detail::read_dhcp_lb(text, path, problems)
                                                          : detail::read_toml(text, path, problems);
  // What could not be read comes first: validating around it would report its consequences instead.
  problems.throw_first();
  return detail::validate(raw);
}

namespace {

// A config is a few KiB; anything near this is not one (or is /dev/zero behind a symlink).
constexpr size_t kMaxConfigBytes = 1024 * 1024;

std::string read_config_file(const std::string& path) {
  std::optional<std::string> text;
  try {
    text = read_regular_file(path, kMaxConfigBytes);
  } catch (const FileReadError& error) {
    throw InputError({path}, "the config file " + error.problem(),
                     error.is_directory()
                         ? "give the path of the file itself"
                         : "give the path of uplinkd's config file, a regular file it may read");
  }
  if (!text)
    throw InputError({path}, "cannot open the config file: No such file or directory",
                     "check the path given with -c");
  return *text;
}

}  // namespace

Config load_config(const std::string& path) {
  return parse_config(read_config_file(path), path);
}

}  // namespace uplinkd
