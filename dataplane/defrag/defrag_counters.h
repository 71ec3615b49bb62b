// Defragmenter counters: every way a fragment can be refused and every way a reassembly can end
// early, as a named counter in the stats event. Per-worker plain integers: a worker owns its
// Defragmenter and its counters, so there is no sharing and no atomics.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "dataplane/common/counter_set.h"

namespace vigil {

// X(enumerator, "stats name"). Each `dropped` result of Defragmenter::insert() increments exactly
// one of the counters marked (drop); the others count events that do not refuse the fragment.
#define VIGIL_DEFRAG_COUNTERS(X)                                                                   \
  X(fragments, "defrag.fragments")                 /* fragments offered to insert() */             \
  X(datagrams_rebuilt, "defrag.datagrams_rebuilt") /* complete datagrams handed back */            \
  X(overlap, "defrag.overlap")                     /* fragment overlapped held data */             \
  X(overlap_diff, "defrag.overlap_diff")           /* ... and the overlapping bytes differ */      \
  X(tiny_fragment, "defrag.tiny_fragment")         /* non-last fragment below the tiny size */     \
  X(timeout, "defrag.timeout")                     /* reassembly dropped: timeout */               \
  X(table_full, "defrag.table_full")               /* every reassembly slot was in use */          \
  X(memory_full, "defrag.memory_full")             /* pool exhausted; (drop) if eviction failed */ \
  X(evicted, "defrag.evicted")                     /* reassembly dropped to make room */           \
  X(too_large, "defrag.too_large")                 /* (drop) datagram would exceed 65535 */        \
  X(too_many_fragments, "defrag.too_many_fragments") /* (drop) per-datagram fragment cap */        \
  X(end_conflict, "defrag.end_conflict")             /* (drop) disagrees with the known end */     \
  X(zero_length, "defrag.zero_length")               /* (drop) fragment carries no data */         \
  X(unaligned, "defrag.unaligned_fragment")          /* (drop) MF set, length not 8-aligned */     \
  X(truncated, "defrag.truncated")                   /* (drop) capture cut the fragment */         \
  X(header_too_long, "defrag.header_too_long")       /* (drop) IPv6 unfragmentable part > 1 KiB */ \
  X(invalid, "defrag.invalid")                       /* (drop) not a consistent fragment */

enum class DefragCounter : std::uint16_t { VIGIL_DEFRAG_COUNTERS(VIGIL_COUNTER_ENUM) count_ };

inline constexpr std::size_t kDefragCounterCount = static_cast<std::size_t>(DefragCounter::count_);

std::string_view defrag_counter_name(DefragCounter c);

using DefragCounters = CounterSet<DefragCounter, kDefragCounterCount>;

}  // namespace vigil
