// AppRecord: one application-layer event (EVE http / dns / tls) as it leaves a worker: a fixed
// header with the flow's identity and the protocol object's JSON text, copied into a byte-wise
// lock-free queue, so records of any size travel without allocation. A record that does not fit
// in the queue is dropped whole and counted by the producer; the consumer never sees half of one.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "dataplane/app/app_proto.h"
#include "dataplane/decode/decoded_packet.h"
#include "dataplane/flow/flow.h"

namespace vigil::app {

struct AppRecordHeader {
  std::uint32_t json_len = 0;  // bytes of the protocol object's JSON text that follow
  AppProto proto = AppProto::unknown;
  FlowDirection dir = FlowDirection::to_server;  // the event's direction (src -> dst below)
  IpFamily family = IpFamily::none;
  std::uint8_t ip_proto = 0;
  std::uint64_t ts_ns = 0;
  std::uint64_t flow_id = 0;
  std::uint64_t tx_id = 0;
  std::uint64_t pcap_cnt = 0;
  IpAddress src{}, dst{};
  std::uint16_t sport = 0, dport = 0;
  std::array<std::uint16_t, 2> vlan{};
};
static_assert(std::is_trivially_copyable_v<AppRecordHeader>);

using AppRecordQueue = boost::lockfree::spsc_queue<std::uint8_t>;

// Producer side: false (nothing written) when the queue lacks room for the whole record.
bool push_app_record(AppRecordQueue& q, const AppRecordHeader& h, std::string_view json);
// Consumer side: false when no record is waiting.
bool pop_app_record(AppRecordQueue& q, AppRecordHeader& h, std::string& json);

}  // namespace vigil::app
