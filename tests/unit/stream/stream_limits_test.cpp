// Depth limit, holes and gaps, memory limits (direction and pool), release, shared pool.
#include <algorithm>
#include <random>

#include "tests/unit/stream/stream_test_util.h"

// CppUTest last: its leak-detector macros redefine `new`, which breaks standard headers after it.
#include <CppUTest/TestHarness.h>

using namespace vigil;
using namespace vigil::test;

namespace {

StreamConfig config(std::uint32_t depth, std::uint32_t max_segments, std::uint32_t segment_bytes,
                    std::uint32_t max_ooo) {
  StreamConfig c;
  c.depth = depth;
  c.max_segments = max_segments;
  c.segment_bytes = segment_bytes;
  c.max_ooo_bytes_per_direction = max_ooo;
  return c;
}

// Sends bytes [off, off + len) of data on a direction whose first byte is sequence number 0.
StreamResult send(StreamReassembler& r, StreamDirState& d, const std::vector<std::uint8_t>& data,
                  std::size_t off, std::size_t len, StreamSink& sink) {
  return r.on_segment(d, static_cast<std::uint32_t>(off), slice(data, off, len), sink);
}

std::vector<std::uint8_t> part(const std::vector<std::uint8_t>& v, std::size_t off, std::size_t len) {
  return {v.begin() + static_cast<std::ptrdiff_t>(off), v.begin() + static_cast<std::ptrdiff_t>(off + len)};
}

}  // namespace

TEST_GROUP(StreamDepth) {
  RecordingSink sink;
  StreamDirState dir;
  std::vector<std::uint8_t> data = make_stream(1000, 21);
  void setup() override { stream_dir_init(dir, 0); }
};

TEST(StreamDepth, SegmentCrossingTheDepthIsCutAtTheDepth) {
  StreamReassembler r(config(100, 64, 256, 4096));
  CHECK(StreamResult::delivered == send(r, dir, data, 0, 60, sink));
  CHECK(StreamResult::delivered == send(r, dir, data, 60, 60, sink));
  CHECK(part(data, 0, 100) == sink.bytes(dir));
  CHECK(dir.flags & streamflag::depth_reached);
  UNSIGNED_LONGS_EQUAL(100, dir.delivered);
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::depth_reached));
  UNSIGNED_LONGS_EQUAL(100, count(r, StreamCounter::bytes_delivered));
  CHECK(StreamResult::depth_reached == send(r, dir, data, 120, 10, sink));
  CHECK(StreamResult::depth_reached == send(r, dir, data, 200, 10, sink));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::depth_reached));
  UNSIGNED_LONGS_EQUAL(2, sink.calls(dir));
}

TEST(StreamDepth, SegmentEndingExactlyAtTheDepthReachesIt) {
  StreamReassembler r(config(100, 64, 256, 4096));
  send(r, dir, data, 0, 50, sink);
  CHECK_FALSE(dir.flags & streamflag::depth_reached);
  send(r, dir, data, 50, 50, sink);
  CHECK(dir.flags & streamflag::depth_reached);
  CHECK(part(data, 0, 100) == sink.bytes(dir));
  CHECK(StreamResult::depth_reached == send(r, dir, data, 100, 1, sink));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::depth_reached));
}

TEST(StreamDepth, SegmentEndingOneByteBeforeTheDepthDoesNotReachIt) {
  StreamReassembler r(config(100, 64, 256, 4096));
  send(r, dir, data, 0, 99, sink);
  CHECK_FALSE(dir.flags & streamflag::depth_reached);
  send(r, dir, data, 99, 5, sink);
  CHECK(dir.flags & streamflag::depth_reached);
  CHECK(part(data, 0, 100) == sink.bytes(dir));
}

TEST(StreamDepth, DepthReachedWhileDrainingBufferedData) {
  StreamReassembler r(config(100, 64, 32, 4096));
  CHECK(StreamResult::buffered == send(r, dir, data, 50, 40, sink));  // two chunks
  CHECK(StreamResult::buffered == send(r, dir, data, 95, 4, sink));   // a third
  CHECK(StreamResult::buffered == send(r, dir, data, 99, 30, sink));  // cut to the depth: 1 byte,
  UNSIGNED_LONGS_EQUAL(3, r.counters().segments_in_use);              // packed into the third
  send(r, dir, data, 0, 50, sink);  // delivers 0..90, hole at 90
  CHECK_FALSE(dir.flags & streamflag::depth_reached);
  UNSIGNED_LONGS_EQUAL(1, r.counters().segments_in_use);
  CHECK(StreamResult::dropped == send(r, dir, data, 120, 30, sink));  // past the depth
  send(r, dir, data, 90, 5, sink);  // fills the hole; the buffered chunk ends exactly at the depth
  CHECK(dir.flags & streamflag::depth_reached);
  CHECK(part(data, 0, 100) == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::depth_reached));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(kNoSegment, dir.ooo_head);
}

TEST(StreamDepth, OutOfOrderDataPastTheDepthIsNotBuffered) {
  StreamReassembler r(config(100, 64, 32, 4096));
  CHECK(StreamResult::dropped == send(r, dir, data, 100, 50, sink));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  CHECK(StreamResult::buffered == send(r, dir, data, 80, 50, sink));  // kept up to the depth only
  UNSIGNED_LONGS_EQUAL(1, r.counters().segments_in_use);
  CHECK(StreamResult::delivered == send(r, dir, data, 0, 80, sink));
  CHECK(part(data, 0, 100) == sink.bytes(dir));
  CHECK(dir.flags & streamflag::depth_reached);
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamDepth, ZeroDepthMeansNoLimit) {
  StreamReassembler r(config(0, 64, 256, 4096));
  for (std::size_t off = 0; off < 1000; off += 100) send(r, dir, data, off, 100, sink);
  CHECK(data == sink.bytes(dir));
  CHECK_FALSE(dir.flags & streamflag::depth_reached);
}

TEST_GROUP(StreamGaps) {
  RecordingSink sink;
  StreamDirState dir;
  std::vector<std::uint8_t> data = make_stream(2000, 22);
  void setup() override { stream_dir_init(dir, 0); }
};

TEST(StreamGaps, CloseDeliversBufferedDataSkippingHoles) {
  StreamReassembler r(config(0, 64, 256, 4096));
  send(r, dir, data, 10, 20, sink);
  send(r, dir, data, 40, 10, sink);
  send(r, dir, data, 50, 5, sink);
  UNSIGNED_LONGS_EQUAL(0, sink.calls(dir));
  r.on_close(dir, sink);
  const auto& got = sink.of(dir);
  // [10,30) then [40,55) (two contiguous pieces packed into one chunk)
  UNSIGNED_LONGS_EQUAL(2, got.size());
  CHECK(got[0].after_gap);
  UNSIGNED_LONGS_EQUAL(10, got[0].seq);
  CHECK(part(data, 10, 20) == got[0].bytes);
  CHECK(got[1].after_gap);
  UNSIGNED_LONGS_EQUAL(40, got[1].seq);
  CHECK(part(data, 40, 15) == got[1].bytes);
  UNSIGNED_LONGS_EQUAL(2, count(r, StreamCounter::gaps));
  UNSIGNED_LONGS_EQUAL(2, dir.gaps);
  CHECK(dir.flags & streamflag::gap);
  CHECK(dir.flags & streamflag::closed);
  UNSIGNED_LONGS_EQUAL(55, dir.next_seq);
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(kNoSegment, dir.ooo_head);
}

TEST(StreamGaps, CloseWithNothingBufferedCountsNoGap) {
  StreamReassembler r(config(0, 64, 256, 4096));
  send(r, dir, data, 0, 20, sink);
  r.on_close(dir, sink);
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::gaps));
  CHECK_FALSE(dir.flags & streamflag::gap);
  UNSIGNED_LONGS_EQUAL(1, sink.calls(dir));
}

TEST(StreamGaps, HoleIsSkippedWhenTheSenderMovesFarPastIt) {
  // A direction may hold 5 chunks of 100 bytes. The hole [0,100) never fills; the sender goes on.
  StreamReassembler r(config(0, 64, 100, 500));
  for (std::size_t off = 100; off < 600; off += 100)
    CHECK(StreamResult::buffered == send(r, dir, data, off, 100, sink));
  UNSIGNED_LONGS_EQUAL(5, dir.ooo_count);
  CHECK(StreamResult::delivered == send(r, dir, data, 600, 100, sink));
  const auto& got = sink.of(dir);
  UNSIGNED_LONGS_EQUAL(6, got.size());
  CHECK(got[0].after_gap);
  UNSIGNED_LONGS_EQUAL(100, got[0].seq);
  for (std::size_t i = 1; i < got.size(); ++i) CHECK_FALSE(got[i].after_gap);
  CHECK(part(data, 100, 600) == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::gaps));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::ooo_limit));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  // The missing data, arriving late, is old now.
  CHECK(StreamResult::retransmission == send(r, dir, data, 0, 100, sink));
  // And the stream goes on normally.
  CHECK(StreamResult::delivered == send(r, dir, data, 700, 100, sink));
  CHECK(part(data, 100, 700) == sink.bytes(dir));
}

TEST(StreamGaps, SkipGoesOnlyAsFarAsNeeded) {
  // Two holes: [0,100) and [300,400). Pressure skips the first only.
  StreamReassembler r(config(0, 64, 100, 400));
  send(r, dir, data, 100, 200, sink);  // 2 chunks
  send(r, dir, data, 400, 200, sink);  // 2 chunks: the direction is full
  CHECK(StreamResult::buffered == send(r, dir, data, 600, 100, sink));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::gaps));
  CHECK(part(data, 100, 200) == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(300, dir.next_seq);
  send(r, dir, data, 300, 100, sink);  // the second hole fills normally
  CHECK(part(data, 100, 600) == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::gaps));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST_GROUP(StreamMemory) {
  RecordingSink sink;
  std::vector<std::uint8_t> data = make_stream(2000, 23);
};

TEST(StreamMemory, DirectionLimitDropsDataInsideTheHoleAndRecovers) {
  StreamReassembler r(config(0, 64, 100, 500));
  StreamDirState dir;
  stream_dir_init(dir, 0);
  for (std::size_t off = 200; off < 700; off += 100) send(r, dir, data, off, 100, sink);
  UNSIGNED_LONGS_EQUAL(5, dir.ooo_count);
  // Inside the hole, not at its start: needs a chunk, none left for this direction.
  CHECK(StreamResult::dropped == send(r, dir, data, 100, 50, sink));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::ooo_limit));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::gaps));
  // The retransmission from the hole's start needs no memory and completes the stream.
  CHECK(StreamResult::delivered == send(r, dir, data, 0, 200, sink));
  CHECK(part(data, 0, 700) == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamMemory, PoolExhaustionDropsAndCountsThenRecoversAfterRelease) {
  StreamReassembler r(config(0, 4, 100, 1000));
  StreamDirState a, b;
  stream_dir_init(a, 0);
  stream_dir_init(b, 0);
  send(r, a, data, 100, 400, sink);  // a holds the whole pool
  UNSIGNED_LONGS_EQUAL(4, r.counters().segments_in_use);
  CHECK(StreamResult::dropped == send(r, b, data, 100, 100, sink));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::pool_exhausted));
  UNSIGNED_LONGS_EQUAL(0, b.ooo_count);
  // In-order data needs no pool: b still flows.
  CHECK(StreamResult::delivered == send(r, b, data, 0, 50, sink));
  r.release(a);
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(0, a.ooo_count);
  CHECK(StreamResult::buffered == send(r, b, data, 100, 100, sink));
  CHECK(StreamResult::delivered == send(r, b, data, 50, 50, sink));
  CHECK(part(data, 0, 200) == sink.bytes(b));
  // a is reusable after release: its released data comes again and the stream completes.
  CHECK(StreamResult::buffered == send(r, a, data, 100, 400, sink));
  CHECK(StreamResult::delivered == send(r, a, data, 0, 100, sink));
  CHECK(part(data, 0, 500) == sink.bytes(a));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::pool_exhausted));
}

TEST(StreamMemory, PoolExhaustionPastADirectionsOwnDataSkipsItsHole) {
  StreamReassembler r(config(0, 4, 100, 1000));
  StreamDirState a, b;
  stream_dir_init(a, 0);
  stream_dir_init(b, 0);
  send(r, a, data, 100, 300, sink);  // 3 chunks
  send(r, b, data, 100, 100, sink);  // the last chunk; b has a hole [0,100)
  CHECK(StreamResult::delivered == send(r, b, data, 200, 100, sink));
  CHECK(part(data, 100, 200) == sink.bytes(b));
  CHECK(sink.of(b)[0].after_gap);
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::gaps));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::pool_exhausted));
  UNSIGNED_LONGS_EQUAL(3, r.counters().segments_in_use);
  r.release(a);
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamMemory, PartlyPlacedSegmentKeepsWhatFits) {
  StreamReassembler r(config(0, 64, 100, 300));
  StreamDirState d;
  stream_dir_init(d, 0);
  CHECK(StreamResult::dropped == send(r, d, data, 100, 500, sink));  // only 300 bytes fit
  UNSIGNED_LONGS_EQUAL(3, d.ooo_count);
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::ooo_limit));
  send(r, d, data, 0, 100, sink);
  CHECK(part(data, 0, 400) == sink.bytes(d));
  UNSIGNED_LONGS_EQUAL(400, d.next_seq);
}

TEST(StreamMemory, ReleaseReturnsEveryChunkAndKeepsTheStateUsable) {
  StreamReassembler r(config(0, 256, 64, 64 * 256));
  StreamDirState d;
  stream_dir_init(d, 0xfffffff0u);
  const auto bytes = make_stream(1000, 24);
  for (std::size_t off = 900; off >= 100; off -= 100)
    r.on_segment(d, 0xfffffff0u + static_cast<std::uint32_t>(off), slice(bytes, off, 100), sink);
  CHECK(r.counters().segments_in_use > 0);
  UNSIGNED_LONGS_EQUAL(r.counters().segments_in_use, d.ooo_count);
  r.release(d);
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(kNoSegment, d.ooo_head);
  UNSIGNED_LONGS_EQUAL(0, d.ooo_count);
  UNSIGNED_LONGS_EQUAL(0xfffffff0u, d.next_seq);
  UNSIGNED_LONGS_EQUAL(0, sink.calls(d));
  // The same direction goes on as if those segments had been lost.
  r.on_segment(d, 0xfffffff0u + 500, slice(bytes, 500, 500), sink);
  r.on_segment(d, 0xfffffff0u, slice(bytes, 0, 500), sink);
  CHECK(bytes == sink.bytes(d));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  // The whole pool is allocatable again: fill it from one direction.
  StreamDirState e;
  stream_dir_init(e, 0);
  const auto big = make_stream(256 * 64 + 1, 25);
  r.on_segment(e, 1, slice(big, 1, 256 * 64), sink);
  UNSIGNED_LONGS_EQUAL(256, r.counters().segments_in_use);
  r.release(e);
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamMemory, ManyDirectionsShareOnePool) {
  StreamReassembler r(config(0, 4096, 128, 64 * 1024));
  constexpr std::size_t kDirs = 64;
  std::vector<StreamDirState> dirs(kDirs);
  std::vector<std::vector<std::uint8_t>> streams;
  std::vector<std::uint32_t> isns;
  struct Event {
    std::size_t dir, off, len;
  };
  std::vector<Event> events;
  std::mt19937 rng(99);
  for (std::size_t i = 0; i < kDirs; ++i) {
    isns.push_back(static_cast<std::uint32_t>(rng()));
    stream_dir_init(dirs[i], isns[i]);
    streams.push_back(make_stream(500 + rng() % 3000, static_cast<std::uint32_t>(i)));
    for (std::size_t off = 0; off < streams[i].size();) {
      const std::size_t len = std::min<std::size_t>(1 + rng() % 400, streams[i].size() - off);
      events.push_back({i, off, len});
      off += len;
    }
  }
  std::shuffle(events.begin(), events.end(), rng);
  std::uint64_t peak = 0;
  for (const Event& e : events) {
    r.on_segment(dirs[e.dir], isns[e.dir] + static_cast<std::uint32_t>(e.off),
                 slice(streams[e.dir], e.off, e.len), sink);
    peak = std::max(peak, r.counters().segments_in_use);
  }
  CHECK(peak > kDirs);
  for (std::size_t i = 0; i < kDirs; ++i) CHECK(streams[i] == sink.bytes(dirs[i]));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::gaps));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::pool_exhausted));
}
