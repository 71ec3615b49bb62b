#include "control/appliance/appliance.h"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pdump.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>

#include <nlohmann/json.hpp>

#include "control/appliance/appliance_config.h"
#include "control/appliance/appliance_worker.h"
#include "control/appliance/control_socket.h"
#include "control/board/board_config.h"
#include "control/board/rss_key.h"
#include "control/capture/flow_pcap.h"
#include "control/config/replay_settings.h"
#include "control/eve/eve_format.h"
#include "control/eve/eve_writer.h"
#include "drivers/bypass/bypass.h"
#include "drivers/dpdk/appliance_ports.h"
#include "drivers/dpdk/dpdk_eal.h"
#include "drivers/watchdog/watchdog.h"

namespace vigil::appliance {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

int fail(int code, const std::string& msg) {
  std::fprintf(stderr, "vigild: error: %s\n", msg.c_str());
  return code;
}

std::uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Everything the telemetry callbacks and the control socket read, reachable from a C callback.
struct State {
  board::BoardConfig board;
  dpdk::AppliancePorts* ports = nullptr;
  std::vector<PortForwarding>* forwarding = nullptr;
  std::vector<WorkerStats>* stats = nullptr;
  std::vector<std::unique_ptr<Worker>>* workers = nullptr;
  health::HealthMonitor* health = nullptr;
  std::mutex events_mu;
  std::deque<std::string> health_lines;  // health events for eve.json, from the monitor thread
};
State* g_state = nullptr;

std::uint64_t load(const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); }

// A port's counters summed over the workers (each keeps its own, see PortForwarding).
struct PortTotals {
  std::uint64_t received = 0, forwarded = 0, verdict_drops = 0, tx_full = 0, bypassed = 0,
                overload_bypassed = 0, fail_closed = 0, monitored = 0, rejects_sent = 0,
                handoff_full = 0;
};
PortTotals totals(std::size_t port) {
  PortTotals t;
  const std::size_t nports = g_state->board.ports.size();
  for (std::size_t w = 0; w < g_state->stats->size(); ++w) {
    const PortForwarding& f = (*g_state->forwarding)[w * nports + port];
    t.received += load(f.received);
    t.forwarded += load(f.forwarded);
    t.verdict_drops += load(f.verdict_drops);
    t.tx_full += load(f.tx_full);
    t.bypassed += load(f.bypassed);
    t.overload_bypassed += load(f.overload_bypassed);
    t.fail_closed += load(f.fail_closed);
    t.monitored += load(f.monitored);
    t.rejects_sent += load(f.rejects_sent);
    t.handoff_full += load(f.handoff_full);
  }
  return t;
}

nlohmann::ordered_json port_json(std::size_t i) {
  const State& s = *g_state;
  const board::PortConfig& pc = s.board.ports[i];
  const dpdk::PortCounters c = s.ports->counters(i);
  const PortTotals f = totals(i);
  nlohmann::ordered_json j;
  j["name"] = pc.name;
  j["role"] = pc.role == board::PortRole::monitor ? "monitor" : "inline";
  if (pc.peer_index != board::kNoPeer) j["peer"] = pc.peer;
  j["driver"] = s.ports->ports()[i].driver;
  j["queues"] = s.ports->ports()[i].rx_queues;
  j["hw_rss"] = s.ports->ports()[i].hw_rss;
  j["link_up"] = c.link_up;
  j["link_speed_mbps"] = c.link_speed_mbps;
  j["rx_packets"] = c.rx_packets;
  j["tx_packets"] = c.tx_packets;
  j["rx_bytes"] = c.rx_bytes;
  j["tx_bytes"] = c.tx_bytes;
  j["drops"] = {{"imissed", c.imissed},
                {"rx_nombuf", c.rx_nombuf},
                {"rx_errors", c.rx_errors},
                {"tx_errors", c.tx_errors},
                {"tx_full", f.tx_full},
                {"verdict", f.verdict_drops},
                {"fail_closed", f.fail_closed},
                {"handoff_full", f.handoff_full}};
  j["forward"] = {{"received", f.received},         {"forwarded", f.forwarded},
                  {"verdict_drops", f.verdict_drops}, {"tx_full", f.tx_full},
                  {"fail_closed", f.fail_closed},   {"handoff_full", f.handoff_full},
                  {"bypassed", f.bypassed},         {"overload_bypassed", f.overload_bypassed},
                  {"monitored", f.monitored},       {"rejects_sent", f.rejects_sent}};
  return j;
}

nlohmann::ordered_json worker_json(std::size_t i) {
  const State& s = *g_state;
  const WorkerStats& w = (*s.stats)[i];
  nlohmann::ordered_json j;
  j["index"] = i;
  j["lcore"] = s.board.workers.lcores[i];
  j["rx"] = load(w.rx);
  j["tx"] = load(w.tx);
  j["handed_off"] = load(w.handed_off);
  j["taken_over"] = load(w.taken_over);
  j["beats"] = s.health->heartbeat(i).beats.load(std::memory_order_relaxed);
  return j;
}

nlohmann::ordered_json status_json(std::uint64_t started_ns) {
  const State& s = *g_state;
  nlohmann::ordered_json j;
  j["board"] = s.board.name;
  j["uptime_s"] = (wall_ns() - started_ns) / 1'000'000'000ull;
  j["ports"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < s.board.ports.size(); ++i) j["ports"].push_back(port_json(i));
  j["workers"] = nlohmann::ordered_json::array();
  const health::HealthStatus hs = s.health->status();
  for (std::size_t i = 0; i < s.stats->size(); ++i) {
    nlohmann::ordered_json w = worker_json(i);
    if (i < hs.workers.size()) {
      w["stalled"] = hs.workers[i].stalled;
      w["silent_ms"] = hs.workers[i].silent_ms;
      w["stalls"] = hs.workers[i].stalls;
    }
    j["workers"].push_back(w);
  }
  j["bypass"] = {{"relay", std::string(bypass::state_name(hs.relay_state))},
                 {"relay_device", hs.relay},
                 {"software", hs.software_bypass},
                 {"forwarding_stopped", hs.stop_forwarding},
                 {"policy", std::string(health::policy_name(hs.policy))},
                 {"in_episode", hs.in_episode}};
  j["watchdog"] = hs.watchdog;
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (const health::HealthEvent& e : s.health->events()) events.push_back(health::format_event(e));
  j["health"] = {{"events", events}};
  return j;
}

int tel_ports(const char*, const char*, rte_tel_data* d) {
  if (g_state == nullptr) return -1;
  rte_tel_data_start_dict(d);
  for (std::size_t i = 0; i < g_state->board.ports.size(); ++i) {
    const std::string& n = g_state->board.ports[i].name;
    const PortTotals f = totals(i);
    const dpdk::PortCounters c = g_state->ports->counters(i);
    rte_tel_data_add_dict_u64(d, (n + "_rx_packets").c_str(), c.rx_packets);
    rte_tel_data_add_dict_u64(d, (n + "_tx_packets").c_str(), c.tx_packets);
    rte_tel_data_add_dict_u64(d, (n + "_imissed").c_str(), c.imissed);
    rte_tel_data_add_dict_u64(d, (n + "_rx_nombuf").c_str(), c.rx_nombuf);
    rte_tel_data_add_dict_u64(d, (n + "_received").c_str(), f.received);
    rte_tel_data_add_dict_u64(d, (n + "_forwarded").c_str(), f.forwarded);
    rte_tel_data_add_dict_u64(d, (n + "_verdict_drops").c_str(), f.verdict_drops);
    rte_tel_data_add_dict_u64(d, (n + "_tx_full").c_str(), f.tx_full);
    rte_tel_data_add_dict_u64(d, (n + "_bypassed").c_str(), f.bypassed);
    rte_tel_data_add_dict_u64(d, (n + "_fail_closed").c_str(), f.fail_closed);
    rte_tel_data_add_dict_u64(d, (n + "_handoff_full").c_str(), f.handoff_full);
    rte_tel_data_add_dict_u64(d, (n + "_rejects_sent").c_str(), f.rejects_sent);
  }
  return 0;
}

int tel_workers(const char*, const char*, rte_tel_data* d) {
  if (g_state == nullptr) return -1;
  rte_tel_data_start_dict(d);
  for (std::size_t i = 0; i < g_state->stats->size(); ++i) {
    const WorkerStats& w = (*g_state->stats)[i];
    const std::string n = "worker" + std::to_string(i);
    rte_tel_data_add_dict_u64(d, (n + "_rx").c_str(), load(w.rx));
    rte_tel_data_add_dict_u64(d, (n + "_tx").c_str(), load(w.tx));
    rte_tel_data_add_dict_u64(d, (n + "_handed_off").c_str(), load(w.handed_off));
    rte_tel_data_add_dict_u64(d, (n + "_beats").c_str(),
                              g_state->health->heartbeat(i).beats.load(std::memory_order_relaxed));
  }
  return 0;
}

// A flow event with the index of the worker that kept the flow.
std::string with_worker(std::string line, std::size_t worker) {
  if (!line.empty() && line.back() == '}') {
    line.pop_back();
    line += ",\"worker\":" + std::to_string(worker) + "}";
  }
  return line;
}

}  // namespace

int run_appliance(const std::string& board_path, const std::string& config_path,
                  const UplinkFactory& uplink_factory) {
  std::string err;
  State state;
  if (!board::load_board(board_path, state.board, err)) return fail(2, err);
  ApplianceConfig cfg;
  if (!load_appliance_config(config_path, cfg, err)) return fail(2, err);
  const board::BoardConfig& b = state.board;
  const std::size_t nworkers = b.workers.lcores.size();

  // Rules before any device: a bad rule file stops nothing that was running.
  ReplaySettings settings = suricata_compatible_defaults();
  if (!cfg.rules.empty()) {
    std::string classification = cfg.classification;
    if (classification.empty()) {
      const auto beside = std::filesystem::path(cfg.rules.front()).parent_path() / "classification.config";
      std::error_code ec;
      if (std::filesystem::is_regular_file(beside, ec)) classification = beside.string();
    }
    RuleLoad load = load_rule_files(cfg.rules, classification, settings.rules);
    for (const std::string& w : load.warnings) std::fprintf(stderr, "vigild: warning: %s\n", w.c_str());
    if (!load.fatal.empty()) return fail(2, load.fatal.front());
    if (!load.result.rules) return fail(2, "rules: " + load.result.failure.value_or("not built"));
    for (const auto& e : load.result.errors) {
      std::fprintf(stderr, "vigild: rule skipped: %s\n", detect::format_rule_load_error(e).c_str());
    }
    settings.worker.rules = load.result.rules;
  }

  std::error_code ec;
  std::filesystem::create_directories(cfg.output_dir, ec);
  if (ec) return fail(1, cfg.output_dir + ": " + ec.message());
  auto eve = eve::EveWriter::open((std::filesystem::path(cfg.output_dir) / "eve.json").string(), err);
  if (!eve) return fail(1, err);

  std::unique_ptr<Uplink> uplink;
  if (!cfg.upload_config.empty()) {
    if (!uplink_factory) return fail(2, "upload: not available in this program");
    uplink = uplink_factory(cfg.upload_config, err);
    if (!uplink) return fail(2, "upload " + cfg.upload_config + ": " + err);
    eve->set_line_sink([&uplink](const std::string& line, bool alert) { uplink->add_line(line, alert); });
  }
  std::unique_ptr<capture::FlowPcapAssembler> pcaps;
  if (cfg.flow_pcaps && settings.worker.rules) {
    const std::filesystem::path flows_dir = std::filesystem::path(cfg.output_dir) / "flows";
    const std::filesystem::path staging = uplink ? uplink->staging_dir() : flows_dir / ".staging";
    try {
      pcaps = std::make_unique<capture::FlowPcapAssembler>(
          staging, [&uplink, flows_dir](const std::filesystem::path& p, const capture::FlowPcapSummary& s) {
            if (uplink) {
              uplink->add_pcap(p, s.flow_id);
              return true;
            }
            std::error_code rename_ec;
            std::filesystem::rename(p, flows_dir / p.filename(), rename_ec);
            return !rename_ec;
          });
    } catch (const std::exception& e) {
      return fail(1, e.what());
    }
    pcaps->recover();
  }

  // The EAL and the ports.
  const std::vector<std::string> args = board::eal_args(b, cfg.file_prefix);
  std::shared_ptr<dpdk::Eal> eal = dpdk::Eal::init(args, err);
  if (!eal) return fail(1, "DPDK EAL: " + err);
  std::vector<dpdk::AppliancePortSpec> specs;
  for (const board::PortConfig& p : b.ports) {
    dpdk::AppliancePortSpec s;
    s.name = p.name;
    s.device = !p.pci.empty() ? p.pci : p.vdev.substr(0, p.vdev.find(','));
    s.rx_desc = p.rx_desc;
    s.tx_desc = p.tx_desc;
    s.rss = p.rss;
    specs.push_back(s);
  }
  dpdk::AppliancePorts::Pool pool;
  pool.mbufs = b.mempool.mbufs;
  pool.cache = b.mempool.cache;
  pool.data_room = b.mempool.mbuf_size;
  const std::span<const std::uint8_t> key(b.rss.key.data(), b.rss.key_len);
  auto ports = dpdk::AppliancePorts::open(specs, static_cast<std::uint16_t>(nworkers), pool, key, err);
  if (!ports) return fail(1, err);
  state.ports = ports.get();
  // dpdk-dumpcap attaches as a secondary process; it needs the EAL's runtime files.
  bool in_memory = false;
  for (const std::string& a : args) in_memory = in_memory || a == "--in-memory";
  if (!in_memory && rte_pdump_init() != 0) {
    std::fprintf(stderr, "vigild: warning: rte_pdump_init failed: dpdk-dumpcap cannot attach\n");
  }

  // Health: the board's relay and watchdog, the config's timings.
  bypass::BypassConfig bc;
  std::unique_ptr<bypass::BypassRelay> relay;
  if (b.bypass.backend == board::BypassBackend::sim) {
    auto sim = bypass::SimBypassRelay::open(b.bypass.path, err);
    if (!sim) return fail(1, "bypass: " + err);
    relay = std::move(sim);
  } else if (b.bypass.backend != board::BypassBackend::none) {
    bc.backend = b.bypass.backend == board::BypassBackend::sysfs ? bypass::BypassBackend::sysfs
                                                                 : bypass::BypassBackend::gpio;
    bc.path = b.bypass.path;
    bc.chip = b.bypass.chip;
    bc.line = b.bypass.line;
    bc.active_low = b.bypass.active_low;
    bc.sysfs_engage_value = b.bypass.engage_value;
    bc.sysfs_release_value = b.bypass.release_value;
    relay = bypass::make_bypass_relay(bc, err);
    if (!relay) return fail(1, "bypass: " + err);
  }
  std::unique_ptr<watchdog::Watchdog> dog;
  if (b.watchdog.backend != board::WatchdogBackend::none) {
    watchdog::WatchdogConfig wc;
    wc.backend = b.watchdog.backend == board::WatchdogBackend::sim ? watchdog::WatchdogBackend::sim
                                                                   : watchdog::WatchdogBackend::dev;
    wc.path = b.watchdog.device;
    wc.timeout_ms = b.watchdog.timeout_s * 1000;
    dog = watchdog::make_watchdog(wc, err);
    if (!dog) return fail(1, "watchdog: " + err);
  }
  health::HealthConfig hc;
  hc.workers = nworkers;
  hc.check_interval_ms = cfg.check_interval_ms;
  hc.stall_ms = cfg.stall_ms != 0 ? cfg.stall_ms : b.bypass.stall_ms;
  hc.recover_ms = cfg.recover_ms;
  hc.control_stall_ms = cfg.control_stall_ms;
  hc.feed_interval_ms = b.watchdog.feed_interval_ms;
  hc.policy = b.bypass.policy == board::FailPolicy::fail_closed ? health::FailPolicy::fail_closed
                                                                : health::FailPolicy::fail_open;
  // A simulated relay wires nothing through: the workers must forward uninspected themselves.
  hc.software_bypass_with_relay = b.bypass.backend == board::BypassBackend::sim;
  if (const std::string bad = health::validate(hc); !bad.empty()) return fail(2, bad);
  std::unique_ptr<health::HealthMonitor> health;
  try {
    health = std::make_unique<health::HealthMonitor>(hc, std::move(relay), std::move(dog));
  } catch (const std::exception& e) {
    return fail(2, e.what());
  }
  state.health = health.get();
  health->set_event_callback([&state](const health::HealthEvent& e) {
    nlohmann::ordered_json j;
    j["timestamp"] = eve::timestamp(e.unix_ms * 1'000'000ull);
    j["event_type"] = "health";
    j["health"] = {{"kind", std::string(health::event_kind_name(e.kind))},
                   {"worker", e.worker},
                   {"stalled_for_ms", e.stalled_for_ms},
                   {"stalled_workers", e.stalled_workers},
                   {"action", std::string(health::action_name(e.action))},
                   {"detail", e.detail}};
    std::lock_guard lock(state.events_mu);
    state.health_lines.push_back(j.dump());
  });

  // Workers, their handoff rings and the shared state of the loops.
  std::vector<PortForwarding> forwarding(b.ports.size() * nworkers);
  std::vector<WorkerStats> stats(nworkers);
  state.forwarding = &forwarding;
  state.stats = &stats;
  Shared sh;
  sh.workers = static_cast<std::uint16_t>(nworkers);
  sh.rss_key.assign(key.begin(), key.end());
  sh.rss = std::make_unique<RssHash>(key);
  sh.pool = ports->pool();
  sh.forwarding = &forwarding;
  sh.stats = &stats;
  sh.health = health.get();
  for (std::size_t i = 0; i < b.ports.size(); ++i) {
    PortBinding pb;
    pb.eth_port = ports->ports()[i].eth_port;
    pb.rx_queues = ports->ports()[i].rx_queues;
    pb.tx_queues = ports->ports()[i].tx_queues;
    pb.peer = b.ports[i].peer_index == board::kNoPeer ? kNoPeer : static_cast<std::uint16_t>(b.ports[i].peer_index);
    pb.bypass_on_overload = b.ports[i].overload == board::OverloadPolicy::bypass;
    sh.max_queues = std::max(sh.max_queues, std::max(pb.rx_queues, pb.tx_queues));
    sh.ports.push_back(pb);
  }
  sh.rx_locks = std::vector<QueueLock>(b.ports.size() * sh.max_queues);
  sh.tx_locks = std::vector<QueueLock>(b.ports.size() * sh.max_queues);
  for (std::size_t w = 0; w < nworkers; ++w) {
    const std::string name = "vigil_h" + std::to_string(w);
    rte_ring* r = rte_ring_create(name.c_str(), b.rings.size, static_cast<int>(rte_socket_id()), 0);
    if (r == nullptr) return fail(1, "handoff ring " + name + ": cannot create");
    sh.handoff.push_back(r);
  }
  std::vector<std::unique_ptr<Worker>> workers;
  WorkerConfig wcfg = settings.worker;
  wcfg.detect.inline_mode = cfg.ips;
  wcfg.capture.enabled = pcaps != nullptr;
  for (std::size_t w = 0; w < nworkers; ++w) workers.push_back(std::make_unique<Worker>(wcfg, static_cast<std::uint16_t>(w)));
  state.workers = &workers;
  std::vector<WorkerContext> contexts(nworkers);
  g_state = &state;
  rte_telemetry_register_cmd("/vigil/ports", tel_ports, "Vigil's per-port forwarding counters");
  rte_telemetry_register_cmd("/vigil/workers", tel_workers, "Vigil's per-worker counters");

  // Every page of the workers' tables resident before the first packet: the packet path then
  // takes no page fault (a kernel entry per first touch, and page-table locks shared by workers).
  if (mlockall(MCL_CURRENT) != 0) {
    std::fprintf(stderr, "vigild: warning: mlockall: %s (first touches of worker memory will fault)\n",
                 std::strerror(errno));
  }

  if (uplink) {
    const std::string fingerprint = settings.worker.rules ? settings.worker.rules->fingerprint() : "";
    uplink->set_health_source([fingerprint]() {
      Uplink::Health h;
      h.ruleset_hash = fingerprint;
      if (g_state == nullptr) return h;
      for (std::size_t i = 0; i < g_state->board.ports.size(); ++i) {
        const PortTotals t = totals(i);
        const dpdk::PortCounters c = g_state->ports->counters(i);
        auto& m = h.ports[g_state->board.ports[i].name];
        m = {{"rx_packets", c.rx_packets}, {"tx_packets", c.tx_packets}, {"imissed", c.imissed},
             {"rx_nombuf", c.rx_nombuf}, {"received", t.received}, {"forwarded", t.forwarded},
             {"verdict_drops", t.verdict_drops}, {"tx_full", t.tx_full}, {"bypassed", t.bypassed},
             {"fail_closed", t.fail_closed}};
      }
      for (std::size_t w = 0; w < g_state->stats->size(); ++w) {
        const WorkerStats& ws = (*g_state->stats)[w];
        h.workers["worker" + std::to_string(w)] = {{"rx", load(ws.rx)}, {"tx", load(ws.tx)},
                                                   {"handed_off", load(ws.handed_off)}};
      }
      return h;
    });
  }

  ControlSocket control;
  if (!control.open(cfg.control_socket, err)) return fail(1, err);
  if (!health->start(err)) return fail(1, "health monitor: " + err);

  for (std::size_t w = 0; w < nworkers; ++w) {
    contexts[w] = WorkerContext{&sh, workers[w].get(), static_cast<std::uint16_t>(w)};
    const int rc = rte_eal_remote_launch(worker_main, &contexts[w], b.workers.lcores[w]);
    if (rc != 0) {
      sh.stop.store(true);
      rte_eal_mp_wait_lcore();
      return fail(1, "cannot start a worker on lcore " + std::to_string(b.workers.lcores[w]));
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  {
    std::string line = "vigild: running " + b.name + ": " + std::to_string(nworkers) + " workers, ports";
    for (std::size_t i = 0; i < b.ports.size(); ++i) {
      line += (i ? ", " : " ") + b.ports[i].name + " (" +
              (b.ports[i].role == board::PortRole::monitor ? "monitor" : "inline, peer " + b.ports[i].peer) +
              ", " + ports->ports()[i].driver + ", " + std::to_string(ports->ports()[i].rx_queues) +
              (ports->ports()[i].hw_rss ? " queues with RSS)" : " queues, software distributor)");
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }

  // The control loop: events out of the workers, health lines, the control socket.
  const std::uint64_t started = wall_ns();
  std::string record;
  auto drain = [&] {
    for (std::size_t w = 0; w < nworkers; ++w) {
      Worker& wk = *workers[w];
      if (auto* d = wk.detect()) d->alerts().consume_all([&](const detect::AlertRecord& a) { eve->write_alert(a); });
      if (auto* a = wk.app()) {
        app::AppRecordHeader h;
        while (app::pop_app_record(a->records(), h, record)) eve->write_app_record(h, record);
      }
      if (auto* c = wk.capture(); c != nullptr && pcaps) {
        capture::CaptureRecordHeader h;
        while (capture::pop_capture_record(c->queue(), h, record)) pcaps->add(h, record);
      }
      wk.records().consume_all([&](const FlowRecord& r) { eve->write_event(with_worker(eve::flow_event_json(r), w), false); });
    }
    std::deque<std::string> lines;
    {
      std::lock_guard lock(state.events_mu);
      lines.swap(state.health_lines);
    }
    for (const std::string& l : lines) eve->write_event(l, false);
    if (uplink) uplink->hand_over();
  };
  const auto handler = [&](const std::string& req) -> std::string {
    if (req == "status") return status_json(started).dump();
    // debug stall-worker N MS: the test hook that proves fail-open.
    unsigned wi = 0, ms = 0;
    if (std::sscanf(req.c_str(), "debug stall-worker %u %u", &wi, &ms) == 2) {
      if (wi >= nworkers) return R"({"error":"no such worker"})";
      stats[wi].stall_until_ns.store(wall_ns() + std::uint64_t{ms} * 1'000'000ull);
      return R"({"ok":true})";
    }
    return nlohmann::json{{"error", "unknown request: " + req}}.dump();
  };
  std::uint64_t last_flush = 0;
  while (!g_stop.load()) {
    drain();
    health->control_beat();
    control.poll_once(1, handler);
    if (const std::uint64_t now = wall_ns(); now - last_flush > 100'000'000) {
      eve->flush();  // eve.json is read while the appliance runs
      last_flush = now;
    }
  }

  // Stop: workers first, then their last flows, then the outputs.
  sh.stop.store(true);
  rte_eal_mp_wait_lcore();
  for (auto& w : workers) w->shutdown();
  drain();
  health->stop();
  if (pcaps) pcaps->finish_all();
  if (uplink) {
    uplink->hand_over();
    uplink->finish();
  }
  if (!eve->close(err)) std::fprintf(stderr, "vigild: error: %s\n", err.c_str());
  g_state = nullptr;
  for (rte_ring* r : sh.handoff) rte_ring_free(r);
  std::printf("vigild: stopped\n");
  return 0;
}

}  // namespace vigil::appliance
