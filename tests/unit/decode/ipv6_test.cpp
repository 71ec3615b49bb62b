// IPv6: fixed header, each extension header (hop-by-hop, routing, fragment, destination options,
// AH, ESP, No Next Header), atomic and real fragments, and the walk's limits.
#include <CppUTest/TestHarness.h>

#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Packet udp_segment() { return udp(5000, 53, text("dns?")); }

Decoded v6(std::uint8_t next_header, std::span<const std::uint8_t> payload) {
  Ipv6Spec ip;
  ip.next_header = next_header;
  return decode(LinkType::ipv6, ipv6(ip, payload));
}

void expect_udp(const Decoded& d, std::uint16_t header_len) {
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(ipproto::udp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(header_len, d.pkt.l3_header_len);
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(4, d.pkt.payload.size());
  CHECK_FALSE(d.pkt.is_fragment);
}
}  // namespace

TEST_GROUP(DecodeIpv6){};

TEST(DecodeIpv6, FixedHeader) {
  Ipv6Spec ip;
  ip.next_header = ipproto::udp;
  ip.hop_limit = 255;
  const Packet p = ipv6(ip, udp_segment());
  const Decoded d = decode(LinkType::ipv6, p);
  expect_udp(d, 40);
  UNSIGNED_LONGS_EQUAL(255, d.pkt.ttl);
  MEMCMP_EQUAL(ip.src.data(), d.pkt.src.b.data(), 16);
  MEMCMP_EQUAL(ip.dst.data(), d.pkt.dst.b.data(), 16);
  POINTERS_EQUAL(p.data(), d.pkt.l3.data());
  UNSIGNED_LONGS_EQUAL(p.size(), d.pkt.l3.size());
  POINTERS_EQUAL(p.data() + 40, d.pkt.l4.data());
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIpv6, TooSmall) {
  Packet p = ipv6(Ipv6Spec{}, {});
  p.pop_back();
  const Decoded d = decode(LinkType::ipv6, p);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_pkt_too_small);
}

TEST(DecodeIpv6, WrongVersion) {
  Ipv6Spec ip;
  ip.version = 4;
  const Decoded d = decode(LinkType::ipv6, ipv6(ip, udp_segment()));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_wrong_ip_version);
}

TEST(DecodeIpv6, PayloadLengthBeyondTheCompletePacket) {
  Ipv6Spec ip;
  ip.next_header = ipproto::udp;
  ip.payload_len = 13;
  const Decoded d = decode(LinkType::ipv6, ipv6(ip, udp_segment()));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_trunc_pkt);
}

TEST(DecodeIpv6, HopByHop) {
  const Packet pad = padn6();
  expect_udp(v6(ipproto::hopopts, ext_header(ipproto::udp, pad, udp_segment())), 48);
}

TEST(DecodeIpv6, HopByHopWithRouterAlertAndPad1) {
  // Router alert (type 5, length 2) then two Pad1 bytes.
  const Packet opts = bytes_of({5, 2, 0, 0, 0, 0});
  const Decoded d = v6(ipproto::hopopts, ext_header(ipproto::udp, opts, udp_segment()));
  expect_udp(d, 48);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIpv6, HopByHopOptionOverrunningTheHeader) {
  const Packet opts = bytes_of({1, 9, 0, 0, 0, 0});
  const Decoded d = v6(ipproto::hopopts, ext_header(ipproto::udp, opts, udp_segment()));
  expect_udp(d, 48);
  expect_only_event(d, DecodeEvent::ipv6_exthdr_invalid_optlen);
}

TEST(DecodeIpv6, DestinationOptionsWithOneByteLeft) {
  // PadN of 3 bytes leaves one byte that is not Pad1: no room for its length.
  const Packet opts = bytes_of({1, 3, 0, 0, 0, 0xc2});
  const Decoded d = v6(ipproto::dstopts, ext_header(ipproto::udp, opts, udp_segment()));
  expect_udp(d, 48);
  expect_only_event(d, DecodeEvent::ipv6_exthdr_invalid_optlen);
}

TEST(DecodeIpv6, HopByHopAfterAnotherHeader) {
  const Packet pad = padn6();
  const Packet hbh = ext_header(ipproto::udp, pad, udp_segment());
  const Decoded d = v6(ipproto::dstopts, ext_header(ipproto::hopopts, pad, hbh));
  expect_udp(d, 56);
  expect_only_event(d, DecodeEvent::ipv6_hopopts_not_first);
}

TEST(DecodeIpv6, HopByHopTwice) {
  const Packet pad = padn6();
  const Packet second = ext_header(ipproto::udp, pad, udp_segment());
  const Decoded d = v6(ipproto::hopopts, ext_header(ipproto::hopopts, pad, second));
  expect_udp(d, 56);
  expect_only_event(d, DecodeEvent::ipv6_exthdr_dupl_hh);
}

TEST(DecodeIpv6, LongDestinationOptions) {
  Packet opts = bytes_of({1, 20});
  opts.resize(22, 0);  // PadN of 20: 24-byte header
  expect_udp(v6(ipproto::dstopts, ext_header(ipproto::udp, opts, udp_segment())), 64);
}

TEST(DecodeIpv6, RoutingHeaderType2) {
  Writer body;
  body.u8(2).u8(1).be32(0).bytes(Ipv6Spec{}.dst);  // type 2, one segment left, home address
  const Decoded d = v6(ipproto::routing, ext_header(ipproto::udp, body.b, udp_segment()));
  expect_udp(d, 64);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIpv6, RoutingHeaderType0IsCounted) {
  Writer body;
  body.u8(0).u8(1).be32(0).bytes(Ipv6Spec{}.dst);
  const Decoded d = v6(ipproto::routing, ext_header(ipproto::udp, body.b, udp_segment()));
  expect_udp(d, 64);
  expect_only_event(d, DecodeEvent::ipv6_rh_type_0);
}

TEST(DecodeIpv6, AuthenticationHeader) {
  const Decoded d = v6(ipproto::ah, ah_header(ipproto::udp, udp_segment()));
  expect_udp(d, 64);
}

TEST(DecodeIpv6, EspEndsTheChain) {
  Writer esp;
  esp.be32(0x1001).be32(7).bytes(text("ciphertext"));
  const Packet pad = padn6();
  const Packet p = [&] {
    Ipv6Spec ip;
    ip.next_header = ipproto::hopopts;
    return ipv6(ip, ext_header(ipproto::esp, pad, esp.b));
  }();
  const Decoded d = decode(LinkType::ipv6, p);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(ipproto::esp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(48, d.pkt.l3_header_len);
  POINTERS_EQUAL(p.data() + 48, d.pkt.payload.data());
  UNSIGNED_LONGS_EQUAL(esp.b.size(), d.pkt.payload.size());
}

TEST(DecodeIpv6, NoNextHeader) {
  const Packet pad = padn6();
  const Decoded d = v6(ipproto::dstopts, ext_header(ipproto::none, pad, {}));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(ipproto::none, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(48, d.pkt.l3_header_len);
  CHECK(d.pkt.payload.empty());
}

TEST(DecodeIpv6, EveryHeaderInOneChain) {
  const Packet pad = padn6();
  Writer rh;
  rh.u8(2).u8(0).be32(0).bytes(Ipv6Spec{}.dst);
  const Packet dst2 = ext_header(ipproto::udp, pad, udp_segment());
  const Packet ah = ah_header(ipproto::dstopts, dst2);
  const Packet frag = fragment_header(ipproto::ah, 0, false, 99, ah);  // atomic
  const Packet routing = ext_header(ipproto::fragment, rh.b, frag);
  const Packet dst1 = ext_header(ipproto::routing, pad, routing);
  const Decoded d = v6(ipproto::hopopts, ext_header(ipproto::dstopts, pad, dst1));
  // 40 + hbh 8 + dst 8 + rh 24 + frag 8 + ah 24 + dst 8
  expect_udp(d, 120);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIpv6, EightExtensionHeadersAreAllowed) {
  const Packet pad = padn6();
  Packet chain = ext_header(ipproto::udp, pad, udp_segment());
  for (int i = 0; i < 7; ++i) chain = ext_header(ipproto::dstopts, pad, chain);
  expect_udp(v6(ipproto::dstopts, chain), 40 + 8 * 8);
}

TEST(DecodeIpv6, NineAreTooMany) {
  const Packet pad = padn6();
  Packet chain = ext_header(ipproto::udp, pad, udp_segment());
  for (int i = 0; i < 8; ++i) chain = ext_header(ipproto::dstopts, pad, chain);
  const Decoded d = v6(ipproto::dstopts, chain);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_exthdr_too_many);
  CHECK(d.pkt.family == IpFamily::v6);
}

TEST(DecodeIpv6, ExtensionHeaderLongerThanThePayload) {
  // Hop-by-hop says 16 bytes, the payload length gives it 8.
  const Decoded d = v6(ipproto::hopopts, bytes_of({17, 1, 1, 4, 0, 0, 0, 0}));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_trunc_exthdr);
  CHECK(d.pkt.family == IpFamily::v6);
}

TEST(DecodeIpv6, ExtensionHeaderShorterThanItsMinimum) {
  const Decoded d = v6(ipproto::fragment, bytes_of({17, 0, 0, 0}));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_trunc_exthdr);
}

TEST_GROUP(DecodeIpv6Fragments){};

TEST(DecodeIpv6Fragments, AtomicFragmentIsDecodedThrough) {
  const Decoded d =
      v6(ipproto::fragment, fragment_header(ipproto::udp, 0, false, 7, udp_segment()));
  expect_udp(d, 48);
  CHECK_FALSE(d.pkt.is_fragment);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIpv6Fragments, FirstFragmentDirectlyAfterTheHeader) {
  const Packet data = tcp(TcpSpec{}, text("0123456789abcdef"));
  Ipv6Spec ip;
  ip.next_header = ipproto::fragment;
  const Packet p = ipv6(ip, fragment_header(ipproto::tcp, 0, true, 0xcafef00d, data));
  const Decoded d = decode(LinkType::ipv6, p);
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.is_fragment);
  CHECK(d.pkt.more_fragments);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.frag_offset);
  UNSIGNED_LONGS_EQUAL(0xcafef00d, d.pkt.frag_id);
  UNSIGNED_LONGS_EQUAL(ipproto::tcp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(40, d.pkt.frag_header_offset);
  UNSIGNED_LONGS_EQUAL(40, d.pkt.unfragmentable_len);
  UNSIGNED_LONGS_EQUAL(6, d.pkt.frag_nh_offset);
  BYTES_EQUAL(ipproto::fragment, d.pkt.l3[d.pkt.frag_nh_offset]);
  UNSIGNED_LONGS_EQUAL(48, d.pkt.l3_header_len);
  UNSIGNED_LONGS_EQUAL(data.size(), d.pkt.l3.subspan(d.pkt.l3_header_len).size());
  MEMCMP_EQUAL(data.data(), d.pkt.l3.subspan(d.pkt.l3_header_len).data(), data.size());
  UNSIGNED_LONGS_EQUAL(0, d.pkt.sport);
  CHECK(d.pkt.payload.empty());
}

TEST(DecodeIpv6Fragments, FragmentAfterHopByHopAndDestinationOptions) {
  const Packet pad = padn6();
  const Packet frag = fragment_header(ipproto::udp, 1448, false, 5, text("tail of datagram"));
  const Packet dst = ext_header(ipproto::fragment, pad, frag);
  Ipv6Spec ip;
  ip.next_header = ipproto::hopopts;
  const Packet p = ipv6(ip, ext_header(ipproto::dstopts, pad, dst));
  const Decoded d = decode(LinkType::ipv6, p);
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  CHECK_FALSE(d.pkt.more_fragments);
  UNSIGNED_LONGS_EQUAL(1448, d.pkt.frag_offset);
  UNSIGNED_LONGS_EQUAL(56, d.pkt.frag_header_offset);
  UNSIGNED_LONGS_EQUAL(56, d.pkt.unfragmentable_len);
  UNSIGNED_LONGS_EQUAL(48, d.pkt.frag_nh_offset);  // the destination options header's first byte
  BYTES_EQUAL(ipproto::fragment, d.pkt.l3[d.pkt.frag_nh_offset]);
  UNSIGNED_LONGS_EQUAL(64, d.pkt.l3_header_len);
  UNSIGNED_LONGS_EQUAL(ipproto::udp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(16, d.pkt.l3.subspan(d.pkt.l3_header_len).size());
}

TEST(DecodeIpv6Fragments, SecondFragmentHeader) {
  const Packet inner = fragment_header(ipproto::udp, 8, true, 2, udp_segment());
  const Decoded d = v6(ipproto::fragment, fragment_header(ipproto::fragment, 0, false, 1, inner));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_exthdr_dupl_fh);
  CHECK_FALSE(d.pkt.is_fragment);
}

TEST(DecodeIpv6Fragments, LastByteAtTheLimitIsAccepted) {
  // 65528 + 7 bytes of data: a rebuilt payload of exactly 65535 bytes.
  const Decoded d =
      v6(ipproto::fragment, fragment_header(ipproto::udp, 65528, false, 3, text("1234567")));
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  UNSIGNED_LONGS_EQUAL(65528, d.pkt.frag_offset);
}

TEST(DecodeIpv6Fragments, BeyondTheLargestPayload) {
  const Decoded d =
      v6(ipproto::fragment, fragment_header(ipproto::udp, 65528, true, 3, text("12345678")));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_frag_pkt_too_large);
}
