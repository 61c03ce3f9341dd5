// SPDX-License-Identifier: GPL-2.0-or-later
// The two config formats uplinkd reads, and the rule that tells them apart.
#pragma once

#include <string>
#include <string_view>

#include "config/located.hpp"
#include "config/problems.hpp"

namespace uplinkd {

enum class ConfigFormat { toml, dhcp_lb };

// dhcp-lb when the first line that is neither blank nor a `#` comment has no '=' and no '[': every TOML
// document that sets anything has one of the two on that line, and a dhcp-lb line (`eth0 table-eth0 200 1`)
// has neither. A file with no such line is TOML (and then fails for having no uplinks).
ConfigFormat detect_format(std::string_view text);

namespace detail {

// Each reader reports what it cannot read (syntax, types, unknown keys) to `problems` and leaves the meaning
// of the values to validate(). read_toml throws InputError at once for a TOML syntax error.
RawConfig read_toml(std::string_view text, const std::string& path, Problems& problems);
RawConfig read_dhcp_lb(std::string_view text, const std::string& path, Problems& problems);

}  // namespace detail
}  // namespace uplinkd
