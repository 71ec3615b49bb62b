// IPv4: header checks, padding trim, snapping, fragments, then the transport layer.
#include "dataplane/decode/layers.h"

#include <algorithm>

namespace vigil::decode {

namespace {
constexpr std::uint32_t kIpv4MinHeaderLen = 20;
constexpr std::uint32_t kIpv4MaxDatagram = 65535;
constexpr std::uint16_t kMoreFragments = 0x2000;
constexpr std::uint16_t kOffsetMask = 0x1fff;
}  // namespace

DecodeStatus decode_ipv4(Bytes d, Context& ctx) {
  if (d.size() < kIpv4MinHeaderLen) return malformed(ctx, DecodeEvent::ipv4_pkt_too_small);
  if ((d[0] >> 4) != 4) return malformed(ctx, DecodeEvent::ipv4_wrong_ip_version);
  const std::uint32_t hlen = (d[0] & 0x0fu) * 4;
  if (hlen < kIpv4MinHeaderLen) return malformed(ctx, DecodeEvent::ipv4_hlen_too_small);
  const std::uint32_t total = load_be16(d.data() + 2);
  if (total < hlen) return malformed(ctx, DecodeEvent::ipv4_iplen_smaller_than_hlen);

  DecodedPacket& out = ctx.out;
  Bytes l3 = d;
  if (total <= d.size()) {
    l3 = d.first(total);  // drops Ethernet padding and trailers
  } else if (total - d.size() <= ctx.snap_missing) {
    out.snapped = true;  // the capture tool cut it: decode what is there
  } else {
    return malformed(ctx, DecodeEvent::ipv4_trunc_pkt);
  }
  // Only reachable when snapped: the cut fell inside the options.
  if (hlen > l3.size()) return malformed(ctx, DecodeEvent::ipv4_pkt_too_small);

  out.family = IpFamily::v4;
  out.ttl = d[8];
  std::copy_n(d.data() + 12, 4, out.src.b.begin());
  std::copy_n(d.data() + 16, 4, out.dst.b.begin());
  out.l3 = l3;

  if (hlen > kIpv4MinHeaderLen) {
    const DecodeStatus st =
        check_ipv4_options(l3.subspan(kIpv4MinHeaderLen, hlen - kIpv4MinHeaderLen), ctx);
    if (st != DecodeStatus::ok) return st;
  }
  out.ip_proto = d[9];
  out.l3_header_len = static_cast<std::uint16_t>(hlen);

  const std::uint16_t flags_offset = load_be16(d.data() + 6);
  const std::uint32_t frag_offset = (flags_offset & kOffsetMask) * 8u;
  const bool more = (flags_offset & kMoreFragments) != 0;
  if (more || frag_offset != 0) {
    out.is_fragment = true;
    out.more_fragments = more;
    out.frag_offset = static_cast<std::uint16_t>(frag_offset);
    out.frag_id = load_be16(d.data() + 4);
    // This fragment's data would end past the largest datagram IPv4 can express.
    if (frag_offset + total > kIpv4MaxDatagram) {
      return malformed(ctx, DecodeEvent::ipv4_frag_pkt_too_large);
    }
    return DecodeStatus::fragment;
  }
  return decode_transport(out.ip_proto, l3.subspan(hlen), total - hlen, ctx);
}

}  // namespace vigil::decode
