#include "dataplane/stream/segment_pool.h"

#include <algorithm>

namespace vigil {

SegmentPool::SegmentPool(std::uint32_t capacity, std::uint32_t chunk_bytes)
    : capacity_(std::clamp<std::uint32_t>(capacity, 1, kMaxCapacity)),
      chunk_bytes_(std::clamp<std::uint32_t>(chunk_bytes, 1, kMaxChunkBytes)),
      nodes_(std::make_unique<SegmentNode[]>(capacity_)),
      // Not zeroed: a chunk's bytes are always written before they are read, and leaving the
      // arena untouched keeps start-up cheap and its pages unmapped until traffic needs them.
      arena_(std::make_unique_for_overwrite<std::uint8_t[]>(std::size_t{capacity_} * chunk_bytes_)) {
  // Free list in index order, so a lightly loaded pool touches the fewest pages.
  for (std::uint32_t i = capacity_; i-- > 0;) {
    nodes_[i].next = free_head_;
    free_head_ = i;
  }
}

}  // namespace vigil
