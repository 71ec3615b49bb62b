// What a replay prints: a progress line while it runs (only on a terminal) and the summary.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

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

  void add(const FlowRecord& r);
};

void print_summary(std::FILE* out, const Worker& worker, const ReplayTally& tally,
                   std::size_t files, const std::string& io, std::uint64_t elapsed_ns, const std::string& eve_path,
                   std::uint64_t eve_events);

// "1,234,567"
std::string with_commas(std::uint64_t v);

}  // namespace vigil
