// Stream reassembly counters: every event of the reassembler as a named counter, named like
// Suricata's stats where a name exists. One set per StreamReassembler (one per worker); plain
// integers because a worker owns its own copy (no sharing, no atomics). Sum across workers with +=.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/common/counter_set.h"

namespace vigil {

// X(enumerator, "stats name")
#define VIGIL_STREAM_COUNTERS(X)                                 \
  X(segments, "stream.segments")                                \
  X(bytes_delivered, "stream.bytes_delivered")                  \
  X(ooo_segments, "stream.ooo_segments")                        \
  X(retransmissions, "stream.retransmissions")                  \
  X(overlaps, "stream.overlaps")                                \
  X(overlap_diff, "stream.overlap_diff")                        \
  X(gaps, "stream.gaps")                                        \
  X(depth_reached, "stream.depth_reached")                      \
  X(pool_exhausted, "stream.pool_exhausted")                    \
  X(ooo_limit, "stream.ooo_limit")                              \
  X(outside_window, "stream.outside_window")                    \
  X(midstream_pickups, "stream.midstream_pickups")              \
  X(midstream_ignored, "stream.midstream_ignored")              \
  X(segment_too_large, "stream.segment_too_large")

enum class StreamCounter : std::uint8_t { VIGIL_STREAM_COUNTERS(VIGIL_COUNTER_ENUM) count_ };

inline constexpr std::size_t kStreamCounterCount = static_cast<std::size_t>(StreamCounter::count_);

std::string_view stream_counter_name(StreamCounter c);

struct StreamCounters : CounterSet<StreamCounter, kStreamCounterCount> {
  std::uint64_t segments_in_use = 0;  // gauge "stream.segments_in_use": pool chunks held right now

  StreamCounters& operator+=(const StreamCounters& o) {
    CounterSet::operator+=(o);
    segments_in_use += o.segments_in_use;
    return *this;
  }
};

}  // namespace vigil
