#include "dataplane/defrag/defrag.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

#include "dataplane/defrag/rebuilt_header.h"

namespace vigil {

namespace {
constexpr std::uint32_t kMaxIpLength = 65535;  // 16-bit total / payload length fields
constexpr std::uint32_t kIpv4MinHeader = 20, kIpv4MaxHeader = 60;
constexpr std::uint32_t kIpv6Header = 40, kIpv6FragmentHeader = 8;
constexpr std::uint32_t kMaxDatagramSlots = 1u << 22;
constexpr std::uint32_t kMaxFragments = 8192;  // 65535 bytes in 8-byte steps
constexpr std::uint64_t kMaxChunks = 1u << 24;
// One full-size datagram (64 data chunks) and its header must fit whatever the setting.
constexpr std::uint64_t kMinChunks = (65535 + kDefragChunkBytes - 1) / kDefragChunkBytes + 1;
constexpr std::uint32_t kSegmentsPerSlot = 8;  // typical: one per fragment of a small datagram

DefragConfig clamp(DefragConfig c) {
  c.max_datagrams = std::clamp<std::uint32_t>(c.max_datagrams, 1, kMaxDatagramSlots);
  const std::uint64_t chunks =
      std::clamp<std::uint64_t>(c.memory_bytes / kDefragChunkBytes, kMinChunks, kMaxChunks);
  c.memory_bytes = chunks * kDefragChunkBytes;
  c.max_fragments_per_datagram = static_cast<std::uint16_t>(
      std::clamp<std::uint32_t>(c.max_fragments_per_datagram, 2, kMaxFragments));
  c.timeout_ns = std::max<std::uint64_t>(c.timeout_ns, 1);
  return c;
}

std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}
}  // namespace

Defragmenter::Defragmenter(const DefragConfig& config) : config_(clamp(config)) {
  seed_ = config_.hash_seed;
  if (seed_ == 0) {
    std::random_device rd;
    seed_ = (std::uint64_t{rd()} << 32) | rd() | 1;
  }

  slots_.resize(config_.max_datagrams);
  for (std::uint32_t i = 0; i < config_.max_datagrams; ++i)
    slots_[i].bucket_next = i + 1 < config_.max_datagrams ? i + 1 : kNone;
  free_slot_ = 0;
  // At least two buckets per slot keeps chains short even with every slot in use.
  buckets_.assign(std::bit_ceil(std::uint64_t{config_.max_datagrams} * 2), kNone);
  bucket_mask_ = buckets_.size() - 1;

  const auto chunks = static_cast<std::uint32_t>(config_.memory_bytes / kDefragChunkBytes);
  pool_.resize(config_.memory_bytes);
  free_chunks_.resize(chunks);
  for (std::uint32_t i = 0; i < chunks; ++i) free_chunks_[i] = chunks - 1 - i;
  free_chunk_count_ = chunks;

  // Merging a fragment adds at most two segment boundaries, so a reassembly of n fragments has
  // at most 2n - 1 segments; the pool always has room for one reassembly at the fragment cap.
  const std::uint32_t per_datagram = 2u * config_.max_fragments_per_datagram + 2;
  const std::uint32_t total = config_.max_datagrams * kSegmentsPerSlot + per_datagram;
  segments_.resize(total);
  for (std::uint32_t i = 0; i < total; ++i) segments_[i].next = i + 1 < total ? i + 1 : kNone;
  free_segment_ = 0;
  free_segment_count_ = total;

  merged_.resize(per_datagram);
  writes_.resize(per_datagram);
  out_.resize(kDefragMaxDatagramBytes);
}

std::uint64_t Defragmenter::bytes_held() const {
  return (std::uint64_t{free_chunks_.size()} - free_chunk_count_) * kDefragChunkBytes;
}

DefragStatus Defragmenter::drop(DefragCounter reason) {
  counters_.add(reason);
  return DefragStatus::dropped;
}

// Checks the DecodedPacket against the fragment contract; everything it returns is in bounds.
// The decoder is trusted to have filled the fields, not to have filled them consistently.
std::optional<DefragCounter> Defragmenter::describe(const DecodedPacket& p, Fragment& f) const {
  if (!p.is_fragment || p.l3_header_len > p.l3.size()) return DefragCounter::invalid;
  std::uint32_t overhead = 0;  // bytes the length field counts besides the fragmentable data
  if (p.family == IpFamily::v4) {
    if (p.l3_header_len < kIpv4MinHeader || p.l3_header_len > kIpv4MaxHeader)
      return DefragCounter::invalid;
    f.header = p.l3.first(p.l3_header_len);
    overhead = p.l3_header_len;
  } else if (p.family == IpFamily::v6) {
    if (p.unfragmentable_len < kIpv6Header ||
        std::uint32_t{p.unfragmentable_len} + kIpv6FragmentHeader > p.l3_header_len ||
        p.frag_nh_offset >= p.unfragmentable_len)
      return DefragCounter::invalid;
    f.header = p.l3.first(p.unfragmentable_len);
    overhead = p.unfragmentable_len - kIpv6Header;
    f.nh_offset = p.frag_nh_offset;
  } else {
    return DefragCounter::invalid;
  }
  if (p.frag_offset % 8 != 0) return DefragCounter::invalid;  // offsets travel in 8-byte units
  if (p.snapped) return DefragCounter::truncated;             // the real data length is unknown
  f.data = p.l3.subspan(p.l3_header_len);
  f.offset = p.frag_offset;
  f.end = f.offset + static_cast<std::uint32_t>(f.data.size());
  f.more = p.more_fragments;
  f.next_header = p.ip_proto;
  if (f.data.empty()) return DefragCounter::zero_length;
  // The next fragment starts on an 8-byte boundary, so a shorter non-last fragment leaves a hole
  // or overlaps; FreeBSD and RFC 8200 receivers discard it.
  if (f.more && f.data.size() % 8 != 0) return DefragCounter::unaligned;
  if (overhead + f.end > kMaxIpLength) return DefragCounter::too_large;
  if (f.offset == 0 && f.header.size() > kDefragMaxHeaderBytes)
    return DefragCounter::header_too_long;
  return std::nullopt;
}

// A datagram has one end. The first last-fragment sets it; fragments that disagree are refused
// rather than allowed to move it, so one forged fragment cannot truncate or extend the datagram.
bool Defragmenter::conflicts_with_end(const Reassembly& r, const Fragment& f) {
  if (!f.more) return (r.has_last && f.end != r.end) || r.max_end > f.end;
  return r.has_last && f.end > r.end;
}

Defragmenter::Key Defragmenter::make_key(const DecodedPacket& p) const {
  Key k;
  k.src = p.src;
  k.dst = p.dst;
  k.id = p.frag_id;
  k.family = p.family;
  k.proto = p.family == IpFamily::v4 ? p.ip_proto : 0;
  const std::size_t tags = std::min<std::size_t>(p.vlan_count, k.vlan.size());
  for (std::size_t i = 0; i < tags; ++i) k.vlan[i] = p.vlan[i];
  if (p.tunnel_depth > 0) {
    k.tunnel_src = p.tunnel_src;
    k.tunnel_dst = p.tunnel_dst;
  }
  return k;
}

// Seeded so that an outsider who picks fragment ids cannot aim them all at one bucket.
std::uint64_t Defragmenter::hash(const Key& k) const {
  std::uint64_t h = seed_;
  h = mix(h, load64(k.src.b.data()));
  h = mix(h, load64(k.src.b.data() + 8));
  h = mix(h, load64(k.dst.b.data()));
  h = mix(h, load64(k.dst.b.data() + 8));
  h = mix(h, std::uint64_t{k.id} | std::uint64_t{k.proto} << 32 |
                 std::uint64_t{static_cast<std::uint8_t>(k.family)} << 40);
  h = mix(h, std::uint64_t{k.vlan[0]} | std::uint64_t{k.vlan[1]} << 16);
  h = mix(h, load64(k.tunnel_src.b.data()) ^ load64(k.tunnel_dst.b.data() + 8));
  return mix(h, h >> 29);
}

std::uint32_t Defragmenter::find(const Key& k, std::uint64_t h) const {
  for (std::uint32_t i = buckets_[h & bucket_mask_]; i != kNone; i = slots_[i].bucket_next)
    if (slots_[i].hash == h && slots_[i].key == k) return i;
  return kNone;
}

// Takes a free slot, evicting the oldest reassembly when every slot is in use.
std::uint32_t Defragmenter::open(const Key& k, std::uint64_t h) {
  if (free_slot_ == kNone) {
    counters_.add(DefragCounter::table_full);
    counters_.add(DefragCounter::evicted);
    release(oldest_);
  }
  const std::uint32_t i = free_slot_;
  Reassembly& r = slots_[i];
  free_slot_ = r.bucket_next;
  r = Reassembly{};
  r.key = k;
  r.hash = h;
  r.first_seen_ns = clock_ns_;
  r.chunks.fill(kNone);
  std::uint32_t& bucket = buckets_[h & bucket_mask_];
  r.bucket_next = bucket;
  bucket = i;
  r.older = newest_;
  if (newest_ != kNone) slots_[newest_].newer = i;
  newest_ = i;
  if (oldest_ == kNone) oldest_ = i;
  ++active_;
  return i;
}

void Defragmenter::release(std::uint32_t slot) {
  Reassembly& r = slots_[slot];
  for (std::uint64_t m = r.chunk_mask; m != 0; m &= m - 1)
    free_chunks_[free_chunk_count_++] = r.chunks[std::countr_zero(m)];
  if (r.header_chunk != kNone) free_chunks_[free_chunk_count_++] = r.header_chunk;
  for (std::uint32_t s = r.segments; s != kNone;) {
    const std::uint32_t next = segments_[s].next;
    segments_[s].next = free_segment_;
    free_segment_ = s;
    ++free_segment_count_;
    s = next;
  }
  for (std::uint32_t* link = &buckets_[r.hash & bucket_mask_]; *link != kNone;
       link = &slots_[*link].bucket_next) {
    if (*link == slot) {
      *link = r.bucket_next;
      break;
    }
  }
  if (r.older != kNone)
    slots_[r.older].newer = r.newer;
  else
    oldest_ = r.newer;
  if (r.newer != kNone)
    slots_[r.newer].older = r.older;
  else
    newest_ = r.older;
  r = Reassembly{};
  r.bucket_next = free_slot_;
  free_slot_ = slot;
  --active_;
}

void Defragmenter::expire(std::uint64_t now_ns) {
  clock_ns_ = std::max(clock_ns_, now_ns);
  // Slots are stamped with the non-decreasing clock, so the age list is sorted by first_seen_ns.
  while (oldest_ != kNone && clock_ns_ - slots_[oldest_].first_seen_ns >= config_.timeout_ns) {
    release(oldest_);
    counters_.add(DefragCounter::timeout);
  }
}

// Evicts the oldest other reassemblies until the pools can give `chunks` and `segments`.
bool Defragmenter::make_room(std::uint32_t chunks, std::uint32_t segments, std::uint32_t keep) {
  if (free_chunk_count_ >= chunks && free_segment_count_ >= segments) return true;
  counters_.add(DefragCounter::memory_full);
  while (free_chunk_count_ < chunks || free_segment_count_ < segments) {
    std::uint32_t victim = oldest_;
    if (victim == keep) victim = slots_[victim].newer;
    if (victim == kNone) return false;
    release(victim);
    counters_.add(DefragCounter::evicted);
  }
  return true;
}

bool Defragmenter::held_equals(const Reassembly& r, std::uint32_t at,
                               std::span<const std::uint8_t> bytes) const {
  while (!bytes.empty()) {
    const std::uint32_t c = r.chunks[at / kDefragChunkBytes];
    const std::uint32_t in = at % kDefragChunkBytes;
    const std::size_t n = std::min<std::size_t>(kDefragChunkBytes - in, bytes.size());
    if (c == kNone || std::memcmp(chunk(c) + in, bytes.data(), n) != 0) return false;
    bytes = bytes.subspan(n);
    at += static_cast<std::uint32_t>(n);
  }
  return true;
}

void Defragmenter::store(Reassembly& r, std::uint32_t at, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const std::uint32_t c = r.chunks[at / kDefragChunkBytes];
    const std::uint32_t in = at % kDefragChunkBytes;
    const std::size_t n = std::min<std::size_t>(kDefragChunkBytes - in, bytes.size());
    std::memcpy(chunk(c) + in, bytes.data(), n);
    bytes = bytes.subspan(n);
    at += static_cast<std::uint32_t>(n);
  }
}

// Merges the fragment into the reassembly's segments in scratch space, applying the overlap
// policy run by run, without touching the reassembly: a fragment that cannot be stored leaves
// no trace.
Defragmenter::Plan Defragmenter::plan(const Reassembly& r, const Fragment& f) {
  Plan p;
  const std::uint32_t origin = policy_uses_origin(config_.policy) ? f.offset : 0;
  auto push = [&](std::uint32_t start, std::uint32_t end, std::uint32_t from) {
    if (start >= end) return;
    if (p.pieces > 0 && merged_[p.pieces - 1].end == start &&
        merged_[p.pieces - 1].origin == from) {
      merged_[p.pieces - 1].end = end;
      return;
    }
    if (p.pieces == merged_.size()) {
      p.fits = false;
      return;
    }
    merged_[p.pieces++] = {start, end, from};
  };
  auto take = [&](std::uint32_t start, std::uint32_t end) {
    push(start, end, origin);
    if (p.writes > 0 && writes_[p.writes - 1].end == start) {
      writes_[p.writes - 1].end = end;
    } else if (p.writes < writes_.size()) {
      writes_[p.writes++] = {start, end, origin};
    } else {
      p.fits = false;
    }
  };

  std::uint32_t pos = f.offset;  // the fragment's bytes before pos are decided
  for (std::uint32_t s = r.segments; s != kNone; s = segments_[s].next) {
    const Segment& g = segments_[s];
    ++p.old_segments;
    if (g.end <= f.offset || g.start >= f.end) {
      if (g.start >= f.end && pos < f.end) {
        take(pos, f.end);
        pos = f.end;
      }
      push(g.start, g.end, g.origin);
      continue;
    }
    if (pos < g.start) take(pos, g.start);
    const std::uint32_t a = std::max<std::uint32_t>(g.start, f.offset);
    const std::uint32_t b = std::min<std::uint32_t>(g.end, f.end);
    push(g.start, a, g.origin);
    p.overlap = true;
    if (!p.differs && !held_equals(r, a, f.data.subspan(a - f.offset, b - a))) p.differs = true;
    if (new_fragment_wins(config_.policy, f.offset, g.origin))
      take(a, b);
    else
      push(a, b, g.origin);
    push(b, g.end, g.origin);
    pos = b;
  }
  if (pos < f.end) take(pos, f.end);
  return p;
}

// Chunks the fragment's range needs that the reassembly does not hold yet. A chunk holding no
// byte yet lies entirely in a hole, so the fragment writes into it.
std::uint32_t Defragmenter::missing_chunks(const Reassembly& r, const Fragment& f) const {
  std::uint32_t n = 0;
  for (std::uint32_t c = f.offset / kDefragChunkBytes; c <= (f.end - 1) / kDefragChunkBytes; ++c)
    n += r.chunks[c] == kNone ? 1 : 0;
  if (f.offset == 0 && r.header_chunk == kNone) ++n;
  return n;
}

// Applies a plan; make_room() has guaranteed the chunks and segments it needs.
void Defragmenter::commit(Reassembly& r, const Fragment& f, const Plan& p) {
  for (std::uint32_t c = f.offset / kDefragChunkBytes; c <= (f.end - 1) / kDefragChunkBytes; ++c) {
    if (r.chunks[c] != kNone) continue;
    r.chunks[c] = free_chunks_[--free_chunk_count_];
    r.chunk_mask |= std::uint64_t{1} << c;
  }
  for (std::uint32_t w = 0; w < p.writes; ++w)
    store(r, writes_[w].start,
          f.data.subspan(writes_[w].start - f.offset, writes_[w].end - writes_[w].start));

  // The header goes with the bytes at offset 0: a later offset-0 fragment replaces it exactly
  // when the policy lets a new fragment win at an equal offset.
  if (f.offset == 0 && (!r.has_first || new_fragment_wins(config_.policy, 0, 0))) {
    if (r.header_chunk == kNone) r.header_chunk = free_chunks_[--free_chunk_count_];
    std::memcpy(chunk(r.header_chunk), f.header.data(), f.header.size());
    r.header_len = static_cast<std::uint16_t>(f.header.size());
    r.nh_offset = f.nh_offset;
    r.next_header = f.next_header;
    r.has_first = true;
  }

  // Rewrite the segment list from merged_, reusing its nodes in order.
  std::uint32_t* link = &r.segments;
  std::uint32_t reuse = r.segments;
  std::uint32_t covered = 0;
  for (std::uint32_t i = 0; i < p.pieces; ++i) {
    std::uint32_t node = reuse;
    if (node != kNone) {
      reuse = segments_[node].next;
    } else {
      node = free_segment_;
      free_segment_ = segments_[node].next;
      --free_segment_count_;
    }
    const Piece& m = merged_[i];
    segments_[node] = {kNone, static_cast<std::uint16_t>(m.start),
                       static_cast<std::uint16_t>(m.end), static_cast<std::uint16_t>(m.origin)};
    *link = node;
    link = &segments_[node].next;
    covered += m.end - m.start;
  }
  *link = kNone;
  while (reuse != kNone) {
    const std::uint32_t next = segments_[reuse].next;
    segments_[reuse].next = free_segment_;
    free_segment_ = reuse;
    ++free_segment_count_;
    reuse = next;
  }
  r.covered = covered;
  r.max_end = p.pieces > 0 ? merged_[p.pieces - 1].end : 0;
}

// Writes the header (already in out_) fix-ups for a datagram of `data_len` bytes after it.
DefragStatus Defragmenter::emit(IpFamily family, std::uint32_t header_len, std::uint16_t nh_offset,
                                std::uint8_t next_header, std::uint32_t data_len,
                                std::span<const std::uint8_t>& datagram) {
  const std::span<std::uint8_t> header{out_.data(), header_len};
  if (family == IpFamily::v4) {
    finish_ipv4_header(header, static_cast<std::uint16_t>(header_len + data_len));
  } else if (!finish_ipv6_header(header, nh_offset, next_header,
                                 static_cast<std::uint16_t>(header_len - kIpv6Header + data_len))) {
    return drop(DefragCounter::invalid);
  }
  datagram = {out_.data(), header_len + data_len};
  counters_.add(DefragCounter::datagrams_rebuilt);
  return DefragStatus::complete;
}

DefragStatus Defragmenter::finish(std::uint32_t slot, std::span<const std::uint8_t>& datagram,
                                  std::uint32_t& datagram_wire_bytes) {
  const Reassembly& r = slots_[slot];
  // The offset-0 fragment's header may be longer than the ones the length check saw.
  const std::uint32_t overhead =
      r.key.family == IpFamily::v4 ? r.header_len : r.header_len - kIpv6Header;
  if (overhead + r.end > kMaxIpLength) {
    release(slot);
    return drop(DefragCounter::too_large);
  }
  std::memcpy(out_.data(), chunk(r.header_chunk), r.header_len);
  std::uint8_t* to = out_.data() + r.header_len;
  for (std::uint32_t at = 0; at < r.end; at += kDefragChunkBytes) {
    const std::uint32_t n = std::min(kDefragChunkBytes, r.end - at);
    std::memcpy(to + at, chunk(r.chunks[at / kDefragChunkBytes]), n);
  }
  const std::uint32_t wire = r.wire_bytes;
  const DefragStatus st =
      emit(r.key.family, r.header_len, r.nh_offset, r.next_header, r.end, datagram);
  if (st == DefragStatus::complete) datagram_wire_bytes = wire;
  release(slot);
  return st;
}

DefragStatus Defragmenter::insert(const DecodedPacket& frag, std::uint32_t wire_len,
                                  std::uint64_t now_ns, std::span<const std::uint8_t>& datagram,
                                  std::uint32_t& datagram_wire_bytes) {
  counters_.add(DefragCounter::fragments);
  expire(now_ns);
  Fragment f;
  if (const auto reason = describe(frag, f)) return drop(*reason);
  if (f.more && f.data.size() < config_.tiny_fragment_bytes)
    counters_.add(DefragCounter::tiny_fragment);

  // An atomic fragment (offset 0, no more to come) is a whole datagram; RFC 6946 has it rebuilt
  // on its own, never mixed with a reassembly that happens to share its id.
  if (f.offset == 0 && !f.more) {
    std::memcpy(out_.data(), f.header.data(), f.header.size());
    std::memcpy(out_.data() + f.header.size(), f.data.data(), f.data.size());
    const DefragStatus st = emit(frag.family, static_cast<std::uint32_t>(f.header.size()),
                                 f.nh_offset, f.next_header, f.end, datagram);
    if (st == DefragStatus::complete) datagram_wire_bytes = wire_len;
    return st;
  }

  const Key key = make_key(frag);
  const std::uint64_t h = hash(key);
  std::uint32_t slot = find(key, h);
  if (slot == kNone) slot = open(key, h);
  Reassembly& r = slots_[slot];

  if (r.fragments >= config_.max_fragments_per_datagram) {
    release(slot);
    return drop(DefragCounter::too_many_fragments);
  }
  if (conflicts_with_end(r, f)) return drop(DefragCounter::end_conflict);

  const Plan p = plan(r, f);
  if (!p.fits) {  // unreachable while the fragment cap holds (see the constructor); kept as a guard
    release(slot);
    return drop(DefragCounter::too_many_fragments);
  }
  const std::uint32_t need_segments = p.pieces > p.old_segments ? p.pieces - p.old_segments : 0;
  if (!make_room(missing_chunks(r, f), need_segments, slot)) {
    release(slot);
    return DefragStatus::dropped;  // counted as memory_full by make_room()
  }
  commit(r, f, p);
  if (p.overlap) counters_.add(DefragCounter::overlap);
  if (p.differs) counters_.add(DefragCounter::overlap_diff);
  ++r.fragments;
  r.wire_bytes = r.wire_bytes > UINT32_MAX - wire_len ? UINT32_MAX : r.wire_bytes + wire_len;
  if (!f.more) {
    r.has_last = true;
    r.end = f.end;
  }
  if (r.has_first && r.has_last && r.covered == r.end)
    return finish(slot, datagram, datagram_wire_bytes);
  return DefragStatus::buffered;
}

}  // namespace vigil
