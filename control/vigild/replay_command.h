// `vigild replay`: runs capture files through the dataplane and writes EVE JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

struct ReplayOptions {
  std::vector<std::string> pcaps;  // replayed in order, as one timeline
  std::string out_dir;             // gets eve.json
  std::string io = "pcap";         // "pcap" (libpcap) or "dpdk" (EAL + net_pcap, as on the sim board)
  unsigned show_flows = 0;         // list the N largest flows in the summary
  std::uint32_t max_flows = 65536; // flow table size (flows tracked at once); evicts beyond
  bool verbose = false;            // DPDK's own logs at info level
};

// Returns the process exit code: 0 when every file was replayed whole, 1 otherwise (after one
// error line per problem on stderr; what was read before a truncation is still written out).
int run_replay(const ReplayOptions& options);

}  // namespace vigil
