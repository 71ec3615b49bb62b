// Entry points: picks the link-layer decoder for the capture's link type.
#include "dataplane/decode/decode.h"

#include "dataplane/decode/layers.h"

namespace vigil {

using decode::Bytes;
using decode::Context;

DecodeStatus decode_packet(const PacketView& pkt, DecodedPacket& out, DecodeCounters& counters) {
  out = DecodedPacket{};
  Context ctx{out, counters, pkt.wire_len > pkt.caplen ? pkt.wire_len - pkt.caplen : 0};
  const Bytes frame = pkt.data != nullptr ? pkt.bytes() : Bytes{};
  switch (pkt.link_type) {
    case LinkType::ethernet:
      return decode::decode_ethernet(frame, ctx);
    case LinkType::raw:
      if (!frame.empty()) {
        const unsigned version = frame[0] >> 4;
        out.ethertype = version == 4   ? decode::ethertype::ipv4
                        : version == 6 ? decode::ethertype::ipv6
                                       : 0;
      }
      return decode::decode_ip_version(frame, ctx);
    case LinkType::ipv4:
      out.ethertype = decode::ethertype::ipv4;
      return decode::decode_ipv4(frame, ctx);
    case LinkType::ipv6:
      out.ethertype = decode::ethertype::ipv6;
      return decode::decode_ipv6(frame, ctx);
    case LinkType::linux_sll:
      return decode::decode_sll(frame, ctx);
    case LinkType::linux_sll2:
      return decode::decode_sll2(frame, ctx);
    case LinkType::null_loopback:
      return decode::decode_null(frame, ctx);
    case LinkType::loop:
      return decode::decode_loop(frame, ctx);
    case LinkType::ppp:
      return decode::decode_ppp(frame, ctx);
    case LinkType::ppp_serial:
      return decode::decode_ppp_serial(frame, ctx);
    case LinkType::ppp_ether:
      return decode::decode_pppoe_session(frame, ctx);
    case LinkType::c_hdlc:
      return decode::decode_chdlc(frame, ctx);
    case LinkType::ppp_with_dir:
      return decode::decode_ppp_with_dir(frame, ctx);
  }
  return decode::malformed(ctx, DecodeEvent::link_unsupported);
}

DecodeStatus decode_ip(std::span<const std::uint8_t> datagram, DecodedPacket& out,
                       DecodeCounters& counters) {
  // Link-layer and tunnel fields describe how the datagram arrived; a rebuilt datagram keeps them
  // (a datagram rebuilt from tunnelled fragments is the tunnel's inner packet).
  out = decode::keep_arrival(out);
  // A datagram handed over as a whole (rebuilt, or raw) is complete: no snap allowance.
  Context ctx{out, counters, 0};
  return decode::decode_ip_version(datagram, ctx);
}

namespace decode {

DecodedPacket keep_arrival(const DecodedPacket& p) {
  DecodedPacket fresh;
  fresh.vlan = p.vlan;
  fresh.vlan_count = p.vlan_count;
  fresh.ethertype = p.ethertype;
  fresh.tunnel_depth = p.tunnel_depth;
  fresh.tunnel_family = p.tunnel_family;
  fresh.tunnel_proto = p.tunnel_proto;
  fresh.tunnel_src = p.tunnel_src;
  fresh.tunnel_dst = p.tunnel_dst;
  return fresh;
}

DecodeStatus decode_ip_version(Bytes datagram, Context& ctx) {
  if (datagram.empty()) return malformed(ctx, DecodeEvent::raw_invalid_ip_version);
  switch (datagram[0] >> 4) {
    case 4:
      return decode_ipv4(datagram, ctx);
    case 6:
      return decode_ipv6(datagram, ctx);
    default:
      return malformed(ctx, DecodeEvent::raw_invalid_ip_version);
  }
}

}  // namespace decode
}  // namespace vigil
