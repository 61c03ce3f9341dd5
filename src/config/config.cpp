#include "config/config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/format.hpp"
#include "config/validate.hpp"

namespace uplinkd {

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

Config load_config(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw InputError({path}, "the config file is a directory", "give the path of the file itself");
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    int error = errno;
    throw InputError({path}, std::string("cannot open the config file: ") + std::strerror(error),
                     "check the path given with -c and that uplinkd may read it");
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw InputError({path}, "cannot read the config file", "check that it is a regular file");
  return parse_config(text.str(), path);
}

}  // namespace uplinkd
