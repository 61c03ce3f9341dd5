// SPDX-License-Identifier: GPL-2.0-or-later
// The one way uplinkd replaces a file it owns (the saved leases, its rt_tables names): a reader, or the
// machine after a crash or power loss, sees the old content or the new one, never a part or an empty file.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace uplinkd {

// Writes `text` to a temporary file in the same directory (".NAME.XXXXXX": a leading dot and no suffix, so
// that iproute2's rt_tables.d and "*.conf" readers skip it), fsyncs it, renames it over `path` and fsyncs the
// directory, so that the rename itself survives a crash. Creates missing parent directories. A replaced
// file keeps its mode; a new one gets `mode`. Throws std::system_error naming the path; on failure the old
// file is untouched and no temporary file is left behind.
void write_file_atomically(const std::string& path, std::string_view text, mode_t mode = 0644);

}  // namespace uplinkd
