// Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control (0), then an ethertype. SLARP
// (0x8035), CDP and the like are not IP.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::size_t kChdlcHeaderLen = 4;
}

DecodeStatus decode_chdlc(Bytes frame, Context& ctx) {
  if (frame.size() < kChdlcHeaderLen) return malformed(ctx, DecodeEvent::chdlc_pkt_too_small);
  return decode_ethertype(load_be16(frame.data() + 2), frame.subspan(kChdlcHeaderLen), ctx);
}

}  // namespace vigil::decode
