// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/daemon.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "apply/diff.hpp"
#include "apply/netlink_kernel.hpp"
#include "apply/plan_commands.hpp"
#include "apply/refusals.hpp"
#include "daemon/conflicting_hooks.hpp"
#include "daemon/health_report.hpp"
#include "daemon/mptcp_report.hpp"
#include "daemon/request.hpp"
#include "daemon/router_advertisements.hpp"
#include "daemon/status_report.hpp"
#include "plan/ownership.hpp"
#include "sources/hook_json.hpp"
#include "sources/router_solicitation.hpp"

namespace uplinkd {
namespace {

constexpr uint32_t kMainTable = 254;

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// The routing tables that are uplinkd's by config: a foreign route in them that collides with uplinkd's is
// replaced.
std::vector<uint32_t> claimed_tables(const Config& config) {
  std::vector<uint32_t> tables{config.balance_table};
  for (const auto& uplink : config.uplinks) tables.push_back(uplink.table);
  return tables;
}

template <class T>
T opened(Expected<T> value, const std::string& what) {
  if (!value) throw std::runtime_error(what + ": " + value.error().message());
  return std::move(*value);
}

// Once per hook call, so a renewing client repeats it at its lease's pace, not in a loop.
void log_refused_routers(const HookEvent& event) {
  const std::string lease = event.address ? " of lease " + event.address->to_string() : "";
  for (const auto& refused : event.refused_routers)
    spdlog::warn("hook: router {}{} on {} refused: it {}", refused.address.to_string(), lease,
                 event.interface, refused.why);
  if (event.ignored_routers)
    spdlog::warn("hook: {} routers{} on {} ignored: only the first {} are read", event.ignored_routers, lease,
                 event.interface, kMaxRouters);
}

// The kernel's counters of each uplink's interface, read when asked (a dump of links costs well under a ms).
InterfaceTraffic interface_traffic(netlink::Socket& socket, const Config& config, const State& state) {
  InterfaceTraffic traffic;
  auto counters = socket.dump_link_traffic();
  if (!counters) return traffic;
  for (const auto& uplink : config.uplinks) {
    const auto ifindex = state.facts(uplink.interface).ifindex;
    for (const auto& link : *counters)
      if (ifindex && link.index == *ifindex) traffic[uplink.interface] = link;
  }
  return traffic;
}

}  // namespace

Daemon::Daemon(Config config)
    : signals_(io_, SIGTERM, SIGINT, SIGHUP),
      retry_timer_(io_),
      refusal_timer_(io_),
      repair_timer_(io_),
      config_(std::move(config)),
      state_(config_),
      // The monitor subscribes before the first dump, so nothing that happens in between is missed.
      socket_(opened(netlink::Socket::open(), "netlink socket")),
      monitor_(opened(netlink::Monitor::open(), "netlink monitor")),
      monitor_stream_(io_, monitor_.fd()),
      kernel_(opened(NetlinkKernel::open(), "netlink socket")),
      applier_(*kernel_),
      mptcp_(*kernel_),
      sweeper_(io_),
      host_(config_.rt_tables),
      notifier_(io_, config_.on_change, milliseconds(config_.on_change_timeout_s)),
      service_(io_) {
  kernel_->claim_tables(claimed_tables(config_));
  leases_ = load_leases(config_.state_file);
  for (const auto& [interface, lease] : leases_.leases) state_.restore_lease(interface, lease);
  for (const auto& [interface, prefixes] : leases_.delegated) state_.restore_delegated(interface, prefixes);
  register_commands();
  control_ = std::make_unique<ControlServer>(
      io_, config_.socket, [this](const nlohmann::json& request) { return commands_.dispatch(request); });
  control_->set_stream_command("events");
  start_web();
}

Daemon::~Daemon() {
  // The stream does not own the monitor's descriptor; the Monitor closes it.
  monitor_stream_.release();
}

int Daemon::run() {
  spdlog::info("uplinkd starting: {} uplinks, mode {}, control socket {}", config_.uplinks.size(),
               mode_name(config_.mode), config_.socket);
  for (const auto& warning : conflicting_hook_warnings(config_)) spdlog::warn("{}", warning);
  resync("start");
  service_.ready(service_status(config_, plan_));
  for (const auto& [uplink, why] : ignored_advertisements())
    spdlog::warn("uplink {}: the kernel ignores its IPv6 router advertisements: {}", uplink, why);
  host_watch_ = std::make_unique<HostWatch>(
      io_, [this](const std::string& reason) { converge(reason); }, [this] { check_host(); });
  wait_for_signals();
  wait_for_netlink();
  io_.run();
  return 0;
}

void Daemon::register_commands() {
  commands_.add("status", "every uplink's state and why, address, gateway, weight, tier, table",
                [this](const auto&) { return status_json(); });
  commands_.add("plan", "the current plan as ip/nft commands; changes nothing", [this](const auto&) {
    InterfaceNames names;
    for (const auto& [interface, facts] : state_.all_facts())
      if (facts.ifindex) names[*facts.ifindex] = interface;
    const Plan plan = make_plan(config_, state_);
    nlohmann::json response{{"commands", plan_commands(plan, names)}};
    add_mptcp_plan(response, plan, names);
    return response;
  });
  commands_.add("reload", "re-read the config file; a bad one is refused and the old one stays",
                [this](const auto&) {
                  reload();
                  return nlohmann::json{{"config", config_.path}};
                });
  commands_.add("events", "stream state changes as JSON lines until the connection closes",
                [](const auto&) { return nlohmann::json::object(); });
  register_operator_commands();
  commands_.add("hook", "a DHCP client's lease event (sent by `uplinkctl hook`)",
                [this](const nlohmann::json& request) {
                  if (!request.contains("event")) throw InputError({"request"}, "event is missing");
                  HookEvent event = hook_event_from_json(request["event"]);
                  spdlog::info("hook: {}", describe(event));
                  log_refused_routers(event);
                  if (state_.on_hook(event)) {
                    remember_lease(event);
                    converge("hook " + event.reason + " on " + event.interface);
                  }
                  return nlohmann::json::object();
                });
}

// Read when asked: the kernel sends no event when a sysctl changes, and a status request is rare.
IgnoredAdvertisements Daemon::ignored_advertisements() const {
  IgnoredAdvertisements ignored;
  for (const auto& uplink : config_.uplinks) {
    if (!carries(uplink.families, Family::v6)) continue;
    if (auto settings = read_ra_settings(uplink.interface))
      if (auto why = advertisements_ignored(*settings)) ignored[uplink.name] = *why;
  }
  return ignored;
}

// Objects someone keeps undoing ("contested") and others' objects left alone in uplinkd's tables.
void Daemon::add_ownership_status(nlohmann::json& report) {
  const auto now = std::chrono::steady_clock::now();
  nlohmann::json contested = nlohmann::json::array();
  for (const auto& entry : applier_.contested(now)) {
    auto ago = [&](BackoffTime at) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(now - at).count() / 1000.0;
    };
    contested.push_back({{"object", entry.object},
                         {"by", entry.by},
                         {"repairs", entry.repairs},
                         {"first_repair_s_ago", ago(entry.first_repair)},
                         {"last_repair_s_ago", ago(entry.last_repair)}});
  }
  report["contested"] = contested;
  report["foreign"] = std::vector<std::string>(foreign_reported_.begin(), foreign_reported_.end());
}

size_t Daemon::uplink_index(const nlohmann::json& request) const {
  if (!request.contains("uplink") || !request["uplink"].is_string())
    throw InputError({"request"}, "uplink is missing", "name one of the config's uplinks");
  const std::string name = request["uplink"].get<std::string>();
  for (size_t i = 0; i < config_.uplinks.size(); ++i)
    if (config_.uplinks[i].name == name) return i;
  std::string known;
  for (const auto& uplink : config_.uplinks) known += (known.empty() ? "" : ", ") + uplink.name;
  throw InputError({"request"}, "no uplink named " + quoted_text_for_error(name), "uplinks: " + known);
}

// Run-time choices of the operator. A drain lasts until undrain or a restart (a reload keeps it: the
// operator's maintenance should not end because someone edited the config); a weight lasts until the next
// reload or restart, which read the config's weights again.
void Daemon::register_operator_commands() {
  auto drain = [this](bool drained) {
    return [this, drained](const nlohmann::json& request) {
      const UplinkConfig& uplink = config_.uplinks[uplink_index(request)];
      const bool changed = state_.set_drained(uplink.interface, drained);
      spdlog::info("operator: {} {}{}", drained ? "drain" : "undrain", uplink.name,
                   changed ? "" : " (already)");
      if (changed) {
        publish({{"event", "operator"}, {"uplink", uplink.name}, {"action", drained ? "drain" : "undrain"}});
        converge(std::string(drained ? "drain " : "undrain ") + uplink.name);
      }
      return nlohmann::json{{"uplink", uplink.name}, {"drained", drained}, {"changed", changed}};
    };
  };
  commands_.add("drain", "take an uplink out of the group: no new connections, established ones go on",
                drain(true));
  commands_.add("undrain", "return a drained uplink to the group", drain(false));
  commands_.add("weight", "set an uplink's weight (1..256) until the next reload",
                [this](const nlohmann::json& request) {
                  UplinkConfig& uplink = config_.uplinks[uplink_index(request)];
                  const auto& weight = request.contains("weight") ? request["weight"] : nlohmann::json();
                  if (!weight.is_number_integer() || weight.get<int64_t>() < 1 || weight.get<int64_t>() > 256)
                    throw InputError({"request"}, "weight must be an integer from 1 to 256, got " +
                                                      quoted_for_error(weight));
                  const uint16_t was = uplink.weight;
                  uplink.weight = static_cast<uint16_t>(weight.get<int64_t>());
                  spdlog::info("operator: weight of {} {} -> {}", uplink.name, was, uplink.weight);
                  if (was != uplink.weight) {
                    publish({{"event", "operator"},
                             {"uplink", uplink.name},
                             {"action", "weight"},
                             {"weight", uplink.weight}});
                    converge("weight of " + uplink.name);
                  }
                  return nlohmann::json{{"uplink", uplink.name}, {"weight", uplink.weight}, {"was", was}};
                });
}

void Daemon::publish(nlohmann::json event) {
  event["at"] = iso8601_utc(std::chrono::system_clock::now());
  deliver(event);
}

void Daemon::deliver(const nlohmann::json& event) {
  if (control_) control_->publish(event);
  if (web_) web_->publish(event);
}

nlohmann::json Daemon::status_json() {
  HealthReports health;
  for (const auto& [key, probes] : health_)
    health[key] = health_json(probes->monitor(), probes->last_error());
  auto report = status_report(config_, plan_, errors_, health, ignored_advertisements());
  // So that a script can wait until its `uplinkctl events` has subscribed.
  report["event_subscribers"] = control_ ? control_->subscribers() : 0;
  if (web_) report["web_event_streams"] = web_->event_streams();
  const auto traffic = interface_traffic(socket_, config_, state_);
  for (auto& entry : report["uplinks"])
    if (auto link = traffic.find(entry.value("interface", "")); link != traffic.end())
      entry["traffic"] = {{"rx_bytes", link->second.rx_bytes},
                          {"tx_bytes", link->second.tx_bytes},
                          {"rx_packets", link->second.rx_packets},
                          {"tx_packets", link->second.tx_packets}};
  add_ownership_status(report);
  add_mptcp_status(report, config_, mptcp_outcome_);
  return report;
}

MetricsSnapshot Daemon::metrics_snapshot() {
  HealthMonitors monitors;
  for (const auto& [key, probes] : health_) monitors[key] = &probes->monitor();
  return metrics_report(config_, plan_, monitors, counters_, interface_traffic(socket_, config_, state_),
                        mptcp_outcome_);
}

void Daemon::start_web() {
  if (config_.web == web_at_ && (web_ || !web_at_)) return;
  web_.reset();
  web_at_.reset();
  if (!config_.web) return;
  try {
    web_ = std::make_unique<WebServer>(
        io_, *config_.web,
        WebSources{[this] { return metrics_snapshot(); }, [this] { return status_json(); }});
    web_at_ = config_.web;
    spdlog::info("web: listening on http://{}/ (/metrics, /api/status, /api/events)",
                 config_.web->to_string());
  } catch (const std::runtime_error& error) {
    // At start this stops uplinkd (main reports it); on reload the routing goes on without the endpoint.
    if (!planned_) throw;
    spdlog::error("{}; the endpoint stays off until a reload can listen there", error.what());
  }
}

void Daemon::wait_for_signals() {
  signals_.async_wait([this](std::error_code error, int signal) {
    if (error) return;
    if (signal == SIGHUP) {
      try {
        reload();
      } catch (const InputError& refused) {
        spdlog::error("reload refused: {}", refused.what());
      }
      wait_for_signals();
      return;
    }
    spdlog::info("signal {}: stopping", signal);
    shutdown();
  });
}

void Daemon::wait_for_netlink() {
  monitor_stream_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code error) {
    if (error) return;
    on_netlink_events();
    wait_for_netlink();
  });
}

void Daemon::on_netlink_events() {
  auto batch = monitor_.read_pending();
  if (!batch) {
    spdlog::warn("netlink monitor: {}", batch.error().message());
    return;
  }
  if (batch->overrun) {
    resync("netlink overrun");
    return;
  }
  bool changed = false;
  bool owned_object_removed = false;
  for (const auto& event : batch->events) changed |= handle(event, owned_object_removed);
  if (changed)
    converge("netlink event");
  else if (owned_object_removed)
    converge("an object of uplinkd's was removed");
  else if (foreign_object_added_)
    converge("another program's object in uplinkd's tables or rule range");
  foreign_object_added_ = false;
}

// A removal of an object the current plan wants triggers a converge (someone deleted it, or the kernel
// flushed it with a link); other events about uplinkd's own objects are the echo of its own batches.
bool Daemon::handle(const netlink::Event& event, bool& owned_object_removed) {
  using netlink::EventKind;
  const WantedObjects planned{plan_.nexthops, plan_.routes, plan_.rules};
  if (const auto* link = std::get_if<netlink::LinkEvent>(&event)) {
    const bool removed = link->kind == EventKind::removed;
    if (removed || !link->object.carrier || !link->object.admin_up)
      applier_.forget_device(link->object.index);
    return state_.on_link(link->object, removed);
  }
  if (const auto* address = std::get_if<netlink::AddressEvent>(&event))
    return state_.on_address(address->object, address->kind == EventKind::removed);
  if (const auto* route = std::get_if<netlink::RouteEvent>(&event)) {
    bool removed = route->kind == EventKind::removed;
    if (route->object.protocol == ownership::kProtocol) {
      owned_object_removed |= removed && wants(planned, route->object);
      return false;
    }
    // Whatever its protocol: `ip route replace … table T proto boot` takes uplinkd's route away without a
    // removal event.
    foreign_object_added_ |= !removed && claims_table(route->object.table);
    return state_.on_route(route->object, removed);
  }
  if (const auto* rule = std::get_if<netlink::RuleEvent>(&event)) {
    foreign_object_added_ |=
        rule->kind != EventKind::removed && rule->object.protocol != ownership::kProtocol &&
        (ownership::owns_rule_priority(rule->object.priority) || claims_table(rule->object.table));
    owned_object_removed |=
        rule->kind == EventKind::removed && rule->object.protocol == ownership::kProtocol &&
        ownership::owns_rule_priority(rule->object.priority) && wants(planned, rule->object);
    return false;
  }
  if (const auto* nexthop = std::get_if<netlink::NexthopEvent>(&event))
    owned_object_removed |= nexthop->kind == EventKind::removed &&
                            ownership::owns_nexthop_id(nexthop->object.id) && wants(planned, nexthop->object);
  return false;
}

bool Daemon::claims_table(uint32_t table) const {
  const auto tables = claimed_tables(config_);
  return std::find(tables.begin(), tables.end(), table) != tables.end();
}

void Daemon::resync(const std::string& reason) {
  auto links = socket_.dump_links();
  auto addresses = socket_.dump_addresses(Family::v4);
  auto addresses6 = socket_.dump_addresses(Family::v6);
  auto routes = socket_.dump_routes(Family::v4, netlink::RouteFilter{kMainTable, 0});
  auto routes6 = socket_.dump_routes(Family::v6, netlink::RouteFilter{kMainTable, 0});
  for (const KernelError* error :
       {links ? nullptr : &links.error(), addresses ? nullptr : &addresses.error(),
        addresses6 ? nullptr : &addresses6.error(), routes ? nullptr : &routes.error(),
        routes6 ? nullptr : &routes6.error()}) {
    if (error) {
      spdlog::warn("{}: {}", reason, error->message());
      errors_ = {error->message()};
      schedule_retry();
      return;
    }
  }
  addresses->insert(addresses->end(), addresses6->begin(), addresses6->end());
  routes->insert(routes->end(), routes6->begin(), routes6->end());
  state_.reset(*links, *addresses, *routes);
  mptcp_.forget();  // a start, a reload or a retry: uplinkd's endpoints may be there whatever this run saw
  converge(reason);
}

// A pass whose kernel answers change an uplink's standing (refused, or accepted after a refusal) is followed
// by another, planned with that answer: so the group and every other uplink's objects are applied without the
// refused uplink at once, not a retry later. Each pass can only refuse uplinks not yet refused, so a few
// passes always end.
void Daemon::converge(const std::string& reason) {
  std::optional<Plan> before;
  if (planned_) before = plan_;
  for (size_t pass = 0; pass <= config_.uplinks.size() + 1; ++pass)
    if (!converge_once(pass == 0 ? reason : reason + " (again, after the kernel's answer)")) break;
  // Only what the last pass applied is reported: an uplink refused by the first pass was never active.
  report_transitions(before ? &*before : nullptr, plan_);
  // After the uplinks' own events: "wan1 down", then "its endpoint removed".
  for (auto& event : mptcp_events_) publish(std::move(event));
  mptcp_events_.clear();
  schedule_refusal_retry();
  service_.status(service_status(config_, plan_));
}

bool Daemon::converge_once(const std::string& reason) {
  auto started = std::chrono::steady_clock::now();
  sync_health();
  state_.set_mptcp_other_manager(mptcp_.other_manager(config_));
  Plan plan = make_plan(config_, state_);
  // The order of nftables, sysctl and routing changes is the applier's (apply/host_objects.hpp: masquerading
  // first, a failover's netlink batch before the rest).
  std::vector<KernelError> errors = host_.apply(plan);
  ApplyOutcome outcome = applier_.apply(plan);
  if (planned_) release_dead_connections(plan_, plan);
  for (const auto& interface : began_taking_advertisements(config_, outcome)) {
    const auto ifindex = state_.facts(interface).ifindex;
    if (!ifindex) continue;
    if (auto error = solicit_routers(interface, *ifindex))
      spdlog::warn("{} (its routers announce themselves at their next interval)", error->message());
    else
      spdlog::info("uplink on {} takes router advertisements now: solicited its routers", interface);
  }
  auto took =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  counters_.apply_seconds.observe(std::chrono::duration<double>(took).count());
  counters_.apply_errors +=
      errors.size() + outcome.failed.size() + (outcome.failed.empty() ? outcome.errors.size() : 0);

  for (const auto& change : outcome.changes) spdlog::debug("  {}", describe(change));
  if (!outcome.changes.empty())
    spdlog::info("{}: {} kernel changes in {} us", reason, outcome.changes.size(), took.count());

  report_ownership(outcome);
  const bool standing_changed = record_kernel_answers(plan, outcome);
  // The errors of a refused uplink's objects are said once, as its state (report_transitions); the others
  // are logged when they are new, and retried with a back-off, so an error that lasts is not a log flood.
  const auto refused = refused_uplinks(config_, outcome.failed);
  for (const auto& failure : outcome.failed) {
    const UplinkConfig* owner = owner_uplink(config_, failure.change.object);
    const auto family = object_family(failure.change.object);
    if (failure.change.kind != ChangeKind::remove && owner && family &&
        refused.count(UplinkFamily{owner->interface, *family}))
      continue;
    errors.push_back(failure.error);
  }
  if (outcome.failed.empty()) errors.insert(errors.end(), outcome.errors.begin(), outcome.errors.end());
  if (standing_changed) {
    // The next pass, planned with the kernel's answer, tells which of these remain.
    for (const auto& error : errors) spdlog::debug("{}: {}", reason, error.message());
    plan_ = std::move(plan);
    planned_ = true;
    return true;
  }
  converge_mptcp(plan, errors);
  std::vector<std::string> messages;
  for (const auto& error : errors) {
    const std::string message = error.message();
    const bool known = std::find(errors_.begin(), errors_.end(), message) != errors_.end();
    spdlog::log(known ? spdlog::level::debug : spdlog::level::warn, "{}: {}", reason, message);
    messages.push_back(message);
  }
  errors_ = std::move(messages);
  for (const auto& note : plan.notes)
    if (!planned_ || std::find(plan_.notes.begin(), plan_.notes.end(), note) == plan_.notes.end())
      spdlog::warn("{}", note);
  plan_ = std::move(plan);
  planned_ = true;
  if (errors.empty())
    error_retries_ = 0;
  else
    schedule_retry();
  return false;
}

// Tells the state which uplinks' objects the kernel refused and which it took; true when an uplink's standing
// changed, so that the plan must be made again.
bool Daemon::record_kernel_answers(const Plan& plan, const ApplyOutcome& outcome) {
  const auto refused = refused_uplinks(config_, outcome.failed);
  const bool complete = outcome.failed.size() == outcome.errors.size();  // not a failed dump
  bool changed = false;
  for (size_t i = 0; i < config_.uplinks.size() && i < plan.uplinks.size(); ++i)
    for (const Family family : {Family::v4, Family::v6}) {
      const UplinkConfig& uplink = config_.uplinks[i];
      const UplinkStatus& status = plan.uplinks[i].of(family);
      // A reference into the state: on_kernel_refused() below updates it.
      const auto& standing = state_.facts(uplink.interface).refusal(family);
      // IPv4's words are as they were before IPv6 was balanced; IPv6's say which family.
      const std::string objects = family == Family::v4 ? "its objects" : "its IPv6 objects";
      nlohmann::json event = {{"event", "kernel"}, {"uplink", uplink.name}, {"interface", uplink.interface}};
      if (family == Family::v6) event["family"] = "ipv6";
      auto answer = refused.find(UplinkFamily{uplink.interface, family});
      if (answer != refused.end()) {
        changed |= state_.on_kernel_refused(uplink.interface, family, answer->second, status.address,
                                            status.gateway, std::chrono::steady_clock::now());
        const uint32_t refusals = standing->refusals;
        const auto wait = std::chrono::duration_cast<std::chrono::seconds>(kRefusalBackoff.delay(refusals));
        // An uplink that is down already (no usable gateway yet, say) changes no state: the event says why.
        if (refusals == 1) {
          event["accepted"] = false;
          event["why"] = "kernel refused: " + answer->second;
          publish(event);
        }
        // Once per refusal, and the refusals of one lease come at the back-off's pace.
        spdlog::warn("uplink {}: the kernel refused {} ({}); it is unusable, tried again in {} s",
                     uplink.name, objects, answer->second, wait.count());
      } else if (complete && status.routable) {
        if (standing) {
          spdlog::info("uplink {}: the kernel took {}{}", uplink.name, objects,
                       status.refused ? " this time" : " (new address or gateway)");
          event["accepted"] = true;
          publish(event);
        }
        changed |= state_.on_kernel_accepted(uplink.interface, family);
      }
    }
  return changed;
}

// Repairs are reported once per object, then at its 4th, 8th, 16th … repair: a program that keeps undoing an
// object is named without a line per repair. Others' objects that collide with nothing are reported once.
void Daemon::report_ownership(const ApplyOutcome& outcome) {
  for (const auto& repair : outcome.repairs) {
    const bool say =
        repair.repairs == 1 || (repair.repairs >= 4 && (repair.repairs & (repair.repairs - 1)) == 0);
    const std::string what = repair.by == "removed"   ? "was removed by another program"
                             : repair.by == "changed" ? "was changed by another program"
                                                      : "collided with another program's (" + repair.by + ")";
    spdlog::log(say ? spdlog::level::warn : spdlog::level::debug,
                "{} {}: uplinkd owns it and puts its own back (repair {}; repairs of an object that keeps "
                "being undone back off from 0.25 s to 30 s)",
                repair.object, what, repair.repairs);
  }
  std::set<std::string> present;
  for (const auto& foreign : outcome.foreign) {
    if (foreign.fate != ForeignFate::left_alone) continue;
    const std::string name = object_name(foreign.object) + " proto " + protocol_name(foreign.protocol);
    present.insert(name);
    if (!foreign_reported_.count(name))
      spdlog::warn(
          "another program's {} is in uplinkd's tables: left alone (uplinkd replaces only what collides "
          "with its own objects)",
          name);
  }
  foreign_reported_ = std::move(present);
  if (outcome.next_repair_at) {
    repair_timer_.expires_at(*outcome.next_repair_at);
    repair_timer_.async_wait([this](std::error_code error) {
      if (!error) converge("repair of objects another program undid");
    });
  }
}

void Daemon::schedule_refusal_retry() {
  auto next = state_.next_refusal_retry();
  if (!next) {
    refusal_timer_.cancel();
    return;
  }
  refusal_timer_.expires_at(*next);
  refusal_timer_.async_wait([this](std::error_code error) {
    if (error) return;
    if (state_.retry_refused(std::chrono::steady_clock::now()))
      converge("retry of the objects the kernel refused");
    else
      schedule_refusal_retry();
  });
}

// Probers follow each uplink's address, carrier changes reach the monitors at once (not after a probe
// timeout), and every monitor's verdict reaches the state the planner reads. Each family is probed by its
// own targets, from its own address; a family without targets follows the other's verdict.
void Daemon::sync_health() {
  std::map<std::pair<std::string, Family>, std::unique_ptr<UplinkHealth>> kept;
  for (const UplinkConfig& uplink : config_.uplinks) {
    const UplinkFacts& facts = state_.facts(uplink.interface);
    std::map<Family, HealthVerdict> probed;
    for (const Family family : {Family::v4, Family::v6}) {
      HealthConfig settings = health_of_family(uplink.health, family);
      if (settings.targets.empty() || !carries(uplink.families, family)) continue;
      const std::pair key{uplink.name, family};
      auto probes = std::move(health_[key]);
      if (!probes || probes->config() != settings) {
        const std::string label = family == Family::v4 ? uplink.name : uplink.name + " ipv6";
        probes = std::make_unique<UplinkHealth>(
            io_, label, std::move(settings),
            [this, name = uplink.name, family, label](const HealthTransition& transition) {
              on_health_transition(name, family, transition);
              converge("health of " + label + ": " + std::string(health_name(transition.to)));
            });
      }
      const UplinkStatus status = evaluate(uplink, facts, family);
      std::optional<ProbeSource> source;
      // Only a routable family is probed: rounds sent before its router is known (an address from an RA
      // whose default route the kernel dropped when forwarding was turned on) could not leave, and their
      // verdict `down` would make its first `up` a recovery, so the next failure would count as a flap.
      if (facts.ifindex && status.address && (status.routable || status.refused))
        source = ProbeSource{uplink.interface, status.address->address, ownership::uplink_mark(uplink.table)};
      probes->set_source(source, facts.ifindex.value_or(0), status.gateway);
      if (probes->carrier(facts.carrier && facts.admin_up))
        on_health_transition(uplink.name, family, probes->monitor().transitions().back());
      probed[family] = probes->monitor().verdict();
      kept[key] = std::move(probes);
    }
    for (const Family family : {Family::v4, Family::v6}) {
      const Family other = family == Family::v4 ? Family::v6 : Family::v4;
      HealthVerdict verdict;
      if (probed.count(family))
        verdict = probed[family];
      else if (probed.count(other))
        verdict = followed_verdict(probed[other], other);
      state_.on_health(uplink.interface, family, verdict);
    }
  }
  health_ = std::move(kept);
}

void Daemon::on_health_transition(const std::string& uplink, Family family,
                                  const HealthTransition& transition) {
  const bool bad = transition.to == Health::down || transition.to == Health::degraded;
  spdlog::log(bad ? spdlog::level::warn : spdlog::level::info, "uplink {}{} health: {} -> {} ({})", uplink,
              family == Family::v4 ? "" : " ipv6", health_name(transition.from), health_name(transition.to),
              transition.reason);
  nlohmann::json event = transition_json(transition);
  event["event"] = "health";
  event["uplink"] = uplink;
  if (family == Family::v6) event["family"] = "ipv6";
  if (const UplinkConfig* config = config_.find_uplink(uplink)) event["interface"] = config->interface;
  deliver(event);
}

void Daemon::schedule_retry() {
  retry_timer_.expires_after(kErrorBackoff.delay(++error_retries_));
  retry_timer_.async_wait([this](std::error_code error) {
    if (!error) resync("retry after errors");
  });
}

// Logs every uplink whose state, reason, address or gateway changed; a change of state (active, standby,
// drained, down) is also an event for `uplinkctl events` and runs `on_change`.
void Daemon::report_transitions(const Plan* previous, const Plan& plan) {
  for (size_t i = 0; i < plan.uplinks.size(); ++i) {
    const PlannedUplink& now = plan.uplinks[i];
    const PlannedUplink* before = nullptr;
    if (previous)
      for (const auto& old : previous->uplinks)
        if (old.name == now.name) before = &old;
    for (const Family family : {Family::v4, Family::v6}) {
      const UplinkStatus& status = now.of(family);
      // An IPv4-only network never hears of IPv6: its side is reported once it has an address.
      if (family == Family::v6 && !status.address && (!before || !before->status6.address)) continue;
      auto state = uplink_state_name(now, family);
      if (before) {
        const UplinkStatus& old = before->of(family);
        if (uplink_state_name(*before, family) == state && old.why == status.why &&
            old.gateway == status.gateway && old.address == status.address)
          continue;
      }
      const std::string label = family == Family::v4 ? now.name : now.name + " ipv6";
      spdlog::info("uplink {}: {} ({}{}{})", label, state, status.why,
                   status.address ? ", address " + status.address->to_string() : "",
                   status.gateway ? ", gateway " + status.gateway->to_string() : "");
      const std::string from = before ? std::string(uplink_state_name(*before, family)) : "none";
      if (from == state) continue;
      if (before) ++counters_.transitions[{now.name, family}];
      const UplinkConfig& uplink = config_.uplinks[i];
      const std::string family_text = family == Family::v4 ? "ipv4" : "ipv6";
      publish({{"event", "uplink"},
               {"uplink", now.name},
               {"interface", uplink.interface},
               {"family", family_text},
               {"from", from},
               {"to", std::string(state)},
               {"why", status.why}});
      notifier_.notify(StateChange{now.name, uplink.interface, from, std::string(state), status.why,
                                   std::chrono::system_clock::now(), family_text});
    }
  }
}

// Connections masqueraded out of an uplink that just stopped being usable are dead; their conntrack entries
// would keep sending them out with its address (src/apply/conntrack_cleanup.hpp). Called once the plan
// without the uplink is in the kernel, so that their next packet is NATed by a live uplink. The sweep runs on
// the sweeper's thread: the loop goes on with the next event meanwhile. Each family apart: an uplink whose
// IPv6 alone died keeps its IPv4 connections.
void Daemon::release_dead_connections(const Plan& before, const Plan& after) {
  for (size_t i = 0; i < after.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config_.uplinks[i];
    if (!uplink.masquerade) continue;
    for (const auto& old : before.uplinks) {
      if (old.name != uplink.name) continue;
      if (old.status.usable && !after.uplinks[i].status.usable && old.status.address)
        sweep_nated(uplink.name, Prefix::host(old.status.address->address));
      // IPv6 is masqueraded to any of the uplink's addresses and NPTv6 translates into its delegated prefix:
      // the prefixes it was pinned by are where its connections were translated to.
      if (old.status6.usable && !after.uplinks[i].status6.usable)
        for (const auto& pin : before.nat.pinned6)
          if (pin.mark == ownership::uplink_mark(uplink.table)) sweep_nated(uplink.name, pin.prefix);
    }
  }
}

void Daemon::sweep_nated(const std::string& uplink, const Prefix& prefix) {
  // An IPv4 uplink's address is a host prefix; logs name it as the address, as before IPv6.
  const std::string into = prefix.length == prefix.max_length() ? "to " + prefix.address.to_string()
                                                                : "into " + prefix.to_string();
  sweeper_.sweep(prefix, [this, name = uplink, into](const Expected<size_t>& deleted, auto took) {
    // The kernel drops some itself first: all of them when the address goes, and a connection's entry
    // when its packets change output interface (nf_nat_oif_changed), so a small count is no sign of a
    // miss.
    // Tests and scripts read the info line to its end: the time has a line of its own.
    spdlog::debug("uplink {}: conntrack sweep of {} took {} ms", name, into.substr(into.find(' ') + 1),
                  took.count() / 1000.0);
    if (deleted) counters_.conntrack_deleted[name] += *deleted;
    if (deleted)
      spdlog::info("uplink {}: deleted {} conntrack entries masqueraded {}", name, *deleted, into);
    else
      spdlog::warn("uplink {}: {}", name, deleted.error().message());
  });
}

void Daemon::remember_lease(const HookEvent& event) {
  const auto& facts = state_.facts(event.interface);
  if (facts.lease)
    leases_.leases[event.interface] = *facts.lease;
  else
    leases_.leases.erase(event.interface);
  if (!facts.delegated.empty())
    leases_.delegated[event.interface] = facts.delegated;
  else
    leases_.delegated.erase(event.interface);
  try {
    save_leases(config_.state_file, leases_);
  } catch (const std::exception& error) {
    spdlog::warn("leases not saved: {}", error.what());
  }
}

// Sysctls (and, as a safety net for a lost event, the nftables table) compared with the plan in force.
void Daemon::check_host() {
  if (!planned_) return;
  auto differences = applier_.host_differences(plan_);
  if (!differences) {
    spdlog::warn("check of nftables and sysctls: {}", differences.error().message());
    return;
  }
  if (!differences->empty())
    converge(describe(differences->front()) +
             ": the kernel had something else (changed behind uplinkd's back)");
  else if (mptcp_drifted())
    converge("MPTCP endpoints: the kernel has something else (changed behind uplinkd's back)");
}

void Daemon::reload() {
  service_.reloading();
  Config fresh;
  try {
    fresh = load_config(config_.path);
  } catch (const InputError& error) {
    service_.ready(service_status(config_, plan_));  // the old config goes on
    throw InputError(error.where(), error.problem(),
                     (error.hint().empty() ? "" : error.hint() + "; ") + "the running config stays in force");
  }
  if (fresh.socket != config_.socket)
    spdlog::warn("reload: the control socket stays {} until a restart", config_.socket);
  fresh.socket = config_.socket;
  spdlog::info("reload: {} uplinks, mode {}", fresh.uplinks.size(), mode_name(fresh.mode));
  config_ = std::move(fresh);
  notifier_.set_program(config_.on_change, milliseconds(config_.on_change_timeout_s));
  state_.reconfigure(config_);
  kernel_->claim_tables(claimed_tables(config_));
  host_.set_rt_tables_path(config_.rt_tables);
  start_web();
  resync("reload");
  service_.ready(service_status(config_, plan_));
}

void Daemon::shutdown() {
  service_.stopping();
  retry_timer_.cancel();
  host_watch_.reset();
  refusal_timer_.cancel();
  repair_timer_.cancel();
  if (config_.on_exit == OnExit::flush) {
    auto outcome = applier_.flush();
    for (const auto& error : outcome.errors) spdlog::warn("shutdown: {}", error.message());
    auto endpoints = mptcp_.flush(config_, state_);
    for (const auto& failure : endpoints.failed) spdlog::warn("shutdown: {}", failure.error.message());
    for (const auto& error : endpoints.errors) spdlog::warn("shutdown: {}", error.message());
    spdlog::info("removed uplinkd's {} kernel objects", outcome.changes.size() + endpoints.changes.size());
  } else {
    spdlog::info("leaving routes in place (on_exit = \"keep\")");
  }
  control_.reset();
  web_.reset();
  io_.stop();
}

}  // namespace uplinkd
