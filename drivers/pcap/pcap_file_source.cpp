#include "drivers/pcap/pcap_file_source.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "drivers/pcap/capture_file.h"

namespace vigil {
namespace {

// Packets start on 16-byte boundaries in the arena, like they would in a driver's buffer.
constexpr std::size_t kPacketAlign = 16;

std::size_t align_up(std::size_t n) { return (n + kPacketAlign - 1) & ~(kPacketAlign - 1); }

std::uint64_t timestamp_ns(const pcap_pkthdr& h) {
  // Opened at nanosecond precision: libpcap puts nanoseconds in tv_usec.
  return static_cast<std::uint64_t>(h.ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(h.ts.tv_usec);
}

}  // namespace

void PcapFileSource::Closer::operator()(pcap* p) const noexcept { pcap_close(p); }

PcapFileSource::PcapFileSource(std::string path, std::uint16_t port,
                               std::unique_ptr<char[]> io_buffer,
                               std::unique_ptr<pcap, Closer> handle, LinkType link_type,
                               std::uint64_t file_bytes, std::size_t arena_bytes)
    : path_(std::move(path)),
      port_(port),
      link_type_(link_type),
      io_buffer_(std::move(io_buffer)),
      pcap_(std::move(handle)),
      file_bytes_(file_bytes),
      arena_(new std::uint8_t[arena_bytes]),
      arena_bytes_(arena_bytes) {}

PcapFileSource::~PcapFileSource() = default;

std::unique_ptr<PcapFileSource> open_pcap_file(const std::string& path, std::uint16_t port,
                                               std::string& err) {
  capture::CaptureFile file;
  if (!capture::open_capture_file(path, file, err)) return nullptr;
  const std::size_t arena = std::max<std::size_t>(PcapFileSource::kMinArenaBytes,
                                                  align_up(file.snaplen));
  std::unique_ptr<pcap, PcapFileSource::Closer> handle(file.pcap.release());
  return std::unique_ptr<PcapFileSource>(new PcapFileSource(path, port, std::move(file.io_buffer),
                                                            std::move(handle), file.link_type,
                                                            file.size_bytes, arena));
}

bool PcapFileSource::next_record() {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(pcap_.get(), &header, &data);
  if (rc == 1) {
    pending_header_ = header;
    pending_data_ = data;
    has_pending_ = true;
    return true;
  }
  ended_ = true;
  if (rc != PCAP_ERROR_BREAK) {  // PCAP_ERROR_BREAK is the clean end of the file
    error_ = capture::describe_read_error(path_, pcap_geterr(pcap_.get()), packets_);
  }
  return false;
}

std::size_t PcapFileSource::rx_burst(std::span<PacketView> views) {
  std::size_t n = 0;
  std::size_t used = 0;
  while (n < views.size()) {
    if (!has_pending_ && (ended_ || !next_record())) break;
    const pcap_pkthdr& h = *pending_header_;
    if (h.caplen > arena_bytes_ - used) {
      if (n > 0) break;  // delivered first in the next burst
      // libpcap never returns more than the snapshot length, which the arena holds; a record
      // that still does not fit is refused rather than cut.
      has_pending_ = false;
      ended_ = true;
      error_ = capture::describe_read_error(
          path_,
          "captured length " + std::to_string(h.caplen) + " exceeds the reader's " +
              std::to_string(arena_bytes_) + "-byte buffer",
          packets_);
      break;
    }
    std::uint8_t* dst = arena_.get() + used;
    std::memcpy(dst, pending_data_, h.caplen);
    has_pending_ = false;

    PacketView& v = views[n];
    v.data = dst;
    v.caplen = h.caplen;
    v.wire_len = h.len;
    v.ts_ns = timestamp_ns(h);
    v.port = port_;
    v.link_type = link_type_;
    v.handle = nullptr;
    used = std::min(used + align_up(h.caplen), arena_bytes_);
    ++n;
    ++packets_;
  }
  return n;
}

SourceProgress PcapFileSource::progress() const {
  SourceProgress p;
  p.name = path_;
  p.packets = packets_;
  p.total = file_bytes_;
  p.unit = SourceProgress::Unit::bytes;
  if (done() && error_.empty()) {
    p.consumed = file_bytes_;
  } else {
    const long at = std::ftell(pcap_file(pcap_.get()));
    p.consumed = at > 0 ? std::min<std::uint64_t>(static_cast<std::uint64_t>(at), file_bytes_) : 0;
  }
  return p;
}

PcapScan count_pcap_packets(const std::string& path) {
  PcapScan scan;
  capture::CaptureFile file;
  if (!capture::open_capture_file(path, file, scan.error)) return scan;
  scan.opened = true;
  scan.file_bytes = file.size_bytes;
  scan.link_type = file.link_type;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(file.pcap.get(), &header, &data)) == 1) ++scan.packets;
  if (rc != PCAP_ERROR_BREAK) {
    scan.error = capture::describe_read_error(path, pcap_geterr(file.pcap.get()), scan.packets);
  }
  return scan;
}

}  // namespace vigil
