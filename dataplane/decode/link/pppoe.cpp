// PPPoE session stage (RFC 2516): ethertype 0x8864 on Ethernet, or the DLT_PPP_ETHER link type.
// version and type (0x11), code (0 for session data), session id, length, then a PPP frame. The
// discovery stage (0x8863) carries no IP and is left to the ethertype dispatch as not IP.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::size_t kPppoeHeaderLen = 6;
constexpr std::uint8_t kVersionType = 0x11;
constexpr std::uint8_t kSessionData = 0x00;
}  // namespace

DecodeStatus decode_pppoe_session(Bytes frame, Context& ctx) {
  if (frame.size() < kPppoeHeaderLen) return malformed(ctx, DecodeEvent::pppoe_pkt_too_small);
  if (frame[0] != kVersionType) return malformed(ctx, DecodeEvent::pppoe_wrong_version);
  if (frame[1] != kSessionData) return malformed(ctx, DecodeEvent::pppoe_wrong_code);
  const std::uint32_t len = load_be16(frame.data() + 4);
  Bytes ppp = frame.subspan(kPppoeHeaderLen);
  if (len <= ppp.size()) {
    ppp = ppp.first(len);  // drops Ethernet padding
    ctx.snap_missing = 0;  // what the length names is all there
  } else if (len - ppp.size() <= ctx.snap_missing) {
    ctx.out.snapped = true;
    ctx.snap_missing = len - static_cast<std::uint32_t>(ppp.size());
  } else {
    return malformed(ctx, DecodeEvent::pppoe_pkt_too_small);
  }
  return decode_ppp(ppp, ctx);
}

}  // namespace vigil::decode
