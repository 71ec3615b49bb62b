// TCP stream reassembly, one direction at a time: turns the segments of a direction, in whatever
// order they arrive, into the direction's byte stream, delivered once, in order, with holes flagged.
//
// One StreamReassembler per worker, owning that worker's segment pool; every StreamDirState it is
// given must belong to flows of the same worker and stay with this reassembler for its life. Not
// thread-safe; no heap allocation, lock or system call after construction. The sink is called
// synchronously and must not call back into the reassembler; the spans it receives are valid only
// for the duration of the call (they point into the packet or into the pool).
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/stream/segment_pool.h"
#include "dataplane/stream/stream_counters.h"
#include "dataplane/stream/stream_state.h"

namespace vigil {

// Which bytes win when two segments carry different bytes for the same sequence numbers and
// neither has been delivered yet. Bytes already delivered are never changed, under either policy.
enum class OverlapPolicy : std::uint8_t {
  first,  // bytes that arrived first win (Suricata's default; BSD and most targets)
  last,   // bytes that arrived last win
};

struct StreamConfig {
  std::uint32_t depth = 1u << 20;                         // bytes delivered per direction; 0 = no limit
  std::uint32_t max_segments = 65536;                     // pool chunks per worker
  std::uint32_t segment_bytes = 2048;                     // bytes per chunk (1..65535)
  std::uint32_t max_ooo_bytes_per_direction = 1u << 20;   // pool memory one direction may hold,
                                                          // charged in whole chunks
  bool midstream_pickup = true;                           // adopt a direction first seen mid-stream
  OverlapPolicy policy = OverlapPolicy::first;
};

// Why a configuration is unusable (one line for the operator), or nullptr when it is usable.
// The reassembler clamps whatever it is given, so this is for the configuration loader.
const char* stream_config_error(const StreamConfig& cfg);

// Receives a direction's bytes. One call per delivered piece (a packet's payload or a pool chunk).
struct StreamSink {
  // after_gap: bytes before this piece were never seen and have been skipped.
  virtual void on_stream_data(StreamDirState& dir, std::span<const std::uint8_t> data,
                              bool after_gap) = 0;

 protected:
  ~StreamSink() = default;
};

enum class StreamResult : std::uint8_t {
  delivered,        // new bytes went to the sink (possibly up to the depth limit only)
  buffered,         // ahead of the stream: kept in the pool until the hole before it fills
  retransmission,   // every byte was delivered already
  dropped,          // some or all new bytes not kept: pool, direction limit, window, past depth
  depth_reached,    // the direction is past its depth: ignored
  not_initialized,  // no SYN seen and midstream pickup is off: ignored
  empty,            // no payload
  invalid,          // payload too large to be a TCP segment
};

class StreamReassembler {
 public:
  // Allocates the segment pool: max_segments * (segment_bytes + 16) bytes. Never allocates again.
  explicit StreamReassembler(const StreamConfig& cfg);

  // One TCP segment's payload for a direction. In-order bytes go straight from the packet to the
  // sink (zero copy), followed by any buffered chunks that now continue the stream; bytes ahead of
  // the stream are copied into the pool.
  StreamResult on_segment(StreamDirState& dir, std::uint32_t seq,
                          std::span<const std::uint8_t> payload, StreamSink& sink);

  // FIN, RST or flow end: delivers what is still buffered, skipping holes (each counted as a gap
  // and flagged with after_gap), and marks the direction closed.
  void on_close(StreamDirState& dir, StreamSink& sink);

  // Returns the direction's chunks to the pool without delivering them. The state stays valid:
  // sequence tracking and flags are kept, so it may be used again or discarded.
  void release(StreamDirState& dir);

  const StreamCounters& counters() const { return counters_; }
  const StreamConfig& config() const { return cfg_; }  // after clamping

 private:
  struct Overlap {
    bool seen = false;     // the segment covered bytes already delivered or buffered
    bool differs = false;  // some of those bytes (buffered ones: delivered ones are not kept) differ
  };
  struct Insert {
    std::size_t taken = 0;                            // payload bytes placed (a prefix)
    StreamCounter refused = StreamCounter::ooo_limit; // why the rest was not, when taken < size
  };

  StreamResult on_segment_slow(StreamDirState& dir, std::uint32_t seq,
                               std::span<const std::uint8_t> payload, StreamSink& sink);
  bool advance(StreamDirState& dir, std::span<const std::uint8_t> payload, Overlap& ov,
               StreamSink& sink);
  bool drain(StreamDirState& dir, bool& after_gap, StreamSink& sink);
  void skip_hole(StreamDirState& dir);
  bool emit(StreamDirState& dir, std::span<const std::uint8_t> data, bool& after_gap,
            StreamSink& sink);
  Insert insert(StreamDirState& dir, std::uint32_t seq, std::span<const std::uint8_t> payload,
                Overlap& ov);
  void link_after(StreamDirState& dir, std::uint32_t prev, std::uint32_t c);
  void pop_head(StreamDirState& dir);
  void reach_depth(StreamDirState& dir);

  StreamConfig cfg_;
  std::uint32_t dir_chunk_limit_;  // chunks one direction may hold
  SegmentPool pool_;
  StreamCounters counters_;
};

}  // namespace vigil
