// Randomized tests with a seeded PRNG: random streams cut into random segments, duplicated,
// shuffled, across the 2^32 wrap, fed to the reassembler and compared with the original stream
// (or, when duplicates carry different bytes, with a byte-level model of the overlap policy).
#include <algorithm>
#include <random>

#include "tests/unit/stream/stream_test_util.h"

// CppUTest last: its leak-detector macros redefine `new`, which breaks standard headers after it.
#include <CppUTest/TestHarness.h>

using namespace vigil;
using namespace vigil::test;

namespace {

struct Segment {
  std::size_t off = 0;               // from the direction's first byte
  std::vector<std::uint8_t> bytes;
};

std::uint32_t pick_isn(std::mt19937& rng, std::size_t len) {
  switch (rng() % 4) {
    case 0: return 0xffffffffu - static_cast<std::uint32_t>(rng() % (len + 1));  // wraps inside
    case 1: return 0xffffffffu;
    case 2: return static_cast<std::uint32_t>(rng() % 16);
    default: return static_cast<std::uint32_t>(rng());
  }
}

// Cuts stream into consecutive segments, then adds random duplicates; bytes of a duplicate come
// from the stream, or are random when conflicting is set. Returns them shuffled.
std::vector<Segment> segments_of(const std::vector<std::uint8_t>& stream, bool conflicting,
                                 std::mt19937& rng) {
  std::vector<Segment> segs;
  const std::size_t max_len = 1 + rng() % 1500;
  for (std::size_t off = 0; off < stream.size();) {
    const std::size_t len = std::min<std::size_t>(1 + rng() % max_len, stream.size() - off);
    segs.push_back({off, {stream.begin() + static_cast<std::ptrdiff_t>(off),
                          stream.begin() + static_cast<std::ptrdiff_t>(off + len)}});
    off += len;
  }
  const std::size_t dups = rng() % (segs.size() + 1);
  for (std::size_t i = 0; i < dups; ++i) {
    const std::size_t off = rng() % stream.size();
    const std::size_t len = std::min<std::size_t>(1 + rng() % max_len, stream.size() - off);
    Segment d{off, {stream.begin() + static_cast<std::ptrdiff_t>(off),
                    stream.begin() + static_cast<std::ptrdiff_t>(off + len)}};
    if (conflicting && rng() % 2 == 0)
      for (auto& b : d.bytes) b = static_cast<std::uint8_t>(rng());
    segs.push_back(std::move(d));
  }
  std::shuffle(segs.begin(), segs.end(), rng);
  return segs;
}

StreamConfig unlimited(std::uint32_t chunk, OverlapPolicy policy) {
  StreamConfig c;
  c.depth = 0;
  c.max_segments = 16384;
  c.segment_bytes = chunk;
  c.max_ooo_bytes_per_direction = 0xffffu * chunk;
  c.policy = policy;
  return c;
}

constexpr std::uint32_t kChunkSizes[] = {1, 7, 64, 536, 2048};

// What the reassembler must do, byte by byte: bytes at or after next may still change (under
// `last`) or are set once (under `first`); bytes before next are delivered and final.
struct Model {
  OverlapPolicy policy;
  std::vector<std::uint8_t> val;
  std::vector<bool> have;
  std::size_t next = 0;
  std::uint64_t retransmissions = 0, overlaps = 0, overlap_diff = 0, ooo = 0;

  Model(OverlapPolicy p, std::size_t n) : policy(p), val(n), have(n) {}

  void arrive(const Segment& s) {
    const std::size_t end = s.off + s.bytes.size();
    if (end <= next) {
      ++retransmissions;
      return;
    }
    if (s.off > next) ++ooo;
    bool seen = s.off < next, differs = false;
    for (std::size_t i = std::max(s.off, next); i < end; ++i) {
      const std::uint8_t b = s.bytes[i - s.off];
      if (have[i]) {
        seen = true;
        if (val[i] != b) differs = true;
        if (policy == OverlapPolicy::last) val[i] = b;
      } else {
        val[i] = b;
        have[i] = true;
      }
    }
    while (next < have.size() && have[next]) ++next;
    overlaps += seen;
    overlap_diff += differs;
  }
};

}  // namespace

TEST_GROUP(StreamProperty){};

TEST(StreamProperty, AnySegmentationOrderAndDuplicationYieldsTheOriginalStream) {
  std::mt19937 rng(20240611);
  for (std::uint32_t chunk : kChunkSizes) {
    for (OverlapPolicy policy : {OverlapPolicy::first, OverlapPolicy::last}) {
      StreamReassembler r(unlimited(chunk, policy));
      for (int iter = 0; iter < 60; ++iter) {
        const auto stream = make_stream(1 + rng() % 6000, static_cast<std::uint32_t>(rng()));
        const std::uint32_t isn = pick_isn(rng, stream.size());
        RecordingSink sink;
        StreamDirState dir;
        stream_dir_init(dir, isn);
        for (const Segment& s : segments_of(stream, false, rng))
          r.on_segment(dir, isn + static_cast<std::uint32_t>(s.off), s.bytes, sink);
        CHECK(stream == sink.bytes(dir));
        UNSIGNED_LONGS_EQUAL(static_cast<std::uint32_t>(isn + stream.size()), dir.next_seq);
        UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
        UNSIGNED_LONGS_EQUAL(0, dir.ooo_count);
        for (const Piece& p : sink.of(dir)) CHECK_FALSE(p.after_gap);
      }
      UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::gaps));
      UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::overlap_diff));
      UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::pool_exhausted));
      UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::ooo_limit));
    }
  }
}

TEST(StreamProperty, ConflictingDuplicatesFollowTheOverlapPolicyByteForByte) {
  std::mt19937 rng(77);
  for (std::uint32_t chunk : kChunkSizes) {
    for (OverlapPolicy policy : {OverlapPolicy::first, OverlapPolicy::last}) {
      StreamReassembler r(unlimited(chunk, policy));
      for (int iter = 0; iter < 60; ++iter) {
        const auto stream = make_stream(1 + rng() % 4000, static_cast<std::uint32_t>(rng()));
        const std::uint32_t isn = pick_isn(rng, stream.size());
        RecordingSink sink;
        StreamDirState dir;
        stream_dir_init(dir, isn);
        Model model(policy, stream.size());
        const StreamCounters before = r.counters();
        for (const Segment& s : segments_of(stream, true, rng)) {
          r.on_segment(dir, isn + static_cast<std::uint32_t>(s.off), s.bytes, sink);
          model.arrive(s);
          UNSIGNED_LONGS_EQUAL(model.next, sink.bytes(dir).size());
        }
        CHECK(model.val == sink.bytes(dir));
        auto delta = [&](StreamCounter c) { return r.counters().get(c) - before.get(c); };
        UNSIGNED_LONGS_EQUAL(model.retransmissions, delta(StreamCounter::retransmissions));
        UNSIGNED_LONGS_EQUAL(model.overlaps, delta(StreamCounter::overlaps));
        UNSIGNED_LONGS_EQUAL(model.overlap_diff, delta(StreamCounter::overlap_diff));
        UNSIGNED_LONGS_EQUAL(model.ooo, delta(StreamCounter::ooo_segments));
        UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
      }
    }
  }
}

// Under memory pressure, with segments lost and a depth limit, the stream may have holes, but
// every byte delivered is the right byte at the right place, delivered once, in order; every
// jump is flagged after_gap and counted; close and release leave the pool empty.
TEST(StreamProperty, UnderLimitsAndLossEveryDeliveredByteIsCorrectAndHolesAreFlagged) {
  std::mt19937 rng(4242);
  for (int iter = 0; iter < 150; ++iter) {
    StreamConfig c;
    c.segment_bytes = 16 + rng() % 200;
    c.max_segments = 4 + rng() % 64;
    c.max_ooo_bytes_per_direction = c.segment_bytes * (1 + rng() % 16);
    c.depth = rng() % 3 == 0 ? 0 : 1 + rng() % 8000;
    c.policy = rng() % 2 ? OverlapPolicy::first : OverlapPolicy::last;
    StreamReassembler r(c);
    constexpr std::size_t kDirs = 4;
    StreamDirState dirs[kDirs];
    std::uint32_t isn[kDirs];
    std::vector<std::uint8_t> streams[kDirs];
    struct Event {
      std::size_t dir;
      Segment seg;
    };
    std::vector<Event> events;
    for (std::size_t d = 0; d < kDirs; ++d) {
      streams[d] = make_stream(1 + rng() % 6000, static_cast<std::uint32_t>(rng()));
      isn[d] = pick_isn(rng, streams[d].size());
      stream_dir_init(dirs[d], isn[d]);
      for (Segment& s : segments_of(streams[d], false, rng))
        if (rng() % 10 != 0) events.push_back({d, std::move(s)});  // ~10% lost
    }
    std::shuffle(events.begin(), events.end(), rng);
    RecordingSink sink;
    for (const Event& e : events)
      r.on_segment(dirs[e.dir], isn[e.dir] + static_cast<std::uint32_t>(e.seg.off), e.seg.bytes, sink);
    for (std::size_t d = 0; d < kDirs; ++d) r.on_close(dirs[d], sink);
    UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);

    std::uint64_t flagged = 0, delivered_total = 0;
    for (std::size_t d = 0; d < kDirs; ++d) {
      std::size_t prev_end = 0, delivered = 0;
      for (const Piece& p : sink.of(dirs[d])) {
        const std::size_t off = p.seq - isn[d];
        CHECK(off >= prev_end);
        CHECK(off + p.bytes.size() <= streams[d].size());
        CHECK_EQUAL(off != prev_end, p.after_gap);
        CHECK(std::equal(p.bytes.begin(), p.bytes.end(),
                         streams[d].begin() + static_cast<std::ptrdiff_t>(off)));
        flagged += p.after_gap;
        prev_end = off + p.bytes.size();
        delivered += p.bytes.size();
      }
      if (c.depth != 0) CHECK(delivered <= c.depth);
      CHECK_EQUAL(dirs[d].gaps, static_cast<std::uint32_t>(std::count_if(
                                    sink.of(dirs[d]).begin(), sink.of(dirs[d]).end(),
                                    [](const Piece& p) { return p.after_gap; })));
      UNSIGNED_LONGS_EQUAL(kNoSegment, dirs[d].ooo_head);
      delivered_total += delivered;
    }
    UNSIGNED_LONGS_EQUAL(flagged, count(r, StreamCounter::gaps));
    UNSIGNED_LONGS_EQUAL(delivered_total, count(r, StreamCounter::bytes_delivered));
  }
}
