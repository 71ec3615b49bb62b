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
  std::vector<std::string> rules;  // rule files; none: no detection
  std::string classification;      // classification.config; empty: beside the first rule file,
                                   // else the built-in table
  std::string checksums;           // -k none|all (empty: none)
  bool simulate_ips = false;       // --simulate-ips: drop / reject take effect
  std::vector<std::string> sets;   // --set KEY=VALUE, Suricata's names
  unsigned show_alerts = 10;       // signatures listed in the summary
  bool flow_pcaps = false;         // one pcap per flagged flow in out_dir/flows/<flow id>.pcap
  std::string upload_config;       // --upload: spool and send events and flow pcaps (docs/uplink.md)
  unsigned upload_timeout_s = 120; // how long to keep sending after the replay before giving up
  int worker_cpu = -1;             // pin the dataplane (this thread) to a CPU; -1: no pinning
  int control_cpu = -1;            // pin the upload and capture-writing threads to a CPU
};

// Returns the process exit code: 0 when every file was replayed whole, 1 otherwise (after one
// error line per problem on stderr; what was read before a truncation is still written out).
int run_replay(const ReplayOptions& options);

}  // namespace vigil
