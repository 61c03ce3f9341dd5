// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/unprivileged_spawn.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace uplinkd {
namespace {

// What the child reports through the pipe when a step fails; nothing is written when execve succeeds.
struct ChildFailure {
  int step;
  int error;
};

// Indexed by ChildFailure::step. Empty for execve: its errno (ENOENT, EACCES, ENOEXEC) says it all.
constexpr const char* kSteps[] = {
    "opening /dev/null",     "setting the process group", "clearing ambient capabilities",
    "dropping capabilities", "setting no_new_privs",      ""};

[[noreturn]] void child_fails(int pipe_out, int step) {
  ChildFailure failure{step, errno};
  ssize_t ignored = ::write(pipe_out, &failure, sizeof failure);
  (void)ignored;
  ::_exit(127);
}

// The child of fork(). The daemon may have other threads (fork copies only this one, and any lock another
// held stays locked), so only async-signal-safe calls from here to execve: raw syscalls and prctl, no
// allocation (everything the child needs was computed before the fork), no libcap-ng (it allocates and
// reads /proc).
[[noreturn]] void run_child(int pipe_out, char* const* argv, char* const* envp) {
  for (int signal = 1; signal < NSIG; ++signal) {
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(signal, &default_action, nullptr);  // fails for SIGKILL, SIGSTOP and glibc's own: fine
  }
  int null = ::open("/dev/null", O_RDONLY);
  if (null < 0) child_fails(pipe_out, 0);
  if (null != STDIN_FILENO) {
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  // The daemon's other descriptors (netlink, the control socket) are none of the program's business;
  // close-on-exec rather than closed, so the pipe still reports a failed execve.
  ::syscall(SYS_close_range, STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
  if (::setpgid(0, 0) != 0) child_fails(pipe_out, 1);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) child_fails(pipe_out, 2);
  // Empty inheritable, permitted and effective sets. Lowering needs no capability.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capset, &header, none) != 0) child_fails(pipe_out, 3);
  // A uid-0 execve gives the program the whole bounding set, and the bounding set cannot be narrowed here
  // (that needs CAP_SETPCAP, which the daemon dropped at start). no_new_privs closes it: with it, execve
  // intersects the new permitted set with the old one, now empty (security/commoncap.c,
  // cap_bprm_creds_from_file), for this execve and every later one, setuid programs included.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fails(pipe_out, 4);
  sigset_t none_blocked;
  sigemptyset(&none_blocked);
  ::sigprocmask(SIG_SETMASK, &none_blocked, nullptr);
  ::execve(argv[0], argv, envp);
  child_fails(pipe_out, 5);
}

std::vector<char*> c_strings(const std::vector<std::string>& words) {
  std::vector<char*> pointers;
  for (const auto& word : words) pointers.push_back(const_cast<char*>(word.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

SpawnResult spawn_unprivileged(const std::vector<std::string>& argv,
                               const std::vector<std::string>& environment) {
  auto argv_pointers = c_strings(argv);
  auto environment_pointers = c_strings(environment);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return {-1, errno, "creating a pipe"};
  // Every signal blocked across fork: a handler of the daemon's must not run in the child before the child
  // has reset it. The child unblocks them just before execve.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  pid_t pid = ::fork();
  if (pid == 0) run_child(report[1], argv_pointers.data(), environment_pointers.data());
  int fork_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    return {-1, fork_error, "fork"};
  }
  // End of file: the execve succeeded and closed the pipe. A ChildFailure: it did not.
  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(report[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got <= 0) return {pid, 0, ""};
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (got != sizeof failure || failure.step < 0 || failure.step > 5) return {-1, EIO, "starting the program"};
  return {-1, failure.error, kSteps[failure.step]};
}

}  // namespace uplinkd
