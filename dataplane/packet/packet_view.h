// PacketView: what a driver hands the dataplane for one received packet.
// The bytes belong to the driver (a DPDK mbuf or a libpcap buffer); the view is valid until the
// driver releases the burst it came in. The dataplane never copies a packet to look at it.
#pragma once

#include <cstdint>
#include <span>

namespace vigil {

// Link types carried by captures (libpcap DLT_* / LINKTYPE_* values) that the decoder accepts.
enum class LinkType : std::uint16_t {
  null_loopback = 0,  // BSD loopback: 4-byte address family in host byte order of the capturer
  ethernet = 1,
  ppp = 9,            // PPP (RFC 1661), with or without HDLC-like address and control bytes
  ppp_serial = 50,    // PPP in HDLC-like framing, or Cisco HDLC
  ppp_ether = 51,     // PPPoE session header, then PPP
  raw = 101,          // LINKTYPE_RAW: IPv4 or IPv6, told apart by the version nibble
  c_hdlc = 104,       // Cisco HDLC: address, control, ethertype
  loop = 108,         // OpenBSD loopback: 4-byte address family in network byte order
  linux_sll = 113,
  ppp_with_dir = 204, // a direction byte, then PPP
  ipv4 = 228,
  ipv6 = 229,
  linux_sll2 = 276,
};

struct PacketView {
  const std::uint8_t* data = nullptr;  // first captured byte
  std::uint32_t caplen = 0;            // bytes available at data
  std::uint32_t wire_len = 0;          // length on the wire (>= caplen when the capture was snapped)
  std::uint64_t ts_ns = 0;             // capture time, nanoseconds since the Unix epoch
  std::uint16_t port = 0;              // receiving port (appliance port index, or input file index)
  LinkType link_type = LinkType::ethernet;
  void* handle = nullptr;              // driver's own buffer (e.g. rte_mbuf*), opaque to the dataplane

  std::span<const std::uint8_t> bytes() const { return {data, caplen}; }
};

}  // namespace vigil
