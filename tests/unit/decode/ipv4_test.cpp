// IPv4: header checks, options (valid and each invalid case), fragments, other protocols.
#include <CppUTest/TestHarness.h>

#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Packet udp_payload() { return udp(1024, 53, text("abcd")); }

// IPv4 + UDP on LINKTYPE_IPV4 with the given options area.
Decoded with_options(std::vector<std::uint8_t> options) {
  Ipv4Spec ip;
  ip.proto = ipproto::udp;
  ip.options = std::move(options);
  return decode(LinkType::ipv4, ipv4(ip, udp_payload()));
}

void expect_options_ok(const Decoded& d, std::uint16_t header_len) {
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(header_len, d.pkt.l3_header_len);
  UNSIGNED_LONGS_EQUAL(ipproto::udp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(4, d.pkt.payload.size());
}

void expect_options_malformed(const Decoded& d, DecodeEvent e) {
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, e);
  // The fixed header was sound: addresses stay valid, the transport layer was not decoded.
  CHECK(d.pkt.family == IpFamily::v4);
  BYTES_EQUAL(192, d.pkt.src.b[0]);
  CHECK_FALSE(d.pkt.l3.empty());
  UNSIGNED_LONGS_EQUAL(0, d.pkt.dport);
  CHECK(d.pkt.payload.empty());
}
}  // namespace

TEST_GROUP(DecodeIpv4){};

TEST(DecodeIpv4, HeaderFields) {
  Ipv4Spec ip;
  ip.ttl = 3;
  ip.proto = ipproto::udp;
  const Packet p = ipv4(ip, udp_payload());
  const Decoded d = decode(LinkType::ipv4, p);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(3, d.pkt.ttl);
  UNSIGNED_LONGS_EQUAL(ipproto::udp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(p.size(), d.pkt.l3.size());
  CHECK_FALSE(d.pkt.is_fragment);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.frag_id);  // only set for fragments
}

TEST(DecodeIpv4, TooSmallForAHeader) {
  Packet p = ipv4(Ipv4Spec{}, {});
  p.pop_back();
  const Decoded d = decode(LinkType::ipv4, p);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_pkt_too_small);
  CHECK(d.pkt.family == IpFamily::none);
}

TEST(DecodeIpv4, HeaderLengthBelowFive) {
  Ipv4Spec ip;
  ip.ihl = 4;
  const Decoded d = decode(LinkType::ipv4, ipv4(ip, udp_payload()));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_hlen_too_small);
}

TEST(DecodeIpv4, TotalLengthBelowHeaderLength) {
  Ipv4Spec ip;
  ip.options = {1, 1, 1, 1};
  ip.total_len = 22;
  const Decoded d = decode(LinkType::ipv4, ipv4(ip, udp_payload()));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_iplen_smaller_than_hlen);
}

TEST(DecodeIpv4, TotalLengthBeyondTheCompletePacket) {
  Ipv4Spec ip;
  ip.proto = ipproto::udp;
  ip.total_len = 20 + 12 + 1;
  const Decoded d = decode(LinkType::ipv4, ipv4(ip, udp_payload()));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_trunc_pkt);
  CHECK(d.pkt.family == IpFamily::none);
}

TEST(DecodeIpv4, WrongVersion) {
  Ipv4Spec ip;
  ip.version = 7;
  const Decoded d = decode(LinkType::ipv4, ipv4(ip, udp_payload()));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_wrong_ip_version);
}

TEST(DecodeIpv4, OtherProtocolPayloadIsTheIpPayload) {
  Ipv4Spec ip;
  ip.proto = 132;  // SCTP: no decoder
  const Packet sctp = bytes_of({0, 1, 0, 2, 1, 2, 3, 4});
  const Packet p = ipv4(ip, sctp);
  const Decoded d = decode(LinkType::ipv4, p);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(132, d.pkt.ip_proto);
  POINTERS_EQUAL(p.data() + 20, d.pkt.payload.data());
  UNSIGNED_LONGS_EQUAL(sctp.size(), d.pkt.payload.size());
  UNSIGNED_LONGS_EQUAL(sctp.size(), d.pkt.l4.size());
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST_GROUP(DecodeIpv4Options){};

TEST(DecodeIpv4Options, NopAndRecordRoute) {
  // NOP, RR length 7 pointer 4 with room for one address.
  expect_options_ok(with_options({1, 7, 7, 4, 0, 0, 0, 0}), 28);
}

TEST(DecodeIpv4Options, FullRecordRoute) {
  // RR length 11 with both addresses recorded: pointer one past the end.
  expect_options_ok(with_options({7, 11, 12, 10, 0, 0, 1, 10, 0, 0, 2, 0}), 32);
}

TEST(DecodeIpv4Options, LooseAndStrictSourceRoutes) {
  expect_options_ok(with_options({131, 11, 8, 10, 0, 0, 1, 10, 0, 0, 2, 1}), 32);
  expect_options_ok(with_options({137, 7, 4, 10, 0, 0, 1, 0}), 28);
}

TEST(DecodeIpv4Options, TimestampsOnlyAndWithAddresses) {
  // Flag 0: 4-byte timestamps; pointer 9 after one recorded.
  expect_options_ok(with_options({68, 12, 9, 0, 0, 0, 0, 1, 0, 0, 0, 0}), 32);
  // Flag 1: address + timestamp pairs; pointer 13 after one pair.
  expect_options_ok(with_options({68, 20, 13, 1, 10, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0}),
                    40);
  // Flag 3: prespecified addresses.
  expect_options_ok(with_options({68, 12, 5, 3, 10, 0, 0, 1, 0, 0, 0, 0}), 32);
}

TEST(DecodeIpv4Options, RouterAlertStreamIdQuickStartSecurity) {
  expect_options_ok(with_options({148, 4, 0, 0}), 24);
  expect_options_ok(with_options({136, 4, 0, 1}), 24);
  expect_options_ok(with_options({25, 8, 0, 0, 0, 0, 0, 0}), 28);
  expect_options_ok(with_options({130, 3, 0xab, 0}), 24);
  expect_options_ok(with_options({133, 3, 1, 0}), 24);
  expect_options_ok(with_options({134, 6, 0, 0, 0, 3, 0, 0}), 28);
}

TEST(DecodeIpv4Options, EndOfListEndsTheWalk) {
  // Bytes after EOL are padding, however they look.
  const Decoded d = with_options({1, 0, 0xff, 0x01});
  expect_options_ok(d, 24);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeIpv4Options, UnknownOptionIsSkippedAndCounted) {
  const Decoded d = with_options({158, 4, 0, 0, 148, 4, 0, 0});
  expect_options_ok(d, 28);
  expect_only_event(d, DecodeEvent::ipv4_opt_unknown);
}

TEST(DecodeIpv4Options, DuplicateOptionIsCounted) {
  const Decoded d = with_options({148, 4, 0, 0, 148, 4, 0, 0});
  expect_options_ok(d, 28);
  expect_only_event(d, DecodeEvent::ipv4_opt_duplicate);
}

TEST(DecodeIpv4Options, LengthBelowTwo) {
  expect_options_malformed(with_options({1, 148, 1, 0}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({158, 0, 0, 0}), DecodeEvent::ipv4_opt_invalid_len);
}

TEST(DecodeIpv4Options, LengthBeyondTheHeader) {
  expect_options_malformed(with_options({1, 1, 148, 4}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({7, 40, 4, 0}), DecodeEvent::ipv4_opt_invalid_len);
}

TEST(DecodeIpv4Options, LoneTypeByteAtTheEnd) {
  expect_options_malformed(with_options({1, 1, 1, 148}), DecodeEvent::ipv4_opt_eol_required);
}

TEST(DecodeIpv4Options, FixedLengthOptionsWithOtherLengths) {
  expect_options_malformed(with_options({148, 6, 0, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({136, 2, 0, 0}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({25, 4, 0, 0}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({130, 2, 0, 0}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({133, 2, 0, 0}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({134, 4, 0, 0}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({7, 2, 0, 0}), DecodeEvent::ipv4_opt_invalid_len);
  expect_options_malformed(with_options({68, 3, 5, 0}), DecodeEvent::ipv4_opt_invalid_len);
}

TEST(DecodeIpv4Options, RoutePointerProblems) {
  expect_options_malformed(with_options({7, 7, 3, 0, 0, 0, 0, 0}), DecodeEvent::ipv4_opt_malformed);
  expect_options_malformed(with_options({7, 7, 5, 0, 0, 0, 0, 0}), DecodeEvent::ipv4_opt_malformed);
  expect_options_malformed(with_options({7, 7, 12, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_malformed);
  // Room for one and a half addresses.
  expect_options_malformed(with_options({131, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_malformed);
}

TEST(DecodeIpv4Options, TimestampProblems) {
  // Unknown flag 2.
  expect_options_malformed(with_options({68, 12, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_malformed);
  // Pointer not on a record boundary, below 5, beyond the end.
  expect_options_malformed(with_options({68, 12, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_malformed);
  expect_options_malformed(with_options({68, 12, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_malformed);
  expect_options_malformed(with_options({68, 12, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_malformed);
  // Address/timestamp pairs that do not fit the length.
  expect_options_malformed(with_options({68, 16, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                           DecodeEvent::ipv4_opt_malformed);
}

TEST_GROUP(DecodeIpv4Fragments){};

TEST(DecodeIpv4Fragments, FirstFragment) {
  Ipv4Spec ip;
  ip.id = 0xbeef;
  ip.flags_offset = 0x2000;  // MF
  const Packet data = tcp(TcpSpec{}, text("0123456789abcdef"));
  const Packet p = ipv4(ip, data);
  const Decoded d = decode(LinkType::ipv4, p);
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.is_fragment);
  CHECK(d.pkt.more_fragments);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.frag_offset);
  UNSIGNED_LONGS_EQUAL(0xbeef, d.pkt.frag_id);
  UNSIGNED_LONGS_EQUAL(ipproto::tcp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(20, d.pkt.l3_header_len);
  UNSIGNED_LONGS_EQUAL(p.size(), d.pkt.l3.size());
  // The defragmenter's view: the fragment's data follows the header.
  MEMCMP_EQUAL(data.data(), d.pkt.l3.subspan(d.pkt.l3_header_len).data(), data.size());
  // L4 is not decoded.
  UNSIGNED_LONGS_EQUAL(0, d.pkt.sport);
  CHECK(d.pkt.l4.empty());
  CHECK(d.pkt.payload.empty());
}

TEST(DecodeIpv4Fragments, MiddleAndLastFragmentsWithOptions) {
  Ipv4Spec ip;
  ip.options = {148, 4, 0, 0};
  ip.flags_offset = 0x2000 | 185;  // MF, offset 1480
  Decoded d = decode(LinkType::ipv4, ipv4(ip, text("middle..")));
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  CHECK(d.pkt.more_fragments);
  UNSIGNED_LONGS_EQUAL(1480, d.pkt.frag_offset);
  UNSIGNED_LONGS_EQUAL(24, d.pkt.l3_header_len);

  ip.flags_offset = 370;  // last: offset 2960
  d = decode(LinkType::ipv4, ipv4(ip, text("end")));
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  CHECK(d.pkt.is_fragment);
  CHECK_FALSE(d.pkt.more_fragments);
  UNSIGNED_LONGS_EQUAL(2960, d.pkt.frag_offset);
  UNSIGNED_LONGS_EQUAL(3, d.pkt.l3.subspan(d.pkt.l3_header_len).size());
}

TEST(DecodeIpv4Fragments, PaddingIsNotFragmentData) {
  Ipv4Spec ip;
  ip.flags_offset = 0x2000;
  Packet p = ethernet(0x0800, ipv4(ip, text("12345678")));
  p.resize(60, 0);
  const Decoded d = decode(LinkType::ethernet, p);
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  UNSIGNED_LONGS_EQUAL(8, d.pkt.l3.subspan(d.pkt.l3_header_len).size());
}

TEST(DecodeIpv4Fragments, LastByteAtTheLimitIsAccepted) {
  Ipv4Spec ip;
  ip.flags_offset = 8189;  // offset 65512; 20 + 3 bytes end exactly at 65535
  const Decoded d = decode(LinkType::ipv4, ipv4(ip, text("xyz")));
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  UNSIGNED_LONGS_EQUAL(65512, d.pkt.frag_offset);
}

TEST(DecodeIpv4Fragments, BeyondTheLargestDatagram) {
  Ipv4Spec ip;
  ip.flags_offset = 8189;
  const Decoded d = decode(LinkType::ipv4, ipv4(ip, text("wxyz")));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_frag_pkt_too_large);
}

TEST(DecodeIpv4Fragments, DontFragmentAloneIsNotAFragment) {
  Ipv4Spec ip;
  ip.proto = ipproto::udp;
  ip.flags_offset = 0x4000;
  const Decoded d = decode(LinkType::ipv4, ipv4(ip, udp_payload()));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK_FALSE(d.pkt.is_fragment);
}
