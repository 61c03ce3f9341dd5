// SPDX-License-Identifier: GPL-2.0-or-later
// ChangeNotifier with real child processes (no networking). The configured programs are /bin/sh scripts
// only because that is the easiest way to write a test program; the notifier itself never uses a shell.
#include "daemon/change_notifier.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace uplinkd {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

StateChange change(std::string to, std::string uplink = "wan1") {
  return {uplink, "eth-" + uplink, "up", std::move(to), "carrier lost", std::chrono::system_clock::now()};
}

class ChangeNotifierTest : public ::testing::Test {
 protected:
  asio::io_context io;
  std::filesystem::path directory;
  std::ostringstream log;
  std::shared_ptr<spdlog::logger> saved_logger;

  void SetUp() override {
    directory = std::filesystem::temp_directory_path() /
                ("uplinkd-notify-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    saved_logger = spdlog::default_logger();
    auto logger =
        std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  void TearDown() override {
    spdlog::set_default_logger(saved_logger);
    std::filesystem::remove_all(directory);
  }

  std::string path(const std::string& name) const { return (directory / name).string(); }

  // Runs the loop until `done` holds; false if it does not within `deadline`. Each turn waits for the next
  // completion (at most 10 ms), so nothing here sleeps for a guessed time.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds deadline = 5s) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      io.restart();
      io.run_one_for(10ms);
    }
    return true;
  }
  bool run_until_idle(ChangeNotifier& notifier, std::chrono::milliseconds deadline = 5s) {
    return run_until([&] { return notifier.running() == 0 && notifier.queued() == 0; }, deadline);
  }

  // A program that appends its new state to `file`, one line per run.
  std::vector<std::string> appender(const std::string& file) const {
    return {"/bin/sh", "-c", "echo \"$UPLINKD_NEW_STATE\" >> \"$0\"", path(file)};
  }
};

TEST(Iso8601Utc, MillisecondsAndZulu) {
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  EXPECT_EQ(iso8601_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(system_clock::time_point{milliseconds(1718101230123)}), "2024-06-11T10:20:30.123Z");
  EXPECT_EQ(iso8601_utc(system_clock::time_point{milliseconds(-1)}), "1969-12-31T23:59:59.999Z");
  // Sub-millisecond parts are cut, not rounded up into the next second.
  EXPECT_EQ(iso8601_utc(system_clock::time_point{std::chrono::microseconds(1999999)}),
            "1970-01-01T00:00:01.999Z");
}

TEST(ChangeEnvironment, IsExactlyTheDocumentedVariables) {
  StateChange change{"dsl",
                     "ppp0",
                     "up",
                     "down",
                     "health: 3 rounds lost",
                     std::chrono::system_clock::time_point{std::chrono::milliseconds(1718101230123)}};
  EXPECT_THAT(change_environment(change),
              ElementsAre("UPLINKD_UPLINK=dsl", "UPLINKD_FAMILY=ipv4", "UPLINKD_INTERFACE=ppp0", "UPLINKD_OLD_STATE=up",
                          "UPLINKD_NEW_STATE=down", "UPLINKD_REASON=health: 3 rounds lost",
                          "UPLINKD_TIME=2024-06-11T10:20:30.123Z", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
}

TEST_F(ChangeNotifierTest, EnvironmentArrives) {
  ::setenv("UPLINKD_TEST_LEAK", "1", 1);       // the daemon's own environment must not reach the program
  int leaked = ::open("/dev/null", O_RDONLY);  // nor a descriptor it forgot to mark close-on-exec
  ASSERT_GE(leaked, 3);
  std::string script =
      "env > \"$0.env\"; readlink /proc/self/fd/0 > \"$0.stdin\"; ls /proc/self/fd > \"$0.fds\"";
  ChangeNotifier notifier(io, {"/bin/sh", "-c", script, path("out")}, 5000ms);
  StateChange reported{"dsl",
                       "ppp0",
                       "up",
                       "down",
                       "health: 3 rounds lost (1.1.1.1, 9.9.9.9)",
                       std::chrono::system_clock::time_point{std::chrono::milliseconds(1718101230123)}};
  notifier.notify(reported);
  EXPECT_EQ(notifier.running(), 1u) << "started at once";
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  ::close(leaked);
  ::unsetenv("UPLINKD_TEST_LEAK");

  std::map<std::string, std::string> environment;
  for (const auto& line : lines_of(read_file(path("out.env")))) {
    auto equals = line.find('=');
    if (equals != std::string::npos) environment[line.substr(0, equals)] = line.substr(equals + 1);
  }
  EXPECT_EQ(environment["UPLINKD_UPLINK"], "dsl");
  EXPECT_EQ(environment["UPLINKD_INTERFACE"], "ppp0");
  EXPECT_EQ(environment["UPLINKD_OLD_STATE"], "up");
  EXPECT_EQ(environment["UPLINKD_NEW_STATE"], "down");
  EXPECT_EQ(environment["UPLINKD_REASON"], "health: 3 rounds lost (1.1.1.1, 9.9.9.9)");
  EXPECT_EQ(environment["UPLINKD_TIME"], "2024-06-11T10:20:30.123Z");
  EXPECT_EQ(environment["PATH"], "/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ(environment.count("UPLINKD_TEST_LEAK"), 0u);
  EXPECT_EQ(read_file(path("out.stdin")), "/dev/null\n");
  // ls sees 0-2 and the directory it is listing (3); the leaked descriptor would be another.
  EXPECT_THAT(lines_of(read_file(path("out.fds"))), ElementsAre("0", "1", "2", "3"));
  EXPECT_THAT(log.str(), Not(HasSubstr("[warning]")));
}

TEST_F(ChangeNotifierTest, QuickChangesRunOneAtATimeInOrder) {
  ChangeNotifier notifier(io, appender("states"), 5000ms);
  for (const char* state : {"down", "up", "degraded", "up", "down"}) notifier.notify(change(state));
  EXPECT_EQ(notifier.running(), 1u);
  EXPECT_EQ(notifier.queued(), 4u);
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  EXPECT_THAT(lines_of(read_file(path("states"))), ElementsAre("down", "up", "degraded", "up", "down"));
}

TEST_F(ChangeNotifierTest, HungProgramIsKilledAfterItsTimeoutAndTheNextRuns) {
  std::string script =
      "if [ \"$UPLINKD_NEW_STATE\" = hang ]; then exec sleep 1000; fi; echo \"$UPLINKD_NEW_STATE\" >> \"$0\"";
  ChangeNotifier notifier(io, {"/bin/sh", "-c", script, path("states")}, 200ms);
  auto start = std::chrono::steady_clock::now();
  notifier.notify(change("hang"));
  notifier.notify(change("after"));
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 200ms);  // not before its timeout; that it was killed at it, the log line below says
  EXPECT_THAT(lines_of(read_file(path("states"))), ElementsAre("after"));
  EXPECT_THAT(log.str(),
              HasSubstr("on_change: /bin/sh for uplink wan1 (up -> hang) did not finish within 0.2 s; "
                        "killing it"));
}

TEST_F(ChangeNotifierTest, TimeoutAlsoKillsWhatTheScriptStarted) {
  // The script waits for a background child of its own; killing only the script would leave it running.
  std::string script = "sleep 1000 & echo $! > \"$0\"; wait";
  ChangeNotifier notifier(io, {"/bin/sh", "-c", script, path("pid")}, 200ms);
  notifier.notify(change("down"));
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  pid_t sleeper = std::atoi(read_file(path("pid")).c_str());
  ASSERT_GT(sleeper, 0);
  // Orphaned, it is reaped by init or a subreaper rather than by us; wait until it is gone or a zombie.
  auto gone = [&] {
    std::string stat = read_file("/proc/" + std::to_string(sleeper) + "/stat");
    return stat.empty() || stat.find(") Z ") != std::string::npos;
  };
  EXPECT_TRUE(run_until(gone, 2s)) << "sleep " << sleeper << " survived its script's timeout";
}

TEST_F(ChangeNotifierTest, MissingProgramIsLoggedAndTheNotifierGoesOn) {
  ChangeNotifier notifier(io, {"/nonexistent/uplinkd-test/notify", "--flag"}, 1000ms);
  notifier.notify(change("down"));
  notifier.notify(change("up"));
  EXPECT_EQ(notifier.running(), 0u);
  EXPECT_EQ(notifier.queued(), 0u);
  EXPECT_THAT(log.str(),
              HasSubstr("[warning] on_change: cannot run /nonexistent/uplinkd-test/notify for uplink "
                        "wan1 (up -> down): No such file or directory"));
  EXPECT_THAT(log.str(), HasSubstr("for uplink wan1 (up -> up)"));

  // The loop keeps running, and the notifier works again once the program exists.
  notifier.set_program(appender("states"), 1000ms);
  notifier.notify(change("down"));
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  EXPECT_THAT(lines_of(read_file(path("states"))), ElementsAre("down"));
}

TEST_F(ChangeNotifierTest, ScriptWithoutInterpreterLineIsExplained) {
  std::ofstream(path("script")) << "echo no shebang\n";
  std::filesystem::permissions(path("script"), std::filesystem::perms::owner_all);
  ChangeNotifier notifier(io, {path("script")}, 1000ms);
  notifier.notify(change("down"));
  EXPECT_THAT(log.str(), HasSubstr("Exec format error (a script needs a #! line)"));
}

TEST_F(ChangeNotifierTest, FailureExitAndSignalAreLogged) {
  std::string script = "[ \"$UPLINKD_NEW_STATE\" = down ] && exit 3; kill -TERM $$";
  ChangeNotifier notifier(io, {"/bin/sh", "-c", script}, 5000ms);
  notifier.notify(change("down", "lte"));
  notifier.notify(change("up", "lte"));
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  EXPECT_THAT(log.str(),
              HasSubstr("[warning] on_change: /bin/sh for uplink lte (up -> down) exited with status 3"));
  EXPECT_THAT(log.str(),
              HasSubstr("[warning] on_change: /bin/sh for uplink lte (up -> up) was killed by signal 15"));
}

TEST_F(ChangeNotifierTest, SuccessIsNotAWarning) {
  ChangeNotifier notifier(io, {"/bin/true"}, 5000ms);
  notifier.notify(change("down"));
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  EXPECT_THAT(log.str(), HasSubstr("[debug] on_change: /bin/true for uplink wan1 (up -> down) finished in"));
  EXPECT_THAT(log.str(), Not(HasSubstr("[warning]")));
}

TEST_F(ChangeNotifierTest, EmptyProgramDoesNothing) {
  ChangeNotifier notifier(io, {}, 1000ms);
  notifier.notify(change("down"));
  EXPECT_EQ(notifier.running(), 0u);
  EXPECT_EQ(notifier.queued(), 0u);
  EXPECT_EQ(io.poll(), 0u) << "nothing was started, so nothing is waited for";
  EXPECT_EQ(log.str(), "");
}

TEST_F(ChangeNotifierTest, FullQueueDropsTheOldest) {
  std::string script =
      "if [ \"$UPLINKD_NEW_STATE\" = hang ]; then exec sleep 1000; fi; echo \"$UPLINKD_NEW_STATE\" >> \"$0\"";
  ChangeNotifier notifier(io, {"/bin/sh", "-c", script, path("states")}, 200ms);
  notifier.notify(change("hang"));
  std::vector<std::string> expected;
  for (size_t i = 0; i < ChangeNotifier::kMaxQueued + 5; ++i) {
    notifier.notify(change(std::to_string(i)));
    if (i >= 5) expected.push_back(std::to_string(i));
  }
  EXPECT_EQ(notifier.queued(), ChangeNotifier::kMaxQueued);
  ASSERT_TRUE(run_until_idle(notifier, 20s)) << log.str();
  EXPECT_EQ(lines_of(read_file(path("states"))), expected);
  EXPECT_THAT(log.str(),
              HasSubstr("64 changes are waiting for /bin/sh; dropping the oldest (uplink wan1 (up -> 0))"));
  EXPECT_THAT(log.str(), HasSubstr("dropped 5 changes in all"));
}

TEST_F(ChangeNotifierTest, ReloadAppliesToChangesNotYetStarted) {
  auto writer = [&](const std::string& tag) {
    return std::vector<std::string>{"/bin/sh", "-c", "echo " + tag + " \"$UPLINKD_NEW_STATE\" >> \"$0\"",
                                    path("states")};
  };
  ChangeNotifier notifier(io, writer("old"), 5000ms);
  notifier.notify(change("down"));
  notifier.notify(change("up"));
  notifier.set_program(writer("new"), 5000ms);
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  EXPECT_THAT(lines_of(read_file(path("states"))), ElementsAre("old down", "new up"));

  notifier.notify(change("down"));
  notifier.notify(change("up"));
  notifier.set_program({}, 5000ms);
  EXPECT_EQ(notifier.queued(), 0u) << "no program, nothing to wait for";
  ASSERT_TRUE(run_until_idle(notifier)) << log.str();
  EXPECT_THAT(lines_of(read_file(path("states"))), ElementsAre("old down", "new up", "new down"));
}

TEST_F(ChangeNotifierTest, DestructorKillsAndReapsTheRunningProgram) {
  pid_t pid = 0;
  {
    ChangeNotifier notifier(
        io, {"/bin/sh", "-c", "echo $$ > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"; exec sleep 1000", path("pid")},
        60000ms);
    notifier.notify(change("down"));
    notifier.notify(change("up"));
    ASSERT_TRUE(run_until([&] { return std::filesystem::exists(path("pid")); })) << log.str();
    pid = std::atoi(read_file(path("pid")).c_str());
    ASSERT_GT(pid, 0);
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  // Reaped by the destructor, so the pid names no process, not even a zombie.
  EXPECT_EQ(::kill(pid, 0), -1) << read_file("/proc/" + std::to_string(pid) + "/status") << log.str();
  EXPECT_EQ(errno, ESRCH);
  EXPECT_THAT(log.str(), HasSubstr("1 queued changes not notified"));
  // Completions cancelled by the destructor still run, and must find the notifier gone without touching it.
  io.restart();
  io.poll();
}

}  // namespace
}  // namespace uplinkd
