// ICMPv6: type, code, and the identifier / sequence number of echo messages.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::uint32_t kIcmpv6HeaderLen = 8;
constexpr std::uint8_t kEchoRequest = 128, kEchoReply = 129;

// IANA-assigned types: errors 1-4, informational 128-161, and the private experimentation and
// expansion values (100, 101, 127, 200, 201, 255) that RFC 4443 reserves.
constexpr bool icmpv6_type_known(std::uint8_t type) {
  return (type >= 1 && type <= 4) || (type >= 128 && type <= 161) || type == 100 ||
         type == 101 || type == 127 || type == 200 || type == 201 || type == 255;
}
}  // namespace

DecodeStatus decode_icmpv6(Bytes l4, std::uint32_t /*declared_len*/, Context& ctx) {
  if (l4.size() < kIcmpv6HeaderLen) return malformed(ctx, DecodeEvent::icmpv6_pkt_too_small);
  DecodedPacket& out = ctx.out;
  out.l4 = l4;
  out.icmp_type = l4[0];
  out.icmp_code = l4[1];
  if (out.icmp_type == kEchoRequest || out.icmp_type == kEchoReply) {
    out.icmp_id = load_be16(l4.data() + 4);
    out.icmp_seq = load_be16(l4.data() + 6);
  } else if (!icmpv6_type_known(out.icmp_type)) {
    ctx.counters.add(DecodeEvent::icmpv6_unknown_type);
  }
  out.payload = l4.subspan(kIcmpv6HeaderLen);
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
