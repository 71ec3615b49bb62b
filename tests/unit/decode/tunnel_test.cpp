// Tunnels: IP-in-IP (4 and 41 after IPv4 or IPv6), GRE version 0 (IPv4, IPv6, Ethernet, PPP) and
// version 1 (PPTP), VXLAN; the inner packet replaces the outer one, the outermost tunnel is
// recorded, nesting is bounded, a payload that is not IP leaves the outer packet, and every
// malformed tunnel header is its own event.
#include <CppUTest/TestHarness.h>

#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
constexpr std::array<std::uint8_t, 4> kOuterSrc{203, 0, 113, 1}, kOuterDst{203, 0, 113, 2};

Ipv4Spec outer4(std::uint8_t proto) {
  Ipv4Spec ip;
  ip.proto = proto;
  ip.src = kOuterSrc;
  ip.dst = kOuterDst;
  return ip;
}

Ipv6Spec outer6(std::uint8_t next_header) {
  Ipv6Spec ip;
  ip.next_header = next_header;
  ip.src[15] = 0x11;
  ip.dst[15] = 0x22;
  return ip;
}

Packet inner_tcp4(const char* data = "hello") {
  return ipv4(Ipv4Spec{}, tcp(TcpSpec{}, text(data)));
}

Packet inner_udp6() {
  Ipv6Spec ip;
  ip.next_header = ipproto::udp;
  return ipv6(ip, udp(5353, 53, text("query")));
}

// The inner packet is the default Ipv4Spec's TCP segment to port 80 carrying `data`.
void expect_inner_tcp4(const Decoded& d, const char* data = "hello") {
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.family == IpFamily::v4);
  BYTES_EQUAL(192, d.pkt.src.b[0]);
  BYTES_EQUAL(198, d.pkt.dst.b[0]);
  for (std::size_t i = 4; i < 16; ++i) {  // no byte left from a wider outer address
    BYTES_EQUAL(0, d.pkt.src.b[i]);
    BYTES_EQUAL(0, d.pkt.dst.b[i]);
  }
  UNSIGNED_LONGS_EQUAL(ipproto::tcp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(40000, d.pkt.sport);
  UNSIGNED_LONGS_EQUAL(80, d.pkt.dport);
  const std::string got(d.pkt.payload.begin(), d.pkt.payload.end());
  STRCMP_EQUAL(data, got.c_str());
  BYTES_EQUAL(0x45, d.pkt.l3[0]);  // l3 is the inner header
  POINTERS_EQUAL(d.pkt.l3.data() + 20, d.pkt.l4.data());
}

void expect_outer4_tunnel(const Decoded& d, std::uint8_t proto, std::uint8_t depth = 1) {
  UNSIGNED_LONGS_EQUAL(depth, d.pkt.tunnel_depth);
  CHECK(d.pkt.tunnel_family == IpFamily::v4);
  UNSIGNED_LONGS_EQUAL(proto, d.pkt.tunnel_proto);
  MEMCMP_EQUAL(kOuterSrc.data(), d.pkt.tunnel_src.b.data(), 4);
  MEMCMP_EQUAL(kOuterDst.data(), d.pkt.tunnel_dst.b.data(), 4);
}

// Not decapsulated: the packet is the outer GRE packet, its payload the whole GRE packet.
void expect_outer_gre(const Decoded& d, const Packet& gre_bytes) {
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(0, d.pkt.tunnel_depth);
  CHECK(d.pkt.tunnel_family == IpFamily::none);
  UNSIGNED_LONGS_EQUAL(ipproto::gre, d.pkt.ip_proto);
  MEMCMP_EQUAL(kOuterSrc.data(), d.pkt.src.b.data(), 4);
  UNSIGNED_LONGS_EQUAL(gre_bytes.size(), d.pkt.payload.size());
  MEMCMP_EQUAL(gre_bytes.data(), d.pkt.payload.data(), gre_bytes.size());
}

Decoded over_gre(const Packet& gre_bytes) {
  return decode(LinkType::ethernet, ethernet(0x0800, ipv4(outer4(ipproto::gre), gre_bytes)));
}

void expect_malformed(const Decoded& d, DecodeEvent e) {
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, e);
}
}  // namespace

TEST_GROUP(DecodeIpInIp){};

TEST(DecodeIpInIp, Ipv4InIpv4) {
  const Packet inner = inner_tcp4();
  const Packet p = ethernet(0x0800, ipv4(outer4(ipproto::ipv4), inner));
  const Decoded d = decode(LinkType::ethernet, p);
  expect_inner_tcp4(d);
  expect_outer4_tunnel(d, ipproto::ipv4);
  POINTERS_EQUAL(p.data() + 14 + 20, d.pkt.l3.data());
  UNSIGNED_LONGS_EQUAL(inner.size(), d.pkt.l3.size());
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
}

TEST(DecodeIpInIp, Ipv6InIpv4) {
  const Decoded d = decode(LinkType::ipv4, ipv4(outer4(ipproto::ipv6), inner_udp6()));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(ipproto::udp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
  BYTES_EQUAL(0x20, d.pkt.src.b[0]);
  BYTES_EQUAL(1, d.pkt.src.b[15]);
  expect_outer4_tunnel(d, ipproto::ipv6);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);  // the link's, not the inner packet's
}

TEST(DecodeIpInIp, Ipv4InIpv6ClearsTheWideAddress) {
  const Decoded d = decode(LinkType::ipv6, ipv6(outer6(ipproto::ipv4), inner_tcp4()));
  expect_inner_tcp4(d);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.tunnel_depth);
  CHECK(d.pkt.tunnel_family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(ipproto::ipv4, d.pkt.tunnel_proto);
  BYTES_EQUAL(0x11, d.pkt.tunnel_src.b[15]);
  BYTES_EQUAL(0x22, d.pkt.tunnel_dst.b[15]);
}

TEST(DecodeIpInIp, Ipv6InIpv6AfterAnExtensionHeader) {
  const Packet pad = padn6();
  const Decoded d = decode(LinkType::ipv6,
                           ipv6(outer6(ipproto::dstopts), ext_header(ipproto::ipv6, pad, inner_udp6())));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(40, d.pkt.l3_header_len);  // the inner header's own length
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(ipproto::ipv6, d.pkt.tunnel_proto);
}

TEST(DecodeIpInIp, WrongInnerVersionIsMalformed) {
  // Protocol 4 announces IPv4; an IPv6 header there is not what the sender said.
  const Decoded d = decode(LinkType::ipv4, ipv4(outer4(ipproto::ipv4), inner_udp6()));
  expect_malformed(d, DecodeEvent::ipv4_wrong_ip_version);
}

TEST(DecodeIpInIp, TruncatedInnerHeader) {
  const Packet inner = inner_tcp4();
  const Packet cut(inner.begin(), inner.begin() + 12);
  const Decoded d = decode(LinkType::ipv4, ipv4(outer4(ipproto::ipv4), cut));
  expect_malformed(d, DecodeEvent::ipv4_pkt_too_small);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.tunnel_depth);
}

TEST(DecodeIpInIp, InnerLongerThanTheOuterIsTruncatedEvenInASnappedCapture) {
  // The outer datagram is whole, so bytes the capture cut off cannot explain a longer inner one.
  Ipv4Spec in;
  in.total_len = 200;
  const Packet p = ipv4(outer4(ipproto::ipv4), ipv4(in, tcp(TcpSpec{}, text("x"))));
  const Decoded d = decode(LinkType::ipv4, p, static_cast<std::uint32_t>(p.size() + 500));
  expect_malformed(d, DecodeEvent::ipv4_trunc_pkt);
}

TEST(DecodeIpInIp, SnappedOuterGivesASnappedInner) {
  const Packet p = ipv4(outer4(ipproto::ipv4), inner_tcp4("hello world"));
  const Packet cut(p.begin(), p.end() - 6);
  const Decoded d = decode(LinkType::ipv4, cut, static_cast<std::uint32_t>(p.size()));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.snapped);
  const std::string got(d.pkt.payload.begin(), d.pkt.payload.end());
  STRCMP_EQUAL("hello", got.c_str());
}

TEST(DecodeIpInIp, InnerFragmentAndItsRebuiltDatagramStayTunnelled) {
  Ipv4Spec frag;
  frag.flags_offset = 0x2000;  // MF, offset 0
  frag.proto = ipproto::udp;
  const Packet first = ipv4(frag, udp(1, 2, text("12345678")));
  const Decoded d = decode(LinkType::ipv4, ipv4(outer4(ipproto::ipv4), first));
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  CHECK(d.pkt.is_fragment);
  CHECK(d.pkt.more_fragments);
  UNSIGNED_LONGS_EQUAL(0x1234, d.pkt.frag_id);
  BYTES_EQUAL(192, d.pkt.src.b[0]);
  UNSIGNED_LONGS_EQUAL(first.size(), d.pkt.l3.size());
  expect_outer4_tunnel(d, ipproto::ipv4);

  // What the worker does with the defragmenter's output: decode_ip on the inner datagram.
  DecodedPacket dp = d.pkt;
  DecodeCounters c;
  Ipv4Spec whole;
  whole.proto = ipproto::udp;
  const Packet rebuilt = ipv4(whole, udp(1, 2, text("1234567890")));
  CHECK_EQUAL(DecodeStatus::ok, decode_ip(rebuilt, dp, c));
  UNSIGNED_LONGS_EQUAL(2, dp.dport);
  UNSIGNED_LONGS_EQUAL(10, dp.payload.size());
  UNSIGNED_LONGS_EQUAL(1, dp.tunnel_depth);
  CHECK(dp.tunnel_family == IpFamily::v4);
  MEMCMP_EQUAL(kOuterSrc.data(), dp.tunnel_src.b.data(), 4);
}

TEST(DecodeIpInIp, RebuiltOuterDatagramIsDecapsulated) {
  // Fragments of the outer datagram are not tunnelled yet; once rebuilt, the tunnel opens.
  DecodedPacket dp;
  DecodeCounters c;
  const Packet rebuilt = ipv4(outer4(ipproto::ipv4), inner_tcp4());
  CHECK_EQUAL(DecodeStatus::ok, decode_ip(rebuilt, dp, c));
  UNSIGNED_LONGS_EQUAL(80, dp.dport);
  UNSIGNED_LONGS_EQUAL(1, dp.tunnel_depth);
  UNSIGNED_LONGS_EQUAL(ipproto::ipv4, dp.tunnel_proto);
}

TEST(DecodeIpInIp, FourLevelsAreDecodedAFifthIsTooDeep) {
  Packet p = inner_tcp4();
  for (int level = 0; level < 4; ++level) p = ipv4(outer4(ipproto::ipv4), p);
  Decoded d = decode(LinkType::ipv4, p);
  expect_inner_tcp4(d);
  expect_outer4_tunnel(d, ipproto::ipv4, 4);

  p = ipv4(outer4(ipproto::ipv4), p);
  d = decode(LinkType::ipv4, p);
  expect_malformed(d, DecodeEvent::tunnel_too_many_layers);
  UNSIGNED_LONGS_EQUAL(4, d.pkt.tunnel_depth);
}

TEST(DecodeIpInIp, OutermostTunnelIsRecorded) {
  // IPv6 in GRE in IPv4-in-IPv6: the record is the outermost header's.
  const Packet gre_pkt = gre(0, 0x86dd, inner_udp6());
  const Decoded d = decode(
      LinkType::ipv6, ipv6(outer6(ipproto::ipv4), ipv4(outer4(ipproto::gre), gre_pkt)));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(2, d.pkt.tunnel_depth);
  CHECK(d.pkt.tunnel_family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(ipproto::ipv4, d.pkt.tunnel_proto);
  BYTES_EQUAL(0x11, d.pkt.tunnel_src.b[15]);
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
}

TEST_GROUP(DecodeGre){};

TEST(DecodeGre, Version0Ipv4) {
  const Decoded d = over_gre(gre(0, 0x0800, inner_tcp4()));
  expect_inner_tcp4(d);
  expect_outer4_tunnel(d, ipproto::gre);
}

TEST(DecodeGre, Version0ChecksumKeyAndSequenceCarryingIpv6) {
  const Decoded d = over_gre(gre(0xb000, 0x86dd, inner_udp6(), {0xabcd0000, 42, 7}));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
  expect_outer4_tunnel(d, ipproto::gre);
}

TEST(DecodeGre, Version0RoutingEntriesAreSkipped) {
  // R: checksum/offset word, then source route entries up to the null entry.
  Writer sres;
  sres.be16(0x0800).u8(0).u8(8).be32(0x0a000001).be32(0x0a000002);  // two IPv4 hops
  sres.be16(0).u8(0).u8(0);
  const Decoded d = over_gre(gre(0x4000, 0x0800, cat({sres.b, inner_tcp4()}), {0}));
  expect_inner_tcp4(d);
}

TEST(DecodeGre, TransparentEthernetBridging) {
  // The inner frame's VLAN tag is walked but not kept: the packet's VLANs are the outer frame's.
  const Packet inner = ethernet(0x0800, inner_tcp4(), {77});
  const Decoded d = decode(LinkType::ethernet,
                           ethernet(0x0800, ipv4(outer4(ipproto::gre), gre(0, 0x6558, inner)), {5}));
  expect_inner_tcp4(d);
  expect_outer4_tunnel(d, ipproto::gre);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(5, d.pkt.vlan[0]);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
}

TEST(DecodeGre, BridgedFrameWithThreeTagsIsTooManyLayers) {
  const Packet inner = ethernet(0x0800, inner_tcp4(), {1, 2, 3});
  expect_malformed(over_gre(gre(0, 0x6558, inner)), DecodeEvent::vlan_too_many_layers);
}

TEST(DecodeGre, BridgedArpIsTheOuterGrePacket) {
  const Packet g = gre(0, 0x6558, ethernet(0x0806, Packet(28, 1)));
  expect_outer_gre(over_gre(g), g);
}

TEST(DecodeGre, Version0Ppp) {
  const Decoded d = over_gre(gre(0, 0x880b, ppp(0x0021, inner_tcp4())));
  expect_inner_tcp4(d);
  expect_outer4_tunnel(d, ipproto::gre);
}

TEST(DecodeGre, PptpCarryingIpv4) {
  const Decoded d = over_gre(pptp_gre(ppp(0x0021, inner_tcp4())));
  expect_inner_tcp4(d);
  expect_outer4_tunnel(d, ipproto::gre);
}

TEST(DecodeGre, PptpWithAcknowledgmentAndCompressedIpv6) {
  const Packet frame = ppp(0x57, inner_udp6(), false, true);
  const auto len = static_cast<std::uint32_t>(frame.size());
  // K, S and A: key, sequence number, acknowledgment number.
  const Decoded d = over_gre(gre(0x3081, 0x880b, frame, {len << 16 | 9, 4, 3}));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
}

TEST(DecodeGre, PptpPayloadLengthBoundsThePppFrame) {
  // Trailing bytes past the payload length are not part of the PPP frame.
  const Packet frame = ppp(0x0021, inner_tcp4());
  const auto len = static_cast<std::uint32_t>(frame.size());
  const Decoded d = over_gre(gre(0x2001, 0x880b, cat({frame, Packet(6, 0xee)}), {len << 16 | 1}));
  expect_inner_tcp4(d);
}

TEST(DecodeGre, PptpAckOnlyIsTheOuterGrePacket) {
  const Packet g = gre(0x2081, 0x880b, {}, {0 << 16 | 1, 5});
  expect_outer_gre(over_gre(g), g);
}

TEST(DecodeGre, PptpLinkControlIsTheOuterGrePacket) {
  const Packet g = pptp_gre(ppp(0xc021, bytes_of({9, 1, 0, 8, 0, 0, 0, 0})));  // LCP echo
  expect_outer_gre(over_gre(g), g);
}

TEST(DecodeGre, UnknownProtocolTypeIsNotDecapsulated) {
  const Packet g = gre(0x1000, 0x88be, Packet(20, 3), {1});  // ERSPAN type II
  expect_outer_gre(over_gre(g), g);
}

TEST(DecodeGre, MalformedHeaders) {
  const Packet ip = inner_tcp4();
  const Packet lcp = ppp(0x0021, ip);
  struct Case {
    Packet gre_bytes;
    DecodeEvent event;
  };
  const Case cases[] = {
      {bytes_of({0, 0, 8}), DecodeEvent::gre_pkt_too_small},
      {gre(0x0002, 0x0800, ip), DecodeEvent::gre_wrong_version},
      {gre(0x0100, 0x0800, ip), DecodeEvent::gre_v0_recur},
      {gre(0x0040, 0x0800, ip), DecodeEvent::gre_v0_flags},
      {gre(0x2000, 0x0800, {}), DecodeEvent::gre_v0_hdr_too_big},
      {gre(0x4000, 0x0800, bytes_of({0x08, 0, 0, 9, 1, 2}), {0}), DecodeEvent::gre_v0_malformed_sre_hdr},
      {gre(0xa001, 0x880b, lcp, {0, 0}), DecodeEvent::gre_v1_chksum},
      {gre(0x6001, 0x880b, lcp, {0, 0}), DecodeEvent::gre_v1_route},
      {gre(0x2801, 0x880b, lcp, {0}), DecodeEvent::gre_v1_ssr},
      {gre(0x2101, 0x880b, lcp, {0}), DecodeEvent::gre_v1_recur},
      {gre(0x2041, 0x880b, lcp, {0}), DecodeEvent::gre_v1_flags},
      {gre(0x0001, 0x880b, lcp), DecodeEvent::gre_v1_no_key},
      {gre(0x2001, 0x0800, ip, {0}), DecodeEvent::gre_v1_wrong_protocol},
      {gre(0x3001, 0x880b, {}, {0}), DecodeEvent::gre_v1_hdr_too_big},
  };
  for (const Case& c : cases) {
    const Decoded d = over_gre(c.gre_bytes);
    const char* name = decode_event_name(c.event).data();
    CHECK_EQUAL_TEXT(DecodeStatus::malformed, d.status, name);
    expect_only_event(d, c.event);
    UNSIGNED_LONGS_EQUAL_TEXT(0, d.pkt.tunnel_depth, name);
    MEMCMP_EQUAL(kOuterSrc.data(), d.pkt.src.b.data(), 4);  // the outer header stays described
  }
}

TEST(DecodeGre, TruncatedInnerHeader) {
  const Decoded d = over_gre(gre(0, 0x86dd, Packet(30, 0x60)));
  expect_malformed(d, DecodeEvent::ipv6_pkt_too_small);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.tunnel_depth);
}

TEST(DecodeGre, InnerFragmentOverPpp) {
  Ipv4Spec frag;
  frag.proto = ipproto::udp;
  frag.flags_offset = 0x2000 | 8;  // MF, offset 64
  const Packet f = ipv4(frag, Packet(64, 0x41));
  const Decoded d = over_gre(gre(0, 0x880b, ppp(0x0021, f, false)));
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  UNSIGNED_LONGS_EQUAL(64, d.pkt.frag_offset);
  UNSIGNED_LONGS_EQUAL(20, d.pkt.l3_header_len);
  UNSIGNED_LONGS_EQUAL(84, d.pkt.l3.size());
  expect_outer4_tunnel(d, ipproto::gre);
}

TEST_GROUP(DecodeVxlan){};

namespace {
Packet vxlan_udp(std::span<const std::uint8_t> payload, std::uint16_t dport = 4789) {
  return ethernet(0x0800, ipv4(outer4(ipproto::udp), udp(49152, dport, payload)));
}
}  // namespace

TEST(DecodeVxlan, InnerEthernetIpv4) {
  const Decoded d =
      decode(LinkType::ethernet, vxlan_udp(vxlan(100, ethernet(0x0800, inner_tcp4()))));
  expect_inner_tcp4(d);
  expect_outer4_tunnel(d, ipproto::udp);
}

TEST(DecodeVxlan, InnerArpIsTheOuterUdpDatagram) {
  const Packet payload = vxlan(100, ethernet(0x0806, Packet(28, 1)));
  const Decoded d = decode(LinkType::ethernet, vxlan_udp(payload));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(0, d.pkt.tunnel_depth);
  UNSIGNED_LONGS_EQUAL(ipproto::udp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(4789, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(payload.size(), d.pkt.payload.size());
}

TEST(DecodeVxlan, WithoutTheVniFlagItIsPlainUdp) {
  Packet payload = vxlan(100, ethernet(0x0800, inner_tcp4()));
  payload[0] = 0;
  const Decoded d = decode(LinkType::ethernet, vxlan_udp(payload));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.tunnel_depth);
  UNSIGNED_LONGS_EQUAL(4789, d.pkt.dport);
}

TEST(DecodeVxlan, OtherPortIsPlainUdp) {
  const Decoded d =
      decode(LinkType::ethernet, vxlan_udp(vxlan(100, ethernet(0x0800, inner_tcp4())), 4790));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.tunnel_depth);
}

TEST(DecodeVxlan, TruncatedInnerFrame) {
  const Decoded d = decode(LinkType::ethernet, vxlan_udp(vxlan(100, Packet(10, 0))));
  expect_malformed(d, DecodeEvent::ethernet_pkt_too_small);
}

TEST_GROUP(DecodePpp){};

TEST(DecodePpp, LinkWithAndWithoutAddressAndControl) {
  Decoded d = decode(LinkType::ppp, ppp(0x0021, inner_tcp4()));
  expect_inner_tcp4(d);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.tunnel_depth);  // a link layer, not a tunnel
  d = decode(LinkType::ppp, ppp(0x0021, inner_tcp4(), false));
  expect_inner_tcp4(d);
  d = decode(LinkType::ppp, ppp(0x57, inner_udp6(), false, true));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(0x86dd, d.pkt.ethertype);
}

TEST(DecodePpp, SerialLinkTakesPppAndCiscoHdlc) {
  expect_inner_tcp4(decode(LinkType::ppp_serial, ppp(0x0021, inner_tcp4())));
  expect_inner_tcp4(decode(LinkType::ppp_serial, cat({bytes_of({0x8f, 0, 0x08, 0}), inner_tcp4()})));
}

TEST(DecodePpp, WithDirectionByte) {
  expect_inner_tcp4(decode(LinkType::ppp_with_dir, cat({bytes_of({1}), ppp(0x0021, inner_tcp4())})));
  expect_malformed(decode(LinkType::ppp_with_dir, Packet{}), DecodeEvent::ppp_pkt_too_small);
}

TEST(DecodePpp, ControlProtocolsAreNotIp) {
  for (std::uint16_t proto : {0xc021, 0x8021, 0x8057, 0x80fd, 0x00fd, 0x002d}) {
    const Decoded d = decode(LinkType::ppp, ppp(proto, bytes_of({1, 1, 0, 4})));
    CHECK_EQUAL(DecodeStatus::not_ip, d.status);
    UNSIGNED_LONGS_EQUAL(0, d.total_events());
  }
}

TEST(DecodePpp, MalformedHeaders) {
  expect_malformed(decode(LinkType::ppp, Packet{}), DecodeEvent::ppp_pkt_too_small);
  expect_malformed(decode(LinkType::ppp, bytes_of({0xff, 0x03})), DecodeEvent::ppp_pkt_too_small);
  expect_malformed(decode(LinkType::ppp, bytes_of({0xff})), DecodeEvent::ppp_pkt_too_small);
  expect_malformed(decode(LinkType::ppp, bytes_of({0x00})), DecodeEvent::ppp_pkt_too_small);
  // Protocol numbers are odd.
  expect_malformed(decode(LinkType::ppp, ppp(0x0020, inner_tcp4())), DecodeEvent::ppp_wrong_type);
  expect_malformed(decode(LinkType::ppp, bytes_of({0xff, 0x05, 0x00, 0x21})),
                   DecodeEvent::ppp_wrong_type);
  expect_malformed(decode(LinkType::ppp, ppp(0x0021, Packet(10, 0x45))),
                   DecodeEvent::ipv4_pkt_too_small);
}

TEST(DecodePpp, CiscoHdlc) {
  expect_inner_tcp4(decode(LinkType::c_hdlc, cat({bytes_of({0x0f, 0, 0x08, 0}), inner_tcp4()})));
  const Decoded v6 = decode(LinkType::c_hdlc, cat({bytes_of({0x0f, 0, 0x86, 0xdd}), inner_udp6()}));
  CHECK_EQUAL(DecodeStatus::ok, v6.status);
  UNSIGNED_LONGS_EQUAL(0x86dd, v6.pkt.ethertype);
  const Decoded slarp = decode(LinkType::c_hdlc, cat({bytes_of({0x8f, 0, 0x80, 0x35}), Packet(20, 0)}));
  CHECK_EQUAL(DecodeStatus::not_ip, slarp.status);
  UNSIGNED_LONGS_EQUAL(0, slarp.total_events());
  expect_malformed(decode(LinkType::c_hdlc, bytes_of({0x0f, 0, 8})), DecodeEvent::chdlc_pkt_too_small);
}

TEST_GROUP(DecodePppoe){};

TEST(DecodePppoe, SessionOnEthernetWithPadding) {
  // A short frame is padded to 60 bytes after the PPPoE payload: the length field excludes it.
  const Packet frame = ppp(0x0021, inner_tcp4("hi"), false);
  Packet p = ethernet(0x8864, pppoe(frame));
  p.resize(p.size() + 8, 0);
  const Decoded d = decode(LinkType::ethernet, p);
  expect_inner_tcp4(d, "hi");
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.tunnel_depth);
}

TEST(DecodePppoe, SessionLinkTypeAndVlan) {
  expect_inner_tcp4(decode(LinkType::ppp_ether, pppoe(ppp(0x0021, inner_tcp4(), false))));
  const Decoded d =
      decode(LinkType::ethernet, ethernet(0x8864, pppoe(ppp(0x0021, inner_tcp4(), false)), {300}));
  expect_inner_tcp4(d);
  UNSIGNED_LONGS_EQUAL(300, d.pkt.vlan[0]);
}

TEST(DecodePppoe, DiscoveryAndLinkControlAreNotIp) {
  Decoded d = decode(LinkType::ethernet, ethernet(0x8863, bytes_of({0x11, 0x09, 0, 0, 0, 0})));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  d = decode(LinkType::ethernet, ethernet(0x8864, pppoe(ppp(0xc021, bytes_of({9, 1, 0, 4}), false))));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodePppoe, MalformedHeaders) {
  const Packet frame = ppp(0x0021, inner_tcp4(), false);
  expect_malformed(decode(LinkType::ethernet, ethernet(0x8864, bytes_of({0x11, 0, 0, 1, 0}))),
                   DecodeEvent::pppoe_pkt_too_small);
  expect_malformed(decode(LinkType::ethernet, ethernet(0x8864, pppoe(frame, -1, 0x21))),
                   DecodeEvent::pppoe_wrong_version);
  expect_malformed(decode(LinkType::ethernet, ethernet(0x8864, pppoe(frame, -1, 0x11, 0x09))),
                   DecodeEvent::pppoe_wrong_code);
  const int too_long = static_cast<int>(frame.size()) + 10;
  expect_malformed(decode(LinkType::ethernet, ethernet(0x8864, pppoe(frame, too_long))),
                   DecodeEvent::pppoe_pkt_too_small);
}

TEST(DecodePppoe, SnappedSession) {
  const Packet p = ethernet(0x8864, pppoe(ppp(0x0021, inner_tcp4("hello world"), false)));
  const Packet cut(p.begin(), p.end() - 6);
  const Decoded d = decode(LinkType::ethernet, cut, static_cast<std::uint32_t>(p.size()));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.snapped);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(5, d.pkt.payload.size());
}
