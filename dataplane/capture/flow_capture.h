// FlowCapture: keeps the packets of flagged flows (an alert was raised or a drop rule matched),
// as Suricata's `tag:session` does, and hands them to the control plane, which writes one pcap
// per flow. One per worker; everything is allocated in the constructor.
//
// - History: every packet of an unflagged flow is copied into a per-worker ring of recent packets,
//   chained per flow, so that when a flow is flagged its last `history_packets` packets before
//   the alert are still there (those already overwritten are counted as history_missed).
// - From the flagging packet on, every packet of the flow is pushed to the queue until the flow
//   ends or the cap (max_packets, max_bytes) is reached; then one end record closes it.
// - The queue never blocks the worker: a record that does not fit is dropped and counted, and the
//   end record says how many packets the flow's capture lost.
//
// Thread-safety: everything but queue()'s consumer side belongs to the worker's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "dataplane/capture/capture_record.h"
#include "dataplane/common/counter_set.h"
#include "dataplane/flow/flow.h"
#include "dataplane/packet/packet_view.h"

namespace vigil::capture {

struct CaptureConfig {
  bool enabled = false;
  std::uint32_t history_packets = 8;         // packets before the alert, per flow (0: none)
  std::uint32_t history_bytes = 4u << 20;    // the per-worker ring of recent packets
  std::uint32_t max_packets = 256;           // per flow, from the flagging packet (Suricata's tag default)
  std::uint64_t max_bytes = 1u << 20;        // per flow, captured bytes
  std::uint32_t queue_bytes = 16u << 20;     // worker -> control plane
  std::uint32_t snaplen = 65535;             // longer packets are cut, as a capture would
};

#define VIGIL_CAPTURE_COUNTERS(X)                                                       \
  X(flows, "capture.flows")                     /* flows whose capture started */      \
  X(packets, "capture.packets")                 /* packet records queued */            \
  X(bytes, "capture.bytes")                     /* captured bytes queued */            \
  X(history_packets, "capture.history_packets") /* of them, from before the alert */   \
  X(history_missed, "capture.history_missed")   /* wanted but already overwritten */   \
  X(capped_flows, "capture.capped_flows")       /* captures ended by the cap */        \
  X(queue_full, "capture.queue_full")           /* records dropped: queue full */      \
  X(ended, "capture.ended")                     /* end records queued */               \
  X(end_lost, "capture.end_lost")               /* end records dropped: queue full */

enum class CaptureCounter : std::uint8_t { VIGIL_CAPTURE_COUNTERS(VIGIL_COUNTER_ENUM) count_ };
inline constexpr std::size_t kCaptureCounterCount = static_cast<std::size_t>(CaptureCounter::count_);
std::string_view capture_counter_name(CaptureCounter c);
using CaptureCounters = CounterSet<CaptureCounter, kCaptureCounterCount>;

class FlowCapture {
 public:
  // `max_flows`: the flow table's size; flows are known by their slot in it.
  FlowCapture(const CaptureConfig& config, std::uint32_t max_flows);
  FlowCapture(const FlowCapture&) = delete;
  FlowCapture& operator=(const FlowCapture&) = delete;

  // One packet of `flow` (table slot `slot`), after detection: flows not flagged remember it in
  // the history; flagged flows queue it (the first time with their history before it). An
  // unflagged flow's packet touches only the flow (its capture_* fields) and the ring.
  void on_packet(Flow& flow, std::uint32_t slot, const PacketView& pkt);
  // The flow ends: a capture still open gets its end record (a flow flagged by its end's
  // inspection gets its history first).
  void on_flow_end(Flow& flow, std::uint32_t slot);

  CaptureQueue& queue() { return queue_; }
  const CaptureCounters& counters() const { return counters_; }
  const CaptureConfig& config() const { return cfg_; }

 private:
  // Kept in Flow::flags (flowflag::capturing, capture_done).
  enum class State : std::uint8_t { idle = 0, capturing = 1, done = 2 };
  // Per table slot, used only once the flow is flagged.
  struct FlowState {
    std::uint64_t bytes = 0;
    std::uint32_t packets = 0, lost = 0, history_missed = 0;
    std::uint32_t tagged = 0;       // packets from the flagging one on (the cap counts these)
    State state = State::idle;
  };
  struct HistoryEntry {             // followed by caplen bytes; 16-byte aligned throughout
    std::uint64_t prev_pos;         // the same flow's previous packet, or kNone
    std::uint64_t flow_id;
    std::uint64_t ts_ns;
    std::uint32_t caplen, wire_len;
    LinkType link_type;
    std::uint32_t entry_bytes;      // header and bytes, padded to 16
    std::uint64_t reserved;         // keeps the header a multiple of 16 bytes
  };
  static_assert(sizeof(HistoryEntry) % 16 == 0);
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};

  void remember(Flow& flow, const PacketView& pkt);
  // `counted`: the flow's packet counts include a current packet that is not history.
  void start(FlowState& st, Flow& flow, bool counted);
  void push_packet(FlowState& st, std::uint64_t flow_id, LinkType link, std::uint64_t ts,
                   std::uint32_t wire_len, const std::uint8_t* data, std::uint32_t caplen);
  void finish(FlowState& st, std::uint64_t flow_id, CaptureEnd why, std::uint64_t ts);
  static State state(const Flow& f) {
    return (f.flags & flowflag::capture_done) ? State::done
           : (f.flags & flowflag::capturing)  ? State::capturing
                                              : State::idle;
  }
  static void set_state(Flow& f, State s) {
    f.flags &= static_cast<std::uint8_t>(~(flowflag::capturing | flowflag::capture_done));
    if (s == State::capturing) f.flags |= flowflag::capturing;
    if (s == State::done) f.flags |= flowflag::capture_done;
  }
  // The entry at `pos` copied to `e` and its bytes, or nullptr once overwritten.
  const std::uint8_t* entry_at(std::uint64_t pos, HistoryEntry& e) const;

  CaptureConfig cfg_;
  std::uint32_t max_flows_;
  std::unique_ptr<FlowState[]> flows_;
  std::unique_ptr<std::uint8_t[]> ring_;
  std::uint64_t ring_size_ = 0;  // a power of two
  std::uint64_t write_pos_ = 0;  // absolute; the ring holds [write_pos_ - ring_size_, write_pos_)
  CaptureQueue queue_;
  CaptureCounters counters_{};
  std::uint64_t last_ts_ = 0;
};

}  // namespace vigil::capture
