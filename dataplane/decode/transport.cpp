// Transport dispatch: one table slot per IP protocol number, tunnels included (IP-in-IP, GRE).
// Protocols without a decoder (ESP, SCTP, ...) end the chain with the IP payload as the packet
// payload.
#include "dataplane/decode/layers.h"

#include <array>

namespace vigil::decode {

namespace {
using TransportDecoder = DecodeStatus (*)(Bytes, std::uint32_t, Context&);

constexpr std::array<TransportDecoder, 256> kTransportDecoders = [] {
  std::array<TransportDecoder, 256> t{};
  t[ipproto::tcp] = decode_tcp;
  t[ipproto::udp] = decode_udp;
  t[ipproto::icmp] = decode_icmpv4;
  t[ipproto::icmpv6] = decode_icmpv6;
  t[ipproto::ipv4] = decode_ipip4;
  t[ipproto::ipv6] = decode_ipip6;
  t[ipproto::gre] = decode_gre;
  return t;
}();
}  // namespace

DecodeStatus decode_transport(std::uint8_t proto, Bytes l4, std::uint32_t declared_len,
                              Context& ctx) {
  if (const TransportDecoder decoder = kTransportDecoders[proto]) {
    return decoder(l4, declared_len, ctx);
  }
  ctx.out.l4 = l4;
  ctx.out.payload = l4;
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
