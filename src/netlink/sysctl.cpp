// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace uplinkd::netlink {

namespace {

std::optional<std::string> resolve(std::string_view name, std::string_view root) {
  std::string relative(name);
  if (relative.find('/') == std::string::npos) std::replace(relative.begin(), relative.end(), '.', '/');
  if (relative.empty() || relative.front() == '/' || relative.find("..") != std::string::npos)
    return std::nullopt;
  return std::string(root) + "/" + relative;
}

std::string describe(std::string_view verb, std::string_view name) {
  return std::string(verb) + " sysctl " + std::string(name);
}

}  // namespace

Expected<std::string> read_sysctl(std::string_view name, std::string_view root) {
  const auto path = resolve(name, root);
  if (!path) return KernelError{describe("read", name), EINVAL, "not a sysctl name"};
  const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return KernelError{describe("read", name), errno, ""};
  std::string value;
  char chunk[256];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      return KernelError{describe("read", name), error, ""};
    }
    if (got == 0) break;
    value.append(chunk, static_cast<size_t>(got));
  }
  ::close(fd);
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

std::optional<KernelError> write_sysctl(std::string_view name, std::string_view value,
                                        std::string_view root) {
  const auto path = resolve(name, root);
  if (!path) return KernelError{describe("write", name), EINVAL, "not a sysctl name"};
  const int fd = ::open(path->c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return KernelError{describe("write", name), errno, ""};
  // The kernel parses a sysctl from a single write; a value split over writes would be read as two.
  const std::string text = std::string(value) + "\n";
  ssize_t written;
  do {
    written = ::write(fd, text.data(), text.size());
  } while (written < 0 && errno == EINTR);
  const int error = written < 0 ? errno : (static_cast<size_t>(written) != text.size() ? EIO : 0);
  ::close(fd);
  if (error) return KernelError{describe("write", name), error, "value " + std::string(value)};
  return std::nullopt;
}

}  // namespace uplinkd::netlink
