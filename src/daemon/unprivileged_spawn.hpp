// SPDX-License-Identifier: GPL-2.0-or-later
// Starts an `on_change` program with no capabilities at all, as posix_spawn would start it otherwise.
// posix_spawn cannot run code in the child, and the capabilities have to go there: the daemon keeps
// CAP_NET_ADMIN and CAP_NET_RAW, and a uid-0 execve would hand the child its whole bounding set.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace uplinkd {

struct SpawnResult {
  pid_t pid = -1;  // the child, unreaped, when error is 0
  int error = 0;   // errno of the step that failed (the child is reaped then)
  // That step, for the message: "fork", "dropping capabilities", ...; "" for execve itself, whose errno
  // (ENOENT, EACCES, ENOEXEC) says it all.
  const char* step = "";
};

// Runs argv[0] (an absolute path, no PATH search) with exactly `environment`, and:
// stdin /dev/null, stdout and stderr the daemon's, every other descriptor closed; every signal at its
// default and none blocked; its own process group (so a timeout can kill what it started); no
// capabilities in any set (inheritable, permitted, effective, ambient) and no_new_privs, so that neither
// this execve nor any later one can give it any. Like glibc's posix_spawn, it returns only once the child
// has called execve, and reports a failed execve as an error rather than an exit status.
SpawnResult spawn_unprivileged(const std::vector<std::string>& argv,
                               const std::vector<std::string>& environment);

}  // namespace uplinkd
