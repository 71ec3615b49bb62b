// GRE (IP protocol 47). Version 0 (RFC 2784 with RFC 2890's key and sequence number, and RFC 1701's
// routing field) carries IPv4, IPv6, Ethernet (transparent bridging) or PPP; version 1 is PPTP's
// enhanced GRE (RFC 2637), which carries PPP only. Other payload types are not decapsulated.
#include <algorithm>

#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::size_t kGreBaseLen = 4;
constexpr std::size_t kGreFieldLen = 4;  // checksum+offset, key, sequence number, ack number
constexpr std::size_t kSreHeaderLen = 4;

constexpr std::uint16_t kChecksum = 0x8000, kRouting = 0x4000, kKey = 0x2000, kSequence = 0x1000,
                        kStrictRoute = 0x0800, kRecursion = 0x0700, kAck = 0x0080,
                        kV0Reserved = 0x00f8, kV1Reserved = 0x0078, kVersion = 0x0007;

// The header walkers return the header's length, or 0 once they have counted a malformation.
std::size_t fail(Context& ctx, DecodeEvent e) {
  ctx.counters.add(e);
  return 0;
}

// RFC 1701 source route entries: address family (2), offset (1), length (1), routing data; the
// list ends with an entry of family 0 and length 0. Returns the bytes the list takes, or 0 when
// it overruns the packet.
std::size_t sre_list_len(Bytes sres) {
  std::size_t off = 0;
  for (;;) {
    if (sres.size() - off < kSreHeaderLen) return 0;
    const std::uint16_t family = load_be16(sres.data() + off);
    const std::uint8_t len = sres[off + 3];
    off += kSreHeaderLen + len;
    if (off > sres.size()) return 0;
    if (family == 0 && len == 0) return off;
  }
}

// The version 0 header.
std::size_t v0_header_len(Bytes gre, std::uint16_t flags, Context& ctx) {
  // RFC 2784: receivers discard packets with reserved bits set; recursion control belonged to
  // RFC 1701 and no sender uses it.
  if (flags & kRecursion) return fail(ctx, DecodeEvent::gre_v0_recur);
  if (flags & kV0Reserved) return fail(ctx, DecodeEvent::gre_v0_flags);
  std::size_t len = kGreBaseLen;
  if (flags & (kChecksum | kRouting)) len += kGreFieldLen;  // RFC 1701: present if either is set
  if (flags & kKey) len += kGreFieldLen;
  if (flags & kSequence) len += kGreFieldLen;
  if (gre.size() < len) return fail(ctx, DecodeEvent::gre_v0_hdr_too_big);
  if (flags & kRouting) {
    const std::size_t sres = sre_list_len(gre.subspan(len));
    if (sres == 0) return fail(ctx, DecodeEvent::gre_v0_malformed_sre_hdr);
    len += sres;
  }
  return len;
}

// The version 1 (PPTP) header. `payload_len` is the key's payload length field.
std::size_t v1_header_len(Bytes gre, std::uint16_t flags, std::uint16_t protocol,
                          std::uint16_t& payload_len, Context& ctx) {
  if (flags & kChecksum) return fail(ctx, DecodeEvent::gre_v1_chksum);
  if (flags & kRouting) return fail(ctx, DecodeEvent::gre_v1_route);
  if (flags & kStrictRoute) return fail(ctx, DecodeEvent::gre_v1_ssr);
  if (flags & kRecursion) return fail(ctx, DecodeEvent::gre_v1_recur);
  if (flags & kV1Reserved) return fail(ctx, DecodeEvent::gre_v1_flags);
  if (!(flags & kKey)) return fail(ctx, DecodeEvent::gre_v1_no_key);
  if (protocol != ethertype::ppp) return fail(ctx, DecodeEvent::gre_v1_wrong_protocol);
  std::size_t len = kGreBaseLen + kGreFieldLen;  // key: payload length (2), call id (2)
  if (flags & kSequence) len += kGreFieldLen;
  if (flags & kAck) len += kGreFieldLen;
  if (gre.size() < len) return fail(ctx, DecodeEvent::gre_v1_hdr_too_big);
  payload_len = load_be16(gre.data() + 4);
  return len;
}
}  // namespace

DecodeStatus decode_gre(Bytes gre, std::uint32_t declared_len, Context& ctx) {
  if (gre.size() < kGreBaseLen) return malformed(ctx, DecodeEvent::gre_pkt_too_small);
  const std::uint16_t flags = load_be16(gre.data());
  const std::uint16_t protocol = load_be16(gre.data() + 2);

  std::size_t hlen = 0;
  std::uint32_t inner_declared = 0;  // length of the payload according to the headers
  switch (flags & kVersion) {
    case 0:
      hlen = v0_header_len(gre, flags, ctx);
      if (hlen == 0) return DecodeStatus::malformed;
      inner_declared = declared_len - static_cast<std::uint32_t>(hlen);
      break;
    case 1: {
      std::uint16_t payload_len = 0;
      hlen = v1_header_len(gre, flags, protocol, payload_len, ctx);
      if (hlen == 0) return DecodeStatus::malformed;
      // The payload length is PPTP's own; the IP length stays the authority on what is there.
      inner_declared = std::min<std::uint32_t>(payload_len, declared_len - static_cast<std::uint32_t>(hlen));
      break;
    }
    default:
      return malformed(ctx, DecodeEvent::gre_wrong_version);
  }
  Bytes payload = gre.subspan(hlen);
  if (payload.size() > inner_declared) payload = payload.first(inner_declared);

  const std::uint32_t snap_missing = ctx.snap_missing;
  ctx.snap_missing = inner_declared - static_cast<std::uint32_t>(payload.size());
  ctx.in_tunnel = true;
  DecodeStatus st = DecodeStatus::not_ip;
  switch (protocol) {
    case ethertype::ipv4:
      st = decode_network(IpFamily::v4, payload, ctx);
      break;
    case ethertype::ipv6:
      st = decode_network(IpFamily::v6, payload, ctx);
      break;
    case ethertype::teb:
      st = decode_ethernet(payload, ctx);
      break;
    case ethertype::ppp:
      // A PPTP acknowledgment alone carries no frame (payload length 0).
      st = inner_declared == 0 ? DecodeStatus::not_ip : decode_ppp(payload, ctx);
      break;
    default:  // MPLS, ERSPAN, WCCP, keepalives, ...: not decapsulated
      break;
  }
  if (st != DecodeStatus::not_ip) return st;
  // Nothing IP inside (ARP, PPP control, an ack without data, ...): the packet is the GRE packet
  // between the tunnel ends, as for any IP protocol without a decoder.
  ctx.in_tunnel = false;
  ctx.snap_missing = snap_missing;
  ctx.out.l4 = gre;
  ctx.out.payload = gre;
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
