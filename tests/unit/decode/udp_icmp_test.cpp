// UDP length checks and trimming; ICMPv4 and ICMPv6 type/code and echo identifiers.
#include <CppUTest/TestHarness.h>

#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Decoded over_v4(std::uint8_t proto, std::span<const std::uint8_t> l4) {
  Ipv4Spec ip;
  ip.proto = proto;
  return decode(LinkType::ipv4, ipv4(ip, l4));
}
Decoded over_v6(std::uint8_t proto, std::span<const std::uint8_t> l4) {
  Ipv6Spec ip;
  ip.next_header = proto;
  return decode(LinkType::ipv6, ipv6(ip, l4));
}
}  // namespace

TEST_GROUP(DecodeUdp){};

TEST(DecodeUdp, PortsAndPayload) {
  const Packet data = text("hello");
  const Packet seg = udp(68, 67, data);
  const Decoded d = over_v4(ipproto::udp, seg);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(68, d.pkt.sport);
  UNSIGNED_LONGS_EQUAL(67, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(seg.size(), d.pkt.l4.size());
  UNSIGNED_LONGS_EQUAL(data.size(), d.pkt.payload.size());
  MEMCMP_EQUAL(data.data(), d.pkt.payload.data(), data.size());
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeUdp, EmptyPayload) {
  const Decoded d = over_v6(ipproto::udp, udp(1, 2, {}));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.payload.empty());
}

TEST(DecodeUdp, PayloadIsTrimmedToTheUdpLength) {
  Packet seg = udp(1, 2, text("abc"));
  seg.insert(seg.end(), {'x', 'y', 'z'});  // inside the IP datagram, after the UDP length
  const Decoded d = over_v4(ipproto::udp, seg);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(3, d.pkt.payload.size());
  BYTES_EQUAL('c', d.pkt.payload[2]);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeUdp, TooSmallForTheHeader) {
  const Packet seg = udp(1, 2, {});
  const Decoded d = over_v4(ipproto::udp, std::span(seg).first(7));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::udp_pkt_too_small);
}

TEST(DecodeUdp, LengthBelowTheHeader) {
  const Decoded d = over_v4(ipproto::udp, udp(1, 2, text("abc"), 7));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::udp_hlen_too_small);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.sport);
}

TEST(DecodeUdp, LengthBeyondTheDatagram) {
  const Decoded d = over_v6(ipproto::udp, udp(1, 2, text("abc"), 12));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::udp_hlen_invalid);
}

TEST_GROUP(DecodeIcmp){};

TEST(DecodeIcmp, EchoRequestAndReply) {
  Decoded d = over_v4(ipproto::icmp, icmp(8, 0, 0x1234, 7, text("ping")));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(8, d.pkt.icmp_type);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.icmp_code);
  UNSIGNED_LONGS_EQUAL(0x1234, d.pkt.icmp_id);
  UNSIGNED_LONGS_EQUAL(7, d.pkt.icmp_seq);
  UNSIGNED_LONGS_EQUAL(4, d.pkt.payload.size());
  UNSIGNED_LONGS_EQUAL(12, d.pkt.l4.size());
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  d = over_v4(ipproto::icmp, icmp(0, 0, 0x1234, 8, {}));
  UNSIGNED_LONGS_EQUAL(0, d.pkt.icmp_type);
  UNSIGNED_LONGS_EQUAL(8, d.pkt.icmp_seq);
}

TEST(DecodeIcmp, QueryTypesCarryIdAndSequence) {
  for (std::uint8_t type : {13, 14, 15, 16, 17, 18}) {
    const Decoded d = over_v4(ipproto::icmp, icmp(type, 0, 77, 88, bytes_of({0, 0, 0, 0})));
    CHECK_EQUAL(DecodeStatus::ok, d.status);
    UNSIGNED_LONGS_EQUAL(77, d.pkt.icmp_id);
    UNSIGNED_LONGS_EQUAL(88, d.pkt.icmp_seq);
    UNSIGNED_LONGS_EQUAL(0, d.total_events());
  }
}

TEST(DecodeIcmp, ErrorsHaveNoIdentifier) {
  // Destination unreachable, port unreachable: bytes 4..7 are unused, then the offending header.
  const Packet inner = ipv4(Ipv4Spec{}, bytes_of({0, 1, 0, 2, 0, 0, 0, 0}));
  const Decoded d = over_v4(ipproto::icmp, icmp(3, 3, 0, 1, inner));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(3, d.pkt.icmp_type);
  UNSIGNED_LONGS_EQUAL(3, d.pkt.icmp_code);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.icmp_id);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.icmp_seq);
  UNSIGNED_LONGS_EQUAL(inner.size(), d.pkt.payload.size());
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIcmp, UnknownTypeIsCounted) {
  const Decoded d = over_v4(ipproto::icmp, icmp(42, 0, 1, 1, {}));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(42, d.pkt.icmp_type);
  expect_only_event(d, DecodeEvent::icmpv4_unknown_type);
}

TEST(DecodeIcmp, TooSmall) {
  const Packet msg = icmp(8, 0, 1, 1, {});
  const Decoded d = over_v4(ipproto::icmp, std::span(msg).first(7));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::icmpv4_pkt_too_small);
}

TEST(DecodeIcmp, Icmpv6Echo) {
  Decoded d = over_v6(ipproto::icmpv6, icmp(128, 0, 0xabcd, 1, text("ping6")));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(128, d.pkt.icmp_type);
  UNSIGNED_LONGS_EQUAL(0xabcd, d.pkt.icmp_id);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.icmp_seq);
  UNSIGNED_LONGS_EQUAL(5, d.pkt.payload.size());
  d = over_v6(ipproto::icmpv6, icmp(129, 0, 0xabcd, 2, {}));
  UNSIGNED_LONGS_EQUAL(129, d.pkt.icmp_type);
  UNSIGNED_LONGS_EQUAL(2, d.pkt.icmp_seq);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIcmp, Icmpv6NeighbourDiscoveryAndErrors) {
  for (std::uint8_t type : {1, 2, 3, 4, 133, 134, 135, 136, 137, 143}) {
    const Decoded d = over_v6(ipproto::icmpv6, icmp(type, 0, 5, 6, bytes_of({0, 0, 0, 0})));
    CHECK_EQUAL(DecodeStatus::ok, d.status);
    UNSIGNED_LONGS_EQUAL(type, d.pkt.icmp_type);
    UNSIGNED_LONGS_EQUAL(0, d.pkt.icmp_id);  // not an echo
    UNSIGNED_LONGS_EQUAL(0, d.total_events());
  }
}

TEST(DecodeIcmp, Icmpv6UnknownTypeIsCounted) {
  const Decoded d = over_v6(ipproto::icmpv6, icmp(99, 0, 0, 0, {}));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  expect_only_event(d, DecodeEvent::icmpv6_unknown_type);
}

TEST(DecodeIcmp, Icmpv6TooSmall) {
  const Packet msg = icmp(128, 0, 1, 1, {});
  const Decoded d = over_v6(ipproto::icmpv6, std::span(msg).first(4));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::icmpv6_pkt_too_small);
}
