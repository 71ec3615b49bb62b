// IPv4 reassembly: arrival orders, the rebuilt header, what keys a datagram.
#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <random>

#include "tests/unit/defrag/fragment_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Bytes expected_ipv4(const Ipv4Spec& s, const Bytes& payload) {
  Fragment whole = ipv4_fragment(s, 0, false, payload);
  return whole.bytes;  // header fields other than length/checksum match the fragments
}

void check_ipv4_datagram(const Offered& o, const Ipv4Spec& s, const Bytes& payload) {
  CHECK(o.status == DefragStatus::complete);
  const std::size_t hlen = 20 + s.options.size();
  LONGS_EQUAL(hlen + payload.size(), o.datagram.size());
  LONGS_EQUAL(hlen + payload.size(), get16(o.datagram, 2));
  LONGS_EQUAL(s.dont_fragment ? 0x4000 : 0, get16(o.datagram, 6));
  LONGS_EQUAL(0xffff, ones_sum(std::span(o.datagram).first(hlen)));
  Bytes want = expected_ipv4(s, payload);
  // The builder leaves the checksum zero; compare everything else byte for byte.
  want[10] = o.datagram[10];
  want[11] = o.datagram[11];
  CHECK(want == o.datagram);
}
}  // namespace

TEST_GROUP(Ipv4Reassembly){};

TEST(Ipv4Reassembly, InOrderAcrossChunkBoundaries) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  const Bytes payload = udp_datagram(5353, 53, 3992);  // 3 fragments, crossing 1 KiB chunks
  const auto frags = split_ipv4(s, payload, 1480);
  LONGS_EQUAL(3, frags.size());
  CHECK(offer(d, frags[0]).status == DefragStatus::buffered);
  CHECK(offer(d, frags[1]).status == DefragStatus::buffered);
  LONGS_EQUAL(1, d.reassemblies());
  CHECK(d.bytes_held() > 0);
  const Offered o = offer(d, frags[2]);
  check_ipv4_datagram(o, s, payload);
  LONGS_EQUAL(total_wire(frags), o.wire_bytes);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::datagrams_rebuilt));
  LONGS_EQUAL(3, d.counters().get(DefragCounter::fragments));
  LONGS_EQUAL(0, d.counters().get(DefragCounter::overlap));
  LONGS_EQUAL(0, d.reassemblies());
  LONGS_EQUAL(0, d.bytes_held());
}

TEST(Ipv4Reassembly, ReverseOrderLastFragmentFirst) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  const Bytes payload = udp_datagram(1000, 2000, 2500);
  auto frags = split_ipv4(s, payload, 512);
  std::reverse(frags.begin(), frags.end());
  for (std::size_t i = 0; i + 1 < frags.size(); ++i)
    CHECK(offer(d, frags[i]).status == DefragStatus::buffered);
  const Offered o = offer(d, frags.back());
  check_ipv4_datagram(o, s, payload);
  LONGS_EQUAL(total_wire(frags), o.wire_bytes);
}

TEST(Ipv4Reassembly, ShuffledArrivalManySeeds) {
  Ipv4Spec s;
  const Bytes payload = udp_datagram(4000, 80, 6000);
  const auto ordered = split_ipv4(s, payload, 296);
  for (std::uint32_t seed = 1; seed <= 25; ++seed) {
    Defragmenter d(small_config());
    auto frags = ordered;
    std::mt19937 rng(seed);
    std::shuffle(frags.begin(), frags.end(), rng);
    for (std::size_t i = 0; i + 1 < frags.size(); ++i)
      CHECK(offer(d, frags[i]).status == DefragStatus::buffered);
    check_ipv4_datagram(offer(d, frags.back()), s, payload);
    LONGS_EQUAL(0, d.bytes_held());
  }
}

TEST(Ipv4Reassembly, TinyFragmentsAreReassembledAndCounted) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  const Bytes payload = udp_datagram(7, 9, 56);  // 64 bytes in 8-byte fragments
  const auto frags = split_ipv4(s, payload, 8);
  LONGS_EQUAL(8, frags.size());
  check_ipv4_datagram(offer_all(d, frags), s, payload);
  LONGS_EQUAL(7, d.counters().get(DefragCounter::tiny_fragment));  // the last one is not counted
}

TEST(Ipv4Reassembly, HeaderWithOptionsFromFirstFragmentAndDfKept) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  s.options = {0x94, 0x04, 0x00, 0x00};  // router alert
  s.dont_fragment = true;
  const Bytes payload = udp_datagram(1, 2, 800);
  auto frags = split_ipv4(s, payload, 400);
  // Later fragments do not copy the option (RFC 791: router alert is not copied): the rebuilt
  // header must still be the first fragment's.
  Ipv4Spec later = s;
  later.options.clear();
  for (std::size_t i = 1; i < frags.size(); ++i) {
    Fragment plain = ipv4_fragment(later, frags[i].offset, frags[i].more,
                                   std::span(frags[i].bytes).subspan(frags[i].header_len));
    frags[i] = plain;
  }
  std::swap(frags[0], frags[2]);
  const Offered o = offer_all(d, frags);
  check_ipv4_datagram(o, s, payload);
  LONGS_EQUAL(0x46, o.datagram[0]);
  LONGS_EQUAL(0x94, o.datagram[20]);
}

TEST(Ipv4Reassembly, ProtocolAndVlanSeparateDatagrams) {
  Defragmenter d(small_config());
  Ipv4Spec udp;
  Ipv4Spec tcp = udp;
  tcp.proto = 6;
  const Bytes a = pattern(64, 1), b = pattern(64, 2), c = pattern(64, 3);
  auto fa = split_ipv4(udp, a, 32);
  auto fb = split_ipv4(tcp, b, 32);
  auto fc = split_ipv4(udp, c, 32);
  for (Fragment& f : fc) {
    f.vlan = {100, 0};
    f.vlan_count = 1;
  }
  CHECK(offer(d, fa[0]).status == DefragStatus::buffered);
  CHECK(offer(d, fb[0]).status == DefragStatus::buffered);
  CHECK(offer(d, fc[0]).status == DefragStatus::buffered);
  LONGS_EQUAL(3, d.reassemblies());
  const Offered oc = offer(d, fc[1]);
  const Offered ob = offer(d, fb[1]);
  const Offered oa = offer(d, fa[1]);
  check_ipv4_datagram(oa, udp, a);
  check_ipv4_datagram(ob, tcp, b);
  check_ipv4_datagram(oc, udp, c);
  LONGS_EQUAL(0, d.counters().get(DefragCounter::overlap));
}

TEST(Ipv4Reassembly, InterleavedDatagramsFromManySources) {
  Defragmenter d(small_config());
  std::vector<std::vector<Fragment>> all;
  std::vector<Bytes> payloads;
  std::vector<Ipv4Spec> specs;
  for (std::uint8_t i = 0; i < 40; ++i) {
    Ipv4Spec s;
    s.src = v4_address(10, 0, 0, i);
    s.id = static_cast<std::uint16_t>(i * 3);
    specs.push_back(s);
    payloads.push_back(pattern(1300 + i * 8, i));  // three fragments each
    all.push_back(split_ipv4(s, payloads.back(), 600));
  }
  int complete = 0;
  for (std::size_t round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Offered o = offer(d, all[i][round]);
      if (round == 2) {
        check_ipv4_datagram(o, specs[i], payloads[i]);
        ++complete;
      }
    }
  }
  LONGS_EQUAL(40, complete);
  LONGS_EQUAL(0, d.reassemblies());
}
