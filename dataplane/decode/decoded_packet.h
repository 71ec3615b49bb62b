// DecodedPacket: the layers the decoder found in one packet, as spans into the packet's bytes.
// Filled by decode_packet() / decode_ip(); plain data, no ownership. Spans stay valid as long as
// the bytes they point into (the driver's buffer, or the defragmenter's output buffer).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dataplane/packet/packet_view.h"

namespace vigil {

enum class IpFamily : std::uint8_t { none = 0, v4 = 4, v6 = 6 };

// IPv4 addresses use bytes [0..3] and leave the rest zero, so one type keys both families.
struct IpAddress {
  std::array<std::uint8_t, 16> b{};
  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;
};

namespace ipproto {
inline constexpr std::uint8_t hopopts = 0, icmp = 1, ipv4 = 4, tcp = 6, udp = 17, ipv6 = 41,
                              routing = 43, fragment = 44, gre = 47, esp = 50, ah = 51, icmpv6 = 58,
                              none = 59, dstopts = 60, mobility = 135;
}

namespace tcpflag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20,
                              ece = 0x40, cwr = 0x80;
}

struct SackBlock {
  std::uint32_t left = 0, right = 0;
};

struct TcpOptions {
  bool has_mss = false, has_wscale = false, sack_permitted = false, has_timestamp = false;
  std::uint16_t mss = 0;
  std::uint8_t wscale = 0;
  std::uint8_t sack_count = 0;             // blocks stored in sack (at most 4 fit in a TCP header)
  std::array<SackBlock, 4> sack{};
  std::uint32_t ts_val = 0, ts_ecr = 0;
};

// Which layers were decoded completely.
enum class DecodeStatus : std::uint8_t {
  ok,          // L4 decoded (or an IP protocol without an L4 decoder: payload is the IP payload)
  fragment,    // IP fragment: L3 valid, L4 not decoded; hand to the defragmenter
  not_ip,      // valid link layer carrying something else (ARP, LLDP, ...)
  malformed,   // a decoder event was counted; fields up to the last trusted layer are valid
};

struct DecodedPacket {
  // Link layer
  std::array<std::uint16_t, 2> vlan{};     // VLAN ids, outermost first
  std::uint8_t vlan_count = 0;
  std::uint16_t ethertype = 0;             // of the outermost network layer (after VLAN tags;
                                           // 0x0800 / 0x86dd for links without ethertypes)

  // Tunnels (docs/decoder.md). The network and transport fields below describe the innermost IP
  // packet; these say how it was carried. Kept by decode_ip(), like the link fields, so a datagram
  // rebuilt from tunnelled fragments stays tunnelled.
  std::uint8_t tunnel_depth = 0;           // IP-level tunnels decapsulated (IP-in-IP, GRE, VXLAN)
  IpFamily tunnel_family = IpFamily::none; // outermost IP header of the outermost tunnel
  std::uint8_t tunnel_proto = 0;           // its protocol: 4 or 41 (IP-in-IP), 47 (GRE), 17 (VXLAN)
  IpAddress tunnel_src{}, tunnel_dst{};

  // Network layer
  IpFamily family = IpFamily::none;
  std::uint8_t ip_proto = 0;               // transport protocol after any IPv6 extension headers
  std::uint8_t ttl = 0;                    // IPv4 TTL or IPv6 hop limit
  IpAddress src{}, dst{};
  std::span<const std::uint8_t> l3{};      // IP header .. end of datagram (trimmed to the IP length)
  std::uint16_t l3_header_len = 0;         // IPv4 header incl. options; IPv6 40 + extension headers
                                           // (for an IPv6 fragment: up to and including the
                                           // fragment header, so l3.subspan(l3_header_len) is the
                                           // fragment's data for both families)
  bool snapped = false;                    // the capture cut the datagram short (caplen < wire_len):
                                           // layers are decoded from what was captured

  // Fragmentation (valid when is_fragment)
  bool is_fragment = false;
  bool more_fragments = false;
  std::uint16_t frag_offset = 0;           // in bytes
  std::uint32_t frag_id = 0;               // IPv4 identification or IPv6 fragment identification
  std::uint16_t frag_header_offset = 0;    // IPv6: offset of the fragment header within l3
  std::uint16_t unfragmentable_len = 0;    // IPv6: bytes of l3 before the fragment header
  std::uint16_t frag_nh_offset = 0;        // IPv6: offset within l3 of the next-header byte that
                                           // names the fragment header (patched on reassembly)

  // Transport layer
  std::span<const std::uint8_t> l4{};      // transport header .. end of datagram
  std::uint16_t sport = 0, dport = 0;      // TCP/UDP ports
  std::uint8_t tcp_flags = 0;
  std::uint8_t tcp_header_len = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t window = 0;
  TcpOptions tcp_opts{};
  std::uint8_t icmp_type = 0, icmp_code = 0;
  std::uint16_t icmp_id = 0, icmp_seq = 0;

  std::span<const std::uint8_t> payload{};  // application bytes (no link-layer padding)
};

}  // namespace vigil
