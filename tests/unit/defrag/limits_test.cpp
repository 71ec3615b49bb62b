// Bounded resources: timeouts, the memory cap, the reassembly table, the per-datagram fragment
// cap and the 65535-byte length limit.
#include <CppUTest/TestHarness.h>

#include "tests/unit/defrag/fragment_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
constexpr std::uint64_t kSecond = 1'000'000'000;

Bytes data_of(const Offered& o, std::size_t header) {
  return Bytes(o.datagram.begin() + static_cast<long>(header), o.datagram.end());
}
}  // namespace

TEST_GROUP(Limits){};

TEST(Limits, ExpireDropsReassemblyAndALaterFragmentStartsFresh) {
  Defragmenter d(small_config());  // 1 s timeout
  Ipv4Spec s;
  const Bytes payload = pattern(1500, 3);
  const auto frags = split_ipv4(s, payload, 504);
  const std::uint64_t t0 = 100 * kSecond;
  CHECK(offer(d, frags[0], t0).status == DefragStatus::buffered);
  d.expire(t0 + kSecond - 1);
  LONGS_EQUAL(1, d.reassemblies());
  d.expire(t0 + kSecond);
  LONGS_EQUAL(0, d.reassemblies());
  LONGS_EQUAL(0, d.bytes_held());
  LONGS_EQUAL(1, d.counters().get(DefragCounter::timeout));
  // The rest arrives late: without the first fragment nothing completes until it is resent.
  CHECK(offer(d, frags[1], t0 + kSecond + 1).status == DefragStatus::buffered);
  CHECK(offer(d, frags[2], t0 + kSecond + 2).status == DefragStatus::buffered);
  const Offered o = offer(d, frags[0], t0 + kSecond + 3);
  CHECK(o.status == DefragStatus::complete);
  CHECK(data_of(o, 20) == payload);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::timeout));
}

TEST(Limits, InsertExpiresDueReassembliesFirst) {
  Defragmenter d(small_config());
  Ipv6Spec s;
  const auto frags = split_ipv6(s, pattern(100, 1), 48);
  CHECK(offer(d, frags[0], 0).status == DefragStatus::buffered);
  CHECK(offer(d, frags[1], 2 * kSecond).status == DefragStatus::buffered);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::timeout));
  LONGS_EQUAL(1, d.reassemblies());
}

TEST(Limits, ClockNeverRunsBackwards) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  const Bytes payload = pattern(64, 1);
  const auto frags = split_ipv4(s, payload, 32);
  CHECK(offer(d, frags[0], 10 * kSecond).status == DefragStatus::buffered);
  d.expire(5 * kSecond);
  LONGS_EQUAL(1, d.reassemblies());
  // A capture with an out-of-order timestamp: the fragment still joins its datagram.
  const Offered o = offer(d, frags[1], 9 * kSecond);
  CHECK(o.status == DefragStatus::complete);
  CHECK(data_of(o, 20) == payload);
}

TEST(Limits, MemoryCapEvictsOldestReassembly) {
  DefragConfig c = small_config();
  c.memory_bytes = 65 * kDefragChunkBytes;  // the floor: one full-size datagram
  Defragmenter d(c);
  LONGS_EQUAL(65 * kDefragChunkBytes, d.config().memory_bytes);
  Ipv4Spec x, y;
  x.id = 1;
  y.id = 2;
  const Bytes px = pattern(41 * 1024, 1), py = pattern(30 * 1024, 2);
  const auto fx = split_ipv4(x, px, 1024);
  const auto fy = split_ipv4(y, py, 1024);
  for (std::size_t i = 0; i + 1 < fx.size(); ++i)
    CHECK(offer(d, fx[i]).status == DefragStatus::buffered);
  for (std::size_t i = 0; i + 1 < fy.size(); ++i) {
    CHECK(offer(d, fy[i]).status == DefragStatus::buffered);
    CHECK(d.bytes_held() <= d.config().memory_bytes);
  }
  LONGS_EQUAL(1, d.counters().get(DefragCounter::memory_full));
  LONGS_EQUAL(1, d.counters().get(DefragCounter::evicted));
  LONGS_EQUAL(1, d.reassemblies());
  const Offered oy = offer(d, fy.back());
  CHECK(oy.status == DefragStatus::complete);
  CHECK(data_of(oy, 20) == py);
  // x was evicted: its last fragment opens a new, incomplete reassembly.
  CHECK(offer(d, fx.back()).status == DefragStatus::buffered);
  LONGS_EQUAL(1, d.reassemblies());
}

TEST(Limits, FullSizeDatagramsFitTheSmallestPool) {
  DefragConfig c = small_config();
  c.memory_bytes = 1;  // raised to the floor
  Defragmenter d(c);
  Ipv6Spec s;
  const Bytes payload = pattern(65535, 7);
  const Offered o = offer_all(d, split_ipv6(s, payload, 1024));
  CHECK(o.status == DefragStatus::complete);
  LONGS_EQUAL(kDefragMaxDatagramBytes, o.datagram.size());
  LONGS_EQUAL(65535, get16(o.datagram, 4));
  CHECK(data_of(o, 40) == payload);

  Ipv4Spec s4;
  const Bytes p4 = pattern(65535 - 20, 8);
  const Offered o4 = offer_all(d, split_ipv4(s4, p4, 1480));
  CHECK(o4.status == DefragStatus::complete);
  LONGS_EQUAL(65535, get16(o4.datagram, 2));
  CHECK(data_of(o4, 20) == p4);
  LONGS_EQUAL(0, d.counters().get(DefragCounter::memory_full));
}

TEST(Limits, TooLargeIpv4AndIpv6) {
  Defragmenter d(small_config());
  Ipv4Spec s4;
  // 20 + 65512 + 8 = 65540: the total length field cannot describe the datagram.
  CHECK(offer(d, ipv4_fragment(s4, 65512, false, Bytes(8, 1))).status == DefragStatus::dropped);
  // 20 + 65504 + 8 = 65532 fits.
  CHECK(offer(d, ipv4_fragment(s4, 65504, true, Bytes(8, 1))).status == DefragStatus::buffered);
  Ipv6Spec s6;
  CHECK(offer(d, ipv6_fragment(s6, 65528, false, Bytes(8, 1))).status == DefragStatus::dropped);
  CHECK(offer(d, ipv6_fragment(s6, 65520, false, Bytes(8, 1))).status == DefragStatus::buffered);
  // With a hop-by-hop header the payload length also counts its 8 bytes.
  Ipv6Spec h = s6;
  h.id = 77;
  h.ext_before = {ipproto::hopopts};
  CHECK(offer(d, ipv6_fragment(h, 65520, false, Bytes(8, 1))).status == DefragStatus::dropped);
  LONGS_EQUAL(3, d.counters().get(DefragCounter::too_large));
  LONGS_EQUAL(2, d.reassemblies());
}

TEST(Limits, TooLargeOnlyOnceTheFirstFragmentsLongerHeaderIsKnown) {
  Defragmenter d(small_config());
  Ipv4Spec plain, with_options;
  with_options.options = Bytes(40, 1);  // NOP options: a 60-byte header
  const Bytes payload = pattern(65504, 2);
  auto frags = split_ipv4(plain, std::span(payload).subspan(8), 8184);
  for (Fragment& f : frags) {
    // Re-offset by the 8 bytes the first fragment will carry.
    f = ipv4_fragment(plain, static_cast<std::uint16_t>(f.offset + 8), f.more,
                      std::span(f.bytes).subspan(f.header_len));
  }
  for (const Fragment& f : frags) CHECK(offer(d, f).status == DefragStatus::buffered);
  // 60 + 65504 > 65535: refused when the datagram would be rebuilt.
  const Offered o = offer(d, ipv4_fragment(with_options, 0, true, std::span(payload).first(8)));
  CHECK(o.status == DefragStatus::dropped);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::too_large));
  LONGS_EQUAL(0, d.reassemblies());
  LONGS_EQUAL(0, d.bytes_held());
}

TEST(Limits, TableFullEvictsOldest) {
  DefragConfig c = small_config();
  c.max_datagrams = 4;
  Defragmenter d(c);
  std::vector<std::vector<Fragment>> all;
  std::vector<Bytes> payloads;
  for (std::uint16_t id = 1; id <= 5; ++id) {
    Ipv4Spec s;
    s.id = id;
    payloads.push_back(pattern(64, static_cast<std::uint8_t>(id)));
    all.push_back(split_ipv4(s, payloads.back(), 32));
    CHECK(offer(d, all.back()[0], id).status == DefragStatus::buffered);
  }
  LONGS_EQUAL(4, d.reassemblies());
  LONGS_EQUAL(1, d.counters().get(DefragCounter::table_full));
  LONGS_EQUAL(1, d.counters().get(DefragCounter::evicted));
  for (std::size_t i = 1; i < 5; ++i) {
    const Offered o = offer(d, all[i][1], 10);
    CHECK(o.status == DefragStatus::complete);
    CHECK(data_of(o, 20) == payloads[i]);
  }
  CHECK(offer(d, all[0][1], 10).status == DefragStatus::buffered);  // id 1 was the oldest
}

TEST(Limits, FloodOfDistinctIdsStaysBoundedAndRealTrafficStillReassembles) {
  DefragConfig c = small_config();
  c.max_datagrams = 256;
  Defragmenter d(c);
  Ipv4Spec s;
  const Bytes junk(8, 0xee);
  for (std::uint32_t i = 0; i < 20000; ++i) {
    s.id = static_cast<std::uint16_t>(i);
    s.src = v4_address(10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                       static_cast<std::uint8_t>(i));
    offer(d, ipv4_fragment(s, 8, true, junk), i);
  }
  LONGS_EQUAL(256, d.reassemblies());
  LONGS_EQUAL(20000 - 256, d.counters().get(DefragCounter::evicted));
  CHECK(d.bytes_held() <= 256 * kDefragChunkBytes);
  Ipv4Spec real;
  real.src = v4_address(203, 0, 113, 9);
  const Bytes payload = pattern(3000, 4);
  const Offered o = offer_all(d, split_ipv4(real, payload, 1480), 20000);
  CHECK(o.status == DefragStatus::complete);
  CHECK(data_of(o, 20) == payload);
}

TEST(Limits, TooManyFragmentsDropsTheReassembly) {
  DefragConfig c = small_config();
  c.max_fragments_per_datagram = 4;
  Defragmenter d(c);
  Ipv4Spec s;
  const auto frags = split_ipv4(s, pattern(80, 1), 8);
  for (std::size_t i = 0; i < 4; ++i) CHECK(offer(d, frags[i]).status == DefragStatus::buffered);
  CHECK(offer(d, frags[4]).status == DefragStatus::dropped);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::too_many_fragments));
  LONGS_EQUAL(0, d.reassemblies());
  LONGS_EQUAL(0, d.bytes_held());
}

TEST(Limits, DuplicatesCountTowardsTheFragmentCap) {
  DefragConfig c = small_config();
  c.max_fragments_per_datagram = 3;
  Defragmenter d(c);
  Ipv6Spec s;
  const auto frags = split_ipv6(s, pattern(64, 1), 32);
  for (int i = 0; i < 3; ++i) CHECK(offer(d, frags[0]).status == DefragStatus::buffered);
  CHECK(offer(d, frags[1]).status == DefragStatus::dropped);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::too_many_fragments));
}

TEST(Limits, SettingsAreClamped) {
  DefragConfig c;
  c.max_datagrams = 0;
  c.memory_bytes = 0;
  c.max_fragments_per_datagram = 0;
  c.timeout_ns = 0;
  Defragmenter d(c);
  LONGS_EQUAL(1, d.config().max_datagrams);
  LONGS_EQUAL(65 * kDefragChunkBytes, d.config().memory_bytes);
  LONGS_EQUAL(2, d.config().max_fragments_per_datagram);
  LONGS_EQUAL(1, d.config().timeout_ns);
  Ipv4Spec s;
  const Bytes payload = pattern(16, 1);
  const Offered o = offer_all(d, split_ipv4(s, payload, 8), 5);
  CHECK(o.status == DefragStatus::complete);
  CHECK(data_of(o, 20) == payload);
}

TEST(Limits, SegmentBookkeepingIsBoundedToo) {
  // Fragments with holes between them each need their own segment record. Three such datagrams
  // outgrow the segment pool (4 slots x 8 + one datagram at the fragment cap) long before the
  // data pool fills.
  DefragConfig c = small_config();
  c.max_datagrams = 4;
  c.max_fragments_per_datagram = 128;
  Defragmenter d(c);
  for (std::uint16_t id = 1; id <= 3; ++id) {
    Ipv4Spec s;
    s.id = id;
    for (std::uint16_t k = 0; k < 100; ++k)
      CHECK(offer(d, ipv4_fragment(s, static_cast<std::uint16_t>(16 * k + 8), true, Bytes(8, 1)))
                .status == DefragStatus::buffered);
  }
  LONGS_EQUAL(1, d.counters().get(DefragCounter::memory_full));
  LONGS_EQUAL(1, d.counters().get(DefragCounter::evicted));
  LONGS_EQUAL(2, d.reassemblies());
  CHECK(d.bytes_held() < d.config().memory_bytes / 10);
}
