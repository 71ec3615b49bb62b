// SegmentPool: fixed-size chunks that hold out-of-order TCP data until it can be delivered.
// All memory is allocated by the constructor; alloc/free afterwards are O(1) free-list operations
// with no heap traffic. One pool per worker, shared by every stream direction of that worker; not
// thread-safe (the worker owns it). Chunks are named by index so a direction's state stays small.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/stream/stream_state.h"

namespace vigil {

// One buffered piece of a stream direction: bytes [seq, seq + len) of sequence space.
// Chunks of one direction form a singly linked list sorted by seq, without overlap.
struct SegmentNode {
  std::uint32_t seq = 0;
  std::uint32_t next = kNoSegment;  // next chunk of the direction, or the next free chunk
  std::uint32_t tail = kNoSegment;  // last chunk of the list; kept up to date on the head only
  std::uint16_t len = 0;            // bytes used in this chunk's data
  std::uint16_t reserved = 0;
};

class SegmentPool {
 public:
  static constexpr std::uint32_t kMaxCapacity = 1u << 24;
  static constexpr std::uint32_t kMaxChunkBytes = 0xffffu;

  // capacity is clamped to 1..kMaxCapacity chunks, chunk_bytes to 1..kMaxChunkBytes.
  SegmentPool(std::uint32_t capacity, std::uint32_t chunk_bytes);

  // Returns a free chunk's index, or kNoSegment when the pool is exhausted.
  std::uint32_t alloc() {
    const std::uint32_t i = free_head_;
    if (i == kNoSegment) return kNoSegment;
    free_head_ = nodes_[i].next;
    ++in_use_;
    return i;
  }
  void free(std::uint32_t i) {
    nodes_[i].next = free_head_;
    free_head_ = i;
    --in_use_;
  }

  SegmentNode& node(std::uint32_t i) { return nodes_[i]; }
  const SegmentNode& node(std::uint32_t i) const { return nodes_[i]; }
  std::uint8_t* data(std::uint32_t i) { return arena_.get() + std::size_t{i} * chunk_bytes_; }

  std::uint32_t capacity() const { return capacity_; }
  std::uint32_t chunk_bytes() const { return chunk_bytes_; }
  std::uint32_t in_use() const { return in_use_; }

 private:
  std::uint32_t capacity_;
  std::uint32_t chunk_bytes_;
  std::uint32_t in_use_ = 0;
  std::uint32_t free_head_ = kNoSegment;
  std::unique_ptr<SegmentNode[]> nodes_;
  std::unique_ptr<std::uint8_t[]> arena_;
};

}  // namespace vigil
