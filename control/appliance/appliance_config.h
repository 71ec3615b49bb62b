// The appliance's own configuration (TOML), beside the board file: what to inspect with, where
// events go, the control socket, health timings. Every error names the file, line and field.
//
//   [detect]  rules = ["/etc/vigil/rules/et.rules"]   classification = "..."   mode = "ips" | "ids"
//   [output]  dir = "/var/log/vigil"                  (eve.json)
//   [upload]  config = "/etc/vigil/uplink.toml"       (optional: spool and provider)
//   [control] socket = "/run/vigil/vigild.sock"   file_prefix = "vigil"
//   [health]  stall_ms = 500  recover_ms = 3000  check_interval_ms = 100  control_stall_ms = 5000
//   [capture] flow_pcaps = true                       (flagged flows' packets; default on)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::appliance {

struct ApplianceConfig {
  std::vector<std::string> rules;
  std::string classification;
  bool ips = true;  // inline: drop and reject take effect
  std::string output_dir = "out";
  std::string upload_config;  // empty: no uplink
  std::string control_socket = "vigild.sock";
  std::string file_prefix = "vigil";
  std::uint32_t stall_ms = 0;  // 0: the board's [bypass] stall_ms
  std::uint32_t recover_ms = 3000;
  std::uint32_t check_interval_ms = 100;
  std::uint32_t control_stall_ms = 5000;
  bool flow_pcaps = true;
};

bool load_appliance_config(const std::string& path, ApplianceConfig& out, std::string& err);

}  // namespace vigil::appliance
