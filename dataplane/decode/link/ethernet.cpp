// Ethernet II and VLAN tags (802.1Q, 802.1ad, the pre-standard 0x9100 QinQ tag), as the capture's
// link layer and as the payload of a tunnel (GRE transparent bridging, VXLAN).
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::size_t kEthernetHeaderLen = 14;
constexpr std::size_t kVlanTagLen = 4;

constexpr bool is_vlan_tpid(std::uint16_t type) {
  return type == ethertype::vlan || type == ethertype::qinq || type == ethertype::qinq_old;
}
}  // namespace

DecodeStatus decode_ethernet(Bytes frame, Context& ctx) {
  if (frame.size() < kEthernetHeaderLen) return malformed(ctx, DecodeEvent::ethernet_pkt_too_small);
  return decode_ethertype(load_be16(frame.data() + 12), frame.subspan(kEthernetHeaderLen), ctx);
}

DecodeStatus decode_ethertype(std::uint16_t type, Bytes rest, Context& ctx) {
  DecodedPacket& out = ctx.out;
  // The tags of a frame inside a tunnel are walked but not kept: the packet's VLANs are those it
  // arrived on (DecodedPacket keeps two, QinQ; a third tag is counted and not looked through).
  const bool keep = !ctx.in_tunnel;
  std::size_t tags = keep ? out.vlan_count : 0;
  while (is_vlan_tpid(type)) {
    if (tags == out.vlan.size()) return malformed(ctx, DecodeEvent::vlan_too_many_layers);
    if (rest.size() < kVlanTagLen) return malformed(ctx, DecodeEvent::vlan_header_too_small);
    if (keep) out.vlan[out.vlan_count++] = load_be16(rest.data()) & 0x0fff;
    ++tags;
    type = load_be16(rest.data() + 2);
    rest = rest.subspan(kVlanTagLen);
  }
  if (keep) out.ethertype = type;
  switch (type) {
    case ethertype::ipv4:
      return decode_network(IpFamily::v4, rest, ctx);
    case ethertype::ipv6:
      return decode_network(IpFamily::v6, rest, ctx);
    case ethertype::pppoe_session:
      return decode_pppoe_session(rest, ctx);
    default:
      // ARP, LLDP, PPPoE discovery, 802.3 length fields (< 0x600) and every other non-IP payload.
      return DecodeStatus::not_ip;
  }
}

}  // namespace vigil::decode
