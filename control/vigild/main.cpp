// vigild: the Vigil appliance program. Subcommands:
//   replay   run capture files through the dataplane, write EVE JSON
#include <CLI/CLI.hpp>

#include "control/vigild/replay_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Vigil appliance", "vigild"};
  app.require_subcommand(1);

  vigil::ReplayOptions replay;
  auto* rp = app.add_subcommand("replay", "Replay capture files through the dataplane");
  rp->add_option("--pcap", replay.pcaps, "Capture file (pcap or pcapng); repeat for more")
      ->required();
  rp->add_option("--out", replay.out_dir, "Output directory (gets eve.json)")->required();
  rp->add_option("--io", replay.io, "Packet I/O: pcap (libpcap) or dpdk (EAL + net_pcap)")
      ->check(CLI::IsMember({"pcap", "dpdk"}));
  rp->add_option("--show-flows", replay.show_flows, "List the N largest flows in the summary");
  rp->add_option("--max-flows", replay.max_flows,
                 "Flows tracked at once; beyond it the flow nearest its timeout is evicted")
      ->check(CLI::Range(1u, 1u << 30));
  rp->add_flag("--verbose", replay.verbose, "Show DPDK's own log lines");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (rp->parsed()) return vigil::run_replay(replay);
  return 1;
}
