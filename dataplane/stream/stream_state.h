// Per-direction TCP stream reassembly state, embedded in each flow (two per TCP flow).
// Small on purpose: buffered out-of-order data lives in the worker's segment pool, referenced by
// index. Owned by the worker that owns the flow; never shared.
#pragma once

#include <cstdint>

namespace vigil {

inline constexpr std::uint32_t kNoSegment = 0xffffffffu;

struct StreamDirState {
  std::uint32_t next_seq = 0;          // next in-order sequence number expected
  std::uint32_t delivered = 0;         // bytes delivered in order so far (depth accounting)
  std::uint32_t ooo_head = kNoSegment; // first buffered out-of-order segment, sorted by seq
  std::uint16_t ooo_count = 0;         // segments buffered
  std::uint16_t flags = 0;             // see stream_reassembly.h
  std::uint32_t gaps = 0;              // holes skipped (data lost before reaching the sensor)
};

}  // namespace vigil
