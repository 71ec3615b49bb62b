// Pinning threads to CPUs, as the appliance keeps its workers apart from the control plane.
#pragma once

#include <string>

namespace vigil {

// Pins the calling thread to `cpu`; threads it starts afterwards inherit that. false + err
// naming the CPU when the kernel refuses (no such CPU, not in the allowed set).
bool pin_current_thread(int cpu, std::string& err);

}  // namespace vigil
