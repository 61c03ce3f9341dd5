// SPDX-License-Identifier: GPL-2.0-or-later
// The one way uplinkd reads a file at a path it was given (its config, the rt_tables file, the saved leases,
// dhclient's hooks): a FIFO or a device there would block open() or read() — in the daemon, for ever — and
// /dev/zero behind a symlink would never end. So the file is opened without blocking, checked on the
// descriptor (not the path, which may change in between) to be a regular file, and read up to a limit.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

namespace uplinkd {

class FileReadError : public std::runtime_error {
 public:
  // `problem` reads after the file's name: "is a FIFO, not a regular file".
  FileReadError(const std::string& path, std::string problem, bool is_directory = false);
  const std::string& problem() const { return problem_; }
  bool is_directory() const { return is_directory_; }

 private:
  std::string problem_;
  bool is_directory_;
};

// The content of `path`, or nullopt when nothing is there (ENOENT). Throws FileReadError ("PATH: PROBLEM")
// when it is not a regular file, is larger than `max_bytes` (also when it grows past them while read), or
// cannot be opened or read.
std::optional<std::string> read_regular_file(const std::string& path, size_t max_bytes);

}  // namespace uplinkd
