// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/change_notifier.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/unprivileged_spawn.hpp"

// glibc 2.36's <sys/pidfd.h> lacks __BEGIN_DECLS, so C++ would look for mangled names (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}

#include <cerrno>
#include <cstring>
#include <ctime>

namespace uplinkd {
namespace {

// Where a script finds the usual tools; the daemon's own PATH (under systemd, or a test's) is no guide.
constexpr const char* kPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

std::string seconds_text(std::chrono::milliseconds duration) {
  return fmt::format("{:g} s", static_cast<double>(duration.count()) / 1000);
}

std::string describe(const StateChange& change) {
  return fmt::format("uplink {} ({} -> {})", change.uplink, change.from, change.to);
}

// Waits for a child that has been sent SIGKILL; only the destructor blocks like this, and a killed process
// exits at once.
void reap_blocking(int pidfd) {
  siginfo_t info{};
  while (waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) < 0) {
    if (errno == EINTR) continue;
    if (errno != ECHILD) spdlog::error("on_change: cannot reap the killed program: {}", std::strerror(errno));
    return;
  }
}

}  // namespace

std::string iso8601_utc(std::chrono::system_clock::time_point at) {
  auto milliseconds = std::chrono::floor<std::chrono::milliseconds>(at).time_since_epoch().count();
  auto seconds = std::chrono::floor<std::chrono::seconds>(at);
  std::time_t whole = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  auto fraction = milliseconds -
                  std::chrono::duration_cast<std::chrono::milliseconds>(seconds.time_since_epoch()).count();
  return fmt::format("{}.{:03}Z", text, fraction);
}

std::vector<std::string> change_environment(const StateChange& change) {
  return {
      "UPLINKD_UPLINK=" + change.uplink,        "UPLINKD_FAMILY=" + change.family,
      "UPLINKD_INTERFACE=" + change.interface,  "UPLINKD_OLD_STATE=" + change.from,
      "UPLINKD_NEW_STATE=" + change.to,         "UPLINKD_REASON=" + change.reason,
      "UPLINKD_TIME=" + iso8601_utc(change.at), kPath,
  };
}

ChangeNotifier::ChangeNotifier(asio::io_context& io, std::vector<std::string> argv,
                               std::chrono::milliseconds timeout)
    : argv_(std::move(argv)), timeout_(timeout), pidfd_(io), deadline_(io) {}

ChangeNotifier::~ChangeNotifier() {
  if (run_) {
    spdlog::info("on_change: stopping {} for {}", run_->program, describe(run_->change));
    kill_running();
    // Asio made the pidfd non-blocking, and waitid() on a non-blocking pidfd returns EAGAIN instead of
    // waiting for the exit.
    std::error_code ignored;
    pidfd_.native_non_blocking(false, ignored);
    reap_blocking(pidfd_.native_handle());
  }
  if (!queue_.empty()) spdlog::info("on_change: {} queued changes not notified", queue_.size());
}

void ChangeNotifier::notify(const StateChange& change) {
  if (argv_.empty()) return;
  if (queue_.size() >= kMaxQueued) {
    if (dropped_++ == 0)
      spdlog::warn(
          "on_change: {} changes are waiting for {}; dropping the oldest ({}) and any more until it "
          "catches up",
          queue_.size(), argv_.front(), describe(queue_.front()));
    queue_.pop_front();
  }
  queue_.push_back(change);
  if (!run_) start_next();
}

void ChangeNotifier::set_program(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  argv_ = std::move(argv);
  timeout_ = timeout;
  if (argv_.empty()) queue_.clear();
}

void ChangeNotifier::start_next() {
  while (!run_ && !queue_.empty()) {
    auto change = std::move(queue_.front());
    queue_.pop_front();
    start(change);
  }
  if (queue_.empty() && dropped_ > 0) {
    spdlog::warn("on_change: dropped {} changes in all while {} was behind", dropped_,
                 argv_.empty() ? "the program" : argv_.front());
    dropped_ = 0;
  }
}

bool ChangeNotifier::start(const StateChange& change) {
  if (argv_.empty()) return false;
  auto argv = argv_;
  // Without capabilities, in its own process group, stdin /dev/null, no other descriptor of the daemon's
  // (a script's background child holding the control socket would keep it alive past a restart), signals
  // at their defaults (the daemon may ignore SIGPIPE, a script must not): unprivileged_spawn.hpp.
  auto spawned = spawn_unprivileged(argv, change_environment(change));
  if (spawned.error != 0) {
    std::string step = *spawned.step ? std::string(spawned.step) + ": " : "";
    spdlog::warn("on_change: cannot run {} for {}: {}{}{}", argv.front(), describe(change), step,
                 std::strerror(spawned.error), spawned.error == ENOEXEC ? " (a script needs a #! line)" : "");
    return false;
  }
  pid_t pid = spawned.pid;
  // The child stays unreaped until we wait for it, so its pid cannot be reused between the spawn and here.
  int pidfd = pidfd_open(pid, 0);
  std::error_code watch_error;
  if (pidfd < 0)
    watch_error.assign(errno, std::system_category());
  else
    pidfd_.assign(pidfd, watch_error);
  if (watch_error) {
    spdlog::error("on_change: cannot watch {} (pid {}) for {}: {}; killing it", argv.front(), pid,
                  describe(change), watch_error.message());
    ::kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (pidfd >= 0) ::close(pidfd);
    return false;
  }
  run_ = Run{next_serial_++, change, argv.front(), pid, std::chrono::steady_clock::now(), timeout_, false};
  wait_for_exit();
  deadline_.expires_after(timeout_);
  deadline_.async_wait(
      [this, alive = std::weak_ptr<char>(alive_), serial = run_->serial](const std::error_code& error) {
        if (!alive.expired()) on_deadline(serial, error);
      });
  spdlog::debug("on_change: started {} (pid {}) for {}", argv.front(), pid, describe(change));
  return true;
}

void ChangeNotifier::wait_for_exit() {
  pidfd_.async_wait(
      asio::posix::stream_descriptor::wait_read,
      [this, alive = std::weak_ptr<char>(alive_), serial = run_->serial](const std::error_code& error) {
        if (!alive.expired()) on_readable(serial, error);
      });
}

void ChangeNotifier::on_readable(uint64_t serial, const std::error_code& error) {
  if (!run_ || run_->serial != serial || error == asio::error::operation_aborted) return;
  siginfo_t info{};
  if (waitid(P_PIDFD, static_cast<id_t>(pidfd_.native_handle()), &info, WEXITED | WNOHANG) < 0) {
    if (errno == EINTR) return wait_for_exit();
    // ECHILD: someone else reaped it (SIGCHLD ignored, or a waitpid(-1) elsewhere); it is gone all the same.
    spdlog::debug("on_change: waitid for {} failed: {}", run_->program, std::strerror(errno));
  } else if (info.si_pid == 0) {
    return wait_for_exit();  // not exited yet; a pidfd is readable only on exit, but be sure
  }
  finish(info);
}

void ChangeNotifier::on_deadline(uint64_t serial, const std::error_code& error) {
  if (!run_ || run_->serial != serial || error == asio::error::operation_aborted) return;
  spdlog::warn("on_change: {} for {} did not finish within {}; killing it", run_->program,
               describe(run_->change), seconds_text(run_->timeout));
  run_->timed_out = true;
  kill_running();  // its exit then arrives through the pidfd, and the next change starts from there
}

void ChangeNotifier::finish(const siginfo_t& info) {
  auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - run_->started);
  auto what = run_->program + " for " + describe(run_->change);
  if (info.si_pid == 0 || run_->timed_out)
    spdlog::debug("on_change: {} ended after {} ms", what, elapsed.count());
  else if (info.si_code == CLD_EXITED && info.si_status == 0)
    spdlog::debug("on_change: {} finished in {} ms", what, elapsed.count());
  else if (info.si_code == CLD_EXITED)
    spdlog::warn("on_change: {} exited with status {}", what, info.si_status);
  else
    spdlog::warn("on_change: {} was killed by signal {} ({})", what, info.si_status,
                 strsignal(info.si_status));
  deadline_.cancel();
  std::error_code ignored;
  pidfd_.close(ignored);
  run_.reset();
  start_next();
}

void ChangeNotifier::kill_running() {
  // By pidfd, never by pid or name: the pidfd names this child even if it has exited. The group's id is the
  // child's pid, which cannot be reused while the child is unreaped, so killing the group reaches only what
  // the program started (a script's `sleep`) and did not move elsewhere.
  if (pidfd_send_signal(pidfd_.native_handle(), SIGKILL, nullptr, 0) < 0 && errno != ESRCH)
    spdlog::error("on_change: cannot kill {} (pid {}): {}", run_->program, run_->pid, std::strerror(errno));
  ::kill(-run_->pid, SIGKILL);
}

}  // namespace uplinkd
