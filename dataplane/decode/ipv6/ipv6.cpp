// IPv6: fixed header, payload length (padding trim, snapping), then a bounded walk of the
// extension header chain driven by a next-header table, then the transport layer.
#include "dataplane/decode/layers.h"

#include <algorithm>
#include <array>

namespace vigil::decode {

namespace {
constexpr std::uint32_t kIpv6HeaderLen = 40;
constexpr std::uint32_t kIpv6MaxPayload = 65535;
constexpr std::uint32_t kFragmentHeaderLen = 8;
constexpr std::uint32_t kMinExtHeaderLen = 8;  // every extension header is a multiple of 8 (AH: 4)
// Real chains have at most hop-by-hop, destination options, routing, fragment, AH and a second
// destination options header; anything longer is an evasion attempt or garbage.
constexpr unsigned kMaxExtHeaders = 8;
// The longest header is (255 + 1) * 8 bytes, so offsets within the walk always fit 16 bits.
static_assert(kIpv6HeaderLen + kMaxExtHeaders * 256 * 8 + kFragmentHeaderLen <= 0xffff);

enum class NextHeader : std::uint8_t { upper, hop_by_hop, routing, fragment, dst_options, ah };

// Everything that is not an extension header the decoder walks is an upper layer: transports,
// ESP (its payload is encrypted), No Next Header, tunnelled IP, mobility and unknown values.
constexpr std::array<NextHeader, 256> kNextHeaders = [] {
  std::array<NextHeader, 256> t{};
  t[ipproto::hopopts] = NextHeader::hop_by_hop;
  t[ipproto::routing] = NextHeader::routing;
  t[ipproto::fragment] = NextHeader::fragment;
  t[ipproto::dstopts] = NextHeader::dst_options;
  t[ipproto::ah] = NextHeader::ah;
  return t;
}();

// Hop-by-hop and destination options are TLVs (Pad1 is a lone zero byte). The header length
// already bounds the walk, so a bad option length is an anomaly, not a malformation.
void check_tlv_options(Bytes opts, Context& ctx) {
  std::size_t i = 0;
  while (i < opts.size()) {
    if (opts[i] == 0) {  // Pad1
      ++i;
      continue;
    }
    if (opts.size() - i < 2 || opts[i + 1] > opts.size() - i - 2) {
      ctx.counters.add(DecodeEvent::ipv6_exthdr_invalid_optlen);
      return;
    }
    i += 2u + opts[i + 1];
  }
}
}  // namespace

DecodeStatus decode_ipv6(Bytes d, Context& ctx) {
  if (d.size() < kIpv6HeaderLen) return malformed(ctx, DecodeEvent::ipv6_pkt_too_small);
  if ((d[0] >> 4) != 6) return malformed(ctx, DecodeEvent::ipv6_wrong_ip_version);
  const std::uint32_t total = kIpv6HeaderLen + load_be16(d.data() + 4);

  DecodedPacket& out = ctx.out;
  Bytes l3 = d;
  if (total <= d.size()) {
    l3 = d.first(total);  // drops Ethernet padding and trailers
  } else if (total - d.size() <= ctx.snap_missing) {
    out.snapped = true;
  } else {
    return malformed(ctx, DecodeEvent::ipv6_trunc_pkt);
  }
  out.family = IpFamily::v6;
  out.ttl = d[7];
  std::copy_n(d.data() + 8, 16, out.src.b.begin());
  std::copy_n(d.data() + 24, 16, out.dst.b.begin());
  out.l3 = l3;

  std::uint8_t nh = d[6];
  std::uint32_t off = kIpv6HeaderLen;  // start of the header named by nh
  std::uint32_t nh_off = 6;            // where nh was read from
  unsigned count = 0;
  bool seen_fragment = false, seen_hop_by_hop = false;
  for (;;) {
    const NextHeader kind = kNextHeaders[nh];
    if (kind == NextHeader::upper) break;
    if (++count > kMaxExtHeaders) return malformed(ctx, DecodeEvent::ipv6_exthdr_too_many);
    if (l3.size() - off < kMinExtHeaderLen) return malformed(ctx, DecodeEvent::ipv6_trunc_exthdr);
    const std::uint8_t* h = l3.data() + off;
    const std::uint32_t hdr_len = kind == NextHeader::ah         ? (h[1] + 2u) * 4
                                  : kind == NextHeader::fragment ? kFragmentHeaderLen
                                                                 : (h[1] + 1u) * 8;
    if (l3.size() - off < hdr_len) return malformed(ctx, DecodeEvent::ipv6_trunc_exthdr);

    switch (kind) {
      case NextHeader::hop_by_hop:
        // RFC 8200: only directly after the IPv6 header. Hosts differ on enforcing it, so the
        // decoder keeps going to still see what a lenient host would see.
        if (seen_hop_by_hop) {
          ctx.counters.add(DecodeEvent::ipv6_exthdr_dupl_hh);
        } else if (count != 1) {
          ctx.counters.add(DecodeEvent::ipv6_hopopts_not_first);
        }
        seen_hop_by_hop = true;
        check_tlv_options(l3.subspan(off + 2, hdr_len - 2), ctx);
        break;
      case NextHeader::dst_options:
        check_tlv_options(l3.subspan(off + 2, hdr_len - 2), ctx);
        break;
      case NextHeader::routing:
        if (h[2] == 0) ctx.counters.add(DecodeEvent::ipv6_rh_type_0);  // deprecated (RFC 5095)
        break;
      case NextHeader::fragment: {
        // A second fragment header makes "the" fragmentable part ambiguous for reassembly.
        if (seen_fragment) return malformed(ctx, DecodeEvent::ipv6_exthdr_dupl_fh);
        seen_fragment = true;
        const std::uint16_t offset_m = load_be16(h + 2);
        const std::uint16_t frag_offset = offset_m & 0xfff8;
        const bool more = (offset_m & 1) != 0;
        // Offset 0 without M is an atomic fragment (RFC 6946): a whole datagram, decoded on.
        if (frag_offset == 0 && !more) break;
        out.is_fragment = true;
        out.more_fragments = more;
        out.frag_offset = frag_offset;
        out.frag_id = load_be32(h + 4);
        out.frag_header_offset = static_cast<std::uint16_t>(off);
        out.unfragmentable_len = static_cast<std::uint16_t>(off);
        out.frag_nh_offset = static_cast<std::uint16_t>(nh_off);
        out.ip_proto = h[0];
        out.l3_header_len = static_cast<std::uint16_t>(off + kFragmentHeaderLen);
        // Payload length of the datagram this fragment would rebuild.
        if ((off - kIpv6HeaderLen) + frag_offset + (total - off - kFragmentHeaderLen) >
            kIpv6MaxPayload) {
          return malformed(ctx, DecodeEvent::ipv6_frag_pkt_too_large);
        }
        return DecodeStatus::fragment;
      }
      case NextHeader::ah:
      case NextHeader::upper:
        break;
    }
    nh_off = off;
    nh = h[0];
    off += hdr_len;
  }
  out.ip_proto = nh;
  out.l3_header_len = static_cast<std::uint16_t>(off);
  return decode_transport(nh, l3.subspan(off), total - off, ctx);
}

}  // namespace vigil::decode
