// Eal: the DPDK Environment Abstraction Layer, initialised with rte_eal_init() and cleaned up
// with rte_eal_cleanup() when the last owner lets go. DPDK allows one initialisation per
// process, even after a cleanup: a second Eal::init() fails with an error saying so. Every port
// source holds a shared_ptr to the Eal, so the EAL outlives the ports. init() may be called from
// any thread; the thread that succeeds becomes the EAL's main lcore.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vigil::dpdk {

class Eal {
 public:
  // args[0] is the program name, as in argv. On failure returns nullptr and sets err.
  static std::shared_ptr<Eal> init(std::span<const std::string> args, std::string& err);

  ~Eal();
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;

  const std::vector<std::string>& args() const { return args_; }

 private:
  explicit Eal(std::vector<std::string> args) : args_(std::move(args)) {}
  std::vector<std::string> args_;
  std::vector<char*> argv_;
  bool initialised_ = false;
};

// What the sim board hands the EAL: no hugepages, no PCI, no shared files, one lcore, and one
// net_pcap<i> virtual device per capture file (port i reads file i).
struct SimEalOptions {
  std::vector<std::string> rx_pcaps;     // one net_pcap vdev each, in this order
  std::vector<std::string> extra_vdevs;  // further --vdev arguments (net_ring0, ...)
  std::uint32_t memory_mb = 256;         // -m: heap for mempools, taken from plain memory
  bool verbose = false;                  // EAL and PMD logs at info level instead of errors only
  std::string pmd_dir;                   // -d <dir> when the EAL does not autoload its PMDs
  std::string file_prefix = "vigil-sim"; // runtime directory name under /var/run/dpdk
};

std::vector<std::string> sim_eal_args(const SimEalOptions& options);

// "net_pcap<index>": the ethdev name of the index-th rx_pcap vdev made by sim_eal_args().
std::string pcap_vdev_name(std::size_t index);

}  // namespace vigil::dpdk
