// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace uplinkd {
namespace {

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

std::string limit_text(size_t max_bytes) {
  return max_bytes % 1024 == 0 ? std::to_string(max_bytes / 1024) + " KiB"
                               : std::to_string(max_bytes) + " bytes";
}

}  // namespace

FileReadError::FileReadError(const std::string& path, std::string problem, bool is_directory)
    : std::runtime_error(path + ": " + problem), problem_(std::move(problem)), is_directory_(is_directory) {}

std::optional<std::string> read_regular_file(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw FileReadError(path, std::string("cannot be opened: ") + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    throw FileReadError(path, std::string("cannot be read: ") + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw FileReadError(path, "is a directory", true);
  if (!S_ISREG(info.st_mode))
    throw FileReadError(path, "is " + file_kind(info.st_mode) + ", not a regular file");
  if (static_cast<size_t>(info.st_size) > max_bytes)
    throw FileReadError(path, "is " + std::to_string(info.st_size) + " bytes, more than the limit of " +
                                  limit_text(max_bytes));
  std::string text;
  char chunk[16384];
  while (text.size() <= max_bytes) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw FileReadError(path, std::string("cannot be read: ") + std::strerror(errno));
    if (got == 0) return text;
    text.append(chunk, static_cast<size_t>(got));
  }
  throw FileReadError(path, "grew past the limit of " + limit_text(max_bytes) + " while it was read");
}

}  // namespace uplinkd
