// Opening a capture file (pcap or pcapng) with libpcap, and saying in one line what is wrong with
// it. Shared by the pcap source and the DPDK replay source so both report the same errors.
// Free functions; the returned handle is owned by the caller and used by one thread at a time.
#pragma once

#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/packet/packet_view.h"

namespace vigil::capture {

// The dataplane's link type for a libpcap DLT value (as pcap_datalink() returns it), or nullopt
// when the decoder does not handle that link type.
std::optional<LinkType> link_type_from_dlt(int dlt);

struct PcapCloser {
  void operator()(pcap_t* p) const noexcept { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

struct CaptureFile {
  // stdio buffer of the file libpcap reads: one read() per kIoBufferBytes rather than per few
  // packets. Declared before `pcap` so the file is closed before its buffer goes.
  static constexpr std::size_t kIoBufferBytes = 256 * 1024;
  std::unique_ptr<char[]> io_buffer;
  PcapHandle pcap;                // reads timestamps at nanosecond precision
  LinkType link_type = LinkType::ethernet;
  std::uint64_t size_bytes = 0;   // file size at open, for progress
  std::uint32_t snaplen = 0;      // libpcap's snapshot length for the file (caplen never exceeds it)
};

// Opens `path` and checks it is a capture the dataplane can decode. On failure returns false and
// sets err to one line starting with the path: cannot open (errno text), not a regular file,
// empty file, truncated in the file header, not a pcap or pcapng file (bad magic), unsupported
// link type.
bool open_capture_file(const std::string& path, CaptureFile& out, std::string& err);

// The one-line error for a record libpcap could not read after `packets_read` good packets.
std::string describe_read_error(std::string_view path, std::string_view libpcap_message,
                                std::uint64_t packets_read);

}  // namespace vigil::capture
