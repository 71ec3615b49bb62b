#include "drivers/dpdk/dpdk_eal.h"

#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>

#include <atomic>

namespace vigil::dpdk {
namespace {

std::atomic<bool> g_eal_claimed{false};

// The EAL pins its main thread to the main lcore's CPU: pick a CPU this process may run on
// (CI containers often exclude CPU 0) and call it lcore 0.
int first_allowed_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) return cpu;
    }
  }
  return 0;
}

}  // namespace

std::shared_ptr<Eal> Eal::init(std::span<const std::string> args, std::string& err) {
  if (args.empty()) {
    err = "DPDK EAL arguments are empty (the first one is the program name)";
    return nullptr;
  }
  if (g_eal_claimed.exchange(true)) {
    err = "the DPDK EAL is already initialised in this process; DPDK allows one initialisation "
          "per process";
    return nullptr;
  }
  // The EAL reorders argv and may keep pointers to the strings: both live in the Eal object.
  std::shared_ptr<Eal> eal(new Eal(std::vector<std::string>(args.begin(), args.end())));
  std::vector<char*> argv;
  argv.reserve(eal->args_.size() + 1);
  for (std::string& a : eal->args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  eal->argv_ = std::move(argv);
  if (rte_eal_init(static_cast<int>(eal->args_.size()), eal->argv_.data()) < 0) {
    err = std::string("DPDK EAL initialisation failed: ") + rte_strerror(rte_errno);
    eal->initialised_ = false;
    return nullptr;
  }
  eal->initialised_ = true;
  return eal;
}

Eal::~Eal() {
  if (!initialised_) return;
  // The EAL makes a runtime directory per file prefix (empty with --no-shconf) and leaves it
  // behind; a replay uses a prefix per process, so remove it, or every run would leave one.
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  if (!runtime_dir.empty()) ::rmdir(runtime_dir.c_str());  // only succeeds when empty
}

std::vector<std::string> sim_eal_args(const SimEalOptions& options) {
  std::vector<std::string> args = {
      "vigil",
      // Plain memory instead of hugepages. --in-memory is not usable here: with --no-huge the
      // 22.11 EAL switches to legacy memory, which refuses --in-memory. --no-shconf gives the
      // same isolation (no shared config, no IPC socket), so several processes run side by side.
      "--no-huge",
      "-m",
      std::to_string(options.memory_mb),
      "--no-pci",
      "--no-shconf",
      "--no-telemetry",
      "--file-prefix=" + options.file_prefix,
      "--lcores=0@" + std::to_string(first_allowed_cpu()),
      options.verbose ? "--log-level=info" : "--log-level=error",
  };
  if (!options.pmd_dir.empty()) {
    args.push_back("-d");
    args.push_back(options.pmd_dir);
  }
  for (std::size_t i = 0; i < options.rx_pcaps.size(); ++i) {
    args.push_back("--vdev=" + pcap_vdev_name(i) + ",rx_pcap=" + options.rx_pcaps[i]);
  }
  for (const std::string& vdev : options.extra_vdevs) args.push_back("--vdev=" + vdev);
  return args;
}

std::string pcap_vdev_name(std::size_t index) { return "net_pcap" + std::to_string(index); }

}  // namespace vigil::dpdk
