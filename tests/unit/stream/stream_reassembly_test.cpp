// In-order, out-of-order, retransmission, overlap and wraparound behaviour of the reassembler.
#include <algorithm>
#include <random>
#include <string>

#include "tests/unit/stream/stream_test_util.h"

// CppUTest last: its leak-detector macros redefine `new`, which breaks standard headers after it.
#include <CppUTest/TestHarness.h>

using namespace vigil;
using namespace vigil::test;

namespace {

StreamConfig small_config(OverlapPolicy policy = OverlapPolicy::first) {
  StreamConfig c;
  c.max_segments = 1024;
  c.segment_bytes = 256;
  c.max_ooo_bytes_per_direction = 64 * 1024;
  c.policy = policy;
  return c;
}

struct Seg {
  std::size_t off, len;
};

// Feeds segments of `data` (offsets relative to the first byte, sequence numbers from isn + 1).
void feed(StreamReassembler& r, StreamDirState& dir, std::uint32_t isn,
          const std::vector<std::uint8_t>& data, const std::vector<Seg>& segs, StreamSink& sink) {
  for (const Seg& s : segs)
    r.on_segment(dir, isn + 1 + static_cast<std::uint32_t>(s.off), slice(data, s.off, s.len), sink);
}

std::vector<Seg> split_even(std::size_t total, std::size_t each) {
  std::vector<Seg> out;
  for (std::size_t off = 0; off < total; off += each) out.push_back({off, std::min(each, total - off)});
  return out;
}

}  // namespace

TEST_GROUP(StreamReassembly) {
  RecordingSink sink;
  StreamDirState dir;
  static constexpr std::uint32_t kIsn = 1000;
  void setup() override { stream_dir_init(dir, kIsn + 1); }
};

TEST(StreamReassembly, InOrderSegmentsAreDeliveredFromThePacketOneCallEach) {
  StreamReassembler r(small_config());
  const auto data = make_stream(300, 1);
  for (std::size_t i = 0; i < 3; ++i) {
    auto seg = slice(data, i * 100, 100);
    CHECK(StreamResult::delivered == r.on_segment(dir, kIsn + 1 + i * 100, seg, sink));
    POINTERS_EQUAL(seg.data(), sink.of(dir).back().data);  // zero copy
  }
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(3, sink.calls(dir));
  UNSIGNED_LONGS_EQUAL(3, count(r, StreamCounter::segments));
  UNSIGNED_LONGS_EQUAL(300, count(r, StreamCounter::bytes_delivered));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::ooo_segments));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(kIsn + 301, dir.next_seq);
  UNSIGNED_LONGS_EQUAL(300, dir.delivered);
  CHECK_FALSE(sink.of(dir).front().after_gap);
}

TEST(StreamReassembly, EmptyPayloadIsIgnoredAndNotCounted) {
  StreamReassembler r(small_config());
  CHECK(StreamResult::empty == r.on_segment(dir, kIsn + 1, {}, sink));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::segments));
  UNSIGNED_LONGS_EQUAL(0, sink.calls(dir));
}

TEST(StreamReassembly, ReverseOrderIsDeliveredInOrder) {
  StreamReassembler r(small_config());
  const auto data = make_stream(500, 2);
  auto segs = split_even(data.size(), 50);
  std::reverse(segs.begin(), segs.end());
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const auto res = r.on_segment(dir, kIsn + 1 + segs[i].off, slice(data, segs[i].off, segs[i].len), sink);
    CHECK(res == (i + 1 < segs.size() ? StreamResult::buffered : StreamResult::delivered));
  }
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(9, count(r, StreamCounter::ooo_segments));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(0, dir.ooo_count);
  UNSIGNED_LONGS_EQUAL(kNoSegment, dir.ooo_head);
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::gaps));
}

TEST(StreamReassembly, ShuffledSegmentsOfMixedSizesAreDeliveredInOrder) {
  StreamReassembler r(small_config());
  const auto data = make_stream(4000, 3);
  std::vector<Seg> segs;
  std::mt19937 rng(42);
  for (std::size_t off = 0; off < data.size();) {
    const std::size_t len = std::min<std::size_t>(1 + rng() % 700, data.size() - off);
    segs.push_back({off, len});
    off += len;
  }
  std::shuffle(segs.begin(), segs.end(), rng);
  feed(r, dir, kIsn, data, segs, sink);
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::overlaps));
}

TEST(StreamReassembly, FullRetransmissionIsNotDeliveredAgain) {
  StreamReassembler r(small_config());
  const auto data = make_stream(200, 4);
  feed(r, dir, kIsn, data, {{0, 100}, {100, 100}}, sink);
  CHECK(StreamResult::retransmission == r.on_segment(dir, kIsn + 1, slice(data, 0, 100), sink));
  CHECK(StreamResult::retransmission == r.on_segment(dir, kIsn + 51, slice(data, 50, 150), sink));
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(2, count(r, StreamCounter::retransmissions));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::overlaps));
}

TEST(StreamReassembly, PartialRetransmissionDeliversOnlyTheNewTail) {
  StreamReassembler r(small_config());
  const auto data = make_stream(150, 5);
  feed(r, dir, kIsn, data, {{0, 100}}, sink);
  CHECK(StreamResult::delivered == r.on_segment(dir, kIsn + 51, slice(data, 50, 100), sink));
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(2, sink.calls(dir));
  UNSIGNED_LONGS_EQUAL(50, sink.of(dir).back().bytes.size());
  POINTERS_EQUAL(data.data() + 100, sink.of(dir).back().data);
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlaps));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::retransmissions));
}

TEST(StreamReassembly, DuplicateOfBufferedSegmentWithSameBytesIsAnOverlapWithoutDiff) {
  StreamReassembler r(small_config());
  const auto data = make_stream(300, 6);
  feed(r, dir, kIsn, data, {{100, 100}, {100, 100}, {150, 150}, {0, 100}}, sink);
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(2, count(r, StreamCounter::overlaps));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::overlap_diff));
}

// Buffered [10,20) = 'A'; then [15,25) = 'B' arrives; then the hole [0,10) = 'C' fills.
static std::vector<std::uint8_t> overlap_among_buffered(StreamReassembler& r, RecordingSink& sink,
                                                        StreamDirState& dir) {
  const std::uint32_t start = dir.next_seq;
  CHECK(StreamResult::buffered == r.on_segment(dir, start + 10, filled(10, 'A'), sink));
  CHECK(StreamResult::buffered == r.on_segment(dir, start + 15, filled(10, 'B'), sink));
  CHECK(StreamResult::delivered == r.on_segment(dir, start, filled(10, 'C'), sink));
  return sink.bytes(dir);
}

TEST(StreamReassembly, OverlapAmongBufferedSegmentsFirstPolicyKeepsOldBytes) {
  StreamReassembler r(small_config(OverlapPolicy::first));
  const auto got = overlap_among_buffered(r, sink, dir);
  CHECK(concat({filled(10, 'C'), filled(10, 'A'), filled(5, 'B')}) == got);
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlaps));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlap_diff));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamReassembly, OverlapAmongBufferedSegmentsLastPolicyTakesNewBytes) {
  StreamReassembler r(small_config(OverlapPolicy::last));
  const auto got = overlap_among_buffered(r, sink, dir);
  CHECK(concat({filled(10, 'C'), filled(5, 'A'), filled(10, 'B')}) == got);
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlaps));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlap_diff));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamReassembly, InOrderSegmentOverlappingBufferedDataFirstPolicy) {
  StreamReassembler r(small_config(OverlapPolicy::first));
  r.on_segment(dir, kIsn + 11, filled(10, 'A'), sink);
  CHECK(StreamResult::delivered == r.on_segment(dir, kIsn + 1, filled(15, 'B'), sink));
  CHECK(concat({filled(10, 'B'), filled(10, 'A')}) == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlap_diff));
  UNSIGNED_LONGS_EQUAL(kIsn + 21, dir.next_seq);
}

TEST(StreamReassembly, InOrderSegmentOverlappingBufferedDataLastPolicy) {
  StreamReassembler r(small_config(OverlapPolicy::last));
  r.on_segment(dir, kIsn + 11, filled(10, 'A'), sink);
  CHECK(StreamResult::delivered == r.on_segment(dir, kIsn + 1, filled(15, 'B'), sink));
  CHECK(concat({filled(15, 'B'), filled(5, 'A')}) == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlap_diff));
  UNSIGNED_LONGS_EQUAL(kIsn + 21, dir.next_seq);
}

TEST(StreamReassembly, SegmentSpanningSeveralBufferedPiecesAndTheHolesBetween) {
  // Buffered 'A' at [10,20) and [30,40); 'B' covers [5,45); then the hole [0,5) fills with 'C'.
  for (OverlapPolicy policy : {OverlapPolicy::first, OverlapPolicy::last}) {
    StreamReassembler r(small_config(policy));
    RecordingSink s;
    StreamDirState d;
    stream_dir_init(d, 7);
    r.on_segment(d, 7 + 10, filled(10, 'A'), s);
    r.on_segment(d, 7 + 30, filled(10, 'A'), s);
    CHECK(StreamResult::buffered == r.on_segment(d, 7 + 5, filled(40, 'B'), s));
    r.on_segment(d, 7, filled(5, 'C'), s);
    const auto expect = policy == OverlapPolicy::first
                            ? concat({filled(5, 'C'), filled(5, 'B'), filled(10, 'A'), filled(10, 'B'),
                                      filled(10, 'A'), filled(5, 'B')})
                            : concat({filled(5, 'C'), filled(40, 'B')});
    CHECK(expect == s.bytes(d));
    UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlap_diff));
    UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
  }
}

TEST(StreamReassembly, WraparoundWithOutOfOrderSegmentsStraddlingTwoToThe32) {
  for (std::uint32_t isn : {0xffffffefu, 0xfffffffeu, 0xffffffffu, 0xffffff00u}) {
    StreamReassembler r(small_config());
    RecordingSink s;
    StreamDirState d;
    stream_dir_init(d, isn + 1);
    const auto data = make_stream(96, isn);
    // 8-byte segments plus one straddling segment, delivered last-to-first with the first
    // segment held back so everything else waits in the pool across the wrap.
    std::vector<Seg> segs = split_even(data.size(), 8);
    segs.push_back({12, 20});
    std::reverse(segs.begin(), segs.end());
    feed(r, d, isn, data, segs, s);
    CHECK(data == s.bytes(d));
    UNSIGNED_LONGS_EQUAL(static_cast<std::uint32_t>(isn + 1 + 96), d.next_seq);
    UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
    // A retransmission from before the wrap is recognised as old.
    CHECK(StreamResult::retransmission == r.on_segment(d, isn + 1, slice(data, 0, 40), s));
    CHECK(data == s.bytes(d));
  }
}

TEST(StreamReassembly, PartialRetransmissionAcrossTheWrap) {
  StreamReassembler r(small_config());
  const std::uint32_t isn = 0xfffffff0u;
  stream_dir_init(dir, isn + 1);
  const auto data = make_stream(64, 9);
  feed(r, dir, isn, data, {{0, 20}, {10, 30}, {40, 24}}, sink);
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::overlaps));
}

TEST(StreamReassembly, MidstreamPickupStartsAtTheFirstSegment) {
  StreamReassembler r(small_config());
  StreamDirState fresh;
  const auto data = make_stream(100, 10);
  CHECK(StreamResult::delivered == r.on_segment(fresh, 5555, slice(data, 0, 60), sink));
  CHECK(fresh.flags & streamflag::initialized);
  r.on_segment(fresh, 5555 + 60, slice(data, 60, 40), sink);
  CHECK(data == sink.bytes(fresh));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::midstream_pickups));
}

TEST(StreamReassembly, MidstreamDisabledIgnoresDirectionsWithoutSyn) {
  StreamConfig c = small_config();
  c.midstream_pickup = false;
  StreamReassembler r(c);
  StreamDirState fresh;
  const auto data = make_stream(10, 11);
  CHECK(StreamResult::not_initialized == r.on_segment(fresh, 77, data, sink));
  CHECK_FALSE(fresh.flags & streamflag::initialized);
  UNSIGNED_LONGS_EQUAL(0, sink.calls(fresh));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::midstream_ignored));
  UNSIGNED_LONGS_EQUAL(0, count(r, StreamCounter::midstream_pickups));
}

TEST(StreamReassembly, LargeOutOfOrderSegmentIsSplitAcrossChunks) {
  StreamConfig c = small_config();
  c.segment_bytes = 64;
  StreamReassembler r(c);
  const auto data = make_stream(1100, 12);
  CHECK(StreamResult::buffered == r.on_segment(dir, kIsn + 101, slice(data, 100, 1000), sink));
  UNSIGNED_LONGS_EQUAL(16, dir.ooo_count);  // ceil(1000 / 64)
  UNSIGNED_LONGS_EQUAL(16, r.counters().segments_in_use);
  r.on_segment(dir, kIsn + 1, slice(data, 0, 100), sink);
  CHECK(data == sink.bytes(dir));
  UNSIGNED_LONGS_EQUAL(17, sink.calls(dir));  // the packet, then one call per chunk
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamReassembly, ContiguousSmallSegmentsShareAChunk) {
  StreamConfig c = small_config();
  c.segment_bytes = 100;
  StreamReassembler r(c);
  const auto data = make_stream(200, 13);
  for (std::size_t off = 100; off < 200; off += 10)
    r.on_segment(dir, kIsn + 1 + off, slice(data, off, 10), sink);
  UNSIGNED_LONGS_EQUAL(1, dir.ooo_count);
  // Arriving in reverse they cannot be packed (each needs its own chunk in front).
  StreamDirState other;
  stream_dir_init(other, 1);
  for (std::size_t off = 190; off >= 100; off -= 10) r.on_segment(other, 1 + off, slice(data, off, 10), sink);
  UNSIGNED_LONGS_EQUAL(10, other.ooo_count);
  r.on_segment(dir, kIsn + 1, slice(data, 0, 100), sink);
  r.on_segment(other, 1, slice(data, 0, 100), sink);
  CHECK(data == sink.bytes(dir));
  CHECK(data == sink.bytes(other));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamReassembly, SegmentFarAheadIsOutsideTheWindow) {
  StreamReassembler r(small_config());
  const auto data = make_stream(10, 14);
  CHECK(StreamResult::dropped == r.on_segment(dir, kIsn + 1 + (1u << 30), data, sink));
  UNSIGNED_LONGS_EQUAL(1, count(r, StreamCounter::outside_window));
  UNSIGNED_LONGS_EQUAL(0, r.counters().segments_in_use);
}

TEST(StreamReassembly, DataAfterCloseStillFollowsSequenceRules) {
  StreamReassembler r(small_config());
  const auto data = make_stream(100, 15);
  feed(r, dir, kIsn, data, {{0, 100}}, sink);
  r.on_close(dir, sink);
  CHECK(dir.flags & streamflag::closed);
  CHECK(StreamResult::retransmission == r.on_segment(dir, kIsn + 1, slice(data, 0, 100), sink));
  CHECK(data == sink.bytes(dir));
}

TEST_GROUP(StreamConfigCheck){};

TEST(StreamConfigCheck, DefaultsAreValidAndBadValuesAreNamed) {
  CHECK(stream_config_error(StreamConfig{}) == nullptr);
  StreamConfig c;
  c.segment_bytes = 0;
  CHECK(stream_config_error(c) != nullptr);
  c = {};
  c.segment_bytes = 70000;
  CHECK(stream_config_error(c) != nullptr);
  c = {};
  c.max_segments = 0;
  CHECK(stream_config_error(c) != nullptr);
  c = {};
  c.max_ooo_bytes_per_direction = 100;
  CHECK(stream_config_error(c) != nullptr);
  c = {};
  c.segment_bytes = 1;
  c.max_ooo_bytes_per_direction = 1u << 20;
  CHECK(stream_config_error(c) != nullptr);
}

TEST(StreamConfigCheck, ReassemblerClampsAnUnusableConfig) {
  StreamConfig c;
  c.max_segments = 0;
  c.segment_bytes = 0;
  c.max_ooo_bytes_per_direction = 0;
  StreamReassembler r(c);
  UNSIGNED_LONGS_EQUAL(1, r.config().max_segments);
  UNSIGNED_LONGS_EQUAL(1, r.config().segment_bytes);
  UNSIGNED_LONGS_EQUAL(1, r.config().max_ooo_bytes_per_direction);
  // Still works: one buffered byte at a time.
  RecordingSink s;
  StreamDirState d;
  stream_dir_init(d, 0);
  const auto data = make_stream(3, 16);
  CHECK(StreamResult::buffered == r.on_segment(d, 2, slice(data, 2, 1), s));
  r.on_segment(d, 0, slice(data, 0, 2), s);
  CHECK(data == s.bytes(d));
}

TEST(StreamConfigCheck, CounterNamesFollowTheStatsConvention) {
  STRCMP_EQUAL("stream.overlap_diff",
               std::string(stream_counter_name(StreamCounter::overlap_diff)).c_str());
  STRCMP_EQUAL("stream.segments", std::string(stream_counter_name(StreamCounter::segments)).c_str());
  STRCMP_EQUAL("stream.midstream_pickups",
               std::string(stream_counter_name(StreamCounter::midstream_pickups)).c_str());
}
