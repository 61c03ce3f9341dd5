// SPDX-License-Identifier: GPL-2.0-or-later
// `uplinkctl status` for people: the daemon's status response as an aligned table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace uplinkd {

std::string render_status_table(const nlohmann::json& status);

}  // namespace uplinkd
