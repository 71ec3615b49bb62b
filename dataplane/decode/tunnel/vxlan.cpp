// VXLAN (RFC 7348): an Ethernet frame behind an 8-byte header in UDP to port 4789. The port is
// the only sign of VXLAN, so a payload without a plausible VXLAN header is ordinary UDP.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::size_t kVxlanHeaderLen = 8;
constexpr std::uint8_t kVniPresent = 0x08;  // the I flag
}  // namespace

DecodeStatus decode_vxlan(Bytes payload, std::uint32_t declared_len, Context& ctx) {
  // flags (1, I set), reserved (3), VNI (3), reserved (1, zero).
  if (payload.size() < kVxlanHeaderLen || !(payload[0] & kVniPresent) || payload[7] != 0) {
    return DecodeStatus::ok;
  }
  const std::uint32_t snap_missing = ctx.snap_missing;
  ctx.snap_missing = declared_len > payload.size()
                         ? declared_len - static_cast<std::uint32_t>(payload.size())
                         : 0;
  ctx.in_tunnel = true;
  const DecodeStatus st = decode_ethernet(payload.subspan(kVxlanHeaderLen), ctx);
  if (st != DecodeStatus::not_ip) return st;
  // ARP and other non-IP frames: the packet stays the UDP datagram between the tunnel ends.
  ctx.in_tunnel = false;
  ctx.snap_missing = snap_missing;
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
