#include "tests/unit/drivers/capture_files.h"

#include <pcap/pcap.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace vigil::test {
namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void pad4(std::vector<std::uint8_t>& out) {
  while (out.size() % 4 != 0) out.push_back(0);
}

}  // namespace

std::vector<TestPacket> make_packets(std::size_t count, const std::vector<std::uint32_t>& sizes,
                                     std::uint32_t seed, std::uint64_t first_ts_ns,
                                     std::uint64_t step_ns) {
  std::vector<TestPacket> out;
  for (std::size_t i = 0; i < count; ++i) {
    TestPacket p;
    const std::uint32_t size = sizes[i % sizes.size()];
    p.ts_ns = first_ts_ns + i * step_ns;
    p.wire_len = size;
    p.bytes.resize(size);
    std::uint32_t x = seed * 2654435761u + static_cast<std::uint32_t>(i) * 40503u + 1;
    for (std::uint32_t b = 0; b < size; ++b) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      p.bytes[b] = static_cast<std::uint8_t>(x);
    }
    out.push_back(std::move(p));
  }
  return out;
}

bool write_pcap(const std::string& path, int dlt, std::uint32_t snaplen, bool nanosecond,
                const std::vector<TestPacket>& packets) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(
      dlt, static_cast<int>(snaplen),
      nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
  if (dead == nullptr) return false;
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (dumper == nullptr) {
    pcap_close(dead);
    return false;
  }
  for (const TestPacket& p : packets) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(p.ts_ns / 1'000'000'000ULL);
    const std::uint64_t frac = p.ts_ns % 1'000'000'000ULL;
    h.ts.tv_usec = static_cast<suseconds_t>(nanosecond ? frac : frac / 1000);
    h.caplen = std::min<std::uint32_t>(static_cast<std::uint32_t>(p.bytes.size()), snaplen);
    h.len = p.wire_len;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, p.bytes.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return true;
}

std::vector<std::uint8_t> pcap_bytes(std::uint32_t linktype, std::uint32_t snaplen,
                                     const std::vector<TestPacket>& packets) {
  std::vector<std::uint8_t> out;
  put32(out, 0xa1b2c3d4);
  put16(out, 2);
  put16(out, 4);
  put32(out, 0);
  put32(out, 0);
  put32(out, snaplen);
  put32(out, linktype);
  for (const TestPacket& p : packets) {
    put32(out, static_cast<std::uint32_t>(p.ts_ns / 1'000'000'000ULL));
    put32(out, static_cast<std::uint32_t>(p.ts_ns % 1'000'000'000ULL / 1000));
    put32(out, static_cast<std::uint32_t>(p.bytes.size()));
    put32(out, p.wire_len);
    out.insert(out.end(), p.bytes.begin(), p.bytes.end());
  }
  return out;
}

std::vector<std::uint8_t> pcapng_bytes(std::uint16_t linktype, bool nanosecond,
                                       const std::vector<TestPacket>& packets) {
  std::vector<std::uint8_t> out;
  // Section Header Block.
  put32(out, 0x0a0d0d0a);
  put32(out, 28);
  put32(out, 0x1a2b3c4d);
  put16(out, 1);
  put16(out, 0);
  put32(out, 0xffffffff);  // section length unknown (-1)
  put32(out, 0xffffffff);
  put32(out, 28);
  // Interface Description Block.
  const std::uint32_t idb_len = nanosecond ? 32 : 20;
  put32(out, 1);
  put32(out, idb_len);
  put16(out, linktype);
  put16(out, 0);
  put32(out, 0);  // snaplen: unlimited
  if (nanosecond) {
    put16(out, 9);  // if_tsresol
    put16(out, 1);
    out.push_back(9);  // 10^-9
    pad4(out);
    put16(out, 0);  // opt_endofopt
    put16(out, 0);
  }
  put32(out, idb_len);
  // Enhanced Packet Blocks.
  for (const TestPacket& p : packets) {
    const std::uint64_t units = nanosecond ? p.ts_ns : p.ts_ns / 1000;
    const auto caplen = static_cast<std::uint32_t>(p.bytes.size());
    const std::uint32_t block_len = 32 + ((caplen + 3) & ~3u);
    put32(out, 6);
    put32(out, block_len);
    put32(out, 0);  // interface 0
    put32(out, static_cast<std::uint32_t>(units >> 32));
    put32(out, static_cast<std::uint32_t>(units));
    put32(out, caplen);
    put32(out, p.wire_len);
    out.insert(out.end(), p.bytes.begin(), p.bytes.end());
    pad4(out);
    put32(out, block_len);
  }
  return out;
}

bool write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok =
      bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "vigil-drivers-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace vigil::test
