// Internal to the decoder: the per-packet context and the per-layer decoders that decode.cpp
// chains together. Each layer takes the bytes from its own header to the end of what was captured,
// validates its header, fills its fields of DecodedPacket and hands the rest to the next layer.
// Thread-safety: stateless; the context lives on the caller's stack for one packet.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/decode/decode_events.h"
#include "dataplane/decode/decoded_packet.h"

namespace vigil::decode {

using Bytes = std::span<const std::uint8_t>;

struct Context {
  DecodedPacket& out;
  DecodeCounters& counters;
  // Bytes the capture cut off the end of the packet (wire_len - caplen, 0 for a complete packet).
  // A length field may exceed the bytes present by at most this much before it is malformation.
  std::uint32_t snap_missing = 0;
  // Set while the headers of a tunnel's payload are walked (GRE's, VXLAN's inner Ethernet, PPP):
  // those layers leave the outer packet's fields alone, and a payload that turns out not to be IP
  // leaves the packet described by the IP header that carried the tunnel (tunnel/tunnel.cpp).
  bool in_tunnel = false;
};

// A fresh DecodedPacket that keeps what says how `p` arrived: the link fields (VLANs, ethertype)
// and the tunnel fields. For a datagram rebuilt by the defragmenter and for a tunnel's inner packet.
DecodedPacket keep_arrival(const DecodedPacket& p);

// Counts a malformation and stops decoding.
inline DecodeStatus malformed(Context& ctx, DecodeEvent e) {
  ctx.counters.add(e);
  return DecodeStatus::malformed;
}

// Network byte order loads; the caller has checked the bounds. Byte loads keep them alignment-free.
inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0];
}

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800, arp = 0x0806, vlan = 0x8100, ipv6 = 0x86dd,
                               qinq = 0x88a8, qinq_old = 0x9100, pppoe_discovery = 0x8863,
                               pppoe_session = 0x8864, ppp = 0x880b, teb = 0x6558;
}

// Link layers (link/).
DecodeStatus decode_ethernet(Bytes frame, Context& ctx);
DecodeStatus decode_sll(Bytes frame, Context& ctx);
DecodeStatus decode_sll2(Bytes frame, Context& ctx);
DecodeStatus decode_null(Bytes frame, Context& ctx);  // host byte order family
DecodeStatus decode_loop(Bytes frame, Context& ctx);  // network byte order family
// Strips 802.1Q / 802.1ad tags that start at `rest` and dispatches on the inner ethertype.
DecodeStatus decode_ethertype(std::uint16_t type, Bytes rest, Context& ctx);
// PPP (link/ppp.cpp): the protocol field (1 or 2 bytes) after optional address/control 0xff 0x03;
// DLT_PPP is this alone.
DecodeStatus decode_ppp(Bytes frame, Context& ctx);
DecodeStatus decode_ppp_serial(Bytes frame, Context& ctx);         // DLT_PPP_SERIAL
DecodeStatus decode_ppp_with_dir(Bytes frame, Context& ctx);       // LINKTYPE_PPP_WITH_DIR
DecodeStatus decode_chdlc(Bytes frame, Context& ctx);              // Cisco HDLC
DecodeStatus decode_pppoe_session(Bytes frame, Context& ctx);      // PPPoE session stage

// Tunnels (tunnel/). Where a link or tunnel layer finds an IP packet: enters the tunnel when one
// is being walked (bounded depth, outermost tunnel recorded), then decodes IPv4 or IPv6.
DecodeStatus decode_network(IpFamily family, Bytes datagram, Context& ctx);
// IP-in-IP: IPv4 (protocol 4) or IPv6 (41) directly after an IP header.
DecodeStatus decode_ipip4(Bytes l4, std::uint32_t declared_len, Context& ctx);
DecodeStatus decode_ipip6(Bytes l4, std::uint32_t declared_len, Context& ctx);
DecodeStatus decode_gre(Bytes l4, std::uint32_t declared_len, Context& ctx);
// VXLAN in a UDP payload (the UDP fields are already set); `declared_len` as for transports.
DecodeStatus decode_vxlan(Bytes udp_payload, std::uint32_t declared_len, Context& ctx);

// Network layers.
DecodeStatus decode_ip_version(Bytes datagram, Context& ctx);  // picks by the version nibble
DecodeStatus decode_ipv4(Bytes datagram, Context& ctx);
DecodeStatus decode_ipv6(Bytes datagram, Context& ctx);
// Validates the options area of an IPv4 header (after the 20 fixed bytes).
DecodeStatus check_ipv4_options(Bytes options, Context& ctx);

// Transport layers. `l4` is what is present of the transport segment (already trimmed to the IP
// length); `declared_len` is its length according to the IP header (larger only when snapped).
DecodeStatus decode_transport(std::uint8_t proto, Bytes l4, std::uint32_t declared_len,
                              Context& ctx);
DecodeStatus decode_tcp(Bytes l4, std::uint32_t declared_len, Context& ctx);
DecodeStatus decode_udp(Bytes l4, std::uint32_t declared_len, Context& ctx);
DecodeStatus decode_icmpv4(Bytes l4, std::uint32_t declared_len, Context& ctx);
DecodeStatus decode_icmpv6(Bytes l4, std::uint32_t declared_len, Context& ctx);

}  // namespace vigil::decode
