// SPDX-License-Identifier: GPL-2.0-or-later
#include "harness.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/control_client.hpp"

namespace uplinkd::bench {

void die(const std::string& message) {
  std::cerr << "converge_latency: " << message << "\n";
  std::exit(1);
}

// /proc/1/ns/net is unreadable on some hosts even for root; init_net's inode is then the kernel's fixed
// PROC_NET_INIT_INO (0xEFFFFFF9, since Linux 3.8).
void require_own_netns() {
  struct stat self {};
  if (stat("/proc/self/ns/net", &self) != 0) die("cannot read /proc/self/ns/net: refusing to run");
  struct stat init {};
  ino_t initial = stat("/proc/1/ns/net", &init) == 0 ? init.st_ino : ino_t{0xEFFFFFF9};
  if (self.st_ino == initial)
    die("this is the machine's initial network namespace: refusing to run (use bench/run.sh, which runs "
        "the bench inside namespaces of its own)");
}

double ms(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

namespace {

// Nearest-rank percentile: the smallest sample with at least q of the samples at or below it.
double percentile(const std::vector<double>& sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

}  // namespace

void report(const std::string& name, int uplinks, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  double median = percentile(samples, 0.5), p90 = percentile(samples, 0.9), p99 = percentile(samples, 0.99);
  std::fprintf(stdout, "RESULT\t%s\t%d\t%zu\t%.3f\t%.3f\t%.3f\t%.3f\n", name.c_str(), uplinks, samples.size(),
               median, p90, p99, samples.back());
  std::fflush(stdout);
  std::fprintf(stderr, "%-44s N=%-3d n=%-4zu median %.3f  p90 %.3f  p99 %.3f  max %.3f ms\n", name.c_str(),
               uplinks, samples.size(), median, p90, p99, samples.back());
}

nlohmann::json call(const std::string& socket, const nlohmann::json& request) {
  auto response = call_daemon(socket, request);
  if (response.value("ok", false) != true) die("uplinkd refused " + request.dump() + ": " + response.dump());
  return response;
}

void wait_all_uplinks(const std::string& socket, int uplinks,
                      const std::function<bool(const nlohmann::json&)>& ready, const std::string& what) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  nlohmann::json status;
  while (Clock::now() < deadline) {
    status = call(socket, {{"command", "status"}});
    int good = 0;
    for (const auto& uplink : status["uplinks"]) good += ready(uplink);
    if (good == uplinks && status.value("converged", false)) return;
    usleep(10000);
  }
  die("not every uplink became " + what + ": " + status.dump());
}

pid_t start_daemon(const std::vector<std::string>& command, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    // uplinkd refuses the initial namespace itself with this set: a second guard, independent of ours.
    setenv("UPLINKD_REQUIRE_NETNS", "1", 1);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> argv;
    for (const auto& word : command) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace uplinkd::bench
