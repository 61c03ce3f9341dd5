// SPDX-License-Identifier: GPL-2.0-or-later
// GET /: one self-contained HTML file (src/web/status_page.html) that reads /api/status and /api/events.
#pragma once

#include <string_view>

namespace uplinkd {

std::string_view status_page_html();

}  // namespace uplinkd
