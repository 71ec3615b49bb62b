// ICMPv4: type, code, and the identifier / sequence number of the query messages.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::uint32_t kIcmpHeaderLen = 8;

enum class Icmpv4Kind : std::uint8_t { unknown, known, query };

// Types from RFC 792 / 950 / 1256; queries carry identifier and sequence number in bytes 4..7.
constexpr Icmpv4Kind icmpv4_kind(std::uint8_t type) {
  switch (type) {
    case 0:   // echo reply
    case 8:   // echo request
    case 13:  // timestamp
    case 14:  // timestamp reply
    case 15:  // information request
    case 16:  // information reply
    case 17:  // address mask request
    case 18:  // address mask reply
      return Icmpv4Kind::query;
    case 3:   // destination unreachable
    case 4:   // source quench
    case 5:   // redirect
    case 9:   // router advertisement
    case 10:  // router solicitation
    case 11:  // time exceeded
    case 12:  // parameter problem
      return Icmpv4Kind::known;
    default:
      return Icmpv4Kind::unknown;
  }
}
}  // namespace

DecodeStatus decode_icmpv4(Bytes l4, std::uint32_t /*declared_len*/, Context& ctx) {
  if (l4.size() < kIcmpHeaderLen) return malformed(ctx, DecodeEvent::icmpv4_pkt_too_small);
  DecodedPacket& out = ctx.out;
  out.l4 = l4;
  out.icmp_type = l4[0];
  out.icmp_code = l4[1];
  switch (icmpv4_kind(out.icmp_type)) {
    case Icmpv4Kind::query:
      out.icmp_id = load_be16(l4.data() + 4);
      out.icmp_seq = load_be16(l4.data() + 6);
      break;
    case Icmpv4Kind::known:
      break;
    case Icmpv4Kind::unknown:
      ctx.counters.add(DecodeEvent::icmpv4_unknown_type);
      break;
  }
  out.payload = l4.subspan(kIcmpHeaderLen);
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
