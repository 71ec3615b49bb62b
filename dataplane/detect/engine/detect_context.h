// DetectContext: one worker's detection state and the per-packet evaluation of a RuleSet —
// candidate rules from the prefilter and the groups, header / flow / flowbits / payload checks in
// evaluation order, thresholds, the pass / drop / reject actions and the alerts that leave
// through a lock-free queue.
//
// Owned by one worker and used by its thread only. Everything is allocated in the constructor
// (prefilter scratch, candidate set, per-flow variable slots, threshold table, stream window,
// alert queue); inspect() allocates nothing, takes no lock and makes no system call.
//
// Stream inspection (TCP): bytes the reassembler delivers while a packet is processed are
// collected (on_stream_data) and inspected with the last kStreamTail bytes of the same direction
// in front, so a pattern split across segments is found; a rule alerts on the stream only when
// the match needs the new bytes (the window matches and its old part alone does not).
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/app/app_buffer.h"
#include "dataplane/common/counter_set.h"
#include "dataplane/decode/decoded_packet.h"
#include "dataplane/detect/engine/alert.h"
#include "dataplane/detect/engine/reject.h"
#include "dataplane/detect/engine/rule_set.h"
#include "dataplane/detect/engine/threshold.h"
#include "dataplane/flow/flow.h"

namespace vigil::detect {

struct DetectConfig {
  bool inline_mode = false;              // drop / reject take effect (inline or --simulate-ips)
  std::uint32_t packet_alert_max = 15;   // alerts logged per packet (highest priority first)
  std::uint32_t flow_var_slots = 65536;  // flows that may hold flowbits / stream windows at once
  std::uint32_t threshold_entries = 65536;
  std::uint32_t alert_queue_capacity = 65536;
  std::uint32_t recursion_limit = 3000;  // Suricata's detect.inspection-recursion-limit
};

#define VIGIL_DETECT_COUNTERS(X)                                                         \
  X(packets, "detect.packets")                 /* packets inspected */                   \
  X(candidates, "detect.candidates")           /* rules fully evaluated */               \
  X(matches, "detect.matches")                 /* rules that matched */                  \
  X(alerts, "detect.alerts")                   /* alert records emitted */               \
  X(alerts_suppressed, "detect.alerts_suppressed") /* threshold / detection_filter */    \
  X(alerts_over_max, "detect.alerts_over_max") /* past packet-alert-max, not logged */   \
  X(alerts_dropped, "detect.alerts_dropped")   /* lost: the alert queue was full */      \
  X(stream_windows, "detect.stream_windows")   /* stream windows inspected */            \
  X(stream_end_inspections, "detect.stream_end_inspections") /* flow-end stream bytes */ \
  X(stream_bytes_unchecked, "detect.stream_bytes_unchecked") /* window overflow */       \
  X(flow_vars_exhausted, "detect.flow_vars_exhausted") /* no slot: flowbits lost */      \
  X(pass_flows, "detect.flows_passed")                                                   \
  X(drop_flows, "detect.flows_dropped")                                                  \
  X(dropped_packets, "detect.dropped_packets")                                           \
  X(rejected_packets, "detect.rejected_packets")                                         \
  X(passed_packets, "detect.passed_packets")   /* not inspected: their flow was passed */\
  X(reject_answers, "detect.reject_answers")   /* RST / ICMP unreachable built to send */ \
  X(tagged_packets, "detect.tagged_packets")   /* later packets of flagged flows */     \
  X(prefilter_errors, "detect.prefilter_errors")                                         \
  X(app_inspections, "detect.app_inspections") /* transaction progress inspected */       \
  X(app_candidates, "detect.app_candidates")   /* transaction rules evaluated */         \
  X(app_undecided, "detect.app_undecided")     /* ...left for a later progress */        \
  X(app_repeat_alerts, "detect.app_repeat_alerts") /* a rule matched its tx again: no alert */

enum class DetectCounter : std::uint8_t { VIGIL_DETECT_COUNTERS(VIGIL_COUNTER_ENUM) };
inline constexpr std::string_view kDetectCounterNames[] = {VIGIL_DETECT_COUNTERS(VIGIL_COUNTER_NAME)};
using DetectCounters = CounterSet<DetectCounter, std::size(kDetectCounterNames)>;
constexpr std::string_view detect_counter_name(DetectCounter c) {
  return counter_name(kDetectCounterNames, static_cast<std::size_t>(c), "detect.?");
}

// One packet as the engine sees it.
struct DetectPacket {
  const DecodedPacket* dp = nullptr;
  Flow* flow = nullptr;  // null for packets without a flow
  FlowDirection dir = FlowDirection::to_server;
  std::uint64_t ts_ns = 0;
  std::uint64_t pcap_cnt = 0;
  bool l4_invalid = false;  // the transport header could not be decoded: only `ip` rules apply
  PacketSource source = PacketSource::wire;
  bool stream_end = false;  // a flow's last stream bytes, with no packet: stream rules only
  std::uint8_t app_before = 0;  // the flow's app::AppProto before this packet's bytes were parsed
};

class DetectContext {
 public:
  static constexpr std::size_t kStreamTail = 256;       // old bytes kept in front of new ones
  // Longest payload prefilter pattern (longer contents give their last bytes): the prefilter
  // scans a window from kMaxStreamPattern - 1 bytes before its new bytes, which finds every
  // pattern the new bytes complete; rules found earlier whose match may still complete are
  // carried to the next windows (kStreamCarry per direction) while their bytes are in the tail.
  static constexpr std::size_t kMaxStreamPattern = 64;
  static constexpr std::size_t kStreamCarry = 8;
  static constexpr std::size_t kStreamWindow = 65536;   // largest window inspected at once
  static constexpr std::size_t kMaxAlertsPerPacket = 64;  // matches kept for finalisation

  using AlertQueue = boost::lockfree::spsc_queue<AlertRecord>;

  DetectContext(std::shared_ptr<const RuleSet> rules, const DetectConfig& config);
  DetectContext(const DetectContext&) = delete;
  DetectContext& operator=(const DetectContext&) = delete;
  ~DetectContext();

  // Before a packet's stream delivery: forget the previous packet's stream bytes.
  void begin_packet() {
    stream_len_ = 0;
    stream_flow_ = nullptr;
    match_count_ = 0;
  }
  // Bytes the reassembler delivered for `dir` of `flow` while the current packet was processed.
  void on_stream_data(Flow& flow, FlowDirection dir, std::span<const std::uint8_t> data);
  // A transaction of the packet's flow progressed while the packet was processed (app layer):
  // runs the transaction rules over its buffers. Matches are finalised by inspect(p).
  void inspect_app(const DetectPacket& p, const app::AppTxView& tx);
  // The same when the flow ends (no packet): matches are finalised at once.
  void inspect_app_end(Flow& flow, const app::AppTxView& tx, std::uint64_t ts_ns);
  // Runs the rules over one packet (after flow tracking and stream delivery).
  Verdict inspect(const DetectPacket& p);
  // The flow is ending and the reassembler delivered its remaining bytes of `dir` (after a hole):
  // inspects them with the rules that look at the stream, as Suricata's flow-end pseudo packets.
  void inspect_stream_end(Flow& flow, FlowDirection dir, std::uint64_t ts_ns);
  // The flow is ending: release its variables.
  void on_flow_end(Flow& flow);

  AlertQueue& alerts() { return alerts_; }
  // After inspect() returned Verdict::reject: the RST / ICMP unreachable to transmit (a raw IP
  // datagram), valid until the next inspect(); empty when the packet gets no answer.
  std::span<const std::uint8_t> reject_answer() const { return {reject_buf_.data(), reject_len_}; }
  const DetectCounters& counters() const { return counters_; }
  const RuleSet& rules() const { return *rules_; }
  void for_each_counter(const std::function<void(std::string_view, std::uint64_t)>& fn) const;

 private:
  struct Match {
    std::uint32_t sig;
    bool stream;
  };
  struct Window;
  struct CarryEntry {
    std::uint32_t sig;
    std::uint32_t until;
  };
  void store_carry(Flow& flow, FlowDirection dir, std::span<const CarryEntry> entries);
  void take_candidates();  // the candidate set into order_: rules, sorted, each once
  void record_match(const Signature& s, std::uint32_t idx, const DetectPacket& p, bool stream);
  void scan_app_group(const RuleSet::AppScan& sc, const app::AppTxView& tx, bool scan_all);
  static constexpr std::size_t kGroupScanBytes = 64 * 1024;
  std::unique_ptr<std::uint8_t[]> group_buf_;  // a transaction's header buffers, joined

  void collect_candidates(const DetectPacket& p, ProtoClass cls,
                          std::span<const std::uint8_t> scan);
  void scan_payload(ProtoClass cls, const DecodedPacket& dp, std::span<const std::uint8_t> data);
  bool header_matches(const Signature& s, const DetectPacket& p, ProtoClass cls,
                      bool established) const;
  bool flowvars_match(const Signature& s, const Flow* flow);
  int payload_matches(const Signature& s, const DetectPacket& p, const Window* w);
  enum class TxMatch : std::uint8_t { no, yes, later };  // later: a buffer it needs may still come
  TxMatch tx_matches(const Signature& s, const DetectPacket& p, const app::AppTxView& tx);
  void apply_flowvar_actions(const Signature& s, Flow* flow);
  Verdict finalize(const DetectPacket& p);
  void emit(const DetectPacket& p, const Signature& s, bool stream, bool blocked,
            std::uint8_t extra_flags);
  void overflow_match(const Signature& s, const DetectPacket& p);

  std::uint8_t* flow_vars(Flow& flow, bool create);
  void release_flow_vars(Flow& flow);
  std::uint8_t* tail_of(std::uint8_t* vars, FlowDirection dir);
  void update_tail(Flow& flow, FlowDirection dir, std::span<const std::uint8_t> data,
                   bool inspected);
  void inspect_stream_window(const DetectPacket& p);

  std::shared_ptr<const RuleSet> rules_;
  DetectConfig cfg_;
  std::optional<PrefilterScratch> pf_scratch_;
  CandidateSet candidates_;
  std::vector<std::uint32_t> order_;  // candidates sorted, capacity = rule count
  PayloadScratch payload_scratch_;
  ThresholdTable thresholds_;

  // Per-flow variables: flowbits, flowints, stream tails; fixed-size slots, free list.
  std::size_t bit_words_ = 0, int_count_ = 0, slot_bytes_ = 0;
  std::unique_ptr<std::uint8_t[]> slots_;
  std::vector<std::uint32_t> free_slots_;

  // The current packet's stream bytes, behind room for the direction's tail.
  std::unique_ptr<std::uint8_t[]> stream_buf_;
  std::size_t stream_len_ = 0;
  Flow* stream_flow_ = nullptr;
  FlowDirection stream_dir_ = FlowDirection::to_server;

  std::array<std::uint8_t, kMaxRejectLen> reject_buf_{};
  std::size_t reject_len_ = 0;
  std::array<Match, kMaxAlertsPerPacket> matches_{};
  std::size_t match_count_ = 0;
  bool overflow_drop_ = false;
  AlertQueue alerts_;
  DetectCounters counters_;
};

}  // namespace vigil::detect
