// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace uplinkd {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path);
}

void write_all(int fd, std::string_view text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t written = ::write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) fail("cannot write", path);
    done += static_cast<size_t>(written);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view text, mode_t mode) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path directory = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) throw std::system_error(error, "cannot create the directory of " + path);

  std::string temp = (directory / ("." + target.filename().string() + ".XXXXXX")).string();
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) fail("cannot create a temporary file for", path);
  try {
    struct stat old {};
    if (::stat(path.c_str(), &old) == 0) mode = old.st_mode & 07777;
    if (::fchmod(fd, mode) != 0) fail("cannot set the mode of", temp);
    write_all(fd, text, temp);
    if (::fsync(fd) != 0) fail("cannot sync", temp);
    int closed = ::close(fd);
    fd = -1;
    if (closed != 0) fail("cannot close", temp);
    if (::rename(temp.c_str(), path.c_str()) != 0) fail("cannot replace", path);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  // The rename is durable only once the directory is on disk too.
  int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) fail("cannot open the directory of", path);
  int synced = ::fsync(dir_fd);
  ::close(dir_fd);
  if (synced != 0) fail("cannot sync the directory of", path);
}

}  // namespace uplinkd
