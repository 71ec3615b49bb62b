#include "dataplane/flow/flow_table.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace vigil {

namespace {

constexpr std::string_view kCounterNames[] = {VIGIL_FLOW_COUNTERS(VIGIL_COUNTER_NAME)};
static_assert(std::size(kCounterNames) == kFlowCounterCount);

constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

std::uint8_t protocol_group(std::uint8_t ip_proto) {
  switch (ip_proto) {
    case ipproto::tcp: return 0;
    case ipproto::udp: return 1;
    case ipproto::icmp:
    case ipproto::icmpv6: return 2;
    default: return 3;
  }
}

}  // namespace

std::string_view flow_counter_name(FlowCounter c) {
  return counter_name(kCounterNames, static_cast<std::size_t>(c), "flow.unknown_counter");
}

FlowTable::FlowTable(const FlowTableConfig& cfg) : cfg_(cfg), max_flows_(cfg.max_flows) {
  if (max_flows_ > kMaxFlows) throw std::invalid_argument("flow table: max_flows above 2^30");

  const FlowTimeoutSet* sets[4] = {&cfg.timeouts.tcp, &cfg.timeouts.udp, &cfg.timeouts.icmp,
                                   &cfg.timeouts.other};
  for (std::size_t g = 0; g < 4; ++g) {
    timeout_ns_[g * kStatesPerGroup + 0] = sets[g]->new_s * kNsPerSec;
    timeout_ns_[g * kStatesPerGroup + 1] = sets[g]->established_s * kNsPerSec;
    timeout_ns_[g * kStatesPerGroup + 2] = sets[g]->closed_s * kNsPerSec;
  }

  // Load factor at most 1/2 keeps linear probes short and guarantees an empty slot.
  std::uint64_t index_size = 2;
  while (index_size < 2ull * max_flows_) index_size <<= 1;
  index_mask_ = static_cast<std::uint32_t>(index_size - 1);

  flows_ = std::make_unique<Flow[]>(max_flows_);
  index_ = std::make_unique<IndexSlot[]>(index_size);
  order_ = std::make_unique<std::uint32_t[]>(max_flows_);

  // Free list through lru_next, lowest slot first.
  for (std::uint32_t i = 0; i < max_flows_; ++i) flows_[i].lru_next = i + 1 < max_flows_ ? i + 1 : kNoFlow;
  free_head_ = max_flows_ > 0 ? 0 : kNoFlow;
}

std::size_t FlowTable::memory_bytes() const {
  return sizeof(Flow) * max_flows_ + sizeof(IndexSlot) * (std::size_t{index_mask_} + 1) +
         sizeof(std::uint32_t) * max_flows_;
}

std::uint64_t FlowTable::advance_clock(std::uint64_t now_ns) {
  if (now_ns > clock_ns_) clock_ns_ = now_ns;
  return clock_ns_;
}

std::uint64_t FlowTable::deadline(const Flow& f) const {
  const std::uint64_t t = timeout_ns_[f.timeout_class];
  return f.last_ns > std::numeric_limits<std::uint64_t>::max() - t
             ? std::numeric_limits<std::uint64_t>::max()
             : f.last_ns + t;
}

std::uint8_t FlowTable::class_of(const Flow& f) const {
  return static_cast<std::uint8_t>(protocol_group(f.key.ip_proto) * kStatesPerGroup +
                                   static_cast<std::uint8_t>(flow_state(f)));
}

FlowKeyStatus FlowTable::prepare(const DecodedPacket& p, PacketFlowKey& out) const {
  const FlowKeyStatus st = flow_key_from_packet(p, out.key, out.src_is_lo);
  if (!cfg_.vlan_tracking) out.key.vlan = {};
  if (st == FlowKeyStatus::ok) out.hash = flow_key_hash(out.key, cfg_.hash_seed);
  return st;
}

void FlowTable::prefetch(const PacketFlowKey& k) const {
  if (max_flows_ != 0) __builtin_prefetch(&index_[static_cast<std::uint32_t>(k.hash) & index_mask_]);
}

void FlowTable::prefetch_flow(const PacketFlowKey& k) const {
  if (max_flows_ == 0) return;
  const std::uint32_t hash32 = static_cast<std::uint32_t>(k.hash);
  const IndexSlot& s = index_[hash32 & index_mask_];
  if (s.flow == kNoFlow || s.hash != hash32) return;
  // A Flow spans several cache lines: the key and the counters/timeout links are touched first.
  const char* f = reinterpret_cast<const char*>(&flows_[s.flow]);
  __builtin_prefetch(f);
  __builtin_prefetch(f + 64);
  __builtin_prefetch(f + 128);
}

std::uint32_t FlowTable::index_find(const FlowKey& key, std::uint32_t hash32) const {
  for (std::uint32_t i = hash32 & index_mask_;; i = (i + 1) & index_mask_) {
    const IndexSlot& s = index_[i];
    if (s.flow == kNoFlow) return kNoFlow;
    if (s.hash == hash32 && flows_[s.flow].key == key) return s.flow;
  }
}

void FlowTable::index_insert(std::uint32_t idx, std::uint32_t hash32) {
  std::uint32_t i = hash32 & index_mask_;
  while (index_[i].flow != kNoFlow) i = (i + 1) & index_mask_;
  index_[i] = IndexSlot{idx, hash32};
}

// Backward-shift deletion: no tombstones, so probe lengths never degrade under churn.
void FlowTable::index_erase(std::uint32_t idx) {
  std::uint32_t i = flows_[idx].hash & index_mask_;
  while (index_[i].flow != idx) i = (i + 1) & index_mask_;
  for (std::uint32_t j = (i + 1) & index_mask_;; j = (j + 1) & index_mask_) {
    const IndexSlot s = index_[j];
    if (s.flow == kNoFlow) break;
    const std::uint32_t home = s.hash & index_mask_;
    // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
    if (((j - home) & index_mask_) >= ((j - i) & index_mask_)) {
      index_[i] = s;
      i = j;
    }
  }
  index_[i] = IndexSlot{};
}

void FlowTable::list_push_tail(std::uint8_t cls, std::uint32_t idx) {
  List& l = lists_[cls];
  Flow& f = flows_[idx];
  f.timeout_class = cls;
  f.lru_prev = l.tail;
  f.lru_next = kNoFlow;
  if (l.tail != kNoFlow) {
    flows_[l.tail].lru_next = idx;
  } else {
    l.head = idx;
  }
  l.tail = idx;
}

void FlowTable::list_unlink(std::uint8_t cls, std::uint32_t idx) {
  List& l = lists_[cls];
  Flow& f = flows_[idx];
  if (f.lru_prev != kNoFlow) {
    flows_[f.lru_prev].lru_next = f.lru_next;
  } else {
    l.head = f.lru_next;
  }
  if (f.lru_next != kNoFlow) {
    flows_[f.lru_next].lru_prev = f.lru_prev;
  } else {
    l.tail = f.lru_prev;
  }
  f.lru_prev = f.lru_next = kNoFlow;
}

std::uint32_t FlowTable::earliest_head() const {
  std::uint32_t best = kNoFlow;
  std::uint64_t best_deadline = 0;
  for (const List& l : lists_) {
    if (l.head == kNoFlow) continue;
    const std::uint64_t d = deadline(flows_[l.head]);
    if (best == kNoFlow || d < best_deadline) {
      best = l.head;
      best_deadline = d;
    }
  }
  return best;
}

std::uint64_t FlowTable::next_deadline_ns() const {
  const std::uint32_t idx = earliest_head();
  return idx == kNoFlow ? std::numeric_limits<std::uint64_t>::max() : deadline(flows_[idx]);
}

void FlowTable::end_flow(std::uint32_t idx, FlowEndReason reason, FlowEndHandler& handler) {
  Flow& f = flows_[idx];
  handler.on_flow_end(f, reason);
  switch (reason) {
    case FlowEndReason::timeout: counters_.add(FlowCounter::end_timeout); break;
    case FlowEndReason::forced: counters_.add(FlowCounter::end_forced); break;
    case FlowEndReason::shutdown: counters_.add(FlowCounter::end_shutdown); break;
    case FlowEndReason::tcp_reuse: counters_.add(FlowCounter::end_tcp_reuse); break;
  }
  index_erase(idx);
  list_unlink(f.timeout_class, idx);
  f.lru_next = free_head_;
  free_head_ = idx;
  --active_;
}

// Frees one slot: a flow already past its deadline goes first (it is simply due); otherwise a
// closed TCP connection (nothing more to see); otherwise the flow nearest its deadline.
void FlowTable::make_room(std::uint64_t now, FlowEndHandler& handler) {
  const std::uint32_t first = earliest_head();
  if (first == kNoFlow) return;
  if (now > deadline(flows_[first])) {
    end_flow(first, FlowEndReason::timeout, handler);
    return;
  }
  const std::uint32_t closed = lists_[kTcpClosedClass].head;
  end_flow(closed != kNoFlow ? closed : first, FlowEndReason::forced, handler);
}

std::uint32_t FlowTable::create(const DecodedPacket& p, const PacketFlowKey& k, std::uint64_t now,
                                FlowEndHandler& handler) {
  if (free_head_ == kNoFlow) make_room(now, handler);
  const std::uint32_t idx = free_head_;
  Flow& f = flows_[idx];
  free_head_ = f.lru_next;

  f = Flow{};
  f.key = k.key;
  f.hash = static_cast<std::uint32_t>(k.hash);
  // The client is the sender, except for a SYN-ACK, whose receiver opened the connection.
  const bool synack = k.key.ip_proto == ipproto::tcp &&
                      (p.tcp_flags & (tcpflag::syn | tcpflag::ack | tcpflag::rst)) ==
                          (tcpflag::syn | tcpflag::ack);
  if (synack != k.src_is_lo) f.flags |= flowflag::client_is_lo;
  if (icmp_is_echo(k.key.ip_proto, p.icmp_type)) f.flags |= flowflag::echo;
  f.start_ns = f.last_ns = now;
  const std::uint64_t unseeded = cfg_.hash_seed == 0 ? k.hash : flow_key_hash(k.key, 0);
  f.flow_id = flow_id_for(unseeded, now);

  list_push_tail(class_of(f), idx);
  index_insert(idx, f.hash);
  ++active_;
  counters_.add(FlowCounter::created);
  return idx;
}

Flow* FlowTable::lookup_or_create(const DecodedPacket& p, const PacketFlowKey& k,
                                  std::uint64_t now_ns, FlowDirection& dir,
                                  FlowEndHandler& handler) {
  const std::uint64_t now = advance_clock(now_ns);
  if (max_flows_ == 0) {
    counters_.add(FlowCounter::no_capacity);
    return nullptr;
  }
  std::uint32_t idx = index_find(k.key, static_cast<std::uint32_t>(k.hash));
  if (idx != kNoFlow) {
    Flow& f = flows_[idx];
    const bool tcp = f.key.ip_proto == ipproto::tcp;
    if (now > deadline(f)) {
      // Due but not yet collected by expire(): the packet starts a new flow, as it would have
      // had expire() run just before it. Output does not depend on how often expire() runs.
      end_flow(idx, FlowEndReason::timeout, handler);
    } else if (tcp && tcp_packet_reuses_flow(f, p)) {
      end_flow(idx, FlowEndReason::tcp_reuse, handler);
    } else {
      dir = f.direction_of(k.src_is_lo);
      if (tcp && tcp_handshake_reverses(f, dir, p)) {
        flow_swap_direction(f);
        dir = opposite(dir);
        tcp_counters_.add(TcpCounter::direction_swapped);
      }
      return &f;
    }
  }
  idx = create(p, k, now, handler);
  Flow& f = flows_[idx];
  dir = f.direction_of(k.src_is_lo);
  return &f;
}

Flow* FlowTable::lookup_or_create(const DecodedPacket& p, std::uint64_t now_ns, FlowDirection& dir,
                                  FlowEndHandler& handler) {
  PacketFlowKey k;
  switch (prepare(p, k)) {
    case FlowKeyStatus::ok:
      return lookup_or_create(p, k, now_ns, dir, handler);
    case FlowKeyStatus::not_ip:
      counters_.add(FlowCounter::not_ip);
      return nullptr;
    case FlowKeyStatus::fragment:
      counters_.add(FlowCounter::fragment);
      return nullptr;
  }
  return nullptr;
}

TcpTrackStatus FlowTable::account(Flow& f, FlowDirection dir, const DecodedPacket& p,
                                  std::uint32_t wire_len, std::uint64_t now_ns) {
  const std::uint64_t now = advance_clock(now_ns);
  const std::size_t d = dir_index(dir);
  const std::uint8_t proto = f.key.ip_proto;
  if (f.pkts[d] == 0 && (proto == ipproto::icmp || proto == ipproto::icmpv6)) {
    f.icmp_type[d] = p.icmp_type;
    f.icmp_code[d] = p.icmp_code;
  }
  ++f.pkts[d];
  f.bytes[d] += wire_len;
  TcpTrackStatus st = TcpTrackStatus::ok;
  if (proto == ipproto::tcp) {
    f.tcp_flags[d] |= p.tcp_flags;
    st = tcp_track(f, dir, p, cfg_.tcp, tcp_counters_);
  }
  f.last_ns = now;

  const auto idx = static_cast<std::uint32_t>(&f - flows_.get());
  const std::uint8_t cls = class_of(f);
  if (cls != f.timeout_class || lists_[cls].tail != idx) {
    list_unlink(f.timeout_class, idx);
    list_push_tail(cls, idx);
  }
  return st;
}

Flow* FlowTable::find(const FlowKey& key) {
  if (max_flows_ == 0) return nullptr;
  const auto h = static_cast<std::uint32_t>(flow_key_hash(key, cfg_.hash_seed));
  const std::uint32_t idx = index_find(key, h);
  return idx == kNoFlow ? nullptr : &flows_[idx];
}

std::size_t FlowTable::expire(std::uint64_t now_ns, FlowEndHandler& handler, std::size_t budget) {
  const std::uint64_t now = advance_clock(now_ns);
  std::size_t n = 0;
  while (n < budget) {
    const std::uint32_t idx = earliest_head();
    if (idx == kNoFlow || !(now > deadline(flows_[idx]))) break;
    end_flow(idx, FlowEndReason::timeout, handler);
    ++n;
  }
  return n;
}

std::size_t FlowTable::flush_all(FlowEndHandler& handler) {
  std::size_t n = 0;
  for (const List& l : lists_) {
    for (std::uint32_t i = l.head; i != kNoFlow; i = flows_[i].lru_next) order_[n++] = i;
  }
  const Flow* flows = flows_.get();
  std::sort(order_.get(), order_.get() + n, [flows](std::uint32_t a, std::uint32_t b) {
    const Flow& fa = flows[a];
    const Flow& fb = flows[b];
    if (fa.start_ns != fb.start_ns) return fa.start_ns < fb.start_ns;
    if (fa.flow_id != fb.flow_id) return fa.flow_id < fb.flow_id;
    return std::memcmp(&fa.key, &fb.key, sizeof(FlowKey)) < 0;
  });
  for (std::size_t i = 0; i < n; ++i) end_flow(order_[i], FlowEndReason::shutdown, handler);
  return n;
}

bool FlowTable::verify() const {
  std::uint64_t listed = 0;
  for (std::size_t c = 0; c < kClassCount; ++c) {
    std::uint32_t prev = kNoFlow;
    std::uint64_t prev_last = 0;
    for (std::uint32_t i = lists_[c].head; i != kNoFlow; i = flows_[i].lru_next) {
      if (i >= max_flows_ || ++listed > max_flows_) return false;
      const Flow& f = flows_[i];
      if (f.timeout_class != c || f.lru_prev != prev || f.last_ns < prev_last) return false;
      if (class_of(f) != c) return false;
      if (index_find(f.key, f.hash) != i) return false;
      if (static_cast<std::uint32_t>(flow_key_hash(f.key, cfg_.hash_seed)) != f.hash) return false;
      prev = i;
      prev_last = f.last_ns;
    }
    if (lists_[c].tail != prev) return false;
  }
  if (listed != active_) return false;

  std::uint64_t indexed = 0;
  for (std::uint64_t i = 0; i <= index_mask_; ++i) {
    if (index_[i].flow != kNoFlow) ++indexed;
  }
  if (indexed != active_) return false;

  std::uint64_t free_count = 0;
  for (std::uint32_t i = free_head_; i != kNoFlow; i = flows_[i].lru_next) {
    if (i >= max_flows_ || ++free_count > max_flows_) return false;
  }
  return free_count + active_ == max_flows_;
}

}  // namespace vigil
