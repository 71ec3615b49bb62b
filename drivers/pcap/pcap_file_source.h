// PcapFileSource: a PacketSource over one capture file (classic pcap or pcapng) read with libpcap
// at nanosecond precision. libpcap reuses one buffer per packet, so each packet is copied once
// into an arena allocated at open; a burst's views point into that arena until the burst is
// released. One thread at a time; the caller owns the source, the source owns the file and arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "drivers/packet_source.h"

struct pcap;
struct pcap_pkthdr;

namespace vigil {

class PcapFileSource final : public PacketSource {
 public:
  // Smallest arena: room for a full burst of jumbo frames. A file with a larger snapshot length
  // gets an arena of that length, so any single packet fits.
  static constexpr std::size_t kMinArenaBytes = 256 * 1024;

  ~PcapFileSource() override;

  std::size_t rx_burst(std::span<PacketView> views) override;
  void release_burst() override {}
  bool done() const override { return ended_ && !has_pending_; }
  SourceProgress progress() const override;
  const std::string& error() const override { return error_; }

  LinkType link_type() const { return link_type_; }

 private:
  friend std::unique_ptr<PcapFileSource> open_pcap_file(const std::string& path,
                                                        std::uint16_t port, std::string& err);
  struct Closer {
    void operator()(pcap* p) const noexcept;
  };

  PcapFileSource(std::string path, std::uint16_t port, std::unique_ptr<char[]> io_buffer,
                 std::unique_ptr<pcap, Closer> pcap, LinkType link_type, std::uint64_t file_bytes,
                 std::size_t arena_bytes);
  bool next_record();

  std::string path_;
  std::uint16_t port_;
  LinkType link_type_;
  std::unique_ptr<char[]> io_buffer_;  // the file's stdio buffer: outlives pcap_, which closes it
  std::unique_ptr<pcap, Closer> pcap_;
  std::uint64_t file_bytes_;
  std::unique_ptr<std::uint8_t[]> arena_;
  std::size_t arena_bytes_;

  // A record read from libpcap that did not fit in what was left of the arena: it is delivered
  // first in the next burst (libpcap's buffer stays valid until the next read).
  const pcap_pkthdr* pending_header_ = nullptr;
  const std::uint8_t* pending_data_ = nullptr;
  bool has_pending_ = false;

  std::uint64_t packets_ = 0;
  bool ended_ = false;
  std::string error_;
};

// Opens a capture for replay; `port` is the file's index, copied into every view. On failure
// returns nullptr and sets err to one line naming the file and what is wrong with it.
std::unique_ptr<PcapFileSource> open_pcap_file(const std::string& path, std::uint16_t port,
                                               std::string& err);

// What a full read of a capture finds, without keeping any packet.
struct PcapScan {
  bool opened = false;          // false: `error` says why the file cannot be read at all
  std::uint64_t packets = 0;    // good packets before the end of the file or the first bad record
  std::uint64_t file_bytes = 0;
  LinkType link_type = LinkType::ethernet;
  std::string error;            // empty when the whole file was read; else the source's error()
};

// Reads the whole file once; used by the DPDK replay source to know when its port is drained.
PcapScan count_pcap_packets(const std::string& path);

}  // namespace vigil
