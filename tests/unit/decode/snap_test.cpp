// Snapping: a capture cut short by its snap length is decoded as far as it goes (snapped), while
// a complete capture whose IP length exceeds its bytes is malformed. Also: every prefix of valid
// packets decodes safely and is accounted for.
#include <algorithm>

#include <CppUTest/TestHarness.h>

#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Packet eth_udp_v4(std::span<const std::uint8_t> data) {
  Ipv4Spec ip;
  ip.proto = ipproto::udp;
  return ethernet(0x0800, ipv4(ip, udp(1000, 2000, data)));
}
Packet big_payload() {
  Packet p(1200);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i);
  return p;
}
// Decodes the first `keep` bytes of `p` as a capture of the whole packet cut to `keep`.
Decoded snapped(LinkType link, const Packet& p, std::size_t keep) {
  Packet cut(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(keep));
  return decode(link, std::move(cut), static_cast<std::uint32_t>(p.size()));
}
}  // namespace

TEST_GROUP(DecodeSnap){};

TEST(DecodeSnap, UdpPayloadCutByTheCapture) {
  const Packet p = eth_udp_v4(big_payload());
  const Packet cut(p.begin(), p.begin() + 96);
  const Decoded d = decode(LinkType::ethernet, cut, static_cast<std::uint32_t>(p.size()));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.snapped);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(82, d.pkt.l3.size());
  UNSIGNED_LONGS_EQUAL(2000, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(96 - 14 - 20 - 8, d.pkt.payload.size());
  POINTERS_EQUAL(cut.data() + 42, d.pkt.payload.data());
  BYTES_EQUAL(53, d.pkt.payload[53]);
}

TEST(DecodeSnap, TcpPayloadCutByTheCapture) {
  Ipv6Spec ip;
  const Packet p = ethernet(0x86dd, ipv6(ip, tcp(TcpSpec{}, big_payload())));
  const Decoded d = snapped(LinkType::ethernet, p, 128);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK(d.pkt.snapped);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(128 - 14 - 40 - 20, d.pkt.payload.size());
  UNSIGNED_LONGS_EQUAL(1000, d.pkt.seq);
}

TEST(DecodeSnap, CompleteCaptureWithShortIpv4IsMalformed) {
  const Packet p = eth_udp_v4(big_payload());
  const Packet cut(p.begin(), p.begin() + 96);
  const Decoded d = decode(LinkType::ethernet, cut);  // wire_len == caplen
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  CHECK_FALSE(d.pkt.snapped);
  expect_only_event(d, DecodeEvent::ipv4_trunc_pkt);
}

TEST(DecodeSnap, CompleteCaptureWithShortIpv6IsMalformed) {
  Ipv6Spec ip;
  ip.next_header = ipproto::udp;
  const Packet p = ipv6(ip, udp(1, 2, big_payload()));
  const Packet cut(p.begin(), p.begin() + 100);
  const Decoded d = decode(LinkType::raw, cut);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv6_trunc_pkt);
}

TEST(DecodeSnap, IpLengthBeyondEvenTheWireLengthIsMalformed) {
  // Cut capture, but the IP length claims more than the wire carried: not the snap's doing.
  Ipv4Spec ip;
  ip.proto = ipproto::udp;
  ip.total_len = 1500;
  const Packet p = ethernet(0x0800, ipv4(ip, udp(1, 2, big_payload())));  // 1242 on the wire
  const Decoded d = snapped(LinkType::ethernet, p, 200);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::ipv4_trunc_pkt);
}

TEST(DecodeSnap, UdpLengthBeyondTheIpLengthIsMalformedEvenWhenSnapped) {
  Ipv4Spec ip;
  ip.proto = ipproto::udp;
  const Packet p = ethernet(0x0800, ipv4(ip, udp(1, 2, big_payload(), 1300)));
  const Decoded d = snapped(LinkType::ethernet, p, 100);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  CHECK(d.pkt.snapped);
  expect_only_event(d, DecodeEvent::udp_hlen_invalid);
}

TEST(DecodeSnap, CutInsideIpv4Options) {
  Ipv4Spec ip;
  ip.options = {148, 4, 0, 0, 1, 1, 1, 0};
  const Packet p = ipv4(ip, tcp(TcpSpec{}, big_payload()));
  const Decoded d = snapped(LinkType::raw, p, 24);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  CHECK(d.pkt.snapped);
  expect_only_event(d, DecodeEvent::ipv4_pkt_too_small);
}

TEST(DecodeSnap, CutInsideTheTcpHeader) {
  const Packet p = ipv4(Ipv4Spec{}, tcp(TcpSpec{}, big_payload()));
  const Decoded d = snapped(LinkType::raw, p, 30);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  CHECK(d.pkt.snapped);
  CHECK(d.pkt.family == IpFamily::v4);
  expect_only_event(d, DecodeEvent::tcp_pkt_too_small);
}

TEST(DecodeSnap, SnappedFragment) {
  Ipv4Spec ip;
  ip.flags_offset = 0x2000;
  const Packet p = ipv4(ip, big_payload());
  const Decoded d = snapped(LinkType::ipv4, p, 64);
  CHECK_EQUAL(DecodeStatus::fragment, d.status);
  CHECK(d.pkt.snapped);
  UNSIGNED_LONGS_EQUAL(64, d.pkt.l3.size());
}

TEST(DecodeSnap, CutInsideAnIpv6ExtensionHeader) {
  Ipv6Spec ip;
  ip.next_header = ipproto::dstopts;
  Packet opts = bytes_of({1, 20});
  opts.resize(22, 0);
  const Packet p = ipv6(ip, ext_header(ipproto::udp, opts, udp(1, 2, big_payload())));
  const Decoded d = snapped(LinkType::ipv6, p, 50);
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  CHECK(d.pkt.snapped);
  expect_only_event(d, DecodeEvent::ipv6_trunc_exthdr);
}

TEST(DecodeSnap, SnappedPaddingIsNotSnapping) {
  // The capture cut only the Ethernet padding: the datagram is whole.
  Packet p = eth_udp_v4(text("a"));
  p.resize(60, 0);
  const Decoded d = snapped(LinkType::ethernet, p, 50);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  CHECK_FALSE(d.pkt.snapped);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.payload.size());
}

TEST_GROUP(DecodeTruncation){};

namespace {
struct Sample {
  const char* name;
  LinkType link;
  Packet bytes;
};

std::vector<Sample> samples() {
  std::vector<Sample> s;
  {
    TcpSpec t;
    t.options = {2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    Ipv4Spec ip;
    ip.options = {148, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0};
    s.push_back({"eth/vlan/ipv4+opts/tcp+opts", LinkType::ethernet,
                 ethernet(0x0800, ipv4(ip, tcp(t, text("GET / HTTP/1.0\r\n\r\n"))), {5})});
  }
  {
    const Packet pad = padn6();
    Ipv6Spec ip;
    ip.next_header = ipproto::hopopts;
    const Packet frag = fragment_header(ipproto::udp, 0, false, 1, udp(53, 5353, text("answer")));
    const Packet ah = ah_header(ipproto::fragment, frag);
    s.push_back({"qinq/ipv6+hbh+ah+atomic/udp", LinkType::ethernet,
                 ethernet(0x86dd, ipv6(ip, ext_header(ipproto::ah, pad, ah)), {1, 2}, 0x88a8)});
  }
  {
    Ipv4Spec ip;
    ip.proto = ipproto::icmp;
    s.push_back({"sll/ipv4/icmp", LinkType::linux_sll,
                 sll(1, 0x0800, ipv4(ip, icmp(8, 0, 1, 2, text("ping"))))});
  }
  {
    Ipv6Spec ip;
    ip.next_header = ipproto::icmpv6;
    s.push_back({"sll2/ipv6/icmpv6", LinkType::linux_sll2,
                 sll2(1, 0x86dd, ipv6(ip, icmp(128, 0, 1, 2, text("ping6"))))});
  }
  {
    Writer w;
    w.le32(30).bytes(ipv6(Ipv6Spec{}, tcp(TcpSpec{}, text("data"))));
    s.push_back({"null/ipv6/tcp", LinkType::null_loopback, w.b});
  }
  {
    Writer w;
    Ipv4Spec ip;
    ip.proto = ipproto::udp;
    w.be32(2).bytes(ipv4(ip, udp(1, 2, text("x"))));
    s.push_back({"loop/ipv4/udp", LinkType::loop, w.b});
  }
  {
    Ipv6Spec ip;
    ip.next_header = ipproto::fragment;
    s.push_back({"raw/ipv6 fragment", LinkType::raw,
                 ipv6(ip, fragment_header(ipproto::tcp, 8, true, 9, text("12345678")))});
  }
  {
    Ipv4Spec ip;
    ip.proto = 132;
    s.push_back({"ipv4/sctp", LinkType::ipv4, ipv4(ip, bytes_of({0, 0, 8, 0, 1, 2}))});
  }
  {
    // Tunnels: every header of the chain can be the one the cut falls in. (VXLAN is left out: it
    // is told by its port alone, so a cut VXLAN header leaves an ordinary UDP datagram.)
    Ipv4Spec inner;
    inner.proto = ipproto::udp;
    Ipv4Spec outer;
    outer.proto = ipproto::gre;
    outer.src = {203, 0, 113, 1};
    s.push_back({"eth/ipv4/gre+key+seq/ppp/ipv4/udp", LinkType::ethernet,
                 ethernet(0x0800, ipv4(outer, gre(0x3000, 0x880b,
                                                  ppp(0x0021, ipv4(inner, udp(1, 53, text("q")))),
                                                  {5, 6})))});
    Ipv6Spec v6;
    v6.next_header = ipproto::ipv4;
    s.push_back({"ipv6/ipip/tcp", LinkType::ipv6,
                 ipv6(v6, ipv4(Ipv4Spec{}, tcp(TcpSpec{}, text("data"))))});
    Ipv6Spec in6;
    in6.next_header = ipproto::tcp;
    s.push_back({"eth/pppoe/ppp/ipv6/tcp", LinkType::ethernet,
                 ethernet(0x8864, pppoe(ppp(0x0057, ipv6(in6, tcp(TcpSpec{}, text("x"))), false)))});
    s.push_back({"ppp/ipv4/udp", LinkType::ppp, ppp(0x0021, ipv4(inner, udp(1, 2, text("y"))))});
    s.push_back({"chdlc/ipv4/udp", LinkType::c_hdlc,
                 cat({bytes_of({0x0f, 0, 0x08, 0}), ipv4(inner, udp(1, 2, text("z")))})});
  }
  return s;
}

void expect_spans_inside(const Decoded& d, std::span<const std::uint8_t> buf, const char* what) {
  CHECK_TEXT(within(d.pkt.l3, buf), what);
  CHECK_TEXT(within(d.pkt.l4, buf), what);
  CHECK_TEXT(within(d.pkt.payload, buf), what);
}
}  // namespace

TEST(DecodeTruncation, SamplesAreValid) {
  for (const Sample& s : samples()) {
    const Decoded d = decode(s.link, s.bytes);
    CHECK_TEXT(d.status == DecodeStatus::ok || d.status == DecodeStatus::fragment, s.name);
    UNSIGNED_LONGS_EQUAL_TEXT(0, d.total_events(), s.name);
  }
}

TEST(DecodeTruncation, EveryPrefixOfACompleteCaptureCountsAnEvent) {
  for (const Sample& s : samples()) {
    for (std::size_t n = 0; n < s.bytes.size(); ++n) {
      const Packet cut(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n));
      const Decoded d = decode(s.link, cut);  // caplen == wire_len: the packet itself is short
      CHECK_EQUAL_TEXT(DecodeStatus::malformed, d.status, s.name);
      UNSIGNED_LONGS_EQUAL_TEXT(1, d.total_events(), s.name);
      CHECK_FALSE_TEXT(d.pkt.snapped, s.name);
      expect_spans_inside(d, cut, s.name);
    }
  }
}

TEST(DecodeTruncation, EveryPrefixOfASnappedCaptureIsSnappedOrCounted) {
  for (const Sample& s : samples()) {
    const Decoded whole = decode(s.link, s.bytes);
    for (std::size_t n = 0; n < s.bytes.size(); ++n) {
      const Packet cut(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n));
      const Decoded d = decode(s.link, cut, static_cast<std::uint32_t>(s.bytes.size()));
      CHECK_TEXT(d.pkt.snapped || d.total_events() > 0, s.name);
      expect_spans_inside(d, cut, s.name);
      if (d.status == DecodeStatus::malformed) {
        UNSIGNED_LONGS_EQUAL_TEXT(1, d.total_events(), s.name);
      } else {
        // Decoded from what was there: same headers, the payload a prefix of the whole one.
        CHECK_EQUAL_TEXT(whole.status, d.status, s.name);
        UNSIGNED_LONGS_EQUAL_TEXT(whole.pkt.ip_proto, d.pkt.ip_proto, s.name);
        UNSIGNED_LONGS_EQUAL_TEXT(whole.pkt.dport, d.pkt.dport, s.name);
        CHECK_TEXT(d.pkt.payload.size() <= whole.pkt.payload.size(), s.name);
        CHECK_TEXT(std::equal(d.pkt.payload.begin(), d.pkt.payload.end(),
                              whole.pkt.payload.begin()),
                   s.name);
      }
    }
  }
}
