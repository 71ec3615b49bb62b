// `vigild run`: the appliance on its NICs (control/appliance, docs/appliance.md).
#pragma once

#include <string>

namespace vigil {

struct RunOptions {
  std::string board;   // board file (TOML): ports, lcores, devices
  std::string config;  // appliance config (TOML): rules, outputs, control socket, health
};

int run_run(const RunOptions& options);

}  // namespace vigil
