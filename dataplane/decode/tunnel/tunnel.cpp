// Entering a tunnel: the nesting bound, the record of the outermost tunnel, and IP-in-IP
// (IPv4 or IPv6 as the protocol of an IPv4 or IPv6 header: RFC 2003, RFC 4213, RFC 2473).
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
// Real networks nest two or three tunnels at most (a VPN in GRE in a provider's VXLAN); deeper
// nesting is a decoder-evasion attempt or garbage, and each level costs a few stack frames.
constexpr std::uint8_t kMaxTunnelDepth = 4;

// The inner packet replaces the outer one in DecodedPacket: the fields of the network and
// transport layers start afresh; what says how the packet arrived stays (link, tunnel, and whether
// the capture cut it).
void start_inner_packet(DecodedPacket& out) {
  const bool snapped = out.snapped;
  out = keep_arrival(out);
  out.snapped = snapped;
}

// IP-in-IP: the inner datagram follows the outer header directly. It may end at most where the
// outer datagram says it ends, so only the part of the outer length the capture cut off may be
// missing from it.
DecodeStatus decode_ipip(IpFamily family, Bytes l4, std::uint32_t declared_len, Context& ctx) {
  ctx.snap_missing = declared_len > l4.size() ? declared_len - static_cast<std::uint32_t>(l4.size())
                                              : 0;
  ctx.in_tunnel = true;
  return decode_network(family, l4, ctx);
}
}  // namespace

DecodeStatus decode_network(IpFamily family, Bytes datagram, Context& ctx) {
  DecodedPacket& out = ctx.out;
  if (ctx.in_tunnel) {
    // From here on the tunnel is committed: the packet is the inner one, whatever it turns out to
    // be (a malformed inner header makes the packet malformed).
    ctx.in_tunnel = false;
    if (out.tunnel_depth == kMaxTunnelDepth) {
      return malformed(ctx, DecodeEvent::tunnel_too_many_layers);
    }
    if (out.tunnel_depth == 0) {
      out.tunnel_family = out.family;
      out.tunnel_proto = out.ip_proto;
      out.tunnel_src = out.src;
      out.tunnel_dst = out.dst;
    }
    ++out.tunnel_depth;
    start_inner_packet(out);
  }
  return family == IpFamily::v4 ? decode_ipv4(datagram, ctx) : decode_ipv6(datagram, ctx);
}

DecodeStatus decode_ipip4(Bytes l4, std::uint32_t declared_len, Context& ctx) {
  return decode_ipip(IpFamily::v4, l4, declared_len, ctx);
}

DecodeStatus decode_ipip6(Bytes l4, std::uint32_t declared_len, Context& ctx) {
  return decode_ipip(IpFamily::v6, l4, declared_len, ctx);
}

}  // namespace vigil::decode
