#include "dataplane/stream/stream_reassembly.h"

#include <algorithm>
#include <cstring>

namespace vigil {

namespace {

// Sequence positions are compared as offsets from the direction's next_seq. Buffered data is kept
// within 2^31 of next_seq (segments start at most kMaxAhead ahead and are shorter than
// kMaxSegmentPayload), so those offsets order correctly as plain unsigned numbers even when the
// sequence space wraps past 2^32.
constexpr std::uint32_t kMaxAhead = 1u << 30;           // beyond any TCP window (65535 << 14)
constexpr std::uint32_t kMaxSegmentPayload = 1u << 30;  // beyond any IP datagram

constexpr std::uint32_t kMaxDirChunks = 0xffffu;  // StreamDirState::ooo_count is 16 bits

StreamConfig clamped(StreamConfig c) {
  c.max_segments = std::clamp<std::uint32_t>(c.max_segments, 1, SegmentPool::kMaxCapacity);
  c.segment_bytes = std::clamp<std::uint32_t>(c.segment_bytes, 1, SegmentPool::kMaxChunkBytes);
  const std::uint64_t most = std::uint64_t{kMaxDirChunks} * c.segment_bytes;
  c.max_ooo_bytes_per_direction = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(
      c.max_ooo_bytes_per_direction, c.segment_bytes, most));
  return c;
}

}  // namespace

const char* stream_config_error(const StreamConfig& cfg) {
  if (cfg.segment_bytes == 0 || cfg.segment_bytes > SegmentPool::kMaxChunkBytes)
    return "stream: segment_bytes must be 1..65535";
  if (cfg.max_segments == 0 || cfg.max_segments > SegmentPool::kMaxCapacity)
    return "stream: max_segments must be 1..16777216";
  if (cfg.max_ooo_bytes_per_direction < cfg.segment_bytes)
    return "stream: max_ooo_bytes_per_direction must hold at least one segment_bytes chunk";
  if (cfg.max_ooo_bytes_per_direction / cfg.segment_bytes > kMaxDirChunks)
    return "stream: max_ooo_bytes_per_direction / segment_bytes must be at most 65535 chunks";
  return nullptr;
}

StreamReassembler::StreamReassembler(const StreamConfig& cfg)
    : cfg_(clamped(cfg)),
      dir_chunk_limit_(cfg_.max_ooo_bytes_per_direction / cfg_.segment_bytes),
      pool_(cfg_.max_segments, cfg_.segment_bytes) {}

StreamResult StreamReassembler::on_segment(StreamDirState& dir, std::uint32_t seq,
                                           std::span<const std::uint8_t> payload,
                                           StreamSink& sink) {
  if (payload.empty()) return StreamResult::empty;
  counters_.add(StreamCounter::segments);
  if (payload.size() >= kMaxSegmentPayload) {
    counters_.add(StreamCounter::segment_too_large);
    return StreamResult::invalid;
  }
  if (!(dir.flags & streamflag::initialized)) [[unlikely]] {
    if (!cfg_.midstream_pickup) {
      counters_.add(StreamCounter::midstream_ignored);
      return StreamResult::not_initialized;
    }
    stream_dir_init(dir, seq);
    counters_.add(StreamCounter::midstream_pickups);
  }
  if (dir.flags & streamflag::depth_reached) return StreamResult::depth_reached;

  // The common case: the segment continues the stream and nothing is waiting behind a hole.
  if (seq == dir.next_seq && dir.ooo_head == kNoSegment) [[likely]] {
    bool after_gap = false;
    emit(dir, payload, after_gap, sink);
    return StreamResult::delivered;
  }
  return on_segment_slow(dir, seq, payload, sink);
}

StreamResult StreamReassembler::on_segment_slow(StreamDirState& dir, std::uint32_t seq,
                                                std::span<const std::uint8_t> payload,
                                                StreamSink& sink) {
  const std::uint32_t seg_start = seq;
  Overlap ov;
  StreamResult result = StreamResult::buffered;
  bool first_pass = true;
  for (;;) {
    const auto ahead = static_cast<std::int32_t>(seq - dir.next_seq);
    if (ahead <= 0) {
      const std::uint32_t behind = dir.next_seq - seq;
      if (behind >= payload.size()) {
        counters_.add(StreamCounter::retransmissions);
        result = StreamResult::retransmission;
        break;
      }
      // Overlaps delivered bytes: only the new tail goes on. The old bytes cannot be compared
      // because delivered data is not kept.
      if (behind > 0) ov.seen = true;
      advance(dir, payload.subspan(behind), ov, sink);
      result = StreamResult::delivered;
      break;
    }
    if (first_pass) counters_.add(StreamCounter::ooo_segments);
    first_pass = false;
    if (static_cast<std::uint32_t>(ahead) >= kMaxAhead) {
      counters_.add(StreamCounter::outside_window);
      result = StreamResult::dropped;
      break;
    }
    // Bytes that would land past the depth limit can never be delivered (holes skipped later do
    // not count towards depth, but keeping data for that chance is not worth the memory).
    if (cfg_.depth != 0) {
      const std::uint32_t room = cfg_.depth - dir.delivered;  // > 0 until depth is reached
      if (static_cast<std::uint32_t>(ahead) >= room) {
        result = StreamResult::dropped;
        break;
      }
      payload = payload.first(
          std::min<std::size_t>(payload.size(), room - static_cast<std::uint32_t>(ahead)));
    }
    const Insert ins = insert(dir, seq, payload, ov);
    if (ins.taken == payload.size()) {
      result = StreamResult::buffered;
      break;
    }
    seq += static_cast<std::uint32_t>(ins.taken);
    payload = payload.subspan(ins.taken);
    // Out of memory for this direction. If data buffered earlier lies before this segment, the
    // sender has moved on past the first hole and the sensor will not see it filled in time: skip
    // it, which delivers (and frees) the data after it, then place the rest. A segment inside the
    // first hole is dropped instead (a retransmission at next_seq needs no memory), and so is
    // what does not fit of a segment that alone exceeds the memory left.
    if (dir.ooo_head != kNoSegment &&
        static_cast<std::int32_t>(pool_.node(dir.ooo_head).seq - seg_start) < 0) {
      skip_hole(dir);
      bool after_gap = true;
      if (!drain(dir, after_gap, sink)) {
        result = StreamResult::delivered;
        break;
      }
      continue;
    }
    counters_.add(ins.refused);
    result = StreamResult::dropped;
    break;
  }
  if (ov.seen) counters_.add(StreamCounter::overlaps);
  if (ov.differs) counters_.add(StreamCounter::overlap_diff);
  return result;
}

// Delivers payload, which starts at next_seq, merging it with buffered chunks it overlaps, then
// every buffered chunk that continues the stream. Returns false once the depth limit is reached.
bool StreamReassembler::advance(StreamDirState& dir, std::span<const std::uint8_t> payload,
                                Overlap& ov, StreamSink& sink) {
  bool after_gap = false;
  while (!payload.empty()) {
    if (dir.ooo_head == kNoSegment) return emit(dir, payload, after_gap, sink);
    const std::uint32_t head = dir.ooo_head;
    const SegmentNode& h = pool_.node(head);
    const std::uint32_t off = h.seq - dir.next_seq;
    if (off >= payload.size()) {
      if (!emit(dir, payload, after_gap, sink)) return false;
      break;
    }
    if (off > 0) {
      if (!emit(dir, payload.first(off), after_gap, sink)) return false;
      payload = payload.subspan(off);
    }
    // The head chunk starts here: both carry these bytes.
    const std::span<const std::uint8_t> chunk{pool_.data(head), h.len};
    const std::size_t n = std::min<std::size_t>(chunk.size(), payload.size());
    ov.seen = true;
    if (std::memcmp(chunk.data(), payload.data(), n) != 0) ov.differs = true;
    if (cfg_.policy == OverlapPolicy::first) {
      if (!emit(dir, chunk, after_gap, sink)) return false;
    } else {
      if (!emit(dir, payload.first(n), after_gap, sink)) return false;
      if (chunk.size() > n && !emit(dir, chunk.subspan(n), after_gap, sink)) return false;
    }
    payload = payload.subspan(n);
    pop_head(dir);
  }
  return drain(dir, after_gap, sink);
}

// Delivers buffered chunks while they continue the stream.
bool StreamReassembler::drain(StreamDirState& dir, bool& after_gap, StreamSink& sink) {
  while (dir.ooo_head != kNoSegment && pool_.node(dir.ooo_head).seq == dir.next_seq) {
    const SegmentNode& h = pool_.node(dir.ooo_head);
    if (!emit(dir, {pool_.data(dir.ooo_head), h.len}, after_gap, sink)) return false;
    pop_head(dir);
  }
  return true;
}

// Gives up on the hole before the first buffered chunk: the stream resumes at that chunk.
void StreamReassembler::skip_hole(StreamDirState& dir) {
  counters_.add(StreamCounter::gaps);
  if (dir.gaps != 0xffffffffu) ++dir.gaps;
  dir.flags |= streamflag::gap;
  dir.next_seq = pool_.node(dir.ooo_head).seq;
}

// Hands one piece to the sink, cut at the depth limit. Returns false once the limit is reached
// (the direction's chunks are then released: callers must not touch them again).
bool StreamReassembler::emit(StreamDirState& dir, std::span<const std::uint8_t> data,
                             bool& after_gap, StreamSink& sink) {
  const auto n = static_cast<std::uint32_t>(data.size());
  if (cfg_.depth != 0) {
    const std::uint32_t room = cfg_.depth > dir.delivered ? cfg_.depth - dir.delivered : 0;
    if (n >= room) {
      if (room > 0) {
        sink.on_stream_data(dir, data.first(room), after_gap);
        counters_.add(StreamCounter::bytes_delivered, room);
      }
      dir.delivered = cfg_.depth;
      dir.next_seq += n;
      reach_depth(dir);
      return false;
    }
  }
  sink.on_stream_data(dir, data, after_gap);
  after_gap = false;
  counters_.add(StreamCounter::bytes_delivered, n);
  dir.next_seq += n;
  dir.delivered = dir.delivered > 0xffffffffu - n ? 0xffffffffu : dir.delivered + n;
  return true;
}

// Copies the parts of payload (which starts ahead of next_seq) that are not buffered yet into the
// pool, resolving overlaps with buffered chunks by the policy. Stops at the first byte that needs a
// chunk when the direction's limit or the pool is exhausted.
StreamReassembler::Insert StreamReassembler::insert(StreamDirState& dir, std::uint32_t seq,
                                                    std::span<const std::uint8_t> payload,
                                                    Overlap& ov) {
  const std::uint32_t base = dir.next_seq;
  const std::uint32_t chunk_bytes = pool_.chunk_bytes();
  std::uint32_t pos = seq - base;  // offsets from next_seq: see kMaxAhead
  const std::uint32_t end = pos + static_cast<std::uint32_t>(payload.size());
  auto start_of = [&](std::uint32_t i) { return pool_.node(i).seq - base; };
  auto end_of = [&](std::uint32_t i) { return pool_.node(i).seq - base + pool_.node(i).len; };

  Insert out;
  std::uint32_t prev = kNoSegment;
  std::uint32_t cur = dir.ooo_head;
  // Data arriving after everything buffered (a hole followed by a run of segments) appends in O(1).
  if (cur != kNoSegment && end_of(pool_.node(cur).tail) <= pos) {
    prev = pool_.node(cur).tail;
    cur = kNoSegment;
  }
  while (pos < end) {
    while (cur != kNoSegment && end_of(cur) <= pos) {
      prev = cur;
      cur = pool_.node(cur).next;
    }
    const std::uint8_t* src = payload.data() + out.taken;
    if (cur != kNoSegment && start_of(cur) <= pos) {
      const std::uint32_t off = pos - start_of(cur);
      const std::uint32_t n = std::min(end_of(cur) - pos, end - pos);
      std::uint8_t* dst = pool_.data(cur) + off;
      ov.seen = true;
      if (std::memcmp(dst, src, n) != 0) {
        ov.differs = true;
        if (cfg_.policy == OverlapPolicy::last) std::memcpy(dst, src, n);
      }
      pos += n;
      out.taken += n;
      continue;
    }
    const std::uint32_t room_end = cur != kNoSegment ? std::min(end, start_of(cur)) : end;
    // Contiguous data fills the previous chunk first, so a run of small segments costs few chunks.
    if (prev != kNoSegment && end_of(prev) == pos && pool_.node(prev).len < chunk_bytes) {
      SegmentNode& p = pool_.node(prev);
      const std::uint32_t n = std::min(chunk_bytes - p.len, room_end - pos);
      std::memcpy(pool_.data(prev) + p.len, src, n);
      p.len = static_cast<std::uint16_t>(p.len + n);
      pos += n;
      out.taken += n;
      continue;
    }
    if (dir.ooo_count >= dir_chunk_limit_) {
      out.refused = StreamCounter::ooo_limit;
      return out;
    }
    const std::uint32_t c = pool_.alloc();
    if (c == kNoSegment) {
      out.refused = StreamCounter::pool_exhausted;
      return out;
    }
    const std::uint32_t n = std::min(chunk_bytes, room_end - pos);
    SegmentNode& node = pool_.node(c);
    node.seq = base + pos;
    node.len = static_cast<std::uint16_t>(n);
    std::memcpy(pool_.data(c), src, n);
    link_after(dir, prev, c);
    ++dir.ooo_count;
    counters_.segments_in_use = pool_.in_use();
    prev = c;
    pos += n;
    out.taken += n;
  }
  return out;
}

void StreamReassembler::link_after(StreamDirState& dir, std::uint32_t prev, std::uint32_t c) {
  SegmentNode& node = pool_.node(c);
  if (prev == kNoSegment) {
    node.next = dir.ooo_head;
    node.tail = dir.ooo_head == kNoSegment ? c : pool_.node(dir.ooo_head).tail;
    dir.ooo_head = c;
    return;
  }
  SegmentNode& p = pool_.node(prev);
  node.next = p.next;
  p.next = c;
  if (node.next == kNoSegment) pool_.node(dir.ooo_head).tail = c;
}

void StreamReassembler::pop_head(StreamDirState& dir) {
  const std::uint32_t head = dir.ooo_head;
  const SegmentNode& h = pool_.node(head);
  dir.ooo_head = h.next;
  if (h.next != kNoSegment) pool_.node(h.next).tail = h.tail;
  pool_.free(head);
  --dir.ooo_count;
  counters_.segments_in_use = pool_.in_use();
}

void StreamReassembler::reach_depth(StreamDirState& dir) {
  dir.flags |= streamflag::depth_reached;
  counters_.add(StreamCounter::depth_reached);
  release(dir);
}

void StreamReassembler::on_close(StreamDirState& dir, StreamSink& sink) {
  dir.flags |= streamflag::closed;
  while (dir.ooo_head != kNoSegment) {
    bool after_gap = pool_.node(dir.ooo_head).seq != dir.next_seq;
    if (after_gap) skip_hole(dir);
    if (!drain(dir, after_gap, sink)) return;
  }
}

void StreamReassembler::release(StreamDirState& dir) {
  while (dir.ooo_head != kNoSegment) {
    const std::uint32_t head = dir.ooo_head;
    dir.ooo_head = pool_.node(head).next;
    pool_.free(head);
  }
  dir.ooo_count = 0;
  counters_.segments_in_use = pool_.in_use();
}

}  // namespace vigil
