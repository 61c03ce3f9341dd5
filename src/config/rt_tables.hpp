// SPDX-License-Identifier: GPL-2.0-or-later
// Writes uplinkd's table names into an iproute2 rt_tables file, so `ip route show table uplinkd-eth0` works,
// without disturbing anything else in that file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uplinkd {

using TableNames = std::vector<std::pair<uint32_t, std::string>>;  // id, name

// Ends every line uplinkd writes; lines without it belong to someone else and are kept byte for byte.
inline constexpr std::string_view kRtTablesMarker = "# uplinkd";

struct TableNamesUpdate {
  std::string text;  // the file's new content
  // Names not written because an unmarked line already gives them another id: writing them too would make
  // the name ambiguous to iproute2. For the caller to log; "NAME is table ID in PATH".
  std::vector<std::string> conflicts;
};

// The pure part: `existing` without uplinkd's old lines, plus a marked `ID NAME` line for each name that is
// not already there unmarked with the same id.
TableNamesUpdate merge_table_names(std::string_view existing, const TableNames& names);

struct TableNamesResult {
  bool rewritten = false;  // false when the file already said exactly this
  std::vector<std::string> conflicts;
};

// Replaces the file with write_file_atomically() (common/atomic_file.hpp), and leaves it untouched when
// nothing would change. Throws FileReadError (common/regular_file.hpp) when the file there is not a regular
// file of at most 1 MiB, std::system_error when it cannot be written; both name the path.
TableNamesResult write_table_names(const std::string& path, const TableNames& names);

}  // namespace uplinkd
