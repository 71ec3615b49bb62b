// Defragmenter: IPv4 and IPv6 fragment reassembly for one worker.
// Ownership: every byte it uses (reassembly slots, hash buckets, fragment data pool, output
// buffer) is allocated by the constructor; insert() and expire() never allocate, lock or make a
// system call. Thread-safety: none; each worker owns its own Defragmenter, as it owns its flows.
// The datagram handed back by insert() lives in the Defragmenter's output buffer and is valid
// until the next insert() or expire() call.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/defrag/defrag_counters.h"
#include "dataplane/defrag/defrag_policy.h"

namespace vigil {

struct DefragConfig {
  std::uint32_t max_datagrams = 4096;         // reassemblies in progress at once
  std::uint64_t memory_bytes = 16u << 20;     // fragment data held by all reassemblies
  std::uint64_t timeout_ns = 60'000'000'000;  // counted from a reassembly's first fragment
  // Every legal datagram fits (65535 bytes in 8-byte fragments), as in Suricata, which has no
  // per-datagram cap; memory stays bounded by memory_bytes and the segment pool.
  std::uint16_t max_fragments_per_datagram = 8192;
  std::uint16_t tiny_fragment_bytes = 64;  // a non-last fragment carrying less is counted
  DefragPolicy policy = DefragPolicy::bsd;
  std::uint64_t hash_seed = 0;  // 0: drawn from std::random_device at construction
};

enum class DefragStatus : std::uint8_t {
  buffered,  // held; the datagram is not complete yet (also for a fragment that added nothing)
  complete,  // `datagram` is the rebuilt IP datagram
  dropped,   // refused; exactly one counter marked (drop) in defrag_counters.h says why
};

// Fragment data is held in chunks of this size; a reassembly's data sits at its final offset.
inline constexpr std::uint32_t kDefragChunkBytes = 1024;
// Longest IPv6 unfragmentable part (IPv6 header + extension headers before the fragment header)
// kept from the first fragment; IPv4 headers are at most 60 bytes.
inline constexpr std::uint32_t kDefragMaxHeaderBytes = kDefragChunkBytes;
// Largest datagram insert() can hand back: IPv6 header + 65535 bytes of payload.
inline constexpr std::uint32_t kDefragMaxDatagramBytes = 40 + 65535;

class Defragmenter {
 public:
  // Out-of-range settings are clamped (see config()); throws only std::bad_alloc.
  explicit Defragmenter(const DefragConfig& config);
  Defragmenter(const Defragmenter&) = delete;
  Defragmenter& operator=(const Defragmenter&) = delete;

  // Offers one fragment (a DecodedPacket with is_fragment set). `wire_len` is what the fragment
  // took on the wire. On `complete`, `datagram` is the rebuilt datagram and `datagram_wire_bytes`
  // the sum of the wire lengths of the fragments it was built from; both are left alone otherwise.
  // Reassemblies whose timeout has passed are expired first, as by expire(now_ns).
  DefragStatus insert(const DecodedPacket& frag, std::uint32_t wire_len, std::uint64_t now_ns,
                      std::span<const std::uint8_t>& datagram, std::uint32_t& datagram_wire_bytes);

  // Drops reassemblies whose first fragment is at least timeout_ns old (counted as timeouts).
  // O(1) when none is due: reassemblies are kept oldest first. Time never runs backwards here:
  // an older now_ns than already seen is taken as the latest seen.
  void expire(std::uint64_t now_ns);

  const DefragCounters& counters() const { return counters_; }
  const DefragConfig& config() const { return config_; }  // effective (clamped) settings
  std::uint32_t reassemblies() const { return active_; }  // in progress
  std::uint64_t bytes_held() const;                       // pool chunks in use, in bytes

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr std::uint32_t kDataChunks = (65535 + kDefragChunkBytes - 1) / kDefragChunkBytes;

  struct Key {
    IpAddress src{}, dst{};
    std::uint32_t id = 0;
    std::array<std::uint16_t, 2> vlan{};
    IpFamily family = IpFamily::none;
    std::uint8_t proto = 0;  // IPv4 only: RFC 791 keys on it; IPv6 (RFC 8200) does not
    // Fragments of tunnelled datagrams: the outer tunnel's endpoints, so that two tunnels carrying
    // the same inner addresses and id are never merged (zero without a tunnel).
    IpAddress tunnel_src{}, tunnel_dst{};
    bool operator==(const Key&) const = default;
  };

  // One run of held bytes [start, end) that came from fragments starting at `origin` (always 0
  // under policies that ignore origin, so that adjacent runs merge). Sorted, non-overlapping.
  struct Segment {
    std::uint32_t next = kNone;
    std::uint16_t start = 0, end = 0, origin = 0;
  };

  struct Piece {
    std::uint32_t start = 0, end = 0, origin = 0;
  };

  struct Reassembly {
    Key key{};
    std::uint64_t hash = 0;
    std::uint64_t first_seen_ns = 0;
    std::uint32_t bucket_next = kNone;  // hash chain; free-slot list when not in use
    std::uint32_t older = kNone, newer = kNone;
    std::uint32_t segments = kNone;
    std::uint32_t header_chunk = kNone;
    std::uint32_t wire_bytes = 0;
    std::uint32_t covered = 0;  // bytes held in [0, max_end)
    std::uint32_t max_end = 0;  // end of the furthest byte held
    std::uint32_t end = 0;      // datagram data length, once the last fragment is in
    std::uint16_t fragments = 0;
    std::uint16_t header_len = 0;
    std::uint16_t nh_offset = 0;  // IPv6: next-header byte naming the fragment header
    std::uint8_t next_header = 0;
    bool has_first = false, has_last = false;
    std::uint64_t chunk_mask = 0;  // which entries of `chunks` hold a pool chunk
    std::array<std::uint32_t, kDataChunks> chunks{};
  };

  // What insert() needs of a fragment, checked against the DecodedPacket contract.
  struct Fragment {
    std::span<const std::uint8_t> header;  // kept if this is the offset-0 fragment
    std::span<const std::uint8_t> data;
    std::uint32_t offset = 0, end = 0;
    std::uint16_t nh_offset = 0;
    std::uint8_t next_header = 0;
    bool more = false;
  };

  // Result of merging a fragment into a reassembly's segments, before anything is changed.
  struct Plan {
    std::uint32_t pieces = 0;  // entries of merged_
    std::uint32_t writes = 0;  // entries of writes_: ranges where the new fragment's bytes win
    std::uint32_t old_segments = 0;
    bool overlap = false, differs = false, fits = true;
  };

  DefragStatus drop(DefragCounter reason);
  std::optional<DefragCounter> describe(const DecodedPacket& p, Fragment& f) const;
  static bool conflicts_with_end(const Reassembly& r, const Fragment& f);
  Key make_key(const DecodedPacket& p) const;
  std::uint64_t hash(const Key& k) const;
  std::uint32_t find(const Key& k, std::uint64_t h) const;
  std::uint32_t open(const Key& k, std::uint64_t h);
  void release(std::uint32_t slot);
  bool make_room(std::uint32_t chunks, std::uint32_t segments, std::uint32_t keep);
  Plan plan(const Reassembly& r, const Fragment& f);
  std::uint32_t missing_chunks(const Reassembly& r, const Fragment& f) const;
  void commit(Reassembly& r, const Fragment& f, const Plan& p);
  bool held_equals(const Reassembly& r, std::uint32_t at,
                   std::span<const std::uint8_t> bytes) const;
  void store(Reassembly& r, std::uint32_t at, std::span<const std::uint8_t> bytes);
  DefragStatus emit(IpFamily family, std::uint32_t header_len, std::uint16_t nh_offset,
                    std::uint8_t next_header, std::uint32_t data_len,
                    std::span<const std::uint8_t>& datagram);
  DefragStatus finish(std::uint32_t slot, std::span<const std::uint8_t>& datagram,
                      std::uint32_t& datagram_wire_bytes);
  std::uint8_t* chunk(std::uint32_t index) {
    return pool_.data() + std::size_t{index} * kDefragChunkBytes;
  }
  const std::uint8_t* chunk(std::uint32_t index) const {
    return pool_.data() + std::size_t{index} * kDefragChunkBytes;
  }

  DefragConfig config_;
  DefragCounters counters_{};
  std::uint64_t seed_ = 0;
  std::uint64_t clock_ns_ = 0;  // latest time seen

  std::vector<Reassembly> slots_;
  std::vector<std::uint32_t> buckets_;
  std::uint64_t bucket_mask_ = 0;
  std::uint32_t free_slot_ = kNone;
  std::uint32_t oldest_ = kNone, newest_ = kNone;
  std::uint32_t active_ = 0;

  std::vector<std::uint8_t> pool_;
  std::vector<std::uint32_t> free_chunks_;  // stack of free chunk indices
  std::uint32_t free_chunk_count_ = 0;

  std::vector<Segment> segments_;
  std::uint32_t free_segment_ = kNone;
  std::uint32_t free_segment_count_ = 0;

  std::vector<Piece> merged_, writes_;  // scratch for plan(), sized for the largest reassembly
  std::vector<std::uint8_t> out_;
};

}  // namespace vigil
