// Per-direction TCP stream reassembly state, embedded in each flow (two per TCP flow).
// Small on purpose: buffered out-of-order data lives in the worker's segment pool, referenced by
// index. Owned by the worker that owns the flow; never shared. A state that holds chunks
// (ooo_head != kNoSegment) must be given to StreamReassembler::release() before it is discarded
// or overwritten, or those chunks are lost to the pool.
#pragma once

#include <cstdint>

namespace vigil {

inline constexpr std::uint32_t kNoSegment = 0xffffffffu;

namespace streamflag {
inline constexpr std::uint16_t initialized = 0x01;  // next_seq is known (SYN seen or midstream pickup)
inline constexpr std::uint16_t depth_reached = 0x02; // depth limit hit: no more data delivered
inline constexpr std::uint16_t gap = 0x04;          // at least one hole was skipped
inline constexpr std::uint16_t closed = 0x08;       // FIN/RST seen: no more data expected
}  // namespace streamflag

struct StreamDirState {
  std::uint32_t next_seq = 0;          // next in-order sequence number expected
  std::uint32_t delivered = 0;         // bytes delivered in order so far (depth accounting)
  std::uint32_t ooo_head = kNoSegment; // first buffered out-of-order chunk, sorted by seq
  std::uint16_t ooo_count = 0;         // pool chunks held by this direction
  std::uint16_t flags = 0;             // streamflag::*
  std::uint32_t gaps = 0;              // holes skipped (data lost before reaching the sensor)
};
static_assert(sizeof(StreamDirState) <= 24, "embedded twice in every flow: keep it small");

// Sets the first sequence number of a direction: ISN + 1 after a SYN, or the first data segment's
// sequence number when a flow is picked up midstream. Call it before the direction carries data.
inline void stream_dir_init(StreamDirState& s, std::uint32_t next_seq) {
  s.next_seq = next_seq;
  s.flags |= streamflag::initialized;
}

}  // namespace vigil
