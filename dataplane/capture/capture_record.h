// CaptureRecord: how the packets of a flagged flow leave a worker. A byte-wise lock-free queue
// carries, per flow, packet records (a fixed header then the captured bytes) and one end record
// when the flow's capture is complete. A record that does not fit is dropped whole and counted by
// the producer; the consumer never sees half of one.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

#include "dataplane/packet/packet_view.h"

namespace vigil::capture {

enum class CaptureRecordType : std::uint8_t { packet = 1, end = 2 };

// Why a flow's capture ended.
enum class CaptureEnd : std::uint8_t {
  flow_end = 1,  // the flow ended (timeout, close, eviction, shutdown)
  cap = 2,       // the packet or byte cap was reached; later packets are not kept
};

struct CaptureRecordHeader {
  CaptureRecordType type = CaptureRecordType::packet;
  CaptureEnd end = CaptureEnd::flow_end;  // end records
  LinkType link_type = LinkType::ethernet;  // packet records
  std::uint32_t caplen = 0;    // packet records: bytes that follow
  std::uint32_t wire_len = 0;  // packet records
  std::uint64_t ts_ns = 0;     // packet: capture time; end: time of the last packet
  std::uint64_t flow_id = 0;
  // End records: what the flow's capture holds and what it could not keep.
  std::uint32_t packets = 0;        // packet records pushed for the flow
  std::uint32_t lost_packets = 0;   // packets that did not fit in the queue
  std::uint32_t history_missed = 0; // packets before the alert no longer in the history ring
  std::uint64_t bytes = 0;          // captured bytes pushed
};
static_assert(std::is_trivially_copyable_v<CaptureRecordHeader>);

using CaptureQueue = boost::lockfree::spsc_queue<std::uint8_t>;

// Producer side: false (nothing written) when the queue lacks room for the whole record.
bool push_capture_record(CaptureQueue& q, const CaptureRecordHeader& h, const std::uint8_t* bytes);
// Consumer side: false when no record is waiting. `bytes` holds the packet's captured bytes.
bool pop_capture_record(CaptureQueue& q, CaptureRecordHeader& h, std::string& bytes);

}  // namespace vigil::capture
