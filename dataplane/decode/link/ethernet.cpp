// Ethernet II and VLAN tags (802.1Q, 802.1ad, the pre-standard 0x9100 QinQ tag).
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
  while (is_vlan_tpid(type)) {
    // DecodedPacket keeps two VLAN ids (QinQ); a third tag is counted and not looked through.
    if (out.vlan_count == out.vlan.size()) return malformed(ctx, DecodeEvent::vlan_too_many_layers);
    if (rest.size() < kVlanTagLen) return malformed(ctx, DecodeEvent::vlan_header_too_small);
    out.vlan[out.vlan_count++] = load_be16(rest.data()) & 0x0fff;
    type = load_be16(rest.data() + 2);
    rest = rest.subspan(kVlanTagLen);
  }
  out.ethertype = type;
  switch (type) {
    case ethertype::ipv4:
      return decode_ipv4(rest, ctx);
    case ethertype::ipv6:
      return decode_ipv6(rest, ctx);
    default:
      // ARP, LLDP, 802.3 length fields (< 0x600) and every other non-IP payload.
      return DecodeStatus::not_ip;
  }
}

}  // namespace vigil::decode
