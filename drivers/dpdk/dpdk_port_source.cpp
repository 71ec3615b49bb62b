#include "drivers/dpdk/dpdk_port_source.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

namespace vigil::dpdk {
namespace {

// Linearised packets start on cache-line boundaries, as they would in an mbuf.
constexpr std::size_t kLinearAlign = 64;

std::size_t align_up(std::size_t n) { return (n + kLinearAlign - 1) & ~(kLinearAlign - 1); }

std::uint64_t wall_clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);  // vDSO: no system call
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// The timestamp dynfield's unit and epoch are the driver's own (rte_mbuf_dyn.h). Only drivers
// whose unit is known here have it turned into nanoseconds; a NIC's free-running clock would need
// rte_eth_read_clock() calibration, which is experimental API in DPDK 22.11.
bool stamps_epoch_microseconds(const char* driver) {
  return driver != nullptr && std::strcmp(driver, "net_pcap") == 0;
}

std::string dpdk_error(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

// Copies up to `len` bytes of a chained packet, segment by segment.
void copy_chain(const rte_mbuf* m, std::uint8_t* dst, std::uint32_t len) {
  for (; m != nullptr && len > 0; m = m->next) {
    const std::uint32_t part = std::min<std::uint32_t>(m->data_len, len);
    std::memcpy(dst, rte_pktmbuf_mtod(m, const std::uint8_t*), part);
    dst += part;
    len -= part;
  }
}

}  // namespace

struct DpdkPortSource::Port {
  explicit Port(std::uint16_t port_id) : id(port_id) {}
  ~Port() {
    if (started) rte_eth_dev_stop(id);
    rte_eth_dev_close(id);
  }
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  std::uint16_t id;
  bool started = false;
};

void DpdkPortSource::PoolDeleter::operator()(rte_mempool* pool) const noexcept {
  rte_mempool_free(pool);
}

std::optional<ReplayFile> check_replay_file(const std::string& path, std::string& err) {
  // The vdev argument is "net_pcapN,rx_pcap=<path>": DPDK's kvargs split it at ',' and '='.
  if (path.find_first_of(",=") != std::string::npos) {
    err = path + ": the file name contains ',' or '=', which a DPDK vdev argument cannot carry";
    return std::nullopt;
  }
  PcapScan scan = count_pcap_packets(path);
  if (!scan.opened) {
    err = scan.error;
    return std::nullopt;
  }
  return ReplayFile{path, std::move(scan)};
}

std::unique_ptr<DpdkPortSource> DpdkPortSource::open_port(std::shared_ptr<Eal> eal,
                                                          std::uint16_t eth_port,
                                                          std::uint16_t port_index,
                                                          LinkType link_type,
                                                          const DpdkPortOptions& options,
                                                          std::string& err) {
  return open(std::move(eal), eth_port, port_index, link_type, options, err);
}

std::unique_ptr<DpdkPortSource> DpdkPortSource::open_pcap_replay(std::shared_ptr<Eal> eal,
                                                                 const ReplayFile& file,
                                                                 std::size_t vdev_index,
                                                                 std::uint16_t port_index,
                                                                 const DpdkPortOptions& options,
                                                                 std::string& err) {
  if (!eal) {
    err = file.path + ": the DPDK EAL is not initialised";
    return nullptr;
  }
  const std::string vdev = pcap_vdev_name(vdev_index);
  std::uint16_t eth_port = 0;
  if (rte_eth_dev_get_port_by_name(vdev.c_str(), &eth_port) != 0) {
    err = file.path + ": no DPDK port " + vdev + " (the EAL arguments must list this file)";
    return nullptr;
  }
  std::unique_ptr<DpdkPortSource> src =
      open(std::move(eal), eth_port, port_index, file.scan.link_type, options, err);
  if (!src) return nullptr;
  if (src->clock_ != Clock::pmd_microseconds) {
    err = file.path + ": DPDK port " + vdev + " does not stamp packets with their capture time";
    return nullptr;
  }
  src->name_ = file.path;
  if (!capture::open_capture_file(file.path, src->records_, err)) return nullptr;
  src->bounded_ = true;
  src->expected_ = file.scan.packets;
  src->end_error_ = file.scan.error;
  if (src->expected_ == 0) {
    src->ended_ = true;
    src->error_ = src->end_error_;
  }
  return src;
}

std::unique_ptr<DpdkPortSource> DpdkPortSource::open(std::shared_ptr<Eal> eal,
                                                     std::uint16_t eth_port,
                                                     std::uint16_t port_index, LinkType link_type,
                                                     const DpdkPortOptions& options,
                                                     std::string& err) {
  const std::string where = "DPDK port " + std::to_string(eth_port);
  if (!eal) {
    err = where + ": the DPDK EAL is not initialised";
    return nullptr;
  }
  if (!rte_eth_dev_is_valid_port(eth_port)) {
    err = where + ": no such port";
    return nullptr;
  }
  if (options.linear_arena_bytes == 0 || options.mbufs == 0) {
    err = where + ": the mempool and the linearisation arena cannot be empty";
    return nullptr;
  }
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(eth_port, &info);
  if (rc != 0) {
    err = where + ": cannot read device info: " + dpdk_error(rc);
    return nullptr;
  }
  char dev_name[RTE_ETH_NAME_MAX_LEN] = {};
  rte_eth_dev_get_name_by_port(eth_port, dev_name);
  const std::string port_name = where + " (" + dev_name + ")";

  // Each source names its mempool after its port: an existing pool means another source owns the
  // port, which must not be reconfigured (or closed by this one's failure) under it.
  char pool_name[RTE_MEMPOOL_NAMESIZE];
  std::snprintf(pool_name, sizeof pool_name, "vigil_rx_%u", static_cast<unsigned>(eth_port));
  if (rte_mempool_lookup(pool_name) != nullptr) {
    err = port_name + ": already used by another source";
    return nullptr;
  }

  std::unique_ptr<DpdkPortSource> src(new DpdkPortSource);
  src->eal_ = std::move(eal);
  src->eth_port_ = eth_port;
  src->port_index_ = port_index;
  src->link_type_ = link_type;
  src->name_ = std::string(dev_name) + " (" + (info.driver_name ? info.driver_name : "?") + ")";

  src->port_ = std::make_unique<Port>(eth_port);  // from here on, failure closes the port

  rte_eth_conf conf{};
  // Frames longer than one mbuf arrive chained; ask for that where the port makes it optional.
  if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) != 0) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
  }
  const bool known_clock = stamps_epoch_microseconds(info.driver_name);
  if (known_clock && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) != 0) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
  }
  conf.rxmode.mtu = options.mtu;
  const std::uint16_t tx_queues = info.max_tx_queues > 0 ? 1 : 0;
  rc = rte_eth_dev_configure(eth_port, 1, tx_queues, &conf);
  if (rc != 0) {
    err = port_name + ": cannot configure: " + dpdk_error(rc);
    return nullptr;
  }
  std::uint16_t rx_desc = options.rx_descriptors;
  std::uint16_t tx_desc = options.tx_descriptors;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(eth_port, &rx_desc, &tx_desc);
  if (rc != 0) {
    err = port_name + ": cannot size its queues: " + dpdk_error(rc);
    return nullptr;
  }

  const int socket = rte_eth_dev_socket_id(eth_port);
  const std::uint16_t data_room =
      options.mbuf_data_room != 0 ? options.mbuf_data_room : RTE_MBUF_DEFAULT_BUF_SIZE;
  src->pool_.reset(rte_pktmbuf_pool_create(pool_name, options.mbufs, options.mbuf_cache, 0,
                                           data_room, socket));
  if (!src->pool_) {
    err = port_name + ": cannot create a mempool of " + std::to_string(options.mbufs) +
          " mbufs: " + dpdk_error(rte_errno);
    return nullptr;
  }

  rte_eth_rxconf rxconf = info.default_rxconf;
  rxconf.offloads = conf.rxmode.offloads;
  rc = rte_eth_rx_queue_setup(eth_port, 0, rx_desc, static_cast<unsigned>(socket), &rxconf,
                              src->pool_.get());
  if (rc != 0) {
    err = port_name + ": cannot set up RX queue 0: " + dpdk_error(rc);
    return nullptr;
  }
  if (tx_queues > 0) {
    rc = rte_eth_tx_queue_setup(eth_port, 0, tx_desc, static_cast<unsigned>(socket), nullptr);
    if (rc != 0) {
      err = port_name + ": cannot set up TX queue 0: " + dpdk_error(rc);
      return nullptr;
    }
  }
  rc = rte_eth_dev_start(eth_port);
  if (rc != 0) {
    err = port_name + ": cannot start: " + dpdk_error(rc);
    return nullptr;
  }
  src->port_->started = true;

  // net_pcap registers the timestamp field and flag when it is probed, whether or not the
  // offload is asked for, and always fills them.
  const int offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
  const int flag_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
  if (known_clock && offset >= 0 && flag_bit >= 0) {
    src->clock_ = Clock::pmd_microseconds;
    src->ts_offset_ = offset;
    src->ts_flag_ = 1ULL << flag_bit;
  }

  src->linear_bytes_ = options.linear_arena_bytes;
  src->linear_.reset(new std::uint8_t[src->linear_bytes_]);
  return src;
}

DpdkPortSource::~DpdkPortSource() {
  release_burst();
  if (rx_next_ < rx_count_) {
    rte_pktmbuf_free_bulk(rx_ + rx_next_, static_cast<unsigned>(rx_count_ - rx_next_));
  }
}

void DpdkPortSource::release_burst() {
  if (burst_count_ > 0) {
    rte_pktmbuf_free_bulk(burst_, burst_count_);
    burst_count_ = 0;
  }
}

void DpdkPortSource::poll(std::size_t wanted) {
  const auto max = static_cast<std::uint16_t>(std::min<std::size_t>(wanted, kMaxBurst));
  rx_count_ = rte_eth_rx_burst(eth_port_, 0, rx_, max);
  rx_next_ = 0;
  if (bounded_) check_replay_end(rx_count_);
}

void DpdkPortSource::check_replay_end(std::uint16_t received) {
  received_ += received;
  if (received_ >= expected_) {
    ended_ = true;
  } else if (received == 0) {
    // net_pcap returns nothing at the end of the file, but also after a record it could not
    // read or store: those are in the port's counters.
    rte_eth_stats st{};
    if (rte_eth_stats_get(eth_port_, &st) == 0 && received_ + st.ierrors + st.rx_nombuf >= expected_) {
      ended_ = true;
    } else if (++empty_polls_ >= kMaxEmptyPolls) {
      ended_ = true;
      error_ = name_ + ": the DPDK port stopped after " + std::to_string(received_) + " of " +
               std::to_string(expected_) + " packets";
      return;
    }
  } else {
    empty_polls_ = 0;
  }
  if (ended_ && error_.empty()) error_ = end_error_;
}

std::size_t DpdkPortSource::rx_burst(std::span<PacketView> views) {
  release_burst();
  if (views.empty()) return 0;
  if (rx_next_ == rx_count_) {
    if (ended_) return 0;
    poll(views.size());
  }

  std::uint64_t burst_time = 0;  // read at most once per burst, only if a packet needs it
  std::size_t n = 0;
  std::size_t used = 0;
  while (n < views.size() && rx_next_ < rx_count_) {
    rte_mbuf* m = rx_[rx_next_];
    PacketView& v = views[n];
    if (m->nb_segs == 1) {
      v.data = rte_pktmbuf_mtod(m, const std::uint8_t*);
      v.caplen = m->data_len;
    } else {
      const std::uint32_t len =
          static_cast<std::uint32_t>(std::min<std::size_t>(m->pkt_len, linear_bytes_));
      if (len > linear_bytes_ - used) break;  // n > 0 here: delivered in the next burst
      std::uint8_t* dst = linear_.get() + used;
      copy_chain(m, dst, len);
      v.data = dst;
      v.caplen = len;
      used = std::min(used + align_up(len), linear_bytes_);  // the arena need not be aligned
      ++linearised_;
      if (len < m->pkt_len) ++cut_;
    }
    v.wire_len = m->pkt_len;
    if (clock_ == Clock::pmd_microseconds && (m->ol_flags & ts_flag_) != 0) {
      v.ts_ns = *RTE_MBUF_DYNFIELD(m, ts_offset_, const rte_mbuf_timestamp_t*) * 1000ULL;
    } else {
      if (burst_time == 0) burst_time = wall_clock_ns();
      v.ts_ns = burst_time;
    }
    if (bounded_) restore_record(v);
    v.port = port_index_;
    v.link_type = link_type_;
    v.handle = m;
    burst_[burst_count_++] = m;
    ++rx_next_;
    ++n;
  }
  delivered_ += n;
  return n;
}

// The next file record should be this mbuf's: same captured length (up to the arena cut) and the
// same microsecond. net_pcap skips records it cannot store (counted in ierrors), so a few records
// may be passed over to find it; when none matches, the mbuf's own values stand, counted.
void DpdkPortSource::restore_record(PacketView& v) {
  static constexpr int kMaxSkipped = 8;
  pcap_t* p = records_.pcap.get();
  if (p == nullptr) return;
  for (int i = 0; i <= kMaxSkipped; ++i) {
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    if (pcap_next_ex(p, &h, &data) != 1) break;
    const std::uint64_t ts_ns =
        static_cast<std::uint64_t>(h->ts.tv_sec) * 1'000'000'000ULL +
        static_cast<std::uint64_t>(h->ts.tv_usec);  // nanosecond precision: tv_usec holds ns
    const bool same_len = h->caplen == v.caplen || (v.caplen < h->caplen && v.caplen == linear_bytes_);
    if (same_len && ts_ns / 1000 == v.ts_ns / 1000) {
      v.ts_ns = ts_ns;
      v.wire_len = std::max(h->len, v.caplen);
      return;
    }
  }
  ++record_mismatch_;
}

SourceProgress DpdkPortSource::progress() const {
  SourceProgress p;
  p.name = name_;
  p.packets = delivered_;
  if (bounded_) {
    p.unit = SourceProgress::Unit::packets;
    p.total = expected_;
    p.consumed = done() ? expected_ : std::min(delivered_, expected_);
  }
  return p;
}

DpdkPortStats DpdkPortSource::stats() const {
  DpdkPortStats out;
  rte_eth_stats st{};
  if (rte_eth_stats_get(eth_port_, &st) == 0) {
    out.rx_packets = st.ipackets;
    out.rx_errors = st.ierrors;
    out.rx_missed = st.imissed;
    out.rx_nombuf = st.rx_nombuf;
  }
  out.linearised = linearised_;
  out.cut = cut_;
  out.record_mismatch = record_mismatch_;
  return out;
}

}  // namespace vigil::dpdk
