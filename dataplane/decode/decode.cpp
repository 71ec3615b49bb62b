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
  }
  return decode::malformed(ctx, DecodeEvent::link_unsupported);
}

DecodeStatus decode_ip(std::span<const std::uint8_t> datagram, DecodedPacket& out,
                       DecodeCounters& counters) {
  // Link-layer fields describe how the datagram arrived; a rebuilt datagram keeps them.
  const auto vlan = out.vlan;
  const auto vlan_count = out.vlan_count;
  const auto ethertype = out.ethertype;
  out = DecodedPacket{};
  out.vlan = vlan;
  out.vlan_count = vlan_count;
  out.ethertype = ethertype;
  // A datagram handed over as a whole (rebuilt, or raw) is complete: no snap allowance.
  Context ctx{out, counters, 0};
  return decode::decode_ip_version(datagram, ctx);
}

namespace decode {

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
