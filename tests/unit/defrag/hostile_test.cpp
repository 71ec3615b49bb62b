// Hostile and malformed fragments: each refused under its own counter, never a crash.
#include <CppUTest/TestHarness.h>

#include <random>
#include <string>

#include "tests/unit/defrag/fragment_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Bytes data_of(const Offered& o, std::size_t header) {
  return Bytes(o.datagram.begin() + static_cast<long>(header), o.datagram.end());
}

DefragStatus offer_view(Defragmenter& d, const DecodedPacket& p) {
  std::span<const std::uint8_t> out;
  std::uint32_t wire = 0;
  return d.insert(p, 100, 0, out, wire);
}
}  // namespace

TEST_GROUP(Hostile){};

TEST(Hostile, DataBeyondTheKnownEndIsRefused) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  const Bytes head(16, 'h'), tail(8, 't');
  CHECK(offer(d, ipv4_fragment(s, 16, false, tail)).status == DefragStatus::buffered);
  CHECK(offer(d, ipv4_fragment(s, 16, true, Bytes(16, 'x'))).status == DefragStatus::dropped);
  CHECK(offer(d, ipv4_fragment(s, 16, false, Bytes(16, 'y'))).status == DefragStatus::dropped);
  LONGS_EQUAL(2, d.counters().get(DefragCounter::end_conflict));
  const Offered o = offer(d, ipv4_fragment(s, 0, true, head));
  CHECK(o.status == DefragStatus::complete);
  CHECK(data_of(o, 20) == Bytes({'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h', 'h',
                                 'h', 'h', 'h', 'h', 't', 't', 't', 't', 't', 't', 't', 't'}));
}

TEST(Hostile, LastFragmentEndingBeforeHeldDataIsRefused) {
  Defragmenter d(small_config());
  Ipv6Spec s;
  const Bytes a(32, 'a');
  CHECK(offer(d, ipv6_fragment(s, 0, true, a)).status == DefragStatus::buffered);
  // Would end the datagram at 24 while bytes up to 32 are held (and would complete it early).
  CHECK(offer(d, ipv6_fragment(s, 16, false, Bytes(8, 'x'))).status == DefragStatus::dropped);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::end_conflict));
  const Offered o = offer(d, ipv6_fragment(s, 32, false, Bytes(8, 'z')));
  CHECK(o.status == DefragStatus::complete);
  LONGS_EQUAL(40, data_of(o, 40).size());
  LONGS_EQUAL('a', o.datagram[40 + 31]);
  LONGS_EQUAL('z', o.datagram[40 + 32]);
}

TEST(Hostile, AFragmentEndingExactlyAtTheEndWithMfSetIsAccepted) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  CHECK(offer(d, ipv4_fragment(s, 8, false, Bytes(8, 'e'))).status == DefragStatus::buffered);
  CHECK(offer(d, ipv4_fragment(s, 8, true, Bytes(8, 'e'))).status == DefragStatus::buffered);
  CHECK(offer(d, ipv4_fragment(s, 0, true, Bytes(8, 's'))).status == DefragStatus::complete);
  LONGS_EQUAL(0, d.counters().get(DefragCounter::end_conflict));
}

TEST(Hostile, ZeroLengthAndUnalignedFragments) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  CHECK(offer(d, ipv4_fragment(s, 8, true, Bytes{})).status == DefragStatus::dropped);
  CHECK(offer(d, ipv4_fragment(s, 64, false, Bytes{})).status == DefragStatus::dropped);
  LONGS_EQUAL(2, d.counters().get(DefragCounter::zero_length));
  CHECK(offer(d, ipv4_fragment(s, 0, true, Bytes(12, 1))).status == DefragStatus::dropped);
  Ipv6Spec s6;
  CHECK(offer(d, ipv6_fragment(s6, 0, true, Bytes(20, 1))).status == DefragStatus::dropped);
  LONGS_EQUAL(2, d.counters().get(DefragCounter::unaligned));
  LONGS_EQUAL(0, d.reassemblies());
  // An odd length is fine for the last fragment.
  CHECK(offer(d, ipv4_fragment(s, 8, false, Bytes(13, 1))).status == DefragStatus::buffered);
  CHECK(offer(d, ipv4_fragment(s, 0, true, Bytes(8, 1))).status == DefragStatus::complete);
}

TEST(Hostile, TruncatedFragmentsAreRefused) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  DecodedPacket p = ipv4_fragment(s, 0, true, Bytes(64, 1)).view();
  p.snapped = true;
  CHECK(offer_view(d, p) == DefragStatus::dropped);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::truncated));
  LONGS_EQUAL(0, d.reassemblies());
}

TEST(Hostile, InconsistentDecodedPacketsAreInvalid) {
  Defragmenter d(small_config());
  Ipv4Spec s4;
  Ipv6Spec s6;
  const Fragment f4 = ipv4_fragment(s4, 8, true, Bytes(16, 1));
  const Fragment f6 = ipv6_fragment(s6, 8, true, Bytes(16, 1));
  std::vector<DecodedPacket> bad;
  DecodedPacket p = f4.view();
  p.is_fragment = false;
  bad.push_back(p);
  p = f4.view();
  p.l3_header_len = static_cast<std::uint16_t>(f4.bytes.size() + 1);
  bad.push_back(p);
  p = f4.view();
  p.l3_header_len = 16;
  bad.push_back(p);
  p = f4.view();
  p.family = IpFamily::none;
  bad.push_back(p);
  p = f4.view();
  p.frag_offset = 12;
  bad.push_back(p);
  p = f6.view();
  p.frag_nh_offset = p.unfragmentable_len;
  bad.push_back(p);
  p = f6.view();
  p.unfragmentable_len = 32;
  bad.push_back(p);
  p = f6.view();
  p.l3_header_len = p.unfragmentable_len;  // no room for the fragment header
  bad.push_back(p);
  p = f6.view();
  p.l3 = p.l3.first(20);
  bad.push_back(p);
  for (const DecodedPacket& b : bad) CHECK(offer_view(d, b) == DefragStatus::dropped);
  LONGS_EQUAL(bad.size(), d.counters().get(DefragCounter::invalid));
  LONGS_EQUAL(bad.size(), d.counters().get(DefragCounter::fragments));
  LONGS_EQUAL(0, d.reassemblies());
}

TEST(Hostile, OverlongUnfragmentablePartOnlyMattersInTheFirstFragment) {
  Defragmenter d(small_config());
  Ipv6Spec s;
  s.ext_before.assign(128, ipproto::dstopts);  // 40 + 1024 bytes before the fragment header
  CHECK(offer(d, ipv6_fragment(s, 8, false, Bytes(8, 1))).status == DefragStatus::buffered);
  CHECK(offer(d, ipv6_fragment(s, 0, true, Bytes(8, 1))).status == DefragStatus::dropped);
  LONGS_EQUAL(1, d.counters().get(DefragCounter::header_too_long));
}

TEST(Hostile, EveryDropHasExactlyOneReason) {
  // Replays a mix of good and bad fragments and checks the bookkeeping identity: dropped results
  // equal the sum of the drop-reason counters.
  Defragmenter d(small_config());
  Ipv4Spec s;
  int dropped = 0;
  auto count = [&](const Fragment& f) {
    if (offer(d, f).status == DefragStatus::dropped) ++dropped;
  };
  count(ipv4_fragment(s, 8, true, Bytes{}));
  count(ipv4_fragment(s, 8, true, Bytes(5, 1)));
  count(ipv4_fragment(s, 65528, false, Bytes(16, 1)));
  count(ipv4_fragment(s, 16, false, Bytes(8, 1)));
  count(ipv4_fragment(s, 16, true, Bytes(16, 1)));
  count(ipv4_fragment(s, 0, true, Bytes(16, 1)));
  const auto& c = d.counters();
  const std::uint64_t reasons =
      c.get(DefragCounter::memory_full) + c.get(DefragCounter::too_large) +
      c.get(DefragCounter::too_many_fragments) + c.get(DefragCounter::end_conflict) +
      c.get(DefragCounter::zero_length) + c.get(DefragCounter::unaligned) +
      c.get(DefragCounter::truncated) + c.get(DefragCounter::header_too_long) +
      c.get(DefragCounter::invalid);
  LONGS_EQUAL(4, dropped);
  LONGS_EQUAL(dropped, reasons);
  LONGS_EQUAL(1, c.get(DefragCounter::datagrams_rebuilt));
}

TEST(Hostile, CounterNames) {
  STRCMP_EQUAL("defrag.overlap_diff",
               std::string(defrag_counter_name(DefragCounter::overlap_diff)).c_str());
  STRCMP_EQUAL("defrag.too_large",
               std::string(defrag_counter_name(DefragCounter::too_large)).c_str());
  STRCMP_EQUAL("defrag.unknown_counter",
               std::string(defrag_counter_name(DefragCounter::count_)).c_str());
  DefragCounters a, b;
  a.add(DefragCounter::timeout);
  b.add(DefragCounter::timeout);
  b.add(DefragCounter::evicted);
  a += b;
  LONGS_EQUAL(2, a.get(DefragCounter::timeout));
  LONGS_EQUAL(1, a.get(DefragCounter::evicted));
}

TEST(Hostile, RandomTrafficKeepsEveryBound) {
  // Random fragments for a handful of ids with random offsets, lengths and flags, against tight
  // limits: whatever arrives, the pools and the table stay within their caps, every drop has
  // one reason, and every datagram handed back has a consistent header.
  const DefragPolicy policies[] = {DefragPolicy::first, DefragPolicy::last, DefragPolicy::bsd,
                                    DefragPolicy::linux_classic};
  DefragCounters totals;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    DefragConfig c = small_config(policies[seed % 4]);
    c.max_datagrams = 12;
    c.memory_bytes = 100 * kDefragChunkBytes;
    c.max_fragments_per_datagram = 24;
    c.timeout_ns = 50'000;
    Defragmenter d(c);
    std::mt19937 rng(seed);
    std::uint64_t dropped = 0, complete = 0;
    for (std::uint32_t i = 0; i < 6000; ++i) {
      const bool v6 = rng() % 2 == 0;
      // Half the fragments belong to small well-formed datagrams (3 x 64 bytes) so that some
      // complete; the rest are junk spread over the whole 64 KiB range.
      const bool orderly = rng() % 2 == 0;
      const std::uint32_t id = orderly ? 100 + rng() % 3 : rng() % 3;
      const std::uint32_t piece = rng() % 3;
      const bool more = orderly ? piece < 2 : rng() % 4 != 0;
      const auto offset = static_cast<std::uint16_t>(orderly ? 64 * piece : 8 * (rng() % 8192));
      const std::size_t len = orderly ? 64 : rng() % 3 == 0 ? rng() % 20 : 8 * (rng() % 200);
      const Bytes data = pattern(len, static_cast<std::uint8_t>(orderly ? id + piece : rng()));
      Fragment f;
      if (v6) {
        Ipv6Spec s;
        s.id = id;
        if (!orderly && rng() % 3 == 0) s.ext_before = {ipproto::hopopts};
        f = ipv6_fragment(s, offset, more, data);
      } else {
        Ipv4Spec s;
        s.id = static_cast<std::uint16_t>(id);
        f = ipv4_fragment(s, offset, more, data);
      }
      const Offered o = offer(d, f, i * 100ull);
      if (o.status == DefragStatus::dropped) ++dropped;
      if (o.status == DefragStatus::complete) {
        ++complete;
        if (v6) {
          LONGS_EQUAL(o.datagram.size() - 40, get16(o.datagram, 4));
        } else {
          LONGS_EQUAL(o.datagram.size(), get16(o.datagram, 2));
          LONGS_EQUAL(0xffff, ones_sum(std::span(o.datagram).first(20)));
          LONGS_EQUAL(0, get16(o.datagram, 6) & 0x3fff);
        }
      }
      CHECK(d.bytes_held() <= d.config().memory_bytes);
      CHECK(d.reassemblies() <= d.config().max_datagrams);
    }
    const auto& k = d.counters();
    const std::uint64_t reasons =
        k.get(DefragCounter::memory_full) + k.get(DefragCounter::too_large) +
        k.get(DefragCounter::too_many_fragments) + k.get(DefragCounter::end_conflict) +
        k.get(DefragCounter::zero_length) + k.get(DefragCounter::unaligned) +
        k.get(DefragCounter::truncated) + k.get(DefragCounter::header_too_long) +
        k.get(DefragCounter::invalid);
    // memory_full also counts exhaustion that eviction resolved, so it can exceed the drops.
    CHECK(reasons >= dropped);
    CHECK(reasons - k.get(DefragCounter::memory_full) <= dropped);
    LONGS_EQUAL(complete, k.get(DefragCounter::datagrams_rebuilt));
    CHECK(dropped > 0);
    CHECK(complete > 0);
    d.expire(6000 * 100ull + c.timeout_ns);
    LONGS_EQUAL(0, d.reassemblies());
    LONGS_EQUAL(0, d.bytes_held());
    totals += d.counters();
  }
  // The run really reached the limits it is meant to exercise.
  CHECK(totals.get(DefragCounter::memory_full) > 0);
  CHECK(totals.get(DefragCounter::timeout) > 0);
  CHECK(totals.get(DefragCounter::too_many_fragments) > 0);
  CHECK(totals.get(DefragCounter::end_conflict) > 0);
  CHECK(totals.get(DefragCounter::overlap_diff) > 0);
}
