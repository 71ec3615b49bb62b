// AppliancePorts: the appliance's NIC ports on DPDK (docs/appliance.md). Every port gets one RX
// and one TX queue per worker; a port whose driver can hash in hardware gets RSS over the IP
// addresses with the board's symmetric key (both directions of a flow hash alike, fragments
// included); a port without (af_packet, ring, a NIC with too few queues) gets as many queues as
// it has, and the workers' software distributor hands each packet to the worker that owns its
// flow (appliance_worker). One mempool for all ports, on the ports' NUMA node.
//
// Thread-safety: set up and torn down by the main lcore; rx/tx by workers on their own queues;
// stats() from any thread (DPDK's stats calls are safe alongside the datapath).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct rte_mempool;

namespace vigil::dpdk {

struct AppliancePortSpec {
  std::string name;    // the board's name for it ("lan0")
  std::string device;  // DPDK device name: a PCI address or the vdev's name ("net_af_packet0")
  std::uint16_t rx_desc = 1024, tx_desc = 1024;
  bool rss = true;     // the board asks for hardware RSS
};

struct AppliancePort {
  std::string name, device, driver;
  std::uint16_t eth_port = 0;
  std::uint16_t rx_queues = 1, tx_queues = 1;
  bool hw_rss = false;  // the NIC spreads flows itself with the symmetric key
  int socket = 0;
};

struct PortCounters {
  std::uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  std::uint64_t imissed = 0;    // dropped by the NIC: RX queues full
  std::uint64_t rx_errors = 0, tx_errors = 0;
  std::uint64_t rx_nombuf = 0;  // RX failed for want of mbufs
  bool link_up = false;
  std::uint32_t link_speed_mbps = 0;
};

class AppliancePorts {
 public:
  struct Pool {
    std::uint32_t mbufs = 8191, cache = 256, data_room = 2176;
  };
  // Configures and starts every port with `workers` queue pairs (or fewer, see above). The EAL
  // must be initialised with these devices. nullptr + err naming the port and DPDK's reason.
  static std::unique_ptr<AppliancePorts> open(const std::vector<AppliancePortSpec>& specs,
                                              std::uint16_t workers, const Pool& pool,
                                              std::span<const std::uint8_t> rss_key,
                                              std::string& err);
  ~AppliancePorts();  // stops and closes the ports, frees the pool
  AppliancePorts(const AppliancePorts&) = delete;
  AppliancePorts& operator=(const AppliancePorts&) = delete;

  const std::vector<AppliancePort>& ports() const { return ports_; }
  rte_mempool* pool() const { return pool_; }
  PortCounters counters(std::size_t index) const;

 private:
  AppliancePorts() = default;
  std::vector<AppliancePort> ports_;
  std::vector<bool> started_;
  rte_mempool* pool_ = nullptr;
};

}  // namespace vigil::dpdk
