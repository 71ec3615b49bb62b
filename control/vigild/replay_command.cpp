#include "control/vigild/replay_command.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include <mbedtls/sha256.h>

#include "control/capture/flow_pcap.h"
#include "control/config/replay_settings.h"
#include "control/eve/eve_writer.h"
#include "control/vigild/cpu_affinity.h"
#include "control/vigild/replay_report.h"
#include "control/vigild/upload_pipeline.h"
#include "dataplane/worker/worker.h"
#include "drivers/dpdk/dpdk_eal.h"
#include "drivers/dpdk/dpdk_port_source.h"
#include "drivers/pcap/pcap_file_source.h"

namespace vigil {

namespace {

std::uint64_t monotonic_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

constexpr std::size_t kMaxDpdkReplayFiles = 30;  // RTE_MAX_ETHPORTS (32) in Debian's DPDK 22.11

void error_line(const std::string& what) { std::fprintf(stderr, "vigild: error: %s\n", what.c_str()); }

// Opens every input before any work starts, so a bad file is reported before anything is written.
struct Inputs {
  std::shared_ptr<dpdk::Eal> eal;  // declared first: destroyed after the sources that use it
  std::vector<std::unique_ptr<PacketSource>> sources;
  std::uint64_t total_packets = 0;  // known for DPDK replay (pre-scanned); 0 for libpcap
};

bool open_pcap_inputs(const ReplayOptions& opt, Inputs& in) {
  bool ok = true;
  for (std::size_t i = 0; i < opt.pcaps.size(); ++i) {
    std::string err;
    auto src = open_pcap_file(opt.pcaps[i], static_cast<std::uint16_t>(i), err);
    if (!src) {
      error_line(err);
      ok = false;
      continue;
    }
    in.sources.push_back(std::move(src));
  }
  return ok;
}

bool open_dpdk_inputs(const ReplayOptions& opt, Inputs& in) {
  std::vector<dpdk::ReplayFile> files;
  bool ok = true;
  for (const auto& path : opt.pcaps) {
    std::string err;
    auto f = dpdk::check_replay_file(path, err);
    if (!f) {
      error_line(err);
      ok = false;
      continue;
    }
    in.total_packets += f->scan.packets;
    files.push_back(std::move(*f));
  }
  if (!ok) return false;

  // Every file is a net_pcap port, and DPDK's build has a fixed number of ports.
  if (files.size() > kMaxDpdkReplayFiles) {
    error_line("--io dpdk replays at most " + std::to_string(kMaxDpdkReplayFiles) +
               " files at once (one DPDK port each); " + std::to_string(files.size()) +
               " were given: use --io pcap or several runs");
    return false;
  }
  dpdk::SimEalOptions eal_opt;
  for (const auto& f : files) eal_opt.rx_pcaps.push_back(f.path);
  // Each port's mempool takes ~10 MiB of the EAL's heap (no hugepages on the sim board).
  eal_opt.memory_mb = 128 + 16 * static_cast<std::uint32_t>(files.size());
  eal_opt.verbose = opt.verbose;
  // A process of its own: runs beside other DPDK processes (tests, a running appliance).
  eal_opt.file_prefix = "vigil-replay-" + std::to_string(::getpid());
  std::string err;
  in.eal = dpdk::Eal::init(dpdk::sim_eal_args(eal_opt), err);
  if (!in.eal) {
    error_line("DPDK EAL: " + err);
    return false;
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto src = dpdk::DpdkPortSource::open_pcap_replay(in.eal, files[i], i,
                                                      static_cast<std::uint16_t>(i), {}, err);
    if (!src) {
      error_line(err);
      return false;
    }
    in.sources.push_back(std::move(src));
  }
  return true;
}

void drain(Worker& worker, eve::EveWriter& eve, ReplayTally& tally,
           capture::FlowPcapAssembler* pcaps) {
  // Alerts first: a flow's alerts precede its flow event, as in Suricata's eve.json.
  if (auto* d = worker.detect()) {
    d->alerts().consume_all([&](const detect::AlertRecord& a) {
      eve.write_alert(a);
      tally.add_alert(a);
    });
  }
  if (auto* a = worker.app()) {
    app::AppRecordHeader h;
    std::string json;
    while (app::pop_app_record(a->records(), h, json)) eve.write_app_record(h, json);
  }
  // A flagged flow's packets before its flow record: its end record completes the pcap.
  if (auto* c = worker.capture(); c != nullptr && pcaps != nullptr) {
    capture::CaptureRecordHeader h;
    std::string bytes;
    while (capture::pop_capture_record(c->queue(), h, bytes)) pcaps->add(h, bytes);
  }
  worker.records().consume_all([&](const FlowRecord& r) {
    eve.write_flow(r);
    tally.add(r);
  });
}

// Applies -k, --simulate-ips and --set; false after printing the errors.
bool apply_settings(const ReplayOptions& opt, ReplaySettings& s) {
  bool ok = true;
  if (!opt.checksums.empty()) {
    const SetOutcome o = apply_checksum_mode(opt.checksums, s);
    if (o.status == SetOutcome::Status::error) {
      error_line(o.message);
      ok = false;
    }
  }
  s.worker.detect.inline_mode = opt.simulate_ips;
  for (const std::string& set : opt.sets) {
    const SetOutcome o = apply_suricata_set(set, s);
    if (o.status == SetOutcome::Status::error) {
      error_line(o.message);
      ok = false;
    } else if (o.status == SetOutcome::Status::warning) {
      std::fprintf(stderr, "vigild: warning: %s\n", o.message.c_str());
    }
  }
  return ok;
}

// Loads the rules into s.worker.rules; false after printing why nothing could be loaded.
bool load_rules(const ReplayOptions& opt, ReplaySettings& s, RuleLoadReport& report) {
  if (opt.rules.empty()) return true;
  std::string classification = opt.classification;
  if (classification.empty()) {
    const auto beside = std::filesystem::path(opt.rules.front()).parent_path() / "classification.config";
    std::error_code ec;
    if (std::filesystem::is_regular_file(beside, ec)) classification = beside.string();
  }
  const auto t0 = std::chrono::steady_clock::now();
  RuleLoad load = load_rule_files(opt.rules, classification, s.rules);
  for (const std::string& w : load.warnings) std::fprintf(stderr, "vigild: warning: %s\n", w.c_str());
  if (!load.fatal.empty()) {
    for (const std::string& f : load.fatal) error_line(f);
    return false;
  }
  if (!load.result.rules) {
    error_line("rules: " + load.result.failure.value_or("the rule set could not be built"));
    return false;
  }
  for (const auto& e : load.result.errors) {
    std::fprintf(stderr, "vigild: rule skipped: %s\n", detect::format_rule_load_error(e).c_str());
  }
  report.loaded = true;
  report.stats = load.result.rules->stats();
  report.load_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  s.worker.rules = load.result.rules;
  return true;
}

// The replay job's name for its event batches: the same inputs, rules and settings give the same
// name, so a run repeated after a crash sends batches the provider recognises as repeats.
std::string job_key(const ReplayOptions& opt, const ReplaySettings& s) {
  std::string text;
  for (const std::string& p : opt.pcaps) {
    std::error_code ec;
    const auto abs = std::filesystem::absolute(p, ec);
    const auto size = std::filesystem::file_size(p, ec);
    const auto mtime = std::filesystem::last_write_time(p, ec).time_since_epoch().count();
    text += abs.string() + "|" + std::to_string(size) + "|" + std::to_string(mtime) + "\n";
  }
  text += s.worker.rules ? s.worker.rules->fingerprint() : std::string("no rules");
  for (const std::string& set : opt.sets) text += "\n" + set;
  text += opt.simulate_ips ? "\nips" : "\nids";
  unsigned char digest[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key = "replay-";
  for (int i = 0; i < 12; ++i) {
    key += kHex[digest[i] >> 4];
    key += kHex[digest[i] & 15];
  }
  return key;
}

void print_upload_report(const UploadReport& r, const std::string& config) {
  std::printf("upload (%s): %llu event batches (%llu events, %llu already at the provider), %llu "
              "flow pcaps; %llu TLS handshakes (%llu resumed) over %llu connections\n",
              config.c_str(), static_cast<unsigned long long>(r.upload.sent_batches),
              static_cast<unsigned long long>(r.upload.sent_events),
              static_cast<unsigned long long>(r.upload.duplicates),
              static_cast<unsigned long long>(r.upload.sent_pcaps),
              static_cast<unsigned long long>(r.handshakes),
              static_cast<unsigned long long>(r.resumed_handshakes),
              static_cast<unsigned long long>(r.connections));
  std::uint64_t lost = 0;
  for (auto k : {spool::RecordKind::alert, spool::RecordKind::event, spool::RecordKind::flow_pcap}) {
    lost += r.spool.lost(k);
  }
  std::printf("spool: %llu records (%llu bytes) left, %llu dropped or evicted (alerts %llu, events "
              "%llu, flow pcaps %llu), %llu quarantined, %llu refused by the provider; heartbeat %s\n",
              static_cast<unsigned long long>(r.left_records),
              static_cast<unsigned long long>(r.left_bytes), static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(r.spool.lost(spool::RecordKind::alert)),
              static_cast<unsigned long long>(r.spool.lost(spool::RecordKind::event)),
              static_cast<unsigned long long>(r.spool.lost(spool::RecordKind::flow_pcap)),
              static_cast<unsigned long long>(r.spool.quarantined),
              static_cast<unsigned long long>(r.spool.rejected), r.heartbeat_sent ? "sent" : "not sent");
}

}  // namespace

int run_replay(const ReplayOptions& opt) {
  if (opt.io != "pcap" && opt.io != "dpdk") {
    error_line("--io must be pcap or dpdk, not '" + opt.io + "'");
    return 1;
  }
  ReplaySettings settings = suricata_compatible_defaults();
  if (!apply_settings(opt, settings)) return 2;
  RuleLoadReport rule_report;
  if (!load_rules(opt, settings, rule_report)) return 2;
  Inputs in;
  const bool opened = opt.io == "dpdk" ? open_dpdk_inputs(opt, in) : open_pcap_inputs(opt, in);
  if (!opened) return 1;

  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) {
    error_line(opt.out_dir + ": cannot create output directory: " + ec.message());
    return 1;
  }
  std::string err;
  auto eve = eve::EveWriter::open((std::filesystem::path(opt.out_dir) / "eve.json").string(), err);
  if (!eve) {
    error_line(err);
    return 1;
  }

  WorkerConfig config = settings.worker;
  config.flows.max_flows = opt.max_flows;
  config.validate_checksums = settings.checksums == ChecksumMode::all;
  const AppLayerSettings& al = settings.app_layer;
  config.app.http.request_body_limit =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(al.http_request_body_limit, 1u << 30));
  config.app.http.response_body_limit =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(al.http_response_body_limit, 1u << 30));
  config.app.http.decompress_layer_limit =
      static_cast<std::uint8_t>(std::min<std::uint32_t>(al.http_decompress_layer_limit, 255));
  config.app.http.lzma = al.http_lzma;
  // Threads started from here on (spooler, uploader, pcap writer) inherit the control CPU; the
  // dataplane moves to its own CPU after them.
  if (opt.control_cpu >= 0 && !pin_current_thread(opt.control_cpu, err)) {
    error_line("--control-cpu: " + err);
    return 2;
  }
  // --upload: events and flagged flows' pcaps go to the spool, then to the provider.
  std::unique_ptr<UploadPipeline> upload;
  std::unique_ptr<capture::FlowPcapAssembler> pcaps;
  std::atomic<std::uint64_t> pcap_files{0};  // counted on the assembler's writer thread
  if (!opt.upload_config.empty()) {
    upload = UploadPipeline::start(opt.upload_config, job_key(opt, settings), false, err);
    if (!upload) {
      error_line("--upload " + opt.upload_config + ": " + err);
      return 2;
    }
    eve->set_line_sink([&upload](const std::string& line, bool alert) { upload->add_line(line, alert); });
    if (config.rules) {
      config.capture.enabled = true;
      try {
        pcaps = std::make_unique<capture::FlowPcapAssembler>(
            upload->staging_dir(),
            [&upload, &pcap_files](const std::filesystem::path& p, const capture::FlowPcapSummary& s) {
              upload->add_pcap(p, s.flow_id);
              ++pcap_files;
              return true;
            });
      } catch (const std::exception& e) {
        error_line(e.what());
        return 1;
      }
      pcaps->recover();  // pcaps a killed run left half-written
    }
  } else if (opt.flow_pcaps && config.rules) {
    // Flagged flows' packets: one pcap per flow in out/flows, assembled in out/flows/.staging.
    config.capture.enabled = true;
    const std::filesystem::path flows_dir = std::filesystem::path(opt.out_dir) / "flows";
    try {
      pcaps = std::make_unique<capture::FlowPcapAssembler>(
          flows_dir / ".staging",
          [&pcap_files, flows_dir](const std::filesystem::path& p, const capture::FlowPcapSummary&) {
            std::error_code rename_ec;
            std::filesystem::rename(p, flows_dir / p.filename(), rename_ec);
            pcap_files += !rename_ec;
            return !rename_ec;
          });
    } catch (const std::exception& e) {
      error_line(e.what());
      return 1;
    }
    pcaps->recover();
  } else if (opt.flow_pcaps) {
    std::fprintf(stderr, "vigild: warning: --flow-pcaps needs --rules (no flow is flagged without them)\n");
  }
  if (opt.worker_cpu >= 0 && !pin_current_thread(opt.worker_cpu, err)) {
    error_line("--worker-cpu: " + err);
    return 2;
  }
  auto worker = std::make_unique<Worker>(config, 0);
  ReplayTally tally;
  tally.keep = opt.show_flows;
  ProgressLine progress(stderr);
  const std::uint64_t started = monotonic_ns();
  std::array<PacketView, 32> burst{};
  std::uint64_t packets_before = 0;
  std::uint64_t last_ts = 0;
  int status = 0;

  for (auto& src : in.sources) {
    while (!src->done()) {
      const std::size_t n = src->rx_burst(burst);
      if (n > 0) {
        worker->process_burst({burst.data(), n});
        last_ts = std::max(last_ts, burst[n - 1].ts_ns);
        src->release_burst();
        worker->tick(last_ts);
        drain(*worker, *eve, tally, pcaps.get());
      }
      SourceProgress p = src->progress();
      p.packets += packets_before;
      progress.update(p, in.total_packets, monotonic_ns() - started);
    }
    packets_before += src->progress().packets;
    if (!src->error().empty()) {
      // A damaged file keeps what was read from it; the other files are still replayed, and the
      // exit status says the input was not whole.
      progress.clear();
      error_line(src->error());
      status = 1;
    }
  }
  progress.clear();

  worker->shutdown();
  drain(*worker, *eve, tally, pcaps.get());
  if (pcaps) {
    pcaps->finish_all();
    if (pcaps->io_errors() > 0) {
      error_line("flow pcaps: " + std::to_string(pcaps->io_errors()) + " write errors, last: " +
                 pcaps->last_error());
      status = 1;
    }
  }

  eve::CounterList counters;
  worker->for_each_counter(
      [&](std::string_view name, std::uint64_t v) { counters.emplace_back(std::string(name), v); });
  const std::uint64_t elapsed = monotonic_ns() - started;
  eve->write_stats(last_ts, elapsed / 1'000'000'000ull, counters);
  if (!eve->close(err)) {
    error_line(err);
    status = 1;
  }
  const std::string io = opt.io == "dpdk" ? "DPDK (EAL without hugepages, net_pcap ports)" : "libpcap";
  print_summary(stdout, *worker, tally, in.sources.size(), io, elapsed, eve->path(),
                eve->events());
  if (rule_report.loaded) print_detection_summary(stdout, *worker, tally, rule_report, opt.show_alerts);
  if (upload) {
    const std::uint64_t started_ns = monotonic_ns();
    const WorkerCounters wc = worker->counters();
    const std::string fingerprint = config.rules ? config.rules->fingerprint() : std::string();
    upload->set_heartbeat_source([&]() {
      uplink::HeartbeatInput hb;
      hb.versions["vigild"] = VIGIL_VERSION;
      hb.uptime_s = (monotonic_ns() - started) / 1'000'000'000ull;
      hb.ruleset_hash = fingerprint;
      // A replay's ports are its input files (PacketView::port is the file's index).
      for (std::size_t i = 0; i < in.sources.size(); ++i) {
        const SourceProgress sp = in.sources[i]->progress();
        uplink::CounterMap& port = hb.ports["input-" + std::to_string(i)];
        port["rx_packets"] = sp.packets;
        port["errors"] = in.sources[i]->error().empty() ? 0 : 1;
      }
      uplink::CounterMap& w = hb.workers["worker-0"];
      w["packets"] = wc.packets;
      w["bytes"] = wc.bytes;
      w["dropped"] = wc.dropped;
      w["flows_ended"] = wc.flows_ended;
      w["records_dropped"] = wc.records_dropped;
      return hb;
    });
    const UploadReport r = upload->finish(std::chrono::seconds(opt.upload_timeout_s));
    print_upload_report(r, opt.upload_config);
    std::printf("upload phase: %.2f s\n", static_cast<double>(monotonic_ns() - started_ns) / 1e9);
    if (!r.drained) {
      error_line("upload: " + std::to_string(r.left_records) +
                 " records are still in the spool (sent by the next run or `vigild upload`); last "
                 "error: " + r.last_error);
      status = status == 0 ? 3 : status;
    }
  } else if (pcaps) {
    std::printf("flow pcaps: %llu flagged flows written to %s\n",
                static_cast<unsigned long long>(pcap_files.load()),
                (std::filesystem::path(opt.out_dir) / "flows").string().c_str());
  }
  return status;
}

}  // namespace vigil
