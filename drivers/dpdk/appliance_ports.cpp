#include "drivers/dpdk/appliance_ports.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <array>

namespace vigil::dpdk {

namespace {
std::string dpdk_error(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }
}  // namespace

std::unique_ptr<AppliancePorts> AppliancePorts::open(const std::vector<AppliancePortSpec>& specs,
                                                     std::uint16_t workers, const Pool& pool,
                                                     std::span<const std::uint8_t> rss_key,
                                                     std::string& err) {
  std::unique_ptr<AppliancePorts> ap(new AppliancePorts());
  if (workers == 0) {
    err = "no workers";
    return nullptr;
  }
  // Find every port first, so a missing one is reported before anything is configured.
  for (const AppliancePortSpec& s : specs) {
    AppliancePort p;
    p.name = s.name;
    p.device = s.device;
    if (rte_eth_dev_get_port_by_name(s.device.c_str(), &p.eth_port) != 0) {
      err = "port " + s.name + ": no DPDK device " + s.device +
            " (not probed: check its PCI address, its binding to vfio-pci or its vdev arguments)";
      return nullptr;
    }
    ap->ports_.push_back(p);
  }
  const int socket = ap->ports_.empty() ? 0 : std::max(0, rte_eth_dev_socket_id(ap->ports_[0].eth_port));
  ap->pool_ = rte_pktmbuf_pool_create("vigil_mbufs", pool.mbufs, pool.cache, 0,
                                      static_cast<std::uint16_t>(pool.data_room), socket);
  if (ap->pool_ == nullptr) {
    err = "mempool of " + std::to_string(pool.mbufs) + " mbufs: " + dpdk_error(rte_errno);
    return nullptr;
  }
  ap->started_.assign(specs.size(), false);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const AppliancePortSpec& s = specs[i];
    AppliancePort& p = ap->ports_[i];
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(p.eth_port, &info);
    if (rc != 0) {
      err = "port " + s.name + ": cannot read device info: " + dpdk_error(rc);
      return nullptr;
    }
    p.driver = info.driver_name != nullptr ? info.driver_name : "?";
    p.socket = std::max(0, rte_eth_dev_socket_id(p.eth_port));
    p.rx_queues = std::max<std::uint16_t>(1, std::min<std::uint16_t>(workers, info.max_rx_queues));
    p.tx_queues = std::max<std::uint16_t>(1, std::min<std::uint16_t>(workers, info.max_tx_queues));
    rte_eth_conf conf{};
    // RSS over the addresses, and the ports for unfragmented TCP (the workers' software
    // distributor computes the same); with a symmetric key both directions hash alike.
    const std::uint64_t wanted_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP;
    const std::uint64_t hf = wanted_hf & info.flow_type_rss_offloads;
    std::array<std::uint8_t, 52> key{};
    if (s.rss && hf != 0 && p.rx_queues > 1 && !rss_key.empty() &&
        (info.hash_key_size == 0 || info.hash_key_size == rss_key.size())) {
      std::copy(rss_key.begin(), rss_key.end(), key.begin());
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_key = key.data();
      conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<std::uint8_t>(rss_key.size());
      conf.rx_adv_conf.rss_conf.rss_hf = hf;
      p.hw_rss = true;
    }
    rc = rte_eth_dev_configure(p.eth_port, p.rx_queues, p.tx_queues, &conf);
    if (rc != 0) {
      err = "port " + s.name + " (" + p.driver + "): cannot configure " +
            std::to_string(p.rx_queues) + " queues: " + dpdk_error(rc);
      return nullptr;
    }
    std::uint16_t rx_desc = s.rx_desc, tx_desc = s.tx_desc;
    rte_eth_dev_adjust_nb_rx_tx_desc(p.eth_port, &rx_desc, &tx_desc);
    for (std::uint16_t q = 0; q < p.rx_queues; ++q) {
      rc = rte_eth_rx_queue_setup(p.eth_port, q, rx_desc, static_cast<unsigned>(p.socket), nullptr,
                                  ap->pool_);
      if (rc != 0) {
        err = "port " + s.name + ": RX queue " + std::to_string(q) + ": " + dpdk_error(rc);
        return nullptr;
      }
    }
    for (std::uint16_t q = 0; q < p.tx_queues; ++q) {
      rc = rte_eth_tx_queue_setup(p.eth_port, q, tx_desc, static_cast<unsigned>(p.socket), nullptr);
      if (rc != 0) {
        err = "port " + s.name + ": TX queue " + std::to_string(q) + ": " + dpdk_error(rc);
        return nullptr;
      }
    }
    rc = rte_eth_dev_start(p.eth_port);
    if (rc != 0) {
      err = "port " + s.name + ": cannot start: " + dpdk_error(rc);
      return nullptr;
    }
    ap->started_[i] = true;
    // An inline port forwards whatever arrives; a monitor port sees a copy of others' traffic.
    rte_eth_promiscuous_enable(p.eth_port);
  }
  return ap;
}

AppliancePorts::~AppliancePorts() {
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (i < started_.size() && started_[i]) rte_eth_dev_stop(ports_[i].eth_port);
    rte_eth_dev_close(ports_[i].eth_port);
  }
  if (pool_ != nullptr) rte_mempool_free(pool_);
}

PortCounters AppliancePorts::counters(std::size_t index) const {
  PortCounters c;
  if (index >= ports_.size()) return c;
  const std::uint16_t id = ports_[index].eth_port;
  rte_eth_stats st{};
  if (rte_eth_stats_get(id, &st) == 0) {
    c.rx_packets = st.ipackets;
    c.tx_packets = st.opackets;
    c.rx_bytes = st.ibytes;
    c.tx_bytes = st.obytes;
    c.imissed = st.imissed;
    c.rx_errors = st.ierrors;
    c.tx_errors = st.oerrors;
    c.rx_nombuf = st.rx_nombuf;
  }
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(id, &link) == 0) {
    c.link_up = link.link_status == RTE_ETH_LINK_UP;
    c.link_speed_mbps = link.link_speed;
  }
  return c;
}

}  // namespace vigil::dpdk
