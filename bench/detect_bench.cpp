// vigil-bench-detect: the detection engine's cost on one core. Two phases, measured apart:
//
//   1. rule loading: RuleSet::build() over rule files read beforehand (wall time of the build,
//      resident memory after it, what loaded and what the prefilter holds);
//   2. the packet phase: the whole Worker (decode, defrag, flow, TCP tracking, stream reassembly
//      and detection) over captures held in memory, in bursts of 32, each pass with a fresh Worker
//      so that flow state starts empty. The same packets also go through a Worker without rules
//      and through a raw loop that reads every byte, in the same passes, for the ratios.
//
//   vigil-bench-detect --pcap build/captures/mixed.pcap --rules et-open/*.rules
//   vigil-bench-detect --pcap a.pcap --pcap b.pcapng --rules et-open/*.rules --passes 9
//
// All captures given are one timeline: each file is shifted in time to start one second after the
// previous one ended (a capture's own gaps are kept), so flows of one file time out during the
// next as they would on a link that carried them in turn.
#include <CLI/CLI.hpp>
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/detect/engine/classification.h"
#include "dataplane/detect/engine/detect_context.h"
#include "dataplane/detect/engine/rule_set.h"
#include "dataplane/worker/worker.h"
#include "drivers/pcap/pcap_file_source.h"

namespace {

using vigil::PacketView;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBurst = 32;

struct PacketSet {
  std::vector<std::uint8_t> arena;
  std::vector<PacketView> views;
  std::uint64_t wire_bytes = 0;
  // Per file: index of its first packet, for --each.
  std::vector<std::size_t> file_start;
};

void warn(const std::string& m) { std::fprintf(stderr, "vigil-bench-detect: %s\n", m.c_str()); }

// Appends one capture to the set, shifted to start 1 s after the set's last packet. A file that
// ends in a damaged record keeps the packets read before it (a warning says so), as a replay does.
bool load_pcap(const std::string& path, std::uint16_t port, PacketSet& set,
               std::vector<std::size_t>& offsets) {
  std::string err;
  auto src = vigil::open_pcap_file(path, port, err);
  if (!src) {
    warn(err);
    return false;
  }
  const std::size_t first = set.views.size();
  set.file_start.push_back(first);
  PacketView burst[kBurst];
  while (!src->done()) {
    const std::size_t n = src->rx_burst(burst);
    for (std::size_t i = 0; i < n; ++i) {
      offsets.push_back(set.arena.size());
      set.arena.insert(set.arena.end(), burst[i].data, burst[i].data + burst[i].caplen);
      set.views.push_back(burst[i]);
      set.wire_bytes += burst[i].wire_len;
    }
    src->release_burst();
  }
  if (!src->error().empty()) warn(src->error() + " (keeping the packets read before it)");
  if (first > 0 && set.views.size() > first) {
    std::uint64_t prev_end = 0, file_begin = UINT64_MAX;
    for (std::size_t i = 0; i < first; ++i) prev_end = std::max(prev_end, set.views[i].ts_ns);
    for (std::size_t i = first; i < set.views.size(); ++i)
      file_begin = std::min(file_begin, set.views[i].ts_ns);
    // Unsigned arithmetic wraps: adding the difference moves the file back in time as well.
    const std::uint64_t shift = prev_end + 1'000'000'000 - file_begin;
    for (std::size_t i = first; i < set.views.size(); ++i) set.views[i].ts_ns += shift;
  }
  return true;
}

bool read_file(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    warn(path + ": cannot open");
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    warn(path + ": read error");
    return false;
  }
  text = ss.str();
  return true;
}

// /proc/self/status field in bytes (VmRSS, VmHWM), 0 when unknown.
std::uint64_t proc_status_bytes(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  const std::size_t len = std::strlen(field);
  std::uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, field, len) == 0 && line[len] == ':') {
      std::sscanf(line + len + 1, "%lu", &kib);
      break;
    }
  }
  std::fclose(f);
  return kib * 1024;
}

// User + system CPU time of the process so far: on a busy shared machine the build's CPU time is
// steadier than its wall time.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double mib(std::uint64_t b) { return static_cast<double>(b) / 1048576.0; }

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Reads every byte of every packet, eight bytes at a time (as pipeline_bench's raw baseline).
double raw_pass(std::span<const PacketView> views, std::uint64_t& sink) {
  const auto t0 = Clock::now();
  for (const PacketView& v : views) {
    std::uint64_t sum = 0;
    std::uint32_t i = 0;
    for (; i + 8 <= v.caplen; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, v.data + i, 8);
      sum += word;
    }
    for (; i < v.caplen; ++i) sum += v.data[i];
    sink += sum;
  }
  return seconds_since(t0);
}

struct PassResult {
  double secs = 0;
  std::uint64_t alerts = 0;          // during the timed loop and at shutdown
  std::uint64_t alerts_at_end = 0;   // of which at shutdown (untimed)
  std::uint64_t flows = 0;
  std::uint64_t app_records = 0;  // EVE http / dns / tls records
  std::uint64_t capture_records = 0;  // flagged flows' packets and ends (with --capture)
  std::vector<std::pair<std::string, std::uint64_t>> counters;  // detect.* of the pass
};

// One pass with a fresh Worker. Timed: process_burst + tick + draining both queues. The Worker's
// construction and shutdown are not timed (shutdown's alerts are still counted).
PassResult worker_pass(std::span<const PacketView> views, const vigil::WorkerConfig& cfg,
                       bool keep_counters) {
  PassResult r;
  std::string record;
  auto worker = std::make_unique<vigil::Worker>(cfg, 0);
  auto drain = [&] {
    worker->records().consume_all([&](const vigil::FlowRecord&) { ++r.flows; });
    if (auto* d = worker->detect()) {
      d->alerts().consume_all([&](const vigil::detect::AlertRecord&) { ++r.alerts; });
    }
    if (auto* a = worker->app()) {
      vigil::app::AppRecordHeader h;
      while (vigil::app::pop_app_record(a->records(), h, record)) ++r.app_records;
    }
    if (auto* c = worker->capture()) {
      vigil::capture::CaptureRecordHeader h;
      while (vigil::capture::pop_capture_record(c->queue(), h, record)) ++r.capture_records;
    }
  };
  std::uint64_t now = 0;
  const std::size_t n = views.size();
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; i += kBurst) {
    const std::size_t len = std::min(kBurst, n - i);
    worker->process_burst(views.subspan(i, len));
    for (std::size_t j = i; j < i + len; ++j) now = std::max(now, views[j].ts_ns);
    worker->tick(now);
    drain();
  }
  r.secs = seconds_since(t0);
  const std::uint64_t before = r.alerts;
  worker->shutdown();
  drain();
  r.alerts_at_end = r.alerts - before;
  if (keep_counters) {
    worker->for_each_counter([&](std::string_view name, std::uint64_t v) {
      if (name.starts_with("detect.") || name.starts_with("app_layer.")) {
        r.counters.emplace_back(std::string(name), v);
      }
    });
  }
  return r;
}

struct Series {
  std::vector<double> secs;
  double best() const { return *std::min_element(secs.begin(), secs.end()); }
  double median() const {
    std::vector<double> s = secs;
    std::sort(s.begin(), s.end());
    const std::size_t m = s.size() / 2;
    return s.size() % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
};

void print_run(const char* what, std::uint64_t packets, std::uint64_t bytes, const Series& s,
               const char* alerts) {
  for (int k = 0; k < 2; ++k) {
    const double secs = k == 0 ? s.best() : s.median();
    std::printf("%-9s %-6s %9.0f packets/s %7.3f Gbit/s %9.1f ns/packet  %8.4f s%s%s\n",
                k == 0 ? what : "", k == 0 ? "best" : "median", packets / secs,
                bytes * 8.0 / secs / 1e9, secs * 1e9 / packets, secs,
                k == 0 && alerts ? "  alerts " : "", k == 0 && alerts ? alerts : "");
  }
}

struct Measured {
  Series raw, bare, app, rules;
  std::uint64_t app_records = 0;
  PassResult last_rules;
  std::uint64_t last_flows = 0;
  bool alerts_vary = false;
  std::uint64_t min_alerts = UINT64_MAX, max_alerts = 0;
};

// `passes` timed passes after one untimed warm-up of each loop; the three loops take turns within
// each pass, so a slow spell of the (shared) machine hits them alike.
Measured measure(std::span<const PacketView> views, const vigil::WorkerConfig& bare_cfg,
                 const vigil::WorkerConfig& app_cfg, const vigil::WorkerConfig& rules_cfg,
                 unsigned passes, std::uint64_t& sink) {
  Measured m;
  raw_pass(views, sink);
  worker_pass(views, bare_cfg, false);
  worker_pass(views, app_cfg, false);
  if (rules_cfg.rules) worker_pass(views, rules_cfg, false);
  for (unsigned p = 0; p < passes; ++p) {
    m.raw.secs.push_back(raw_pass(views, sink));
    const PassResult b = worker_pass(views, bare_cfg, false);
    m.bare.secs.push_back(b.secs);
    m.last_flows = b.flows;
    const PassResult a = worker_pass(views, app_cfg, false);
    m.app.secs.push_back(a.secs);
    m.app_records = a.app_records;
    if (rules_cfg.rules) {
      PassResult r = worker_pass(views, rules_cfg, p + 1 == passes);
      m.rules.secs.push_back(r.secs);
      m.min_alerts = std::min(m.min_alerts, r.alerts);
      m.max_alerts = std::max(m.max_alerts, r.alerts);
      if (p + 1 == passes) m.last_rules = std::move(r);
    }
  }
  m.alerts_vary = rules_cfg.rules && m.min_alerts != m.max_alerts;
  return m;
}

void report(const Measured& m, std::uint64_t packets, std::uint64_t bytes, bool with_rules,
            bool show_counters) {
  print_run("raw read", packets, bytes, m.raw, nullptr);
  print_run("no app", packets, bytes, m.bare, "0");
  print_run("app layer", packets, bytes, m.app, "0");
  std::printf("app-layer records (http, dns, tls) per pass: %llu\n",
              static_cast<unsigned long long>(m.app_records));
  if (!with_rules) return;
  if (m.last_rules.capture_records > 0) {
    std::printf("flagged-flow capture on: %llu capture records per pass\n",
                static_cast<unsigned long long>(m.last_rules.capture_records));
  }
  char alerts[96];
  if (m.alerts_vary) {
    std::snprintf(alerts, sizeof alerts, "%llu..%llu (VARIES between passes)",
                  static_cast<unsigned long long>(m.min_alerts),
                  static_cast<unsigned long long>(m.max_alerts));
  } else {
    std::snprintf(alerts, sizeof alerts, "%llu (%llu at shutdown)",
                  static_cast<unsigned long long>(m.last_rules.alerts),
                  static_cast<unsigned long long>(m.last_rules.alerts_at_end));
  }
  print_run("rules", packets, bytes, m.rules, alerts);
  std::printf("ratio rules/no-rules: best %.2fx, median %.2fx\n", m.rules.best() / m.app.best(),
              m.rules.median() / m.app.median());
  // Each loop adds one stage to the one before: their differences are the stages' shares.
  const double total = m.rules.median();
  const double dec = m.bare.median(), app = std::max(0.0, m.app.median() - dec),
               det = std::max(0.0, total - m.app.median());
  std::printf("time per stage (medians): decode+flow+stream %.0f%% (%.0f ns/packet), app layer "
              "%.0f%% (%.0f ns/packet), detection %.0f%% (%.0f ns/packet)\n",
              100 * dec / total, dec * 1e9 / packets, 100 * app / total, app * 1e9 / packets,
              100 * det / total, det * 1e9 / packets);
  std::printf("ratio rules/raw read: best %.1fx, median %.1fx; no-rules/raw read: best %.1fx\n",
              m.rules.best() / m.raw.best(), m.rules.median() / m.raw.median(),
              m.bare.best() / m.raw.best());
  if (!show_counters) return;
  std::printf("detection counters (last pass):");
  int col = 0;
  for (const auto& [name, v] : m.last_rules.counters) {
    if (v == 0) continue;
    std::printf("%s%s %llu", col++ % 4 == 0 ? "\n  " : ", ", name.c_str(),
                static_cast<unsigned long long>(v));
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Vigil detection benchmark (rule loading, then the dataplane with and without "
               "rules, one core)",
               "vigil-bench-detect"};
  std::vector<std::string> pcaps, rule_paths;
  std::string classification;
  unsigned passes = 5;
  bool midstream = true;
  bool each = false;
  std::uint32_t max_flows = 0;
  app.add_option("--pcap", pcaps, "Capture (pcap or pcapng) to load into memory; repeat for more "
                                  "(one timeline, in the order given)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--rules", rule_paths, "Rule file (Suricata language); repeat for more")
      ->check(CLI::ExistingFile);
  app.add_option("--classification", classification,
                 "classification.config (default: beside the first rule file, else built in)")
      ->check(CLI::ExistingFile);
  app.add_option("--passes", passes, "Timed passes of each loop (best and median are reported)")
      ->check(CLI::Range(1u, 1000u));
  app.add_flag("--midstream,!--no-midstream", midstream,
               "Pick up TCP sessions without a handshake (default on: captures often start "
               "mid-session; Suricata's default is off)");
  app.add_flag("--each", each, "Also measure every capture on its own (rules vs no rules)");
  bool capture = false;
  app.add_flag("--capture", capture,
               "Keep flagged flows' packets in the rules loop (the cost of --flow-pcaps / --upload)");
  app.add_option("--max-flows", max_flows, "Flow table size (default: the Worker's, 65,536)");
  CLI11_PARSE(app, argc, argv);

  // ---- Phase 1: rule loading (before the packets, so the resident figure is the rules') ----
  std::shared_ptr<const vigil::detect::RuleSet> rules;
  if (!rule_paths.empty()) {
    const std::uint64_t rss_before = proc_status_bytes("VmRSS");
    vigil::detect::RuleSetConfig rcfg;
    if (classification.empty()) {
      const auto beside =
          std::filesystem::path(rule_paths.front()).parent_path() / "classification.config";
      std::error_code ec;
      if (std::filesystem::is_regular_file(beside, ec)) classification = beside.string();
    }
    const auto t_read = Clock::now();
    if (!classification.empty()) {
      std::string text;
      if (!read_file(classification, text)) return 1;
      auto c = vigil::detect::parse_classification_config(text, classification);
      for (const auto& e : c.errors) warn("classification: " + e);
      rcfg.classification = std::move(c.table);
    }
    std::vector<vigil::detect::RuleFile> files;
    std::size_t text_bytes = 0;
    for (const std::string& p : rule_paths) {
      vigil::detect::RuleFile f;
      f.source = p;
      if (!read_file(p, f.text)) return 1;
      text_bytes += f.text.size();
      files.push_back(std::move(f));
    }
    const double read_secs = seconds_since(t_read);
    const double cpu0 = cpu_seconds();
    const auto t_build = Clock::now();
    vigil::detect::RuleSetBuildResult built = vigil::detect::RuleSet::build(files, rcfg);
    const double build_secs = seconds_since(t_build);
    const double build_cpu = cpu_seconds() - cpu0;
    if (!built.rules) {
      warn("rules: " + built.failure.value_or("the rule set could not be built"));
      return 1;
    }
    rules = std::move(built.rules);
    // What a running process keeps: the rule texts and the per-rule messages are gone.
    files.clear();
    files.shrink_to_fit();
    built.errors.clear();
    built.errors.shrink_to_fit();
    const std::uint64_t rss_after = proc_status_bytes("VmRSS");
    const std::uint64_t hwm = proc_status_bytes("VmHWM");
    malloc_trim(0);
    const std::uint64_t rss_trimmed = proc_status_bytes("VmRSS");

    const auto& st = rules->stats();
    std::printf("rules: %zu files (%.1f MiB of text, read in %.3f s), classification %s\n",
                rule_paths.size(), mib(text_bytes), read_secs,
                classification.empty() ? "built in" : classification.c_str());
    std::printf("rules: %zu read, %zu loaded, %zu skipped", st.rules, st.loaded, st.skipped);
    for (const auto& [reason, n] : st.skipped_by_reason) {
      std::printf("; %s %zu", reason.c_str(), n);
    }
    std::printf("\nrules: reached by fast pattern %zu, IP-only %zu, port groups / every packet "
                "%zu\n", st.pattern, st.iponly, st.no_pattern);
    std::printf("rules: prefilter %zu patterns in %zu buffers, database %.1f MiB, scratch %.1f KiB "
                "per worker\n",
                st.prefilter.patterns, rules->prefilter() ? rules->prefilter()->buffer_count() : 0,
                mib(st.prefilter.database_bytes), st.prefilter.scratch_bytes / 1024.0);
    std::printf("rule load: build %.3f s wall, %.3f s CPU (parse %.3f s, keywords %.3f s, "
                "prefilter %.3f s)\n",
                build_secs, build_cpu, st.parse_time.count() / 1e9, st.compile_time.count() / 1e9,
                st.prefilter_time.count() / 1e9);
    std::printf("rule load: resident %.1f MiB after the build (%.1f MiB before it; after "
                "malloc_trim %.1f MiB); peak while building %.1f MiB\n",
                mib(rss_after), mib(rss_before), mib(rss_trimmed), mib(hwm));
  } else {
    std::printf("rules: none given (only the no-rules and raw loops run)\n");
  }

  // ---- Phase 2: packets ----
  PacketSet set;
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < pcaps.size(); ++i) {
    if (!load_pcap(pcaps[i], static_cast<std::uint16_t>(i), set, offsets)) return 1;
  }
  for (std::size_t i = 0; i < set.views.size(); ++i) {
    set.views[i].data = set.arena.data() + offsets[i];
  }
  if (set.views.empty()) {
    warn("no packets");
    return 1;
  }

  // From here on freed memory stays with the process: each pass's fresh Worker reuses the pages
  // the previous one faulted in, as a long-running worker has its memory resident. (Set after
  // the rule phase so that its resident figure is not inflated.)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  vigil::WorkerConfig bare;
  if (max_flows) bare.flows.max_flows = max_flows;
  bare.flows.tcp.midstream = midstream;
  bare.stream.midstream_pickup = midstream;
  bare.record_queue_capacity = 1u << 20;
  bare.app.enabled = false;
  vigil::WorkerConfig with_app = bare;
  with_app.app.enabled = true;
  vigil::WorkerConfig with = with_app;
  with.rules = rules;
  with.capture.enabled = capture;

  const std::uint64_t packets = set.views.size();
  std::printf("packets: %zu capture%s, %llu packets, %llu wire bytes (%.1f bytes/packet), "
              "midstream %s; %u timed passes, each with a fresh Worker, bursts of %zu\n",
              pcaps.size(), pcaps.size() == 1 ? "" : "s", static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(set.wire_bytes),
              static_cast<double>(set.wire_bytes) / packets, midstream ? "on" : "off", passes,
              kBurst);

  std::uint64_t sink = 0;
  const Measured all = measure(set.views, bare, with_app, with, passes, sink);
  std::printf("flows: %llu records per pass\n", static_cast<unsigned long long>(all.last_flows));
  report(all, packets, set.wire_bytes, rules != nullptr, true);

  if (each && pcaps.size() > 1) {
    std::printf("\nper capture (median of %u passes): packets, no rules ns/packet%s\n", passes,
                rules ? ", rules ns/packet, ratio, alerts" : "");
    set.file_start.push_back(set.views.size());
    for (std::size_t f = 0; f < pcaps.size(); ++f) {
      const std::size_t a = set.file_start[f], b = set.file_start[f + 1];
      if (a == b) continue;
      const std::span<const PacketView> part(set.views.data() + a, b - a);
      const Measured m = measure(part, bare, with_app, with, passes, sink);
      const double n = static_cast<double>(b - a);
      std::printf("  %-60s %7zu %9.1f", std::filesystem::path(pcaps[f]).filename().c_str(), b - a,
                  m.bare.median() * 1e9 / n);
      if (rules) {
        std::printf(" %9.1f %6.2fx %6llu", m.rules.median() * 1e9 / n,
                    m.rules.median() / m.bare.median(),
                    static_cast<unsigned long long>(m.last_rules.alerts));
      }
      std::printf("\n");
    }
  }
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink & 0xffff));
  return 0;
}
