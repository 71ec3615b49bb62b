// The chunk pool: fixed capacity, O(1) alloc/free, distinct non-overlapping chunks.
#include <algorithm>
#include <cstring>
#include <vector>

#include "dataplane/stream/segment_pool.h"

// CppUTest last: its leak-detector macros redefine `new`, which breaks standard headers after it.
#include <CppUTest/TestHarness.h>

using namespace vigil;

TEST_GROUP(SegmentPool){};

TEST(SegmentPool, HandsOutEveryChunkOnceThenReportsExhaustion) {
  SegmentPool pool(8, 16);
  std::vector<std::uint32_t> got;
  for (int i = 0; i < 8; ++i) {
    const std::uint32_t c = pool.alloc();
    CHECK(c != kNoSegment);
    CHECK(c < pool.capacity());
    got.push_back(c);
  }
  UNSIGNED_LONGS_EQUAL(8, pool.in_use());
  UNSIGNED_LONGS_EQUAL(kNoSegment, pool.alloc());
  std::sort(got.begin(), got.end());
  CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());
  // Chunks do not overlap: write each fully, read back.
  for (std::uint32_t c : got) std::memset(pool.data(c), static_cast<int>(c + 1), 16);
  for (std::uint32_t c : got)
    for (int i = 0; i < 16; ++i) UNSIGNED_LONGS_EQUAL(c + 1, pool.data(c)[i]);
  pool.free(got[3]);
  UNSIGNED_LONGS_EQUAL(7, pool.in_use());
  UNSIGNED_LONGS_EQUAL(got[3], pool.alloc());
  for (std::uint32_t c : got) pool.free(c);
  UNSIGNED_LONGS_EQUAL(0, pool.in_use());
}

TEST(SegmentPool, ClampsCapacityAndChunkSize) {
  SegmentPool pool(0, 0);
  UNSIGNED_LONGS_EQUAL(1, pool.capacity());
  UNSIGNED_LONGS_EQUAL(1, pool.chunk_bytes());
  SegmentPool wide(1, 1u << 20);
  UNSIGNED_LONGS_EQUAL(SegmentPool::kMaxChunkBytes, wide.chunk_bytes());
}
