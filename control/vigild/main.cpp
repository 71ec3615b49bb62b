// vigild: the Vigil appliance program. Subcommands:
//   replay        run capture files through the dataplane, write EVE JSON
//   rules check   load rule files and report what loads
//   upload        send what the spool holds to the provider
//   run           the appliance on its NICs (board file + appliance config)
#include <CLI/CLI.hpp>

#include "control/vigild/replay_command.h"
#include "control/vigild/rules_check_command.h"
#include "control/vigild/run_command.h"
#include "control/vigild/upload_command.h"

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
  rp->add_option("--rules,-S", replay.rules, "Rule file (Suricata language); repeat for more");
  rp->add_option("--classification", replay.classification,
                 "classification.config (default: beside the first rule file, else built in)");
  rp->add_option("-k", replay.checksums, "Checksum validation: none or all (as Suricata's -k)")
      ->check(CLI::IsMember({"none", "all"}));
  rp->add_flag("--simulate-ips", replay.simulate_ips,
               "Inline semantics on a capture: drop and reject rules block (as Suricata)");
  rp->add_option("--set", replay.sets, "KEY=VALUE with Suricata's setting names; repeatable");
  rp->add_option("--show-alerts", replay.show_alerts, "List the N most frequent alerts");
  rp->add_flag("--flow-pcaps", replay.flow_pcaps,
               "Write the packets of each flagged flow to OUT/flows/<flow id>.pcap");
  rp->add_option("--upload", replay.upload_config,
                 "Upload config (TOML): spool events and flagged flows' pcaps and send them to the "
                 "provider over mutual TLS")
      ->check(CLI::ExistingFile);
  rp->add_option("--worker-cpu", replay.worker_cpu, "Run the dataplane on this CPU");
  rp->add_option("--control-cpu", replay.control_cpu,
                 "Run the upload and pcap-writing threads on this CPU");
  rp->add_option("--upload-timeout", replay.upload_timeout_s,
                 "Seconds to keep sending after the replay (what is left stays in the spool)");

  vigil::RunOptions run;
  auto* rn = app.add_subcommand("run", "Run the appliance on the board's NICs until SIGTERM");
  rn->add_option("--board", run.board, "Board file (TOML)")->required()->check(CLI::ExistingFile);
  rn->add_option("--config", run.config, "Appliance config (TOML)")->required()->check(CLI::ExistingFile);

  vigil::UploadOptions upload;
  auto* up = app.add_subcommand("upload", "Send what the spool holds to the provider, then exit");
  up->add_option("--config", upload.config, "Upload config (TOML)")->required()->check(CLI::ExistingFile);
  up->add_option("--timeout", upload.timeout_s, "Give up after this many seconds");

  vigil::RulesCheckOptions check;
  auto* rules = app.add_subcommand("rules", "Rule set tools");
  auto* rc = rules->add_subcommand("check", "Load rule files and report what loads (like suricata -T)");
  rules->require_subcommand(1);
  rc->add_option("files", check.files, "Rule files")->required();
  rc->add_option("--classification", check.classification,
                 "classification.config (default: beside the first file, else built in)");
  rc->add_option("--set", check.sets, "KEY=VALUE (e.g. vars.address-groups.HOME_NET=[10.0.0.0/8])");
  rc->add_flag("--quiet,-q", check.quiet, "Only the totals, not one line per skipped rule");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (rp->parsed()) return vigil::run_replay(replay);
  if (rc->parsed()) return vigil::run_rules_check(check);
  if (up->parsed()) return vigil::run_upload(upload);
  if (rn->parsed()) return vigil::run_run(run);
  return 1;
}
