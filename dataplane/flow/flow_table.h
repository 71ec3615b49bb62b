// FlowTable: one worker's flows. Everything is preallocated by the constructor; lookups, creation,
// expiry and eviction never allocate, lock or call the system. Thread-safety: none needed and
// none provided: a table belongs to exactly one worker (symmetric RSS sends both directions of a
// flow to the same worker). Flow pointers stay valid until that flow ends.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "dataplane/common/counter_set.h"
#include "dataplane/decode/decoded_packet.h"
#include "dataplane/flow/flow.h"
#include "dataplane/flow/flow_key.h"
#include "dataplane/flow/tcp_tracker.h"

namespace vigil {

// Idle timeouts in seconds per protocol and flow state. Defaults are Suricata's suricata.yaml
// `flow-timeouts` (tcp 60/600/60, udp and icmp 30/300, default 30/300). Only TCP has a closed
// state; the other protocols' `closed` is unused.
struct FlowTimeoutSet {
  std::uint32_t new_s = 30;
  std::uint32_t established_s = 300;
  std::uint32_t closed_s = 0;
};

struct FlowTimeouts {
  FlowTimeoutSet tcp{60, 600, 60};
  FlowTimeoutSet udp{30, 300, 0};
  FlowTimeoutSet icmp{30, 300, 0};   // ICMP and ICMPv6
  FlowTimeoutSet other{30, 300, 0};  // every other IP protocol
};

struct FlowTableConfig {
  std::uint32_t max_flows = 65536;   // 0 tracks nothing; at most kMaxFlows
  FlowTimeouts timeouts{};
  TcpTrackConfig tcp{};
  // Seeds the table's hash (its memory layout only). Flow ids and every output ordering do not
  // depend on it, so a live appliance can randomise it while replays stay reproducible.
  std::uint64_t hash_seed = 0;
  // VLAN ids are part of the flow key (Suricata's vlan.use-for-tracking). Off: both directions of
  // a connection tagged on one side only are one flow.
  bool vlan_tracking = true;
};

// Called once per ending flow, before its slot is reused: the last moment the Flow may be read,
// and where the pipeline gives the flow's stream states back to the reassembler. The handler must
// not call back into the table that calls it.
class FlowEndHandler {
 public:
  virtual void on_flow_end(Flow& flow, FlowEndReason reason) = 0;

 protected:
  ~FlowEndHandler() = default;
};

// X(enumerator, "stats name")
#define VIGIL_FLOW_COUNTERS(X)                      \
  X(created, "flow.created")                        \
  X(end_timeout, "flow.end.timeout")                \
  X(end_forced, "flow.end.forced")                  \
  X(end_shutdown, "flow.end.shutdown")              \
  X(end_tcp_reuse, "flow.end.tcp_reuse")            \
  X(not_ip, "flow.not_ip")                          \
  X(fragment, "flow.fragment_not_reassembled")      \
  X(no_capacity, "flow.no_capacity")

enum class FlowCounter : std::uint8_t { VIGIL_FLOW_COUNTERS(VIGIL_COUNTER_ENUM) count_ };

inline constexpr std::size_t kFlowCounterCount = static_cast<std::size_t>(FlowCounter::count_);

std::string_view flow_counter_name(FlowCounter c);

using FlowCounters = CounterSet<FlowCounter, kFlowCounterCount>;

class FlowTable {
 public:
  static constexpr std::uint32_t kMaxFlows = 1u << 30;

  // Allocates every flow slot and the index up front. Throws std::invalid_argument when
  // max_flows exceeds kMaxFlows (configuration time only).
  explicit FlowTable(const FlowTableConfig& cfg);
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Key and seeded hash of a packet, computed once; prefetch() with it, then lookup_or_create().
  FlowKeyStatus prepare(const DecodedPacket& p, PacketFlowKey& out) const;
  void prefetch(const PacketFlowKey& k) const;
  // Second stage, once prefetch()'s index slot has arrived: prefetches the flow the slot names,
  // if its hash matches (the key is compared later, in lookup_or_create()).
  void prefetch_flow(const PacketFlowKey& k) const;

  // Finds the packet's flow or starts one, and says which way the packet goes. A flow found past
  // its timeout ends (timeout) and a new one starts, as does a bare SYN on a closed or time_wait
  // TCP connection (tcp_reuse). When the table is full a victim ends first (see make_room).
  // Returns nullptr only for packets without an IP layer, undecoded fragments, or max_flows 0.
  Flow* lookup_or_create(const DecodedPacket& p, const PacketFlowKey& k, std::uint64_t now_ns,
                         FlowDirection& dir, FlowEndHandler& handler);
  Flow* lookup_or_create(const DecodedPacket& p, std::uint64_t now_ns, FlowDirection& dir,
                         FlowEndHandler& handler);

  // Counts the packet (wire_len bytes) in its direction, runs TCP tracking, and moves the flow to
  // the tail of its (possibly new) timeout list. `f` and `dir` come from this table's
  // lookup_or_create for the same packet.
  TcpTrackStatus account(Flow& f, FlowDirection dir, const DecodedPacket& p,
                         std::uint32_t wire_len, std::uint64_t now_ns);

  // The flow with this key, without creating or refreshing anything; nullptr when absent.
  Flow* find(const FlowKey& key);

  // Ends flows whose deadline is before now_ns, earliest deadline first, at most `budget` of them.
  // Returns how many ended. now_ns is on the packets' clock (capture time when replaying).
  std::size_t expire(std::uint64_t now_ns, FlowEndHandler& handler, std::size_t budget);

  // Ends every flow with reason shutdown, ordered by start time, then flow id, then key bytes, so
  // a replay's output is reproducible. Returns how many ended.
  std::size_t flush_all(FlowEndHandler& handler);

  // Deadline of the flow due first (it expires once time passes it); UINT64_MAX when empty.
  std::uint64_t next_deadline_ns() const;

  // The flow's slot in the table (0 .. max_flows-1), stable while the flow lives.
  std::uint32_t slot_of(const Flow& f) const { return static_cast<std::uint32_t>(&f - flows_.get()); }

  std::uint32_t active() const { return active_; }
  std::uint32_t max_flows() const { return max_flows_; }
  std::size_t memory_bytes() const;
  const FlowCounters& counters() const { return counters_; }
  const TcpCounters& tcp_counters() const { return tcp_counters_; }
  const FlowTableConfig& config() const { return cfg_; }

  // Walks every structure and checks that lists, index, free list and counts agree. O(max_flows);
  // for tests and debugging only.
  bool verify() const;

 private:
  // Timeout lists: one per (protocol group, flow state). Flows on one list share a timeout, so
  // the head is always the next to expire and a touch moves a flow to the tail in O(1).
  static constexpr std::size_t kStatesPerGroup = 3;
  static constexpr std::size_t kClassCount = 4 * kStatesPerGroup;
  static constexpr std::size_t kTcpClosedClass = 2;

  struct IndexSlot {
    std::uint32_t flow = kNoFlow;  // slot in flows_, kNoFlow when empty
    std::uint32_t hash = 0;        // low 32 bits of the flow's hash, checked before the key
  };
  struct List {
    std::uint32_t head = kNoFlow, tail = kNoFlow;
  };

  std::uint64_t advance_clock(std::uint64_t now_ns);
  std::uint64_t deadline(const Flow& f) const;
  std::uint8_t class_of(const Flow& f) const;
  std::uint32_t index_find(const FlowKey& key, std::uint32_t hash32) const;
  void index_insert(std::uint32_t idx, std::uint32_t hash32);
  void index_erase(std::uint32_t idx);
  void list_push_tail(std::uint8_t cls, std::uint32_t idx);
  void list_unlink(std::uint8_t cls, std::uint32_t idx);
  std::uint32_t earliest_head() const;
  void make_room(std::uint64_t now, FlowEndHandler& handler);
  std::uint32_t create(const DecodedPacket& p, const PacketFlowKey& k, std::uint64_t now,
                       FlowEndHandler& handler);
  void end_flow(std::uint32_t idx, FlowEndReason reason, FlowEndHandler& handler);

  FlowTableConfig cfg_;
  std::uint32_t max_flows_ = 0;
  std::uint32_t index_mask_ = 0;
  std::uint32_t active_ = 0;
  std::uint32_t free_head_ = kNoFlow;
  std::uint64_t clock_ns_ = 0;  // latest time seen; older timestamps are clamped to it
  std::array<std::uint64_t, kClassCount> timeout_ns_{};
  std::array<List, kClassCount> lists_{};
  std::unique_ptr<Flow[]> flows_;
  std::unique_ptr<IndexSlot[]> index_;
  std::unique_ptr<std::uint32_t[]> order_;  // flush_all's sort space
  FlowCounters counters_{};
  TcpCounters tcp_counters_{};
};

}  // namespace vigil
