// UDP: the length field must cover the header and stay within the IP datagram; the payload is
// trimmed to it.
#include "dataplane/decode/layers.h"

#include <algorithm>

namespace vigil::decode {

namespace {
constexpr std::uint32_t kUdpHeaderLen = 8;
constexpr std::uint16_t kVxlanPort = 4789;  // IANA; the only UDP tunnel decapsulated
}

DecodeStatus decode_udp(Bytes l4, std::uint32_t declared_len, Context& ctx) {
  if (l4.size() < kUdpHeaderLen) return malformed(ctx, DecodeEvent::udp_pkt_too_small);
  const std::uint32_t udp_len = load_be16(l4.data() + 4);
  if (udp_len < kUdpHeaderLen) return malformed(ctx, DecodeEvent::udp_hlen_too_small);
  // Longer than the IP datagram says it carries. (Longer than what is present but within the IP
  // length only happens when the capture was snapped: the IP layer has already checked that.)
  if (udp_len > declared_len) return malformed(ctx, DecodeEvent::udp_hlen_invalid);

  DecodedPacket& out = ctx.out;
  out.l4 = l4;
  out.sport = load_be16(l4.data());
  out.dport = load_be16(l4.data() + 2);
  const std::size_t end = std::min<std::size_t>(udp_len, l4.size());
  out.payload = l4.subspan(kUdpHeaderLen, end - kUdpHeaderLen);
  if (out.dport == kVxlanPort) return decode_vxlan(out.payload, udp_len - kUdpHeaderLen, ctx);
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
