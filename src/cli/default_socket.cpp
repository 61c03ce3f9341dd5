// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/default_socket.hpp"

#include <sys/stat.h>

namespace uplinkd {

std::string default_socket(bool default_exists, bool legacy_exists) {
  return !default_exists && legacy_exists ? kLegacySocket : kDefaultSocket;
}

std::string default_socket() {
  struct stat ignored {};
  return default_socket(::stat(kDefaultSocket, &ignored) == 0, ::stat(kLegacySocket, &ignored) == 0);
}

}  // namespace uplinkd
