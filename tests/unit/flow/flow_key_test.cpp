#include <CppUTest/TestHarness.h>

#include "dataplane/flow/flow_key.h"
#include "flow_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

FlowKey key_of(const DecodedPacket& p, bool& src_is_lo) {
  FlowKey k;
  CHECK(flow_key_from_packet(p, k, src_is_lo) == FlowKeyStatus::ok);
  return k;
}

FlowKey key_of(const DecodedPacket& p) {
  bool lo = false;
  return key_of(p, lo);
}

}  // namespace

TEST_GROUP(FlowKey){};

TEST(FlowKey, BothDirectionsGiveTheSameKeyAndHash) {
  bool a_lo = false, b_lo = false;
  const FlowKey a = key_of(tcp_pkt("10.0.0.2", 40000, "10.0.0.1", 80, tcpflag::syn), a_lo);
  const FlowKey b = key_of(tcp_pkt("10.0.0.1", 80, "10.0.0.2", 40000, tcpflag::syn), b_lo);
  CHECK(a == b);
  CHECK_EQUAL(flow_key_hash(a), flow_key_hash(b));
  CHECK_EQUAL(flow_key_hash(a, 77), flow_key_hash(b, 77));
  CHECK_FALSE(a_lo);
  CHECK_TRUE(b_lo);
  // Lower address first.
  CHECK(a.lo_addr == ip("10.0.0.1"));
  CHECK_EQUAL(80, a.lo_port);
  CHECK_EQUAL(40000, a.hi_port);
  CHECK(a.family == IpFamily::v4);
  CHECK_EQUAL(ipproto::tcp, a.ip_proto);
}

TEST(FlowKey, EqualAddressesAreOrderedByPort) {
  bool lo = false;
  const FlowKey k = key_of(udp_pkt("::1", 5000, "::1", 53), lo);
  CHECK_FALSE(lo);
  CHECK_EQUAL(53, k.lo_port);
  CHECK_EQUAL(5000, k.hi_port);
  CHECK(k == key_of(udp_pkt("::1", 53, "::1", 5000)));
}

TEST(FlowKey, VlanIdsSeparateFlows) {
  const DecodedPacket p = udp_pkt("192.0.2.1", 1000, "192.0.2.2", 2000);
  const FlowKey plain = key_of(p);
  const FlowKey v10 = key_of(with_vlan(p, 10));
  const FlowKey v20 = key_of(with_vlan(p, 20));
  const FlowKey qinq = key_of(with_vlan(p, 10, 30));
  CHECK_FALSE(plain == v10);
  CHECK_FALSE(v10 == v20);
  CHECK_FALSE(v10 == qinq);
  CHECK_EQUAL(10, qinq.vlan[0]);
  CHECK_EQUAL(30, qinq.vlan[1]);
  CHECK(flow_key_hash(v10) != flow_key_hash(v20));
}

TEST(FlowKey, VlanSlotsBeyondTheCountAreIgnored) {
  DecodedPacket p = with_vlan(udp_pkt("192.0.2.1", 1000, "192.0.2.2", 2000), 10);
  p.vlan[1] = 99;  // stale value past vlan_count
  const FlowKey k = key_of(p);
  CHECK_EQUAL(10, k.vlan[0]);
  CHECK_EQUAL(0, k.vlan[1]);
}

TEST(FlowKey, IcmpEchoRequestAndReplyShareAKeyByIdentifier) {
  const FlowKey req = key_of(icmp_pkt("10.1.1.1", "10.1.1.2", 8, 0, 0x1234));
  const FlowKey rep = key_of(icmp_pkt("10.1.1.2", "10.1.1.1", 0, 0, 0x1234));
  CHECK(req == rep);
  CHECK_EQUAL(0x1234, req.lo_port);
  CHECK_EQUAL(0x1234, req.hi_port);
  CHECK_FALSE(req == key_of(icmp_pkt("10.1.1.1", "10.1.1.2", 8, 0, 0x1235)));
}

TEST(FlowKey, Icmpv6EchoSharesAKeyAndOtherTypesUsePortsZero) {
  const FlowKey req = key_of(icmp_pkt("2001:db8::1", "2001:db8::2", 128, 0, 7));
  const FlowKey rep = key_of(icmp_pkt("2001:db8::2", "2001:db8::1", 129, 0, 7));
  CHECK(req == rep);
  CHECK_EQUAL(ipproto::icmpv6, req.ip_proto);
  const FlowKey unreach = key_of(icmp_pkt("2001:db8::2", "2001:db8::1", 1, 4, 7));
  CHECK_EQUAL(0, unreach.lo_port);
  CHECK_EQUAL(0, unreach.hi_port);
  CHECK_TRUE(icmp_is_echo(ipproto::icmp, 8));
  CHECK_TRUE(icmp_is_echo(ipproto::icmpv6, 129));
  CHECK_FALSE(icmp_is_echo(ipproto::icmp, 11));
  CHECK_FALSE(icmp_is_echo(ipproto::udp, 8));
}

TEST(FlowKey, OtherProtocolsUsePortsZero) {
  DecodedPacket gre = ip_pkt("10.0.0.1", "10.0.0.2", 47);
  gre.sport = 1234;  // whatever the decoder left there, GRE has no ports
  gre.dport = 4321;
  const FlowKey k = key_of(gre);
  CHECK_EQUAL(0, k.lo_port);
  CHECK_EQUAL(0, k.hi_port);
  CHECK_EQUAL(47, k.ip_proto);
}

TEST(FlowKey, SctpPortsAreReadFromTheCommonHeader) {
  const std::uint8_t sctp_header[] = {0x0b, 0xb8, 0x00, 0x07, 0, 0, 0, 0};  // 3000 -> 7
  DecodedPacket p = ip_pkt("10.0.0.9", "10.0.0.1", 132);
  p.l4 = std::span<const std::uint8_t>(sctp_header, sizeof(sctp_header));
  bool lo = true;
  const FlowKey k = key_of(p, lo);
  CHECK_FALSE(lo);
  CHECK_EQUAL(7, k.lo_port);
  CHECK_EQUAL(3000, k.hi_port);

  DecodedPacket truncated = ip_pkt("10.0.0.9", "10.0.0.1", 132);
  truncated.l4 = std::span<const std::uint8_t>(sctp_header, 3);
  const FlowKey t = key_of(truncated);
  CHECK_EQUAL(0, t.lo_port);
  CHECK_EQUAL(0, t.hi_port);
}

TEST(FlowKey, PacketsWithoutIpOrUndecodedFragmentsHaveNoKey) {
  FlowKey k;
  bool lo = false;
  DecodedPacket arp;
  CHECK(flow_key_from_packet(arp, k, lo) == FlowKeyStatus::not_ip);
  DecodedPacket frag = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2);
  frag.is_fragment = true;
  CHECK(flow_key_from_packet(frag, k, lo) == FlowKeyStatus::fragment);
}

TEST(FlowKey, FamilyIsPartOfTheKey) {
  // ::a00:1 and 10.0.0.1 share their first bytes only by accident of layout; they must differ.
  DecodedPacket v4 = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2);
  DecodedPacket v6 = v4;
  v6.family = IpFamily::v6;
  CHECK_FALSE(key_of(v4) == key_of(v6));
}

TEST(FlowKey, HashIsDeterministicAndSeeded) {
  const FlowKey k = key_of(tcp_pkt("198.51.100.7", 5555, "203.0.113.9", 443, tcpflag::syn));
  CHECK_EQUAL(flow_key_hash(k), flow_key_hash(k));
  CHECK(flow_key_hash(k, 0) != flow_key_hash(k, 1));
  FlowKey other = k;
  other.hi_port = 444;
  CHECK(flow_key_hash(k) != flow_key_hash(other));
}

TEST(FlowKey, HashSpreadsSequentialPortsOverBuckets) {
  // 4096 flows differing only in the client port must fill most of 4096 buckets: a weak mix
  // would pile them into a few and make the open-addressing index crawl.
  std::vector<std::uint8_t> used(4096, 0);
  std::size_t distinct = 0;
  for (std::uint32_t port = 1; port <= 4096; ++port) {
    const FlowKey k = key_of(udp_pkt("10.0.0.1", static_cast<std::uint16_t>(port), "10.0.0.2", 53));
    const std::size_t b = flow_key_hash(k) & 4095;
    if (!used[b]) {
      used[b] = 1;
      ++distinct;
    }
  }
  // A uniform hash fills 1 - 1/e (about 63%) of the buckets.
  CHECK(distinct > 2400);
}
