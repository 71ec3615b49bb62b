// What a replay prints: a progress line while it runs (only on a terminal) and the summary.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "dataplane/detect/engine/alert.h"
#include "dataplane/detect/engine/rule_set.h"
#include "dataplane/flow/flow_record.h"
#include "dataplane/worker/worker.h"
#include "drivers/packet_source.h"

namespace vigil {

class ProgressLine {
 public:
  explicit ProgressLine(std::FILE* out);  // silent unless `out` is a terminal
  // Redraws at most a few times a second.
  void update(const SourceProgress& p, std::uint64_t total_packets, std::uint64_t elapsed_ns);
  void clear();

 private:
  std::FILE* out_;
  bool enabled_;
  std::uint64_t last_draw_ns_ = 0;
  bool drawn_ = false;
};

// Keeps what the summary needs from the flow records as they leave the worker.
struct ReplayTally {
  std::uint64_t flows = 0;
  std::uint64_t flows_by_proto[256]{};
  std::uint64_t ended_by_reason[8]{};
  std::vector<FlowRecord> largest;  // the N largest flows by bytes
  unsigned keep = 0;

  std::uint64_t alerts = 0, alerts_blocked = 0;
  std::map<const detect::Signature*, std::uint64_t> alerts_by_sig;

  void add(const FlowRecord& r);
  void add_alert(const detect::AlertRecord& a);
};

// What the summary says about rule loading (kept apart from the packet phase's time).
struct RuleLoadReport {
  bool loaded = false;
  detect::RuleSetStats stats;
  std::uint64_t load_ns = 0;  // reading files, compiling, building the prefilter
};

void print_detection_summary(std::FILE* out, const Worker& worker, const ReplayTally& tally,
                             const RuleLoadReport& rules, unsigned show_alerts);

void print_summary(std::FILE* out, const Worker& worker, const ReplayTally& tally,
                   std::size_t files, const std::string& io, std::uint64_t elapsed_ns, const std::string& eve_path,
                   std::uint64_t eve_events);

// "1,234,567"
std::string with_commas(std::uint64_t v);
// "12.3 MiB"
std::string human_bytes(std::uint64_t v);

}  // namespace vigil
