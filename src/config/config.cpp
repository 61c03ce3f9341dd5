#include "config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/format.hpp"
#include "config/validate.hpp"

namespace uplinkd {

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::flow:
      return "flow";
    case Mode::resilient:
      return "resilient";
    case Mode::connection:
      return "connection";
    case Mode::packet:
      return "packet";
  }
  return "unknown";
}

const UplinkConfig* Config::find_uplink(std::string_view name) const {
  for (const auto& uplink : uplinks)
    if (uplink.name == name) return &uplink;
  return nullptr;
}

const UplinkConfig* Config::find_uplink_by_interface(std::string_view interface) const {
  for (const auto& uplink : uplinks)
    if (uplink.interface == interface) return &uplink;
  return nullptr;
}

Config parse_config(const std::string& text, const std::string& path) {
  detail::Problems problems;
  auto raw = detect_format(text) == ConfigFormat::dhcp_lb ? detail::read_dhcp_lb(text, path, problems)
                                                          : detail::read_toml(text, path, problems);
  // What could not be read comes first: validating around it would report its consequences instead.
  problems.throw_first();
  return detail::validate(raw);
}

namespace {

// A config is a few KiB; anything near this is not one (or is /dev/zero behind a symlink).
constexpr off_t kMaxConfigBytes = 1024 * 1024;

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Opened without blocking and checked on the descriptor itself (not the path, which may change in between):
// a FIFO would block open() and read() until a writer comes, which in the daemon means forever.
std::string read_config_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int error = errno;
    throw InputError({path}, std::string("cannot open the config file: ") + std::strerror(error),
                     "check the path given with -c and that uplinkd may read it");
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int error = errno;
    throw InputError({path}, std::string("cannot stat the config file: ") + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode))
    throw InputError({path}, "the config file is a directory", "give the path of the file itself");
  if (!S_ISREG(info.st_mode))
    throw InputError({path}, "the config file is " + file_kind(info.st_mode) + ", not a regular file",
                     "give the path of a regular file");
  if (info.st_size > kMaxConfigBytes)
    throw InputError({path},
                     "the config file is " + std::to_string(info.st_size) +
                         " bytes, more than the limit of " + std::to_string(kMaxConfigBytes / 1024) + " KiB",
                     "give the path of uplinkd's config file");
  std::string text;
  char chunk[16384];
  // The size is checked again while reading: a file that grows meanwhile is still cut off at the limit.
  while (text.size() <= static_cast<size_t>(kMaxConfigBytes)) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int error = errno;
      throw InputError({path}, std::string("cannot read the config file: ") + std::strerror(error));
    }
    if (got == 0) return text;
    text.append(chunk, static_cast<size_t>(got));
  }
  throw InputError({path}, "the config file grew past the limit of " +
                               std::to_string(kMaxConfigBytes / 1024) + " KiB while it was read");
}

}  // namespace

Config load_config(const std::string& path) {
  return parse_config(read_config_file(path), path);
}

}  // namespace uplinkd
