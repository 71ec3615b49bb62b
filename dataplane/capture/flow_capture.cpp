#include "dataplane/capture/flow_capture.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include <emmintrin.h>

namespace vigil::capture {

namespace {
constexpr std::string_view kNames[] = {VIGIL_CAPTURE_COUNTERS(VIGIL_COUNTER_NAME)};
constexpr std::uint32_t kMaxHistory = 64;
constexpr std::uint64_t align16(std::uint64_t n) { return (n + 15) & ~std::uint64_t{15}; }

// Copies n bytes to a 16-byte aligned destination with non-temporal stores (the tail, under 16
// bytes, with one last padded store: entries are padded to 16).
void stream_copy(std::uint8_t* dst, const void* src, std::size_t n) {
  const auto* s = static_cast<const std::uint8_t*>(src);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), v);
  }
  if (i < n) {
    alignas(16) std::uint8_t tail[16] = {};
    std::memcpy(tail, s + i, n - i);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), _mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
  }
}
}  // namespace

std::string_view capture_counter_name(CaptureCounter c) {
  return counter_name(kNames, static_cast<std::size_t>(c), "capture.?");
}

FlowCapture::FlowCapture(const CaptureConfig& config, std::uint32_t max_flows)
    : cfg_(config),
      max_flows_(config.enabled ? max_flows : 0),
      flows_(std::make_unique<FlowState[]>(max_flows_)),
      queue_(config.enabled ? std::max<std::uint32_t>(config.queue_bytes, 4096) : 1) {
  cfg_.history_packets = std::min(cfg_.history_packets, kMaxHistory);
  if (cfg_.enabled && cfg_.history_packets > 0 && cfg_.history_bytes >= 4096) {
    ring_size_ = std::bit_floor(std::uint64_t{cfg_.history_bytes});
    ring_ = std::make_unique<std::uint8_t[]>(ring_size_);
  }
}

void FlowCapture::on_packet(Flow& flow, std::uint32_t slot, const PacketView& pkt) {
  if (slot >= max_flows_) return;
  last_ts_ = pkt.ts_ns;
  switch (state(flow)) {
    case State::idle:
      if (!(flow.flags & flowflag::flagged)) {
        remember(flow, pkt);
        return;
      }
      flows_[slot] = FlowState{};
      start(flows_[slot], flow, true);
      [[fallthrough]];
    case State::capturing: {
      FlowState& st = flows_[slot];
      const std::uint32_t caplen = std::min(pkt.caplen, cfg_.snaplen);
      push_packet(st, flow.flow_id, pkt.link_type, pkt.ts_ns, pkt.wire_len, pkt.data, caplen);
      ++st.tagged;
      if (st.tagged >= cfg_.max_packets || st.bytes >= cfg_.max_bytes) {
        counters_.add(CaptureCounter::capped_flows);
        finish(st, flow.flow_id, CaptureEnd::cap, pkt.ts_ns);
        set_state(flow, State::done);
      }
      return;
    }
    case State::done:
      return;
  }
}

void FlowCapture::on_flow_end(Flow& flow, std::uint32_t slot) {
  if (slot >= max_flows_) return;
  if (state(flow) == State::idle && (flow.flags & flowflag::flagged)) {
    flows_[slot] = FlowState{};
    start(flows_[slot], flow, false);
  }
  if (state(flow) == State::capturing) {
    finish(flows_[slot], flow.flow_id, CaptureEnd::flow_end, std::max(flow.last_ns, last_ts_));
  }
  set_state(flow, State::done);
}

void FlowCapture::remember(Flow& flow, const PacketView& pkt) {
  if (ring_size_ == 0) return;
  const std::uint32_t caplen = std::min(pkt.caplen, cfg_.snaplen);
  const std::uint64_t size = align16(sizeof(HistoryEntry) + caplen);
  if (size > ring_size_ / 4) return;  // a giant frame would evict everyone's history
  const std::uint64_t phys = write_pos_ & (ring_size_ - 1);
  // Entries never wrap: the rest of the ring is skipped. Readers only follow links, never scan.
  if (phys + size > ring_size_) write_pos_ += ring_size_ - phys;
  std::uint8_t* at = ring_.get() + (write_pos_ & (ring_size_ - 1));
  HistoryEntry e{};
  e.prev_pos = flow.capture_last;
  e.flow_id = flow.flow_id;
  e.ts_ns = pkt.ts_ns;
  e.caplen = caplen;
  e.wire_len = pkt.wire_len;
  e.link_type = pkt.link_type;
  e.entry_bytes = static_cast<std::uint32_t>(size);
  // The ring is written far more than it is read: streaming stores keep it out of the cache the
  // rest of the packet path needs.
  stream_copy(at, &e, sizeof e);
  stream_copy(at + sizeof e, pkt.data, caplen);
  flow.capture_last = write_pos_;
  write_pos_ += size;
}

const std::uint8_t* FlowCapture::entry_at(std::uint64_t pos, HistoryEntry& e) const {
  // Intact while nothing was written a whole ring past it.
  if (pos == kNone || ring_size_ == 0 || pos >= write_pos_ || write_pos_ - pos > ring_size_) {
    return nullptr;
  }
  const std::uint8_t* at = ring_.get() + (pos & (ring_size_ - 1));
  std::memcpy(&e, at, sizeof e);
  return at + sizeof e;
}

void FlowCapture::start(FlowState& st, Flow& flow, bool counted) {
  counters_.add(CaptureCounter::flows);
  // The flow's packets before this one, newest first through the links.
  const std::uint64_t seen = flow.pkts[0] + flow.pkts[1];
  const std::uint64_t before = counted && seen > 0 ? seen - 1 : seen;
  const std::uint32_t wanted =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg_.history_packets, before));
  std::uint64_t chain[kMaxHistory];
  std::uint32_t n = 0;
  for (std::uint64_t pos = flow.capture_last; n < wanted;) {
    HistoryEntry e;
    if (entry_at(pos, e) == nullptr || e.flow_id != flow.flow_id) break;
    chain[n++] = pos;
    pos = e.prev_pos;
  }
  st.history_missed = wanted - n;
  counters_.add(CaptureCounter::history_missed, st.history_missed);
  for (std::uint32_t i = n; i-- > 0;) {
    HistoryEntry e;
    const std::uint8_t* bytes = entry_at(chain[i], e);
    const std::uint32_t before_packets = st.packets;
    push_packet(st, e.flow_id, e.link_type, e.ts_ns, e.wire_len, bytes, e.caplen);
    counters_.add(CaptureCounter::history_packets, st.packets - before_packets);
  }
  flow.capture_last = kNone;
  set_state(flow, State::capturing);
}

void FlowCapture::push_packet(FlowState& st, std::uint64_t flow_id, LinkType link,
                              std::uint64_t ts, std::uint32_t wire_len, const std::uint8_t* data,
                              std::uint32_t caplen) {
  CaptureRecordHeader h;
  h.type = CaptureRecordType::packet;
  h.link_type = link;
  h.caplen = caplen;
  h.wire_len = wire_len;
  h.ts_ns = ts;
  h.flow_id = flow_id;
  if (!push_capture_record(queue_, h, data)) {
    ++st.lost;
    counters_.add(CaptureCounter::queue_full);
    return;
  }
  ++st.packets;
  st.bytes += caplen;
  counters_.add(CaptureCounter::packets);
  counters_.add(CaptureCounter::bytes, caplen);
}

void FlowCapture::finish(FlowState& st, std::uint64_t flow_id, CaptureEnd why, std::uint64_t ts) {
  CaptureRecordHeader h;
  h.type = CaptureRecordType::end;
  h.end = why;
  h.ts_ns = ts;
  h.flow_id = flow_id;
  h.packets = st.packets;
  h.lost_packets = st.lost;
  h.history_missed = st.history_missed;
  h.bytes = st.bytes;
  if (push_capture_record(queue_, h, nullptr)) {
    counters_.add(CaptureCounter::ended);
  } else {
    counters_.add(CaptureCounter::end_lost);
  }
}

}  // namespace vigil::capture
