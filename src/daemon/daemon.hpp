// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon: one Asio loop, one thread. Sources (netlink monitor, control socket with hook events, signals)
// update the State; every change re-plans and converges the kernel through the Applier.
#pragma once

#include <asio.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "apply/applier.hpp"
#include "apply/host_settings.hpp"
#include "apply/kernel.hpp"
#include "apply/mptcp_applier.hpp"
#include "apply/plan_commands.hpp"
#include "config/config.hpp"
#include "daemon/change_notifier.hpp"
#include "daemon/command_registry.hpp"
#include "daemon/conntrack_sweeper.hpp"
#include "daemon/control_server.hpp"
#include "daemon/host_watch.hpp"
#include "daemon/lease_store.hpp"
#include "daemon/metrics_report.hpp"
#include "daemon/service_notifier.hpp"
#include "daemon/status_report.hpp"
#include "daemon/uplink_health.hpp"
#include "netlink/monitor.hpp"
#include "netlink/socket.hpp"
#include "plan/plan.hpp"
#include "state/state.hpp"
#include "web/web_server.hpp"

namespace uplinkd {

class Daemon {
 public:
  // Throws std::system_error (or std::runtime_error) naming what could not be opened.
  explicit Daemon(Config config);
  ~Daemon();

  // Runs until SIGTERM or SIGINT; returns the process exit code.
  int run();

 private:
  void register_commands();
  void wait_for_signals();
  void wait_for_netlink();
  void on_netlink_events();
  bool handle(const netlink::Event& event, bool& owned_object_removed);
  void resync(const std::string& reason);
  void converge(const std::string& reason);
  bool converge_once(const std::string& reason);  // true when the kernel's answers call for a new plan
  bool record_kernel_answers(const Plan& plan, const ApplyOutcome& outcome);
  void schedule_refusal_retry();
  void report_ownership(const ApplyOutcome& outcome);
  void add_ownership_status(nlohmann::json& report);
  IgnoredAdvertisements ignored_advertisements() const;
  bool claims_table(uint32_t table) const;
  void sync_health();
  void on_health_transition(const std::string& uplink, Family family, const HealthTransition& transition);
  void schedule_retry();
  void report_transitions(const Plan* previous, const Plan& plan);
  void release_dead_connections(const Plan& before, const Plan& after);
  void sweep_nated(const std::string& uplink, const Prefix& prefix);
  void register_operator_commands();
  size_t uplink_index(const nlohmann::json& request) const;  // throws InputError naming the uplink
  void publish(nlohmann::json event);
  void deliver(const nlohmann::json& event);  // to `uplinkctl events` subscribers and /api/events streams
  nlohmann::json status_json();
  MetricsSnapshot metrics_snapshot();
  void start_web();  // [web]: (re)starts the endpoint where the config says, or stops it
  void remember_lease(const HookEvent& event);
  void reload();      // throws InputError for a bad config, which then changes nothing
  void check_host();  // the slow check of what the kernel does not announce (host_watch.hpp)
  void shutdown();
  // daemon_mptcp.cpp: the MPTCP endpoints after each converge, and what status and plan say of them.
  void converge_mptcp(const Plan& plan, std::vector<KernelError>& errors);
  void say_mptcp_management(const MptcpOutcome& outcome);
  bool mptcp_drifted();  // for check_host: the kernel's endpoints differ from what the last converge left
  void add_mptcp_plan(nlohmann::json& response, const Plan& plan, const InterfaceNames& names);

  asio::io_context io_;
  asio::signal_set signals_;
  asio::steady_timer retry_timer_;
  asio::steady_timer refusal_timer_;  // the next retry of an uplink whose objects the kernel refused
  asio::steady_timer repair_timer_;   // the next repair held back by the applier's RepairGuard
  Config config_;
  State state_;
  netlink::Socket socket_;
  netlink::Monitor monitor_;
  asio::posix::stream_descriptor monitor_stream_;
  std::unique_ptr<Kernel> kernel_;
  Applier applier_;
  MptcpApplier mptcp_;
  ConntrackSweeper sweeper_;  // after io_: destroyed (its thread joined) before the loop it posts to
  HostSettings host_;
  StoredLeases leases_;
  CommandRegistry commands_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<HostWatch> host_watch_;
  std::unique_ptr<WebServer> web_;
  std::optional<WebEndpoint> web_at_;  // where web_ listens
  ChangeNotifier notifier_;
  ServiceNotifier service_;
  // By uplink name and family, for the families with targets of their own.
  std::map<std::pair<std::string, Family>, std::unique_ptr<UplinkHealth>> health_;
  Plan plan_;
  bool planned_ = false;
  DaemonCounters counters_;                   // for /metrics
  std::vector<std::string> errors_;           // of the last converge
  uint32_t error_retries_ = 0;                // converges in a row that failed: the retry backs off
  bool foreign_object_added_ = false;         // by the netlink events being handled
  std::set<std::string> foreign_reported_;    // others' objects left alone, already logged
  MptcpOutcome mptcp_outcome_;                // of the last converge: what status shows
  std::optional<std::string> mptcp_said_;     // another manager, or no MPTCP: said once, until it changes
  std::vector<nlohmann::json> mptcp_events_;  // of this converge, published after the uplinks' events
};

}  // namespace uplinkd
