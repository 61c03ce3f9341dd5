// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/format.hpp"

namespace uplinkd {

ConfigFormat detect_format(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(start, end - start);
    start = end + 1;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    // A TOML comment may follow the content; only the content decides.
    auto content = line.substr(0, line.find('#'));
    bool tomlish = content.find('=') != std::string_view::npos || content.find('[') != std::string_view::npos;
    return tomlish ? ConfigFormat::toml : ConfigFormat::dhcp_lb;
  }
  return ConfigFormat::toml;
}

}  // namespace uplinkd
