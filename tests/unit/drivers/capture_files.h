// Test captures for the driver tests: packets with known bytes and times, written as classic
// pcap (through libpcap's dumper), as pcapng (built byte by byte), or as broken files.
// Plain helpers for one test thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/packet/packet_view.h"

namespace vigil::test {

struct TestPacket {
  std::uint64_t ts_ns = 0;
  std::uint32_t wire_len = 0;
  std::vector<std::uint8_t> bytes;  // what is captured (caplen = bytes.size())
};

// One packet as a source delivered it, copied out of the view.
struct Received {
  std::vector<std::uint8_t> bytes;
  std::uint32_t caplen = 0;
  std::uint32_t wire_len = 0;
  std::uint64_t ts_ns = 0;
  std::uint16_t port = 0;
  LinkType link_type = LinkType::ethernet;
};

// `count` packets whose sizes cycle through `sizes` and whose bytes depend on `seed` and the
// packet's index; times start at `first_ts_ns` and step by `step_ns`.
std::vector<TestPacket> make_packets(std::size_t count, const std::vector<std::uint32_t>& sizes,
                                     std::uint32_t seed, std::uint64_t first_ts_ns,
                                     std::uint64_t step_ns);

// Classic pcap through pcap_dump(); nanosecond or microsecond timestamps (a microsecond file
// drops the sub-microsecond part of ts_ns). Packets longer than snaplen are cut to it.
bool write_pcap(const std::string& path, int dlt, std::uint32_t snaplen, bool nanosecond,
                const std::vector<TestPacket>& packets);

// Classic pcap built by hand (little-endian, microseconds), for link types libpcap would not write
// and for broken records.
std::vector<std::uint8_t> pcap_bytes(std::uint32_t linktype, std::uint32_t snaplen,
                                     const std::vector<TestPacket>& packets);

// pcapng: one section, one interface (if_tsresol 9 when nanosecond, else the default 6), one
// Enhanced Packet Block per packet.
std::vector<std::uint8_t> pcapng_bytes(std::uint16_t linktype, bool nanosecond,
                                       const std::vector<TestPacket>& packets);

bool write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes);

// A fresh directory under the system temp dir, removed with its content on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace vigil::test
