#include "control/vigild/rules_check_command.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "control/config/replay_settings.h"
#include "control/vigild/replay_report.h"
#include "dataplane/detect/engine/detect_context.h"

namespace vigil {

namespace {

// Peak resident memory of this process (kernel's ru_maxrss is in KiB on Linux).
std::uint64_t peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
}

// Current resident memory (VmRSS from /proc/self/status), 0 when unknown.
std::uint64_t current_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  std::uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmRSS: %lu kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib * 1024;
}

// The keyword a message "keyword 'x' is not supported" names, for the per-keyword table.
std::string unsupported_keyword(const std::string& message) {
  const auto a = message.find('\'');
  const auto b = a == std::string::npos ? a : message.find('\'', a + 1);
  return b == std::string::npos ? message : message.substr(a + 1, b - a - 1);
}

}  // namespace

int run_rules_check(const RulesCheckOptions& opt) {
  ReplaySettings settings = suricata_compatible_defaults();
  for (const std::string& set : opt.sets) {
    const SetOutcome o = apply_suricata_set(set, settings);
    if (o.status == SetOutcome::Status::error) {
      std::fprintf(stderr, "vigild: error: %s\n", o.message.c_str());
      return 2;
    }
    if (o.status == SetOutcome::Status::warning) {
      std::fprintf(stderr, "vigild: warning: %s\n", o.message.c_str());
    }
  }
  std::string classification = opt.classification;
  if (classification.empty() && !opt.files.empty()) {
    const auto beside =
        std::filesystem::path(opt.files.front()).parent_path() / "classification.config";
    std::error_code ec;
    if (std::filesystem::is_regular_file(beside, ec)) classification = beside.string();
  }
  const auto t0 = std::chrono::steady_clock::now();
  RuleLoad load = load_rule_files(opt.files, classification, settings.rules);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const std::string& w : load.warnings) std::fprintf(stderr, "vigild: warning: %s\n", w.c_str());
  if (!load.fatal.empty()) {
    for (const std::string& f : load.fatal) std::fprintf(stderr, "vigild: error: %s\n", f.c_str());
    return 1;
  }
  if (!load.result.rules) {
    std::fprintf(stderr, "vigild: error: %s\n",
                 load.result.failure.value_or("the rule set could not be built").c_str());
    return 1;
  }
  std::map<std::string, std::size_t> keywords;
  for (const auto& e : load.result.errors) {
    if (!opt.quiet) std::printf("skipped: %s\n", detect::format_rule_load_error(e).c_str());
    if (e.reason == "unsupported_keyword") ++keywords[unsupported_keyword(e.message)];
  }
  // One worker's run-time state, to report what a worker costs on top of the shared set.
  detect::DetectContext ctx(load.result.rules, detect::DetectConfig{});
  const detect::RuleSetStats& st = load.result.rules->stats();
  const double pct = st.rules ? 100.0 * static_cast<double>(st.loaded) / static_cast<double>(st.rules) : 100.0;
  std::printf("%zu file%s: %s rules, %s loaded (%.2f%%), %s skipped\n", opt.files.size(),
              opt.files.size() == 1 ? "" : "s", with_commas(st.rules).c_str(),
              with_commas(st.loaded).c_str(), pct, with_commas(st.skipped).c_str());
  for (const auto& [reason, n] : st.skipped_by_reason) {
    std::printf("  skipped %-28s %s\n", reason.c_str(), with_commas(n).c_str());
  }
  std::vector<std::pair<std::size_t, std::string>> kw;
  for (const auto& [k, n] : keywords) kw.emplace_back(n, k);
  std::sort(kw.rbegin(), kw.rend());
  for (std::size_t i = 0; i < kw.size() && i < 12; ++i) {
    std::printf("    unsupported keyword %-20s %s\n", kw[i].second.c_str(), with_commas(kw[i].first).c_str());
  }
  std::printf("reached by: fast pattern %s, IP-only %s, port groups / every packet %s; "
              "app-layer transactions %s\n",
              with_commas(st.pattern).c_str(), with_commas(st.iponly).c_str(),
              with_commas(st.no_pattern).c_str(), with_commas(st.transaction).c_str());
  std::printf("payload databases %zu (per transport and port group); fast patterns of one "
              "repeated byte replaced %zu\n", st.payload_databases, st.fast_patterns_replaced);
  std::printf("compiled in %.3f s (parse %.3f s, keywords %.3f s, prefilter %.3f s); "
              "prefilter: %s patterns in %zu buffers, %s; resident memory %s (peak while compiling %s)\n",
              secs, st.parse_time.count() / 1e9, st.compile_time.count() / 1e9,
              st.prefilter_time.count() / 1e9, with_commas(st.prefilter.patterns).c_str(),
              load.result.rules->prefilter() ? load.result.rules->prefilter()->buffer_count() : 0,
              human_bytes(st.prefilter.database_bytes).c_str(), human_bytes(current_rss_bytes()).c_str(),
              human_bytes(peak_rss_bytes()).c_str());
  std::printf("ruleset fingerprint %s\n", load.result.rules->fingerprint().c_str());
  return 0;
}

}  // namespace vigil
