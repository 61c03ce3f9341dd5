// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a test body against the real kernel, but only inside a network namespace of its own: a forked child
// unshares its network namespace (which disappears with the child) before it touches anything, so the
// machine's ruleset, routes and sysctls are never seen or changed. Without CAP_SYS_ADMIN the test is skipped.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace uplinkd::testing {

inline constexpr int kSkip = 77;

inline ino_t network_namespace() {
  struct stat info {};
  if (stat("/proc/self/ns/net", &info) != 0) return 0;
  return info.st_ino;
}

// Runs `body` in a forked child inside a fresh network namespace. `body` returns "" on success or what went
// wrong; the parent turns that into a test failure.
inline void in_own_namespace(const std::function<std::string()>& body) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    ino_t before = network_namespace();
    // Both checks guard the machine's ruleset: no nftables call happens unless the namespace is new.
    if (unshare(CLONE_NEWNET) != 0) _exit(kSkip);
    if (before == 0 || network_namespace() == before) _exit(kSkip);
    std::string problems = body();
    if (write(pipe_fds[1], problems.data(), problems.size()) < 0) _exit(2);
    _exit(problems.empty() ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string problems;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) problems.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child died: " << status;
  if (WEXITSTATUS(status) == kSkip) GTEST_SKIP() << "cannot create a network namespace (needs CAP_SYS_ADMIN)";
  EXPECT_EQ(WEXITSTATUS(status), 0) << problems;
}

}  // namespace uplinkd::testing
