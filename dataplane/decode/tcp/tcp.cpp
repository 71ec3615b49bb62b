// TCP header: fixed fields, header length, options, payload. Checksums are not verified
// (NIC offloads leave them unset on captures); the stream layer judges the segment.
#include "dataplane/decode/layers.h"
#include "dataplane/decode/tcp/tcp_options.h"

namespace vigil::decode {

namespace {
constexpr std::uint32_t kTcpMinHeaderLen = 20;
}

DecodeStatus decode_tcp(Bytes l4, std::uint32_t /*declared_len*/, Context& ctx) {
  if (l4.size() < kTcpMinHeaderLen) return malformed(ctx, DecodeEvent::tcp_pkt_too_small);
  const std::uint32_t hlen = (l4[12] >> 4) * 4u;
  if (hlen < kTcpMinHeaderLen) return malformed(ctx, DecodeEvent::tcp_hlen_too_small);
  // The options run past the bytes present (the segment, or what the capture kept of it).
  if (hlen > l4.size()) return malformed(ctx, DecodeEvent::tcp_pkt_too_small);

  DecodedPacket& out = ctx.out;
  const std::uint8_t* h = l4.data();
  out.l4 = l4;
  out.sport = load_be16(h);
  out.dport = load_be16(h + 2);
  out.seq = load_be32(h + 4);
  out.ack = load_be32(h + 8);
  out.tcp_flags = h[13];
  out.window = load_be16(h + 14);
  out.tcp_header_len = static_cast<std::uint8_t>(hlen);
  parse_tcp_options(l4.subspan(kTcpMinHeaderLen, hlen - kTcpMinHeaderLen), out.tcp_opts,
                    ctx.counters);
  out.payload = l4.subspan(hlen);
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
