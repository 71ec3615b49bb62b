// Worker: one dataplane pipeline, run to completion on one core. A burst of packet views goes
// through decode -> defrag -> flow lookup -> TCP tracking -> stream reassembly; flows that end
// leave as FlowRecords through a single-producer single-consumer lock-free queue.
//
// Thread-safety: process_burst(), tick() and shutdown() are called by the worker's thread only;
// the record queue's consumer side (records().pop) by exactly one other thread (or the same
// thread, as the replay command does). Everything is allocated in the constructor: the packet
// path allocates nothing, takes no lock and makes no system call.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "dataplane/app/app_layer.h"
#include "dataplane/capture/flow_capture.h"
#include "dataplane/decode/decode.h"
#include "dataplane/defrag/defrag.h"
#include "dataplane/detect/engine/detect_context.h"
#include "dataplane/flow/flow_record.h"
#include "dataplane/flow/flow_table.h"
#include "dataplane/stream/stream_reassembly.h"

namespace vigil {

struct WorkerConfig {
  FlowTableConfig flows{};
  DefragConfig defrag{};
  StreamConfig stream{};
  std::uint32_t record_queue_capacity = 65536;  // flow records waiting for the control plane
  std::uint32_t expire_budget = 256;            // flows ended by timeout per tick, at most
  std::shared_ptr<const detect::RuleSet> rules;  // null: no detection
  detect::DetectConfig detect{};
  app::AppLayerConfig app{};  // app.enabled = false: no protocol detection or parsing
  bool validate_checksums = false;  // -k all: TCP segments with a bad checksum skip the stream
  capture::CaptureConfig capture{};  // packets of flagged flows (needs rules)
};

// The worker's own counters (the stages keep theirs; see for_each_counter()).
struct WorkerCounters {
  std::uint64_t packets = 0, bytes = 0;        // every packet seen, wire bytes
  std::uint64_t ethernet = 0, vlan = 0, vlan_qinq = 0;
  std::uint64_t ipv4 = 0, ipv6 = 0, tcp = 0, udp = 0, icmpv4 = 0, icmpv6 = 0, other_ip = 0;
  std::uint64_t not_ip = 0;                    // valid link layer carrying no IP (ARP, LLDP, ...)
  std::uint64_t malformed = 0;                 // packets the decoder could not trust (events name why)
  std::uint64_t snapped = 0;                   // packets cut short by the capture
  std::uint64_t fragments = 0;                 // IP fragments handed to the defragmenter
  std::uint64_t reassembled = 0;               // datagrams rebuilt from fragments and inspected
  std::uint64_t stream_bytes = 0;              // bytes delivered in order by stream reassembly
  std::uint64_t stream_gaps = 0;               // deliveries that followed a skipped hole
  std::uint64_t flows_ended = 0;
  std::uint64_t records_dropped = 0;           // flow records lost because the queue was full
  std::uint64_t dropped = 0;                   // packets the verdict dropped (inline)
  std::uint64_t bad_checksum = 0;              // TCP segments ignored by tracking (-k all)
};

class Worker final : private FlowEndHandler, private StreamSink, private app::AppObserver {
 public:
  static constexpr std::size_t kMaxBurst = 64;  // longer bursts are processed in pieces

  using RecordQueue = boost::lockfree::spsc_queue<FlowRecord>;

  Worker(const WorkerConfig& config, std::uint16_t worker_id);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Inspects a burst. Packet timestamps drive all timeouts (replayed time on a capture, wall
  // time on a NIC), so a replay gives the same result however fast it runs.
  void process_burst(std::span<const PacketView> burst);

  // Ends flows and reassemblies whose timeout passed by `now_ns`, a bounded number per call.
  void tick(std::uint64_t now_ns);

  // Ends every flow (reason shutdown), in a deterministic order.
  void shutdown();

  RecordQueue& records() { return records_; }
  // Alerts of the last bursts, for the control plane; null without rules.
  detect::DetectContext* detect() { return detect_.get(); }
  const detect::DetectContext* detect() const { return detect_.get(); }
  // App-layer records (EVE http / dns / tls) for the control plane; null when disabled.
  app::AppLayer* app() { return app_.get(); }
  const app::AppLayer* app() const { return app_.get(); }
  // Packets of flagged flows for the control plane; null when capture is off or without rules.
  capture::FlowCapture* capture() { return capture_.get(); }
  // Verdict of each packet of the last burst given to process_burst (by index in that burst).
  std::span<const detect::Verdict> verdicts() const { return {scratch_.verdict.data(), last_burst_}; }
  // For a packet of the last burst whose verdict is reject: the RST / ICMP unreachable to send
  // (a raw IP datagram, see detect/engine/reject.h); empty otherwise or when not inline.
  std::span<const std::uint8_t> reject_answer(std::size_t i) const;
  const WorkerCounters& counters() const { return counters_; }
  const DecodeCounters& decode_counters() const { return decode_; }
  const Defragmenter& defrag() const { return defrag_; }
  const StreamReassembler& stream() const { return stream_; }
  const FlowTable& flows() const { return flows_; }
  std::uint16_t id() const { return id_; }

  // Calls fn(name, value) for every counter of the worker and its stages, with Suricata-style
  // dotted names ("decoder.ipv4", "ipv4.trunc_pkt", "defrag.overlap", "tcp.syn", ...).
  void for_each_counter(const std::function<void(std::string_view, std::uint64_t)>& fn) const;

 private:
  void process_packet(const PacketView& pkt);
  void count_layers(const DecodedPacket& dp);
  detect::Verdict inspect(DecodedPacket& dp, const PacketFlowKey* key, std::uint32_t wire_len,
                          std::uint64_t ts_ns,
                          detect::PacketSource source = detect::PacketSource::wire);
  void on_flow_end(Flow& flow, FlowEndReason reason) override;
  void on_stream_data(StreamDirState& dir, std::span<const std::uint8_t> data,
                      bool after_gap) override;
  void on_app_tx(Flow& flow, const app::AppTxView& tx) override;

  // Per-burst working state, kept here rather than on the stack so that a burst does not pay
  // for constructing 64 decoded packets and keys (decode and prepare() fill what is used).
  struct BurstScratch {
    std::array<DecodedPacket, kMaxBurst> decoded;
    std::array<DecodeStatus, kMaxBurst> status;
    std::array<PacketFlowKey, kMaxBurst> keys;
    std::array<bool, kMaxBurst> keyed;
    std::array<detect::Verdict, kMaxBurst> verdict;
  };

  WorkerConfig config_;
  BurstScratch scratch_{};
  std::uint16_t id_;
  FlowTable flows_;
  Defragmenter defrag_;
  StreamReassembler stream_;
  RecordQueue records_;
  std::unique_ptr<detect::DetectContext> detect_;
  std::unique_ptr<app::AppLayer> app_;
  std::unique_ptr<capture::FlowCapture> capture_;
  const PacketView* current_pkt_ = nullptr;  // the received packet being processed
  std::unique_ptr<std::uint8_t[]> reject_buf_;  // kMaxBurst answers (inline mode only)
  std::array<std::uint16_t, kMaxBurst> reject_len_{};
  const detect::DetectPacket* packet_ = nullptr;  // the packet being inspected, if any
  std::size_t last_burst_ = 0;
  std::uint64_t packet_number_ = 0;   // of the packet being inspected, 1-based over the run
  Flow* stream_flow_ = nullptr;       // flow and direction of the segment being reassembled
  FlowDirection stream_dir_ = FlowDirection::to_server;
  DecodeCounters decode_{};
  WorkerCounters counters_{};
  std::uint64_t now_ns_ = 0;  // latest packet time seen
};

}  // namespace vigil
