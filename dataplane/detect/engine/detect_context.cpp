// DetectContext: per-packet evaluation of a RuleSet (see detect_context.h).
#include "dataplane/detect/engine/detect_context.h"

#include <algorithm>
#include <cstring>

#include "dataplane/flow/tcp_state.h"

namespace vigil::detect {

namespace {

constexpr std::uint8_t class_bit(ProtoClass c) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c));
}

bool has_ports(std::uint8_t proto) { return proto == 6 || proto == 17 || proto == 132; }

bool is_established(const Flow* f, const DecodedPacket& dp) {
  if (f == nullptr) return false;
  if (dp.ip_proto == ipproto::tcp) return f->tcp.state >= TcpState::established;
  return f->pkts[0] > 0 && f->pkts[1] > 0;
}

// Per-direction stream tail inside a flow-variable slot: header, tail bytes, carried rules.
struct TailHeader {
  std::uint32_t delivered;  // bytes delivered so far (saturating): 0 means the stream start
  std::uint16_t len;
  std::uint16_t pending;    // bytes at the tail's end not inspected as stream yet
  std::uint8_t carried;     // entries in the carry list
};
// After the tail bytes: the rules a window did not match although their pattern was there; while
// those bytes are in the tail (`until`: the delivered count at which they leave it), the next
// windows check them again (DetectContext::CarryEntry).
// Where a window's prefilter scan starts when its first `seen` bytes were in an earlier window: a
// pattern (at most kMaxStreamPattern bytes) the new bytes complete starts no earlier.
constexpr std::size_t seam_start(std::size_t seen) {
  return seen > DetectContext::kMaxStreamPattern - 1 ? seen - (DetectContext::kMaxStreamPattern - 1)
                                                     : 0;
}

constexpr std::size_t kCarryOffset = sizeof(TailHeader) + DetectContext::kStreamTail;
constexpr std::size_t kTailRecord = kCarryOffset + DetectContext::kStreamCarry * 8;
static_assert(DetectContext::kMaxStreamPattern <= DetectContext::kStreamTail);

// A packet-less view of one direction of a flow (its addresses and ports, no payload), for what
// is inspected when a flow ends.
DecodedPacket flow_side_packet(const Flow& flow, FlowDirection dir) {
  DecodedPacket pseudo;
  pseudo.family = flow.key.family;
  pseudo.ip_proto = flow.key.ip_proto;
  pseudo.vlan = flow.key.vlan;
  const bool to_server = dir == FlowDirection::to_server;
  pseudo.src = to_server ? flow.client_addr() : flow.server_addr();
  pseudo.dst = to_server ? flow.server_addr() : flow.client_addr();
  pseudo.sport = to_server ? flow.client_port() : flow.server_port();
  pseudo.dport = to_server ? flow.server_port() : flow.client_port();
  return pseudo;
}

}  // namespace

struct DetectContext::Window {
  std::span<const std::uint8_t> all;  // old tail + new bytes
  std::size_t old_len = 0;
  bool at_stream_start = false;
};

DetectContext::DetectContext(std::shared_ptr<const RuleSet> rules, const DetectConfig& config)
    : rules_(std::move(rules)),
      cfg_(config),
      candidates_(rules_->prefilter() ? rules_->prefilter()->make_candidate_set()
                                      : CandidateSet(rules_->signatures().size())),
      payload_scratch_(make_payload_scratch()),
      thresholds_(config.threshold_entries),
      alerts_(config.alert_queue_capacity) {
  if (rules_->prefilter()) pf_scratch_ = rules_->prefilter()->make_scratch();
  order_.reserve(candidates_.capacity());
  bit_words_ = (rules_->flow_vars().bits.size() + 63) / 64;
  int_count_ = rules_->flow_vars().ints.size();
  slot_bytes_ = bit_words_ * 8 + int_count_ * 8 + 2 * kTailRecord;
  slot_bytes_ = (slot_bytes_ + 7) & ~std::size_t{7};
  const std::uint32_t n = cfg_.flow_var_slots;
  // Not zeroed here: a slot is cleared when a flow takes it, so untouched slots cost no memory.
  slots_ = std::make_unique_for_overwrite<std::uint8_t[]>(slot_bytes_ * std::max<std::uint32_t>(n, 1));
  free_slots_.reserve(n);
  for (std::uint32_t i = n; i-- > 0;) free_slots_.push_back(i);
  stream_buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(kStreamTail + kStreamWindow);
  group_buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(kGroupScanBytes);
  if (cfg_.packet_alert_max == 0) cfg_.packet_alert_max = 1;
  payload_scratch_.recursion_limit = cfg_.recursion_limit;
}

DetectContext::~DetectContext() = default;

std::uint8_t* DetectContext::flow_vars(Flow& flow, bool create) {
  if (flow.detect_slot != kNoFlow) return slots_.get() + std::size_t{flow.detect_slot} * slot_bytes_;
  if (!create) return nullptr;
  if (free_slots_.empty()) {
    counters_.add(DetectCounter::flow_vars_exhausted);
    return nullptr;
  }
  flow.detect_slot = free_slots_.back();
  free_slots_.pop_back();
  std::uint8_t* v = slots_.get() + std::size_t{flow.detect_slot} * slot_bytes_;
  std::memset(v, 0, slot_bytes_);
  return v;
}

void DetectContext::release_flow_vars(Flow& flow) {
  if (flow.detect_slot == kNoFlow) return;
  free_slots_.push_back(flow.detect_slot);
  flow.detect_slot = kNoFlow;
}

std::uint8_t* DetectContext::tail_of(std::uint8_t* vars, FlowDirection dir) {
  return vars + bit_words_ * 8 + int_count_ * 8 + dir_index(dir) * kTailRecord;
}

void DetectContext::on_stream_data(Flow& flow, FlowDirection dir,
                                   std::span<const std::uint8_t> data) {
  if (stream_flow_ != nullptr && (stream_flow_ != &flow || stream_dir_ != dir)) {
    // Bytes of another flow or direction within one packet (only at a flow's end): not inspected.
    counters_.add(DetectCounter::stream_bytes_unchecked, data.size());
    return;
  }
  stream_flow_ = &flow;
  stream_dir_ = dir;
  const std::size_t room = kStreamWindow - stream_len_;
  const std::size_t take = std::min(room, data.size());
  std::memcpy(stream_buf_.get() + kStreamTail + stream_len_, data.data(), take);
  stream_len_ += take;
  if (take < data.size()) counters_.add(DetectCounter::stream_bytes_unchecked, data.size() - take);
}

void DetectContext::update_tail(Flow& flow, FlowDirection dir, std::span<const std::uint8_t> data,
                                bool inspected) {
  std::uint8_t* vars = flow_vars(flow, true);
  if (vars == nullptr) return;
  std::uint8_t* rec = tail_of(vars, dir);
  TailHeader h;
  std::memcpy(&h, rec, sizeof h);
  std::uint8_t* bytes = rec + sizeof(TailHeader);
  if (data.size() >= kStreamTail) {
    std::memcpy(bytes, data.data() + data.size() - kStreamTail, kStreamTail);
    h.len = kStreamTail;
  } else {
    const std::size_t keep = std::min<std::size_t>(h.len, kStreamTail - data.size());
    std::memmove(bytes, bytes + h.len - keep, keep);
    std::memcpy(bytes + keep, data.data(), data.size());
    h.len = static_cast<std::uint16_t>(keep + data.size());
  }
  const std::uint64_t total = std::uint64_t{h.delivered} + data.size();
  h.delivered = total > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(total);
  h.pending = inspected ? 0
                        : static_cast<std::uint16_t>(std::min<std::size_t>(h.len, h.pending + data.size()));
  std::memcpy(rec, &h, sizeof h);
}

void DetectContext::collect_candidates(const DetectPacket& p, ProtoClass cls,
                                       std::span<const std::uint8_t> scan) {
  const DecodedPacket& dp = *p.dp;
  const RuleSet& rs = *rules_;
  // IP-only rules: once per flow direction (every packet when there is no flow).
  if (!p.stream_end && (p.flow == nullptr || p.flow->pkts[dir_index(p.dir)] == 1)) {
    for (std::uint32_t i : rs.iponly_any_address()) candidates_.add(i);
    for (std::uint32_t i : rs.iponly_by_src().lookup(dp.family, dp.src)) candidates_.add(i);
    for (std::uint32_t i : rs.iponly_by_dst().lookup(dp.family, dp.dst)) candidates_.add(i);
  }
  for (std::uint32_t i : rs.any_port_rules(cls)) candidates_.add(i);
  if (cls == ProtoClass::tcp || cls == ProtoClass::udp) {
    for (std::uint32_t i : rs.port_rules(cls, dp.dport)) candidates_.add(i);
    if (dp.sport != dp.dport) {
      for (std::uint32_t i : rs.port_rules(cls, dp.sport)) candidates_.add(i);
    }
  }
  scan_payload(cls, dp, scan);
}

void DetectContext::scan_payload(ProtoClass cls, const DecodedPacket& dp,
                                 std::span<const std::uint8_t> data) {
  if (!pf_scratch_ || data.empty()) return;
  std::array<PrefilterBufferId, RuleSet::kMaxPayloadScans> dbs;
  const std::size_t n = rules_->payload_scans(cls, dp.sport, dp.dport, dbs);
  for (std::size_t i = 0; i < n; ++i) {
    if (rules_->prefilter()->scan(dbs[i], data, *pf_scratch_, candidates_) !=
        PrefilterScanStatus::ok) {
      counters_.add(DetectCounter::prefilter_errors);
    }
  }
}

bool DetectContext::header_matches(const Signature& s, const DetectPacket& p, ProtoClass cls,
                                   bool established) const {
  const DecodedPacket& dp = *p.dp;
  if (!(s.proto_mask & class_bit(cls))) return false;
  if (s.family_only != IpFamily::none && dp.family != s.family_only) return false;
  if (p.l4_invalid && (!s.proto_any || !s.sport_any || !s.dport_any)) return false;
  if (s.exact_proto && dp.ip_proto != *s.exact_proto) return false;
  if (!s.app_proto.empty() || !s.app_layer_protocol.empty()) {
    auto proto =
        p.flow != nullptr ? static_cast<app::AppProto>(p.flow->app_proto) : app::AppProto::unknown;
    // A rule about the protocol alone matches on TCP from the packet after the one whose bytes
    // named it: Suricata's IDS mode parses a segment's bytes only once they are acknowledged.
    if (!s.has_payload && !s.tx_rule && p.dp->ip_proto == ipproto::tcp && !p.stream_end) {
      proto = static_cast<app::AppProto>(p.app_before);
    }
    if (!s.app_proto.empty() && (s.app == app::AppProto::unknown || proto != s.app)) return false;
    for (const Signature::AppLayerProtocol& c : s.app_layer_protocol) {
      // Until detection has decided, no protocol condition holds, negated or not (Suricata).
      if (proto == app::AppProto::unknown && c.proto != app::AppProto::unknown) return false;
      if ((proto == c.proto) == c.negated) return false;
    }
  }
  const bool ports = has_ports(dp.ip_proto);
  if ((!s.sport_any || !s.dport_any) && !ports) return false;
  std::uint16_t sport = dp.sport, dport = dp.dport;
  if (dp.ip_proto == 132 && dp.l4.size() >= 4) {
    // The decoder has no SCTP layer: its ports are the common header's first four bytes.
    sport = static_cast<std::uint16_t>((dp.l4[0] << 8) | dp.l4[1]);
    dport = static_cast<std::uint16_t>((dp.l4[2] << 8) | dp.l4[3]);
  }
  auto side = [&](const IpAddress& src, const IpAddress& dst, std::uint16_t sp,
                  std::uint16_t dp_) {
    return (s.src_any || matches(s.src, dp.family, src)) &&
           (s.dst_any || matches(s.dst, dp.family, dst)) &&
           (s.sport_any || matches(s.sport, sp)) && (s.dport_any || matches(s.dport, dp_));
  };
  if (!side(dp.src, dp.dst, sport, dport) &&
      !(s.bidirectional && side(dp.dst, dp.src, dport, sport))) {
    return false;
  }
  const std::uint16_t f = s.flow.flags;
  if (f & (flowcond::to_server | flowcond::to_client)) {
    if (p.flow == nullptr) return false;
    const FlowDirection want =
        (f & flowcond::to_server) ? FlowDirection::to_server : FlowDirection::to_client;
    if (p.dir != want) return false;
  }
  if ((f & flowcond::only_frag) && p.source != PacketSource::defrag) return false;
  if ((f & flowcond::no_frag) && p.source == PacketSource::defrag) return false;
  if ((f & flowcond::established) && !established) return false;
  if ((f & flowcond::not_established) && established) return false;
  if (s.header.any() && !header_match(s.header, dp)) return false;
  return true;
}

bool DetectContext::flowvars_match(const Signature& s, const Flow* flow) {
  const FlowVarKeywords& v = s.vars;
  if (v.bit_conditions.empty() && v.int_conditions.empty()) return true;
  const std::uint8_t* vars =
      flow != nullptr && flow->detect_slot != kNoFlow
          ? slots_.get() + std::size_t{flow->detect_slot} * slot_bytes_
          : nullptr;
  auto bit_set = [&](std::uint16_t b) {
    if (vars == nullptr) return false;
    std::uint64_t w;
    std::memcpy(&w, vars + (b / 64) * 8, 8);
    return ((w >> (b % 64)) & 1) != 0;
  };
  for (const FlowbitAction& c : v.bit_conditions) {
    const bool want_set = c.op == FlowbitOp::isset;
    bool ok;
    if (c.any_of) {
      ok = false;
      for (std::uint16_t b : c.bits) ok = ok || (bit_set(b) == want_set);
    } else {
      ok = true;
      for (std::uint16_t b : c.bits) ok = ok && (bit_set(b) == want_set);
    }
    if (!ok) return false;
  }
  // A flowint variable's value; an unset one reads as 0 when used as an operand (Suricata).
  auto int_value = [&](std::uint16_t i, bool& set) -> std::uint32_t {
    set = false;
    if (vars == nullptr) return 0;
    std::uint64_t w;
    std::memcpy(&w, vars + bit_words_ * 8 + std::size_t{i} * 8, 8);
    set = (w >> 32) != 0;
    return static_cast<std::uint32_t>(w);
  };
  for (const FlowintAction& c : v.int_conditions) {
    bool set = false;
    const std::uint32_t x = int_value(c.var, set);
    if (c.op == FlowintOp::isset) {
      if (!set) return false;
      continue;
    }
    if (c.op == FlowintOp::notset) {
      if (set) return false;
      continue;
    }
    if (!set) return false;
    std::uint32_t y = c.value;
    if (c.value_is_var) {
      bool yset = false;
      y = int_value(c.value_var, yset);
    }
    bool ok = false;
    switch (c.op) {
      case FlowintOp::eq: ok = x == y; break;
      case FlowintOp::ne: ok = x != y; break;
      case FlowintOp::lt: ok = x < y; break;
      case FlowintOp::le: ok = x <= y; break;
      case FlowintOp::gt: ok = x > y; break;
      case FlowintOp::ge: ok = x >= y; break;
      default: break;
    }
    if (!ok) return false;
  }
  return true;
}

void DetectContext::apply_flowvar_actions(const Signature& s, Flow* flow) {
  const FlowVarKeywords& v = s.vars;
  if (flow == nullptr || (v.bit_actions.empty() && v.int_actions.empty())) return;
  std::uint8_t* vars = flow_vars(*flow, true);
  if (vars == nullptr) return;
  for (const FlowbitAction& a : v.bit_actions) {
    for (std::uint16_t b : a.bits) {
      std::uint64_t w;
      std::memcpy(&w, vars + (b / 64) * 8, 8);
      const std::uint64_t m = std::uint64_t{1} << (b % 64);
      switch (a.op) {
        case FlowbitOp::set: w |= m; break;
        case FlowbitOp::unset: w &= ~m; break;
        case FlowbitOp::toggle: w ^= m; break;
        default: break;
      }
      std::memcpy(vars + (b / 64) * 8, &w, 8);
    }
  }
  for (const FlowintAction& a : v.int_actions) {
    std::uint8_t* slot = vars + bit_words_ * 8 + std::size_t{a.var} * 8;
    std::uint64_t w;
    std::memcpy(&w, slot, 8);
    std::uint32_t y = a.value;
    if (a.value_is_var) {
      // An unset variable as operand counts as 0 (Suricata).
      std::uint64_t o;
      std::memcpy(&o, vars + bit_words_ * 8 + std::size_t{a.value_var} * 8, 8);
      y = static_cast<std::uint32_t>(o);
    }
    std::uint32_t x = static_cast<std::uint32_t>(w);
    const bool set = (w >> 32) != 0;
    switch (a.op) {
      case FlowintOp::set: x = y; break;
      case FlowintOp::add: x = set ? x + y : y; break;
      case FlowintOp::sub:
        if (!set) continue;  // only `=` and `+` create a variable
        x -= y;
        break;
      default: break;
    }
    w = (std::uint64_t{1} << 32) | x;
    std::memcpy(slot, &w, 8);
  }
}

// 0: no match; 1: the packet payload matched; 2: the stream window did.
int DetectContext::payload_matches(const Signature& s, const DetectPacket& p, const Window* w) {
  if (!s.has_payload) return 1;
  const std::span<const std::uint8_t> payload = p.dp->payload;
  if (s.payload.dsize && !s.payload.dsize->matches(payload.size())) return 0;
  const PayloadMatchList* list = nullptr;
  for (const PayloadMatchList& l : s.payload.lists) list = &l;  // one: no app-layer buffer
  if (list == nullptr) return 1;  // dsize alone
  begin_rule(payload_scratch_);
  const std::uint16_t f = s.flow.flags;
  if (!(f & flowcond::only_stream) && !payload.empty() &&
      payload_match(*list, payload, payload_scratch_)) {
    return 1;
  }
  if (w != nullptr && s.stream_capable && p.dp->ip_proto == ipproto::tcp &&
      (!s.payload_anchored || w->at_stream_start) &&
      payload_match(*list, w->all, payload_scratch_) &&
      (w->old_len == 0 || !payload_match(*list, w->all.first(w->old_len), payload_scratch_))) {
    return 2;
  }
  return 0;
}

Verdict DetectContext::inspect(const DetectPacket& p) {
  counters_.add(DetectCounter::packets);
  Flow* flow = p.flow;
  if (flow != nullptr) {
    if (flow->flags & flowflag::drop) {
      counters_.add(DetectCounter::dropped_packets);
      match_count_ = 0;
      return Verdict::drop;
    }
    if (flow->flags & flowflag::pass) {
      counters_.add(DetectCounter::passed_packets);
      stream_len_ = 0;
      match_count_ = 0;
      return Verdict::accept;
    }
    if (flow->flags & flowflag::flagged) counters_.add(DetectCounter::tagged_packets);
  }
  const DecodedPacket& dp = *p.dp;
  const ProtoClass cls = p.l4_invalid ? ProtoClass::other : proto_class(dp.ip_proto);
  const bool established = is_established(flow, dp);

  // The stream window: the direction's tail, then the bytes delivered with this packet.
  Window window;
  const Window* w = nullptr;
  std::span<const std::uint8_t> new_bytes;
  // The packet that picked a TCP session up mid-stream: Suricata inspects it as a packet and its
  // bytes again at the direction's next stream inspection (or the flow's end), so they stay
  // pending in the tail instead of being inspected as stream now.
  const bool pickup = !p.stream_end && flow != nullptr && dp.ip_proto == ipproto::tcp &&
                      (flow->tcp.flags & tcpsess::midstream) != 0 &&
                      flow->pkts[0] + flow->pkts[1] == 1;
  CarryEntry carry[kStreamCarry];
  std::size_t carried = 0;
  std::uint32_t delivered_before = 0;
  if ((stream_len_ > 0 || p.stream_end) && flow != nullptr && stream_flow_ == flow &&
      stream_dir_ == p.dir) {
    new_bytes = {stream_buf_.get() + kStreamTail, stream_len_};
    std::size_t tail_len = 0, pending = 0;
    bool at_start = false;
    if (std::uint8_t* vars = flow_vars(*flow, true)) {
      const std::uint8_t* rec = tail_of(vars, p.dir);
      TailHeader h;
      std::memcpy(&h, rec, sizeof h);
      tail_len = h.len;
      pending = h.pending;
      delivered_before = h.delivered;
      carried = std::min<std::size_t>(h.carried, kStreamCarry);
      std::memcpy(carry, rec + kCarryOffset, carried * sizeof(CarryEntry));
      at_start = h.delivered == h.len;  // the tail still holds every byte delivered so far
      std::memcpy(stream_buf_.get() + kStreamTail - tail_len, rec + sizeof(TailHeader), tail_len);
    }
    if (stream_len_ + pending > 0) {
      counters_.add(DetectCounter::stream_windows);
      window.all = {stream_buf_.get() + kStreamTail - tail_len, tail_len + stream_len_};
      window.old_len = tail_len - pending;
      window.at_stream_start = at_start;
      if (!pickup) w = &window;
    }
  }

  // Candidates: scan the window (it ends with this packet's bytes when they were in order),
  // and the packet itself when it is not the window's end.
  const std::span<const std::uint8_t> payload = dp.payload;
  const bool payload_in_window =
      w != nullptr && (payload.empty() ||
                       (payload.size() <= new_bytes.size() &&
                        std::memcmp(new_bytes.data() + new_bytes.size() - payload.size(),
                                    payload.data(), payload.size()) == 0));
  std::span<const std::uint8_t> scan = w != nullptr ? w->all : (window.all.empty() ? payload : window.all);
  if (w != nullptr) {
    // Patterns wholly in the old tail were found when those bytes were new: the window is
    // scanned from just far enough back to find one that the new bytes complete. The rules left
    // undecided by earlier windows come back through the carry list.
    scan = w->all.subspan(seam_start(w->old_len));
    for (std::size_t i = 0; i < carried; ++i) {
      if (carry[i].until > delivered_before) candidates_.add(carry[i].sig);
    }
  }
  collect_candidates(p, cls, scan);
  if (w != nullptr && !payload_in_window) scan_payload(cls, dp, payload);
  take_candidates();

  const auto sigs = rules_->signatures();
  CarryEntry next_carry[kStreamCarry];
  std::size_t next_carried = 0;
  const std::uint64_t until64 = std::uint64_t{delivered_before} + stream_len_ + kStreamTail;
  const auto until = static_cast<std::uint32_t>(std::min<std::uint64_t>(until64, 0xffffffffu));
  for (std::uint32_t idx : order_) {
    const Signature& s = sigs[idx];
    if (s.tx_rule) continue;  // inspect_app() runs it on its transaction's progress
    if (p.stream_end && (!s.stream_capable || s.header.any())) {
      continue;  // not about the stream: there is no packet here
    }
    counters_.add(DetectCounter::candidates);
    if (!header_matches(s, p, cls, established)) continue;
    if (!flowvars_match(s, flow)) continue;
    const int how = payload_matches(s, p, w);
    if (how == 0) {
      // A later content of it may arrive in the next bytes: check it again while its bytes
      // are in the tail (the newest such rules are kept when there are too many).
      if (w != nullptr && s.stream_multi && next_carried < kStreamCarry) {
        next_carry[next_carried++] = CarryEntry{idx, until};
      }
      continue;
    }
    record_match(s, idx, p, how == 2);
  }
  if (!new_bytes.empty()) update_tail(*flow, p.dir, new_bytes, /*inspected=*/w != nullptr);
  if (w != nullptr) {
    // Earlier entries still in reach follow this window's, as room allows.
    const std::uint32_t now_delivered = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(std::uint64_t{delivered_before} + stream_len_, 0xffffffffu));
    for (std::size_t i = 0; i < carried && next_carried < kStreamCarry; ++i) {
      if (carry[i].until <= now_delivered) continue;
      bool again = false;
      for (std::size_t k = 0; k < next_carried && !again; ++k) again = next_carry[k].sig == carry[i].sig;
      if (!again) next_carry[next_carried++] = carry[i];
    }
    store_carry(*flow, p.dir, {next_carry, next_carried});
  }
  stream_len_ = 0;
  stream_flow_ = nullptr;
  return finalize(p);
}

void DetectContext::store_carry(Flow& flow, FlowDirection dir, std::span<const CarryEntry> entries) {
  static_assert(sizeof(CarryEntry) == 8, "kTailRecord counts 8 bytes per carried rule");
  std::uint8_t* vars = flow_vars(flow, false);
  if (vars == nullptr) return;
  std::uint8_t* rec = tail_of(vars, dir);
  TailHeader h;
  std::memcpy(&h, rec, sizeof h);
  h.carried = static_cast<std::uint8_t>(entries.size());
  std::memcpy(rec, &h, sizeof h);
  std::memcpy(rec + kCarryOffset, entries.data(), entries.size() * sizeof(CarryEntry));
}

void DetectContext::take_candidates() {
  order_.clear();
  bool extra_entries = false;
  const std::size_t nsigs = rules_->signatures().size();
  for (std::uint32_t id : candidates_.rules()) {
    extra_entries |= id >= nsigs;
    order_.push_back(rules_->entry_rule(id));
  }
  candidates_.clear();
  std::sort(order_.begin(), order_.end());
  // A rule in several transport databases has several entries: one evaluation.
  if (extra_entries) order_.erase(std::unique(order_.begin(), order_.end()), order_.end());
}

void DetectContext::record_match(const Signature& s, std::uint32_t idx, const DetectPacket& p,
                                 bool stream) {
  counters_.add(DetectCounter::matches);
  apply_flowvar_actions(s, p.flow);
  if (match_count_ < matches_.size()) {
    matches_[match_count_++] = Match{idx, stream};
  } else {
    overflow_match(s, p);
  }
}

// A match beyond the match array: it cannot be logged (counted as over max), but a drop or reject
// still drops the packet inline. Its flow-level effects are not applied.
void DetectContext::overflow_match(const Signature& s, const DetectPacket&) {
  counters_.add(DetectCounter::alerts_over_max);
  if (cfg_.inline_mode && s.action != RuleAction::alert && s.action != RuleAction::pass) {
    overflow_drop_ = true;
  }
}

Verdict DetectContext::finalize(const DetectPacket& p) {
  reject_len_ = 0;
  if (match_count_ == 0) {
    const bool drop = overflow_drop_;
    overflow_drop_ = false;
    return drop ? Verdict::drop : Verdict::accept;
  }
  Flow* flow = p.flow;
  const DecodedPacket& dp = *p.dp;
  const auto sigs = rules_->signatures();
  // Transaction matches came first; every match is finalised in evaluation order.
  std::sort(matches_.begin(), matches_.begin() + static_cast<std::ptrdiff_t>(match_count_),
            [](const Match& a, const Match& b) { return a.sig < b.sig; });
  Verdict verdict = Verdict::accept;
  bool passed = false;
  std::array<Match, kMaxAlertsPerPacket> logged{};
  std::size_t n_logged = 0;
  for (std::size_t i = 0; i < match_count_; ++i) {
    const Signature& s = sigs[matches_[i].sig];
    bool silent = false;  // the rule's action applies but it raises no alert
    if (s.threshold) {
      ThresholdSubject subj{dp.family, dp.src, dp.dst, dp.sport, dp.dport,
                            flow != nullptr ? flow->flow_id : 0};
      const ThresholdVerdict tv = thresholds_.decide(*s.threshold, matches_[i].sig, subj, p.ts_ns);
      if (tv != ThresholdVerdict::alert) counters_.add(DetectCounter::alerts_suppressed);
      if (tv == ThresholdVerdict::discard) continue;
      silent = tv == ThresholdVerdict::silent;
    }
    // As in Suricata, pass and drop reach the whole flow when the rule is about the flow rather
    // than this packet's bytes: IP-only and protocol/port-only rules, stream matches, and
    // transaction (app-layer) matches — a blocked HTTP request's connection stays blocked.
    const bool to_flow = flow != nullptr && (matches_[i].stream || s.flow_scope || s.tx_rule);
    if (s.action == RuleAction::pass) {
      passed = true;
      // A pass stops the packet's remaining (lower-order) alerts.
      // A packet already dropped by an earlier rule stays dropped, and its flow is not passed.
      if (to_flow && verdict == Verdict::accept &&
          !(flow->flags & (flowflag::drop | flowflag::pass))) {
        flow->flags |= flowflag::pass;
        counters_.add(DetectCounter::pass_flows);
      }
      break;
    }
    if (s.action != RuleAction::alert && cfg_.inline_mode) {
      const bool reject = s.action != RuleAction::drop;
      if (reject) {
        if (verdict != Verdict::reject) {
          reject_len_ = build_reject(
              dp, s.action == RuleAction::rejectdst ? RejectTarget::destination : RejectTarget::source,
              reject_buf_);
          if (reject_len_ > 0) counters_.add(DetectCounter::reject_answers);
        }
        verdict = Verdict::reject;
      } else if (verdict == Verdict::accept) {
        verdict = Verdict::drop;
      }
      if (to_flow && !(flow->flags & (flowflag::drop | flowflag::pass))) {
        flow->flags |= flowflag::drop;
        counters_.add(DetectCounter::drop_flows);
      }
    }
    if (flow != nullptr && (s.action != RuleAction::alert || !s.noalert)) {
      flow->flags |= flowflag::flagged;
    }
    if (s.noalert || silent) continue;
    if (n_logged < cfg_.packet_alert_max) {
      logged[n_logged++] = matches_[i];
    } else {
      counters_.add(DetectCounter::alerts_over_max);
    }
  }
  // Matches past the array (see overflow_match) were counted as over max; their drop stands.
  if (overflow_drop_ && verdict == Verdict::accept) verdict = Verdict::drop;
  overflow_drop_ = false;
  if (verdict == Verdict::drop) counters_.add(DetectCounter::dropped_packets);
  if (verdict == Verdict::reject) counters_.add(DetectCounter::rejected_packets);
  for (std::size_t i = 0; i < n_logged; ++i) {
    if (flow != nullptr) flow->flags |= flowflag::alerted;
    // As Suricata's EVE: "blocked" for the alerts of the rules that dropped or rejected it.
    const Signature& s = sigs[logged[i].sig];
    const bool blocked = cfg_.inline_mode && s.action != RuleAction::alert &&
                         s.action != RuleAction::pass && verdict != Verdict::accept;
    const std::uint8_t extra = static_cast<std::uint8_t>(
        (cfg_.inline_mode ? alertflag::inline_mode : 0) |
        (verdict != Verdict::accept ? alertflag::packet_dropped : 0) |
        (passed ? alertflag::packet_passed : 0));
    emit(p, s, logged[i].stream, blocked, extra);
  }
  match_count_ = 0;
  return verdict;
}

void DetectContext::emit(const DetectPacket& p, const Signature& s, bool stream, bool blocked,
                         std::uint8_t extra_flags) {
  const DecodedPacket& dp = *p.dp;
  AlertRecord a;
  a.sig = &s;
  a.ts_ns = p.ts_ns;
  a.pcap_cnt = p.pcap_cnt;
  a.src = dp.src;
  a.dst = dp.dst;
  a.sport = dp.sport;
  a.dport = dp.dport;
  a.vlan = dp.vlan;
  a.family = dp.family;
  a.ip_proto = dp.ip_proto;
  a.icmp_type = dp.icmp_type;
  a.icmp_code = dp.icmp_code;
  a.dir = p.dir;
  a.source = p.source;
  if (dp.tunnel_depth > 0) {
    a.tunnel_depth = dp.tunnel_depth;
    a.tunnel_proto = dp.tunnel_proto;
    a.tunnel_family = dp.tunnel_family;
    a.tunnel_src = dp.tunnel_src;
    a.tunnel_dst = dp.tunnel_dst;
    if (a.source == PacketSource::wire) {
      a.source = dp.tunnel_family == IpFamily::v6 ? PacketSource::ipv6_tunnel
                                                  : PacketSource::ipv4_tunnel;
    }
  }
  a.flags = static_cast<std::uint8_t>((blocked ? alertflag::blocked : 0) |
                                      (stream ? alertflag::stream_match : 0) | extra_flags);
  if (const Flow* f = p.flow) {
    a.flags |= alertflag::has_flow;
    a.flow_id = f->flow_id;
    a.app_proto = f->app_proto;
    a.flow_start_ns = f->start_ns;
    for (int d = 0; d < 2; ++d) {
      a.flow_pkts[d] = f->pkts[d];
      a.flow_bytes[d] = f->bytes[d];
    }
    a.flow_client = f->client_addr();
    a.flow_server = f->server_addr();
    a.flow_client_port = f->client_port();
    a.flow_server_port = f->server_port();
  }
  if (alerts_.push(a)) {
    counters_.add(DetectCounter::alerts);
  } else {
    counters_.add(DetectCounter::alerts_dropped);
  }
}

DetectContext::TxMatch DetectContext::tx_matches(const Signature& s, const DetectPacket& p,
                                                 const app::AppTxView& tx) {
  const std::span<const std::uint8_t> payload = p.dp->payload;
  if (s.payload.dsize && !s.payload.dsize->matches(payload.size())) return TxMatch::later;
  begin_rule(payload_scratch_);
  bool later = false;
  for (std::size_t li = 0; li < s.payload.lists.size(); ++li) {
    const PayloadMatchList& l = s.payload.lists[li];
    if (s.list_app[li] == Signature::kListOnPayload) {
      // Plain contents of a transaction rule look at the packet that made the progress; a later
      // packet of the transaction may carry them.
      if (payload.empty() || !payload_match(l, payload, payload_scratch_)) later = true;
      continue;
    }
    const auto b = static_cast<app::AppBuffer>(s.list_app[li]);
    bool any = false, present = false;
    app::AppSpan span;
    for (std::size_t i = 0; !any && tx.get(b, i, span); ++i) {
      present = true;
      if (!span.at_start && s.list_anchored[li]) continue;
      any = payload_match(l, span.data, payload_scratch_);
    }
    if (any) continue;
    // Absent for now, or a body whose next window may hold it: undecided. A buffer that is there
    // whole and does not match decides the rule.
    if (!present || app::AppTxView::streaming(b)) {
      later = true;
      continue;
    }
    return TxMatch::no;
  }
  return later ? TxMatch::later : TxMatch::yes;
}

void DetectContext::inspect_app(const DetectPacket& p, const app::AppTxView& tx) {
  Flow* flow = p.flow;
  if (flow == nullptr || (flow->flags & (flowflag::drop | flowflag::pass)) || !pf_scratch_) return;
  counters_.add(DetectCounter::app_inspections);
  const RuleSet& rs = *rules_;
  // The transaction's memory says what earlier progress left undecided: then only this
  // progress's new buffers are scanned, and the undecided rules are checked again.
  app::TxAlertMemory::Entry* mem = tx.memory != nullptr ? &tx.memory->entry(tx.tx_id) : nullptr;
  const bool scan_all = mem == nullptr || !mem->inspected || mem->pending_overflow;
  for (const RuleSet::AppScan& sc : rs.app_scans()) {
    if (app::app_buffer_proto(sc.buffer) != tx.proto) continue;
    if (!sc.members.empty()) {
      scan_app_group(sc, tx, scan_all);
      continue;
    }
    if (!scan_all && !tx.fresh(sc.buffer)) continue;
    app::AppSpan span;
    for (std::size_t i = 0; tx.get(sc.buffer, i, span); ++i) {
      std::span<const std::uint8_t> data = span.data;
      if (!scan_all && sc.transforms.empty() && span.seen > 0) {
        // A body window: patterns wholly in bytes an earlier window held were found then (their
        // rules are among the undecided ones); scan from just before the new bytes.
        data = data.subspan(std::min(data.size(), seam_start(span.seen)));
      }
      if (!sc.transforms.empty()) data = apply_transforms(sc.transforms, data, payload_scratch_.transforms);
      if (rs.prefilter()->scan(sc.id, data, *pf_scratch_, candidates_) != PrefilterScanStatus::ok) {
        counters_.add(DetectCounter::prefilter_errors);
      }
    }
  }
  if (mem != nullptr && !scan_all) {
    for (std::uint32_t i = 0; i < mem->pending_count; ++i) candidates_.add(mem->pending[i]);
  }
  take_candidates();

  std::uint32_t pending[app::TxAlertMemory::kPending];
  std::uint32_t n_pending = 0;
  bool overflow = false;
  auto undecided = [&](std::uint32_t idx) {
    counters_.add(DetectCounter::app_undecided);
    if (n_pending < app::TxAlertMemory::kPending) {
      pending[n_pending++] = idx;
    } else {
      overflow = true;
    }
  };
  const DecodedPacket& dp = *p.dp;
  const ProtoClass cls = proto_class(dp.ip_proto);
  const bool established = is_established(flow, dp);
  const auto sigs = rs.signatures();
  for (std::uint32_t idx : order_) {
    const Signature& s = sigs[idx];
    if (!s.tx_rule || s.app != tx.proto) continue;
    counters_.add(DetectCounter::app_candidates);
    const std::uint16_t f = s.flow.flags;
    if ((f & (flowcond::to_server | flowcond::to_client)) &&
        p.dir != ((f & flowcond::to_server) ? FlowDirection::to_server : FlowDirection::to_client)) {
      undecided(idx);  // the transaction's other direction may still come
      continue;
    }
    if (!header_matches(s, p, cls, established)) continue;
    if (!flowvars_match(s, flow)) continue;
    const TxMatch m = tx_matches(s, p, tx);
    if (m == TxMatch::later) undecided(idx);
    if (m != TxMatch::yes) continue;
    if (tx.memory != nullptr && !tx.memory->first_alert(tx.tx_id, idx)) {
      counters_.add(DetectCounter::app_repeat_alerts);
      continue;
    }
    bool seen = false;  // one match per rule per packet (a packet may progress several tx)
    for (std::size_t i = 0; i < match_count_ && !seen; ++i) seen = matches_[i].sig == idx;
    if (!seen) record_match(s, idx, p, false);
  }
  if (mem != nullptr) {
    mem->inspected = true;
    mem->pending_overflow = overflow;
    mem->pending_count = n_pending;
    std::copy(pending, pending + n_pending, mem->pending);
  }
}

void DetectContext::scan_app_group(const RuleSet::AppScan& sc, const app::AppTxView& tx,
                                   bool scan_all) {
  // The members' bytes one after another, each followed by a line feed, scanned at once. A
  // pattern found across two of them only makes a rule a candidate; its lists decide.
  const Prefilter& pf = *rules_->prefilter();
  std::size_t len = 0;
  auto flush = [&](std::span<const std::uint8_t> data) {
    if (pf.scan(sc.id, data, *pf_scratch_, candidates_) != PrefilterScanStatus::ok) {
      counters_.add(DetectCounter::prefilter_errors);
    }
  };
  for (const app::AppBuffer m : sc.members) {
    if (!scan_all && !tx.fresh(m)) continue;
    app::AppSpan span;
    for (std::size_t i = 0; tx.get(m, i, span); ++i) {
      const std::size_t n = span.data.size();
      if (len + n + 1 > kGroupScanBytes && len > 0) {
        flush({group_buf_.get(), len});
        len = 0;
      }
      if (n + 1 > kGroupScanBytes) {
        flush(span.data);
        continue;
      }
      std::memcpy(group_buf_.get() + len, span.data.data(), n);
      len += n;
      group_buf_[len++] = '\n';
    }
  }
  if (len > 0) flush({group_buf_.get(), len});
}

void DetectContext::inspect_app_end(Flow& flow, const app::AppTxView& tx, std::uint64_t ts_ns) {
  const DecodedPacket pseudo = flow_side_packet(flow, tx.dir);
  DetectPacket p;
  p.dp = &pseudo;
  p.flow = &flow;
  p.dir = tx.dir;
  p.ts_ns = ts_ns;
  p.stream_end = true;
  match_count_ = 0;
  inspect_app(p, tx);
  if (match_count_ > 0) finalize(p);
}

void DetectContext::inspect_stream_end(Flow& flow, FlowDirection dir, std::uint64_t ts_ns) {
  // Bytes delivered now, or left pending by a mid-stream pickup packet.
  bool pending = false;
  if (flow.detect_slot != kNoFlow) {
    TailHeader h;
    std::memcpy(&h, tail_of(slots_.get() + std::size_t{flow.detect_slot} * slot_bytes_, dir), sizeof h);
    pending = h.pending > 0;
  }
  if ((stream_len_ == 0 || stream_flow_ != &flow || stream_dir_ != dir) && !pending) {
    stream_len_ = 0;
    stream_flow_ = nullptr;
    return;
  }
  if (stream_len_ == 0) {
    stream_flow_ = &flow;
    stream_dir_ = dir;
  }
  const DecodedPacket pseudo = flow_side_packet(flow, dir);
  DetectPacket p;
  p.dp = &pseudo;
  p.flow = &flow;
  p.dir = dir;
  p.ts_ns = ts_ns;
  p.stream_end = true;
  counters_.add(DetectCounter::stream_end_inspections);
  inspect(p);
}

void DetectContext::on_flow_end(Flow& flow) {
  if (stream_flow_ == &flow) {
    stream_len_ = 0;
    stream_flow_ = nullptr;
  }
  release_flow_vars(flow);
}

void DetectContext::for_each_counter(
    const std::function<void(std::string_view, std::uint64_t)>& fn) const {
  vigil::for_each_counter(counters_, detect_counter_name, fn);
  vigil::for_each_counter(payload_scratch_.counters, [](PayloadCounter c) {
    return counter_name(kPayloadCounterNames, static_cast<std::size_t>(c), "detect.payload.?");
  }, fn);
  if (pf_scratch_) vigil::for_each_counter(pf_scratch_->counters, prefilter_counter_name, fn);
  fn("detect.flow_vars_in_use", cfg_.flow_var_slots - free_slots_.size());
}

}  // namespace vigil::detect
