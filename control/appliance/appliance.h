// `vigild run`: the appliance on its NICs (docs/appliance.md). Brings up the EAL and the board's
// ports, one Worker per worker lcore (appliance_worker.h), the health monitor with the board's
// bypass relay and watchdog, DPDK telemetry commands and rte_pdump, then runs the control loop on
// the main lcore: events out of the workers into eve.json (and the uplink), the control socket
// for vigilctl, the control heartbeat. SIGTERM / SIGINT stop it cleanly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace vigil::appliance {

// Where events and flow pcaps go besides eve.json when the config names an upload config (vigild
// supplies it: the spool and the uploader, docs/uplink.md). Called from the control loop only.
struct Uplink {
  virtual ~Uplink() = default;
  virtual void add_line(const std::string& line, bool alert) = 0;
  virtual void hand_over() = 0;  // once per control-loop round
  virtual std::filesystem::path staging_dir() const = 0;
  virtual void add_pcap(const std::filesystem::path& pcap, std::uint64_t flow_id) = 0;
  virtual void finish() = 0;     // at stop: send what is left (bounded), report
  // What the heartbeat reports of the appliance: ruleset fingerprint, per-port and per-worker
  // counters, filled by a function safe to call from any thread.
  struct Health {
    std::string ruleset_hash;
    std::map<std::string, std::map<std::string, std::uint64_t>> ports, workers;
  };
  virtual void set_health_source(std::function<Health()> source) = 0;
};
using UplinkFactory =
    std::function<std::unique_ptr<Uplink>(const std::string& upload_config, std::string& err)>;

// Returns the process exit code (0 after a clean stop, 2 for a bad board or config, 1 otherwise).
int run_appliance(const std::string& board_path, const std::string& config_path,
                  const UplinkFactory& uplink);

}  // namespace vigil::appliance
