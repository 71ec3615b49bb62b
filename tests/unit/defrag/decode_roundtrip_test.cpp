// The decoder and the defragmenter together: fragments decoded by decode_ip() are reassembled,
// and the rebuilt datagram decodes to the transport header and payload the sender fragmented.
#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <random>

#include "dataplane/decode/decode.h"
#include "tests/unit/defrag/fragment_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Bytes tcp_segment(std::uint16_t sport, std::uint16_t dport, std::size_t payload_len) {
  Bytes b(20 + payload_len, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  b[7] = 1;        // sequence number 1
  b[12] = 5 << 4;  // 20-byte header
  b[13] = tcpflag::ack | tcpflag::psh;
  put16(b, 14, 8192);
  for (std::size_t i = 0; i < payload_len; ++i) b[20 + i] = static_cast<std::uint8_t>('a' + i % 26);
  return b;
}

struct Rebuilt {
  DefragStatus status = DefragStatus::dropped;
  Bytes datagram;
};

// Decodes each fragment as the raw-IP path would and feeds what the decoder reports.
Rebuilt decode_and_reassemble(Defragmenter& d, const std::vector<Fragment>& frags) {
  Rebuilt r;
  for (const Fragment& f : frags) {
    DecodedPacket p;
    DecodeCounters dc;
    CHECK(decode_ip(f.bytes, p, dc) == DecodeStatus::fragment);
    CHECK(p.is_fragment);
    std::span<const std::uint8_t> out;
    std::uint32_t wire = 0;
    r.status = d.insert(p, f.wire_len(), 0, out, wire);
    r.datagram.assign(out.begin(), out.end());
  }
  return r;
}
}  // namespace

TEST_GROUP(DecodeRoundTrip){};

TEST(DecodeRoundTrip, Ipv4UdpShuffled) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  const Bytes udp = udp_datagram(40000, 53, 2800);
  auto frags = split_ipv4(s, udp, 1000);
  std::shuffle(frags.begin(), frags.end(), std::mt19937(7));
  const Rebuilt r = decode_and_reassemble(d, frags);
  CHECK(r.status == DefragStatus::complete);

  DecodedPacket p;
  DecodeCounters dc;
  CHECK(decode_ip(r.datagram, p, dc) == DecodeStatus::ok);
  CHECK_FALSE(p.is_fragment);
  LONGS_EQUAL(ipproto::udp, p.ip_proto);
  LONGS_EQUAL(40000, p.sport);
  LONGS_EQUAL(53, p.dport);
  CHECK(Bytes(p.payload.begin(), p.payload.end()) == Bytes(udp.begin() + 8, udp.end()));
  for (std::size_t e = 0; e < kDecodeEventCount; ++e) LONGS_EQUAL(0, dc.values[e]);
}

TEST(DecodeRoundTrip, Ipv6TcpAfterExtensionHeaders) {
  Defragmenter d(small_config());
  Ipv6Spec s;
  s.ext_before = {ipproto::hopopts, ipproto::dstopts};
  s.proto = ipproto::tcp;
  const Bytes tcp = tcp_segment(51000, 443, 3000);
  auto frags = split_ipv6(s, tcp, 1232);
  std::reverse(frags.begin(), frags.end());
  const Rebuilt r = decode_and_reassemble(d, frags);
  CHECK(r.status == DefragStatus::complete);

  DecodedPacket p;
  DecodeCounters dc;
  CHECK(decode_ip(r.datagram, p, dc) == DecodeStatus::ok);
  CHECK_FALSE(p.is_fragment);
  LONGS_EQUAL(ipproto::tcp, p.ip_proto);
  LONGS_EQUAL(56, p.l3_header_len);
  LONGS_EQUAL(51000, p.sport);
  LONGS_EQUAL(443, p.dport);
  LONGS_EQUAL(tcpflag::ack | tcpflag::psh, p.tcp_flags);
  CHECK(Bytes(p.payload.begin(), p.payload.end()) == Bytes(tcp.begin() + 20, tcp.end()));
}

TEST(DecodeRoundTrip, Ipv6FirstFragmentWithoutTheTcpHeader) {
  // The first fragment carries 8 of the 20 TCP header bytes; only the rebuilt datagram has them.
  Defragmenter d(small_config());
  Ipv6Spec s;
  s.proto = ipproto::tcp;
  const Bytes tcp = tcp_segment(1234, 80, 100);
  std::vector<Fragment> frags = {ipv6_fragment(s, 0, true, std::span(tcp).first(8)),
                                 ipv6_fragment(s, 8, false, std::span(tcp).subspan(8))};
  const Rebuilt r = decode_and_reassemble(d, frags);
  CHECK(r.status == DefragStatus::complete);
  DecodedPacket p;
  DecodeCounters dc;
  CHECK(decode_ip(r.datagram, p, dc) == DecodeStatus::ok);
  LONGS_EQUAL(1234, p.sport);
  LONGS_EQUAL(80, p.dport);
  LONGS_EQUAL(100, p.payload.size());
}
