// IPv6 reassembly: the fragment header removed, the next-header chain patched, payload length.
#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <random>

#include "tests/unit/defrag/fragment_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
// The datagram as the sender had it before fragmenting: unfragmentable part, then the payload.
Bytes expected_ipv6(const Ipv6Spec& s, const Bytes& payload) {
  Bytes b = ipv6_unfragmentable(s, s.proto);
  b.insert(b.end(), payload.begin(), payload.end());
  put16(b, 4, static_cast<std::uint16_t>(b.size() - 40));
  return b;
}
}  // namespace

TEST_GROUP(Ipv6Reassembly){};

TEST(Ipv6Reassembly, InOrderNoExtensionHeaders) {
  Defragmenter d(small_config());
  Ipv6Spec s;
  const Bytes payload = udp_datagram(33000, 53, 3000);
  const auto frags = split_ipv6(s, payload, 1232);
  const Offered o = offer_all(d, frags);
  CHECK(o.status == DefragStatus::complete);
  CHECK(expected_ipv6(s, payload) == o.datagram);
  LONGS_EQUAL(17, o.datagram[6]);
  LONGS_EQUAL(payload.size(), get16(o.datagram, 4));
  LONGS_EQUAL(total_wire(frags), o.wire_bytes);
  LONGS_EQUAL(0, d.reassemblies());
}

TEST(Ipv6Reassembly, ReverseAndShuffledWithExtensionHeadersBeforeFragmentHeader) {
  Ipv6Spec s;
  s.ext_before = {ipproto::hopopts, ipproto::dstopts};
  s.proto = ipproto::tcp;
  const Bytes payload = pattern(4100, 9);
  const auto ordered = split_ipv6(s, payload, 1024);
  for (std::uint32_t seed = 0; seed < 12; ++seed) {
    Defragmenter d(small_config());
    auto frags = ordered;
    if (seed == 0)
      std::reverse(frags.begin(), frags.end());
    else
      std::shuffle(frags.begin(), frags.end(), std::mt19937(seed));
    const Offered o = offer_all(d, frags);
    CHECK(o.status == DefragStatus::complete);
    CHECK(expected_ipv6(s, payload) == o.datagram);
    // IPv6 header -> hop-by-hop -> destination options -> TCP: the byte that named the fragment
    // header (first byte of the destination options header, at 48) now names TCP.
    LONGS_EQUAL(ipproto::hopopts, o.datagram[6]);
    LONGS_EQUAL(ipproto::dstopts, o.datagram[40]);
    LONGS_EQUAL(ipproto::tcp, o.datagram[48]);
    LONGS_EQUAL(16 + payload.size(), get16(o.datagram, 4));
    LONGS_EQUAL(56 + payload.size(), o.datagram.size());
  }
}

TEST(Ipv6Reassembly, FirstFragmentWithoutWholeUpperLayerHeader) {
  // 8 bytes of a 20-byte TCP header in the first fragment: legal for the defragmenter, which
  // rebuilds it; judging it is the decoder's job.
  Defragmenter d(small_config());
  Ipv6Spec s;
  s.proto = ipproto::tcp;
  const Bytes payload = pattern(48, 4);
  std::vector<Fragment> frags = {ipv6_fragment(s, 8, true, std::span(payload).subspan(8, 16)),
                                 ipv6_fragment(s, 0, true, std::span(payload).first(8)),
                                 ipv6_fragment(s, 24, false, std::span(payload).subspan(24))};
  const Offered o = offer_all(d, frags);
  CHECK(o.status == DefragStatus::complete);
  CHECK(expected_ipv6(s, payload) == o.datagram);
}

TEST(Ipv6Reassembly, AtomicFragmentRebuiltAloneWithoutDisturbingAReassembly) {
  Defragmenter d(small_config());
  Ipv6Spec s;
  const Bytes big = pattern(2000, 1);
  const auto frags = split_ipv6(s, big, 1024);
  CHECK(offer(d, frags[0]).status == DefragStatus::buffered);
  const Bytes small = udp_datagram(1, 2, 10);
  const Offered atomic = offer(d, ipv6_fragment(s, 0, false, small));
  CHECK(atomic.status == DefragStatus::complete);
  CHECK(expected_ipv6(s, small) == atomic.datagram);
  LONGS_EQUAL(1, d.reassemblies());
  const Offered o = offer(d, frags[1]);
  CHECK(o.status == DefragStatus::complete);
  CHECK(expected_ipv6(s, big) == o.datagram);
  LONGS_EQUAL(0, d.counters().get(DefragCounter::overlap));
}

TEST(Ipv6Reassembly, OnlyTheFirstFragmentsUnfragmentablePartIsKept) {
  // RFC 8200: the unfragmentable part comes from the offset-0 fragment; others may differ.
  Defragmenter d(small_config());
  Ipv6Spec first;
  first.ext_before = {ipproto::hopopts};
  Ipv6Spec other;  // no hop-by-hop header
  const Bytes payload = pattern(64, 3);
  const Offered a = offer(d, ipv6_fragment(other, 32, false, std::span(payload).subspan(32)));
  CHECK(a.status == DefragStatus::buffered);
  const Offered o = offer(d, ipv6_fragment(first, 0, true, std::span(payload).first(32)));
  CHECK(o.status == DefragStatus::complete);
  CHECK(expected_ipv6(first, payload) == o.datagram);
}

TEST(Ipv6Reassembly, SourceAddressSeparatesDatagrams) {
  Defragmenter d(small_config());
  Ipv6Spec a, b;
  b.src = v6_address(99);
  const Bytes pa = pattern(48, 1), pb = pattern(48, 2);
  const auto fa = split_ipv6(a, pa, 24);
  const auto fb = split_ipv6(b, pb, 24);
  offer(d, fa[0]);
  offer(d, fb[0]);
  LONGS_EQUAL(2, d.reassemblies());
  CHECK(expected_ipv6(b, pb) == offer(d, fb[1]).datagram);
  CHECK(expected_ipv6(a, pa) == offer(d, fa[1]).datagram);
}
