// DpdkPortSource: a PacketSource over RX queue 0 of one DPDK ethdev port. Views of single-segment
// packets point into their mbuf (no copy; PacketView::handle is the rte_mbuf*); a packet chained
// over several mbufs is copied once into a per-source linearisation arena (counted in stats).
// One thread at a time (the port's RX queue has one reader). The source owns its port (stopped and
// closed on destruction), its mempool and every mbuf of an unreleased burst, and keeps the Eal
// alive until it is gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "drivers/dpdk/dpdk_eal.h"
#include "drivers/packet_source.h"
#include "drivers/pcap/capture_file.h"
#include "drivers/pcap/pcap_file_source.h"

struct rte_mbuf;
struct rte_mempool;

namespace vigil::dpdk {

struct DpdkPortOptions {
  std::uint16_t rx_descriptors = 1024;
  std::uint16_t tx_descriptors = 512;
  std::uint32_t mbufs = 4095;           // mempool size; 2^n - 1 suits the mempool's ring
  std::uint32_t mbuf_cache = 128;       // per-lcore cache of the mempool
  std::uint16_t mbuf_data_room = 0;     // 0: DPDK's default (2 KiB + headroom): a whole 1518-byte frame
  std::uint16_t mtu = 0;                // 0: the port's default
  std::size_t linear_arena_bytes = 256 * 1024;  // per burst; also the largest chained packet kept whole
};

struct DpdkPortStats {
  std::uint64_t rx_packets = 0;  // rte_eth_stats.ipackets
  std::uint64_t rx_errors = 0;   // ierrors: packets the port could not receive (bad records too)
  std::uint64_t rx_missed = 0;   // imissed: dropped by the port for lack of descriptors
  std::uint64_t rx_nombuf = 0;   // dropped for lack of mbufs
  std::uint64_t linearised = 0;  // chained packets copied into the linearisation arena
  std::uint64_t cut = 0;         // chained packets longer than the arena, delivered cut to it
  std::uint64_t record_mismatch = 0;  // replay: mbufs whose file record could not be matched
};

// A capture file checked with libpcap before the EAL sees it (the EAL's probe errors are cryptic).
struct ReplayFile {
  std::string path;
  PcapScan scan;
};

// Checks that `path` can be replayed through net_pcap: on failure returns nullopt and sets err to
// the same one line the pcap source gives (or says the path cannot be passed as a vdev argument).
std::optional<ReplayFile> check_replay_file(const std::string& path, std::string& err);

class DpdkPortSource final : public PacketSource {
 public:
  static constexpr std::uint16_t kMaxBurst = 32;
  // A replay port that returns nothing this many polls in a row, short of the file's packet
  // count, is declared ended (with an error) rather than polled forever.
  static constexpr std::uint32_t kMaxEmptyPolls = 1024;

  // A port of any driver (an appliance NIC): unbounded, never done().
  static std::unique_ptr<DpdkPortSource> open_port(std::shared_ptr<Eal> eal,
                                                   std::uint16_t eth_port, std::uint16_t port_index,
                                                   LinkType link_type,
                                                   const DpdkPortOptions& options,
                                                   std::string& err);

  // The net_pcap port made by sim_eal_args() for vdev `vdev_index`, replaying `file`: link type
  // from the file, done() after the file's last packet, error() as the pcap source's.
  static std::unique_ptr<DpdkPortSource> open_pcap_replay(std::shared_ptr<Eal> eal,
                                                          const ReplayFile& file,
                                                          std::size_t vdev_index,
                                                          std::uint16_t port_index,
                                                          const DpdkPortOptions& options,
                                                          std::string& err);

  ~DpdkPortSource() override;

  std::size_t rx_burst(std::span<PacketView> views) override;
  void release_burst() override;
  bool done() const override { return ended_ && rx_next_ == rx_count_; }
  SourceProgress progress() const override;
  const std::string& error() const override { return error_; }

  // Reads the port's counters (a control-path call, not for every burst).
  DpdkPortStats stats() const;
  std::uint16_t eth_port() const { return eth_port_; }

  // How the source turns an mbuf's timestamp into nanoseconds since the epoch.
  enum class Clock : std::uint8_t {
    pmd_microseconds,  // net_pcap: the dynfield holds the capture time in microseconds
    wall_clock,        // no usable dynfield: time of the rx_burst() call
  };
  Clock clock() const { return clock_; }

 private:
  struct Port;
  struct PoolDeleter {
    void operator()(rte_mempool* pool) const noexcept;
  };

  DpdkPortSource() = default;
  static std::unique_ptr<DpdkPortSource> open(std::shared_ptr<Eal> eal, std::uint16_t eth_port,
                                              std::uint16_t port_index, LinkType link_type,
                                              const DpdkPortOptions& options, std::string& err);
  void poll(std::size_t wanted);
  void restore_record(PacketView& v);
  void check_replay_end(std::uint16_t received);

  // Destroyed in reverse order: mbufs are freed by ~DpdkPortSource(), then the port is stopped and
  // closed, then the mempool freed, then the EAL released.
  std::shared_ptr<Eal> eal_;
  std::unique_ptr<rte_mempool, PoolDeleter> pool_;
  std::unique_ptr<Port> port_;

  std::uint16_t eth_port_ = 0;
  std::uint16_t port_index_ = 0;
  LinkType link_type_ = LinkType::ethernet;
  std::string name_;

  Clock clock_ = Clock::wall_clock;
  int ts_offset_ = -1;          // byte offset of the timestamp dynfield in the mbuf
  std::uint64_t ts_flag_ = 0;   // ol_flags bit saying the dynfield is set

  // Received from the port but not yet delivered (a burst is cut short when the linearisation
  // arena is full), and delivered but not yet released.
  rte_mbuf* rx_[kMaxBurst] = {};
  std::uint16_t rx_next_ = 0;
  std::uint16_t rx_count_ = 0;
  rte_mbuf* burst_[kMaxBurst] = {};
  std::uint16_t burst_count_ = 0;

  std::unique_ptr<std::uint8_t[]> linear_;
  std::size_t linear_bytes_ = 0;
  std::uint64_t linearised_ = 0;
  std::uint64_t cut_ = 0;

  // Replay bound (net_pcap over a file); unbounded for an appliance port.
  bool bounded_ = false;
  std::uint64_t expected_ = 0;  // good packets in the file
  std::string end_error_;       // the file's error, reported once its good packets are through
  std::uint64_t received_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint32_t empty_polls_ = 0;
  // net_pcap keeps neither a record's original length nor its sub-microsecond time. A replay
  // reads the file's record headers alongside the port (the port still delivers the bytes, in
  // mbufs) and restores both, so both --io paths see identical packets. See restore_record().
  capture::CaptureFile records_;
  std::uint64_t record_mismatch_ = 0;
  bool ended_ = false;
  std::string error_;
};

}  // namespace vigil::dpdk
