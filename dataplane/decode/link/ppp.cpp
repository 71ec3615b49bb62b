// PPP (RFC 1661) as a capture link type and inside tunnels: optional HDLC-like address and control
// bytes (0xff 0x03, RFC 1662), then the protocol field, one byte when compressed (RFC 1661 6.5).
// IPv4 and IPv6 are decoded; every other protocol (LCP, IPCP, CCP, compressed or encrypted data,
// Van Jacobson compressed TCP, ...) is valid PPP that is not IP.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::uint16_t kPppIpv4 = 0x0021, kPppIpv6 = 0x0057;
constexpr std::uint8_t kHdlcAllStations = 0xff, kHdlcUnnumbered = 0x03;
constexpr std::uint8_t kCiscoUnicast = 0x0f, kCiscoBroadcast = 0x8f;
}  // namespace

DecodeStatus decode_ppp(Bytes f, Context& ctx) {
  // 0xff cannot start a protocol field (0x00ff is reserved against compressing it): it is the
  // address byte, and the control byte must follow.
  if (!f.empty() && f[0] == kHdlcAllStations) {
    if (f.size() < 2) return malformed(ctx, DecodeEvent::ppp_pkt_too_small);
    if (f[1] != kHdlcUnnumbered) return malformed(ctx, DecodeEvent::ppp_wrong_type);
    f = f.subspan(2);
  }
  if (f.empty()) return malformed(ctx, DecodeEvent::ppp_pkt_too_small);
  // Protocol numbers are odd, with an even first byte: an odd first byte is a compressed field.
  std::uint16_t protocol = f[0];
  std::size_t len = 1;
  if (!(f[0] & 1)) {
    if (f.size() < 2) return malformed(ctx, DecodeEvent::ppp_pkt_too_small);
    protocol = load_be16(f.data());
    len = 2;
    if (!(protocol & 1)) return malformed(ctx, DecodeEvent::ppp_wrong_type);
  }
  IpFamily family = IpFamily::none;
  if (protocol == kPppIpv4) family = IpFamily::v4;
  if (protocol == kPppIpv6) family = IpFamily::v6;
  if (family == IpFamily::none) return DecodeStatus::not_ip;
  if (!ctx.in_tunnel) {
    ctx.out.ethertype = family == IpFamily::v4 ? ethertype::ipv4 : ethertype::ipv6;
  }
  return decode_network(family, f.subspan(len), ctx);
}

DecodeStatus decode_ppp_serial(Bytes frame, Context& ctx) {
  // DLT_PPP_SERIAL also holds Cisco HDLC frames, told apart by their address byte.
  if (!frame.empty() && (frame[0] == kCiscoUnicast || frame[0] == kCiscoBroadcast)) {
    return decode_chdlc(frame, ctx);
  }
  return decode_ppp(frame, ctx);
}

DecodeStatus decode_ppp_with_dir(Bytes frame, Context& ctx) {
  // One byte of direction (0 received, else sent), then PPP.
  if (frame.empty()) return malformed(ctx, DecodeEvent::ppp_pkt_too_small);
  return decode_ppp(frame.subspan(1), ctx);
}

}  // namespace vigil::decode
