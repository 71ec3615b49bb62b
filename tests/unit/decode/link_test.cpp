// Link layers: Ethernet II with VLAN / QinQ tags, raw IP, LINKTYPE_IPV4/IPV6, Linux SLL and SLL2,
// BSD null and OpenBSD loop; plus decode_ip's handling of link-layer fields.
#include <CppUTest/TestHarness.h>

#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Packet tcp_v4(std::span<const std::uint8_t> data = {}) {
  Ipv4Spec ip;
  return ipv4(ip, tcp(TcpSpec{}, data));
}
Packet udp_v6() {
  Ipv6Spec ip;
  ip.next_header = ipproto::udp;
  return ipv6(ip, udp(5353, 53, text("query")));
}
void expect_tcp_v4(const Decoded& d) {
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.family == IpFamily::v4);
  UNSIGNED_LONGS_EQUAL(ipproto::tcp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(40000, d.pkt.sport);
  UNSIGNED_LONGS_EQUAL(80, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}
void expect_udp_v6(const Decoded& d) {
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.family == IpFamily::v6);
  UNSIGNED_LONGS_EQUAL(ipproto::udp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(5353, d.pkt.sport);
  UNSIGNED_LONGS_EQUAL(53, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(5, d.pkt.payload.size());
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}
}  // namespace

TEST_GROUP(DecodeEthernet){};

TEST(DecodeEthernet, Ipv4TcpFillsEveryLayer) {
  const Packet data = text("GET / HTTP/1.1\r\n");
  const Packet p = ethernet(0x0800, tcp_v4(data));
  const Decoded d = decode(LinkType::ethernet, p);
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(64, d.pkt.ttl);
  const std::uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {198, 51, 100, 7};
  MEMCMP_EQUAL(src, d.pkt.src.b.data(), 4);
  MEMCMP_EQUAL(dst, d.pkt.dst.b.data(), 4);
  for (std::size_t i = 4; i < 16; ++i) BYTES_EQUAL(0, d.pkt.src.b[i]);
  POINTERS_EQUAL(p.data() + 14, d.pkt.l3.data());
  UNSIGNED_LONGS_EQUAL(20 + 20 + data.size(), d.pkt.l3.size());
  UNSIGNED_LONGS_EQUAL(20, d.pkt.l3_header_len);
  POINTERS_EQUAL(p.data() + 34, d.pkt.l4.data());
  UNSIGNED_LONGS_EQUAL(1000, d.pkt.seq);
  UNSIGNED_LONGS_EQUAL(2000, d.pkt.ack);
  UNSIGNED_LONGS_EQUAL(tcpflag::psh | tcpflag::ack, d.pkt.tcp_flags);
  UNSIGNED_LONGS_EQUAL(65535, d.pkt.window);
  UNSIGNED_LONGS_EQUAL(20, d.pkt.tcp_header_len);
  UNSIGNED_LONGS_EQUAL(data.size(), d.pkt.payload.size());
  MEMCMP_EQUAL(data.data(), d.pkt.payload.data(), data.size());
  CHECK_FALSE(d.pkt.snapped);
  CHECK_FALSE(d.pkt.is_fragment);
}

TEST(DecodeEthernet, Ipv6Udp) {
  const Decoded d = decode(LinkType::ethernet, ethernet(0x86dd, udp_v6()));
  expect_udp_v6(d);
  UNSIGNED_LONGS_EQUAL(0x86dd, d.pkt.ethertype);
  UNSIGNED_LONGS_EQUAL(40, d.pkt.l3_header_len);
}

TEST(DecodeEthernet, PaddingIsTrimmedToTheIpLength) {
  Packet p = ethernet(0x0800, tcp_v4());  // 54 bytes: below the 60-byte Ethernet minimum
  p.resize(60, 0xee);                     // padding, then an FCS-like trailer
  p.insert(p.end(), {0xde, 0xad, 0xbe, 0xef});
  const Decoded d = decode(LinkType::ethernet, p);
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(40, d.pkt.l3.size());
  UNSIGNED_LONGS_EQUAL(20, d.pkt.l4.size());
  UNSIGNED_LONGS_EQUAL(0, d.pkt.payload.size());
}

TEST(DecodeEthernet, PaddingAfterIpv6IsTrimmed) {
  Packet p = ethernet(0x86dd, udp_v6());
  const std::size_t real = p.size();
  p.resize(real + 12, 0);
  const Decoded d = decode(LinkType::ethernet, p);
  expect_udp_v6(d);
  UNSIGNED_LONGS_EQUAL(real - 14, d.pkt.l3.size());
}

TEST(DecodeEthernet, Single8021qTag) {
  const Decoded d = decode(LinkType::ethernet, ethernet(0x0800, tcp_v4(), {0x2064}));  // PCP 1
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(100, d.pkt.vlan[0]);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
}

TEST(DecodeEthernet, QinQ88a8ThenDot1q) {
  Writer w;
  w.bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  w.be16(0x88a8).be16(10).be16(0x8100).be16(0xf014).be16(0x86dd).bytes(udp_v6());
  const Decoded d = decode(LinkType::ethernet, w.b);
  expect_udp_v6(d);
  UNSIGNED_LONGS_EQUAL(2, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(10, d.pkt.vlan[0]);
  UNSIGNED_LONGS_EQUAL(20, d.pkt.vlan[1]);
}

TEST(DecodeEthernet, QinQ9100Tags) {
  const Decoded d = decode(LinkType::ethernet, ethernet(0x0800, tcp_v4(), {7, 8}, 0x9100));
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(2, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(7, d.pkt.vlan[0]);
  UNSIGNED_LONGS_EQUAL(8, d.pkt.vlan[1]);
}

TEST(DecodeEthernet, ThirdTagIsTooManyLayers) {
  const Decoded d = decode(LinkType::ethernet, ethernet(0x0800, tcp_v4(), {1, 2, 3}));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::vlan_too_many_layers);
  UNSIGNED_LONGS_EQUAL(2, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.vlan[0]);
  UNSIGNED_LONGS_EQUAL(2, d.pkt.vlan[1]);
  CHECK(d.pkt.family == IpFamily::none);
}

TEST(DecodeEthernet, CutVlanTag) {
  Packet p = ethernet(0x0800, {}, {5});
  p.resize(16);  // TPID present, half a tag
  const Decoded d = decode(LinkType::ethernet, p);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::vlan_header_too_small);
}

TEST(DecodeEthernet, ArpIsNotIp) {
  const Packet arp = bytes_of({0, 1, 8, 0, 6, 4, 0, 1});
  const Decoded d = decode(LinkType::ethernet, ethernet(0x0806, arp));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  UNSIGNED_LONGS_EQUAL(0x0806, d.pkt.ethertype);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeEthernet, TaggedLldpIsNotIp) {
  const Decoded d = decode(LinkType::ethernet, ethernet(0x88cc, bytes_of({2, 7}), {300}));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(300, d.pkt.vlan[0]);
}

TEST(DecodeEthernet, Ieee8023LengthFrameIsNotIp) {
  // 802.3 length field followed by LLC (STP BPDU): not an ethertype.
  const Decoded d = decode(LinkType::ethernet, ethernet(0x0026, bytes_of({0x42, 0x42, 0x03})));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeEthernet, ShortFrame) {
  const Packet p = bytes_of({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 8});
  const Decoded d = decode(LinkType::ethernet, p);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ethernet_pkt_too_small);
}

TEST(DecodeEthernet, NullDataIsAnEmptyFrame) {
  PacketView view;
  view.caplen = 64;
  view.wire_len = 64;
  DecodedPacket out;
  DecodeCounters counters;
  CHECK_EQUAL(DecodeStatus::malformed, decode_packet(view, out, counters));
  UNSIGNED_LONGS_EQUAL(1, counters.get(DecodeEvent::ethernet_pkt_too_small));
}

TEST(DecodeEthernet, EthertypeIpv4CarryingIpv6) {
  const Decoded d = decode(LinkType::ethernet, ethernet(0x0800, udp_v6()));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_wrong_ip_version);
}

TEST(DecodeEthernet, EthertypeIpv6CarryingIpv4) {
  const Packet v4 = tcp_v4(text("0123456789abcdefghij"));  // long enough for an IPv6 header
  const Decoded d = decode(LinkType::ethernet, ethernet(0x86dd, v4));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_wrong_ip_version);
}

TEST(DecodeEthernet, ResetsThePreviousPacket) {
  PacketView view;
  const Packet first = ethernet(0x0800, tcp_v4(), {9});
  view.data = first.data();
  view.caplen = view.wire_len = static_cast<std::uint32_t>(first.size());
  DecodedPacket out;
  DecodeCounters counters;
  CHECK_EQUAL(DecodeStatus::ok, decode_packet(view, out, counters));
  const Packet arp = ethernet(0x0806, bytes_of({0, 1}));
  view.data = arp.data();
  view.caplen = view.wire_len = static_cast<std::uint32_t>(arp.size());
  CHECK_EQUAL(DecodeStatus::not_ip, decode_packet(view, out, counters));
  UNSIGNED_LONGS_EQUAL(0, out.vlan_count);
  CHECK(out.family == IpFamily::none);
  UNSIGNED_LONGS_EQUAL(0, out.sport);
  CHECK(out.l3.empty());
}

TEST_GROUP(DecodeRawLinks){};

TEST(DecodeRawLinks, RawPicksByVersionNibble) {
  Decoded d = decode(LinkType::raw, tcp_v4());
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
  d = decode(LinkType::raw, udp_v6());
  expect_udp_v6(d);
  UNSIGNED_LONGS_EQUAL(0x86dd, d.pkt.ethertype);
}

TEST(DecodeRawLinks, RawWithAnotherVersion) {
  Packet p = tcp_v4();
  p[0] = 0x55;
  const Decoded d = decode(LinkType::raw, p);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::raw_invalid_ip_version);
}

TEST(DecodeRawLinks, RawEmpty) {
  const Decoded d = decode(LinkType::raw, Packet{});
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::raw_invalid_ip_version);
}

TEST(DecodeRawLinks, LinktypeIpv4AndIpv6) {
  Decoded d = decode(LinkType::ipv4, tcp_v4());
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
  d = decode(LinkType::ipv6, udp_v6());
  expect_udp_v6(d);
  UNSIGNED_LONGS_EQUAL(0x86dd, d.pkt.ethertype);
}

TEST(DecodeRawLinks, LinktypeIpv4WithIpv6Inside) {
  const Decoded d = decode(LinkType::ipv4, udp_v6());
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_wrong_ip_version);
}

TEST(DecodeRawLinks, UnsupportedLinkType) {
  const Packet p = tcp_v4();
  const Decoded d = decode(static_cast<LinkType>(105), p);  // 802.11
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::link_unsupported);
}

TEST_GROUP(DecodeCooked){};

TEST(DecodeCooked, SllEthernetDevice) {
  const Decoded d = decode(LinkType::linux_sll, sll(1, 0x0800, tcp_v4()));
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
}

TEST(DecodeCooked, SllTunDeviceCarriesIpv6) {
  const Decoded d = decode(LinkType::linux_sll, sll(0xfffe, 0x86dd, udp_v6()));  // ARPHRD_NONE
  expect_udp_v6(d);
}

TEST(DecodeCooked, SllWithInBandVlanTag) {
  Writer inner;
  inner.be16(42).be16(0x0800).bytes(tcp_v4());
  const Decoded d = decode(LinkType::linux_sll, sll(1, 0x8100, inner.b));
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.vlan_count);
  UNSIGNED_LONGS_EQUAL(42, d.pkt.vlan[0]);
}

TEST(DecodeCooked, SllNetlinkIsNotIp) {
  // ARPHRD_NETLINK: the protocol field is a netlink family, 0x0800 would be a coincidence.
  const Decoded d = decode(LinkType::linux_sll, sll(824, 0x0800, tcp_v4()));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeCooked, SllLlcPseudoProtocolIsNotIp) {
  const Decoded d = decode(LinkType::linux_sll, sll(1, 0x0004, bytes_of({0x42, 0x42, 0x03})));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeCooked, SllTooShort) {
  Packet p = sll(1, 0x0800, {});
  p.pop_back();
  const Decoded d = decode(LinkType::linux_sll, p);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::sll_pkt_too_small);
}

TEST(DecodeCooked, Sll2Ipv6AndIpv4) {
  Decoded d = decode(LinkType::linux_sll2, sll2(1, 0x86dd, udp_v6()));
  expect_udp_v6(d);
  d = decode(LinkType::linux_sll2, sll2(1, 0x0800, tcp_v4()));
  expect_tcp_v4(d);
}

TEST(DecodeCooked, Sll2RadiotapIsNotIp) {
  const Decoded d = decode(LinkType::linux_sll2, sll2(803, 0x0800, tcp_v4()));
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
}

TEST(DecodeCooked, Sll2TooShort) {
  Packet p = sll2(1, 0x0800, {});
  p.resize(19);
  const Decoded d = decode(LinkType::linux_sll2, p);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::sll2_pkt_too_small);
}

TEST_GROUP(DecodeLoopback){};

TEST(DecodeLoopback, NullInLittleEndianHostOrder) {
  Writer w;
  w.le32(2).bytes(tcp_v4());
  Decoded d = decode(LinkType::null_loopback, w.b);
  expect_tcp_v4(d);
  UNSIGNED_LONGS_EQUAL(0x0800, d.pkt.ethertype);
  for (std::uint32_t af6 : {24u, 28u, 30u}) {
    Writer v6;
    v6.le32(af6).bytes(udp_v6());
    d = decode(LinkType::null_loopback, v6.b);
    expect_udp_v6(d);
    UNSIGNED_LONGS_EQUAL(0x86dd, d.pkt.ethertype);
  }
}

TEST(DecodeLoopback, NullInBigEndianHostOrder) {
  Writer w;
  w.be32(2).bytes(tcp_v4());
  expect_tcp_v4(decode(LinkType::null_loopback, w.b));
  for (std::uint32_t af6 : {24u, 28u, 30u}) {
    Writer v6;
    v6.be32(af6).bytes(udp_v6());
    expect_udp_v6(decode(LinkType::null_loopback, v6.b));
  }
}

TEST(DecodeLoopback, NullUnknownFamily) {
  Writer w;
  w.le32(7).bytes(tcp_v4());  // AF_IPX on some BSDs
  const Decoded d = decode(LinkType::null_loopback, w.b);
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  expect_only_event(d, DecodeEvent::null_unsupported_type);
}

TEST(DecodeLoopback, NullTooShort) {
  const Decoded d = decode(LinkType::null_loopback, bytes_of({2, 0, 0}));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::null_pkt_too_small);
}

TEST(DecodeLoopback, LoopIsNetworkOrderOnly) {
  Writer v4;
  v4.be32(2).bytes(tcp_v4());
  expect_tcp_v4(decode(LinkType::loop, v4.b));
  Writer v6;
  v6.be32(24).bytes(udp_v6());
  expect_udp_v6(decode(LinkType::loop, v6.b));
  Writer le;
  le.le32(2).bytes(tcp_v4());
  const Decoded d = decode(LinkType::loop, le.b);
  CHECK_EQUAL(DecodeStatus::not_ip, d.status);
  expect_only_event(d, DecodeEvent::null_unsupported_type);
}

TEST(DecodeLoopback, LoopTooShort) {
  const Decoded d = decode(LinkType::loop, bytes_of({0, 0}));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::null_pkt_too_small);
}

TEST_GROUP(DecodeIpEntry){};

TEST(DecodeIpEntry, KeepsLinkFieldsAndOverwritesTheRest) {
  DecodedPacket out;
  out.vlan = {12, 34};
  out.vlan_count = 2;
  out.ethertype = 0x86dd;
  out.is_fragment = true;
  out.frag_offset = 1480;
  out.sport = 1;
  out.icmp_type = 3;
  out.snapped = true;
  DecodeCounters counters;
  const Packet dgram = udp_v6();
  CHECK_EQUAL(DecodeStatus::ok, decode_ip(dgram, out, counters));
  UNSIGNED_LONGS_EQUAL(2, out.vlan_count);
  UNSIGNED_LONGS_EQUAL(12, out.vlan[0]);
  UNSIGNED_LONGS_EQUAL(34, out.vlan[1]);
  UNSIGNED_LONGS_EQUAL(0x86dd, out.ethertype);
  CHECK_FALSE(out.is_fragment);
  UNSIGNED_LONGS_EQUAL(0, out.frag_offset);
  UNSIGNED_LONGS_EQUAL(0, out.icmp_type);
  CHECK_FALSE(out.snapped);
  UNSIGNED_LONGS_EQUAL(5353, out.sport);
  POINTERS_EQUAL(dgram.data(), out.l3.data());
}

TEST(DecodeIpEntry, DatagramIsCompleteSoShortIsTruncation) {
  // decode_ip has no capture to blame: an IP length beyond the bytes is malformation.
  Packet p = tcp_v4(text("abcdef"));
  p.resize(p.size() - 3);
  DecodedPacket out;
  DecodeCounters counters;
  CHECK_EQUAL(DecodeStatus::malformed, decode_ip(p, out, counters));
  UNSIGNED_LONGS_EQUAL(1, counters.get(DecodeEvent::ipv4_trunc_pkt));
  CHECK_FALSE(out.snapped);
}

TEST(DecodeIpEntry, LeavesAnUnsetEthertypeUnset) {
  // The link layer is the caller's business, even when it never set one.
  DecodedPacket out;
  DecodeCounters counters;
  const Packet dgram = tcp_v4();
  CHECK_EQUAL(DecodeStatus::ok, decode_ip(dgram, out, counters));
  UNSIGNED_LONGS_EQUAL(0, out.ethertype);
  CHECK(out.family == IpFamily::v4);
}

TEST(DecodeIpEntry, InvalidVersionAndEmpty) {
  DecodedPacket out;
  DecodeCounters counters;
  const Packet bad = bytes_of({0x00, 1, 2, 3});
  CHECK_EQUAL(DecodeStatus::malformed, decode_ip(bad, out, counters));
  CHECK_EQUAL(DecodeStatus::malformed, decode_ip({}, out, counters));
  UNSIGNED_LONGS_EQUAL(2, counters.get(DecodeEvent::raw_invalid_ip_version));
}
