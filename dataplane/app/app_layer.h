// AppLayer: one worker's application layer. It names each flow's protocol from its first bytes
// (app_detect.h), runs that protocol's parser over the reassembled streams (TCP) or datagrams
// (UDP), shows each transaction's progress to detection through an AppTxView, and sends one EVE
// record per finished transaction (http), message (dns) or handshake (tls) through a lock-free
// byte queue.
//
// Parser state lives in fixed-size slots allocated in the constructor and reused LIFO (the pool
// is lazily backed, so memory grows with the number of flows parsed at once, not with the pool
// size). Nothing on the packet path allocates — except mbedTLS's x509 parser, once per
// certificate of a TLS handshake. Used by its worker's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/app/app_buffer.h"
#include "dataplane/app/app_proto.h"
#include "dataplane/app/app_record.h"
#include "dataplane/app/dns/dns_message.h"
#include "dataplane/app/dns/dns_tcp.h"
#include "dataplane/app/http/http_parser.h"
#include "dataplane/app/tls/tls_parser.h"
#include "dataplane/common/counter_set.h"
#include "dataplane/flow/flow.h"

namespace vigil::app {

struct AppLayerConfig {
  bool enabled = true;
  http::HttpConfig http{};
  std::uint32_t http_decoders = 64;          // bodies decompressed at once
  std::uint32_t state_slots = 16384;         // flows with parser state at once
  std::uint32_t record_queue_bytes = 8u << 20;
};

#define VIGIL_APP_COUNTERS(X)                                                            \
  X(flow_http, "app_layer.flow.http")                                                    \
  X(flow_tls, "app_layer.flow.tls")                                                      \
  X(flow_dns_tcp, "app_layer.flow.dns_tcp")                                              \
  X(flow_dns_udp, "app_layer.flow.dns_udp")                                              \
  X(flow_ssh, "app_layer.flow.ssh")                                                      \
  X(flow_smtp, "app_layer.flow.smtp")                                                    \
  X(flow_ftp, "app_layer.flow.ftp")                                                      \
  X(flow_failed, "app_layer.flow.failed_tcp")   /* no protocol recognised */             \
  X(flow_failed_udp, "app_layer.flow.failed_udp")                                        \
  X(tx_http, "app_layer.tx.http")                                                        \
  X(tx_dns, "app_layer.tx.dns")                                                          \
  X(tx_tls, "app_layer.tx.tls")                                                          \
  X(dns_malformed, "app_layer.dns.malformed")   /* messages not parsed to the end */     \
  X(state_exhausted, "app_layer.state_exhausted") /* no slot free: flow not parsed */    \
  X(records, "app_layer.records")                                                        \
  X(records_dropped, "app_layer.records_dropped") /* the record queue was full */        \
  X(record_too_large, "app_layer.record_too_large") /* JSON text over the record limit */

enum class AppCounter : std::uint8_t { VIGIL_APP_COUNTERS(VIGIL_COUNTER_ENUM) };
inline constexpr std::string_view kAppCounterNames[] = {VIGIL_APP_COUNTERS(VIGIL_COUNTER_NAME)};
using AppCounters = CounterSet<AppCounter, std::size(kAppCounterNames)>;
constexpr std::string_view app_counter_name(AppCounter c) {
  return counter_name(kAppCounterNames, static_cast<std::size_t>(c), "app_layer.?");
}

// Who is shown each transaction's progress (the worker, for detection).
class AppObserver {
 public:
  virtual void on_app_tx(Flow& flow, const AppTxView& tx) = 0;

 protected:
  ~AppObserver() = default;
};

// The packet being processed, for the records' timestamps and packet numbers.
struct AppPacketInfo {
  std::uint64_t ts_ns = 0;
  std::uint64_t pcap_cnt = 0;
};

class AppLayer final : private http::HttpSink, private tls::TlsSink, private dns::DnsMessageSink {
 public:
  explicit AppLayer(const AppLayerConfig& config);
  ~AppLayer();
  AppLayer(const AppLayer&) = delete;
  AppLayer& operator=(const AppLayer&) = delete;

  // TCP bytes of `dir`, in order from the reassembler; `after_gap`: bytes before them are missing.
  void on_stream_data(Flow& flow, FlowDirection dir, std::span<const std::uint8_t> data,
                      bool after_gap, const AppPacketInfo& pkt, AppObserver& obs);
  // Whether the first bytes of a session, sent in `dir`, are what the other side of a protocol
  // sends (a response): the flow was picked up from its server and should be turned round.
  bool reply_first(const Flow& flow, FlowDirection dir, std::span<const std::uint8_t> data) const;
  // A UDP datagram's payload.
  void on_datagram(Flow& flow, FlowDirection dir, std::span<const std::uint8_t> payload,
                   const AppPacketInfo& pkt, AppObserver& obs);
  // The flow ends (after its streams' last bytes): parsers finish their open transactions, which
  // are shown and logged; the flow's state is released.
  void on_flow_end(Flow& flow, const AppPacketInfo& pkt, AppObserver& obs);

  AppRecordQueue& records() { return records_; }
  const AppCounters& counters() const { return counters_; }
  void for_each_counter(const std::function<void(std::string_view, std::uint64_t)>& fn) const;

 private:
  struct Slot;
  class HttpView;
  class TlsView;
  class DnsView;

  Slot* slot_of(const Flow& flow);
  Slot* acquire(Flow& flow);
  void release(Flow& flow);
  void detect_tcp(Flow& flow, Slot& slot, FlowDirection dir, std::span<const std::uint8_t> data);
  void start_parser(Flow& flow, Slot& slot, AppProto proto);
  // True when both directions have now given up: the flow's protocol is `failed`.
  bool give_up(Flow& flow, FlowDirection dir, AppCounter failed);
  void feed(Flow& flow, Slot& slot, FlowDirection dir, std::span<const std::uint8_t> data);
  void handle_dns_message(FlowDirection dir, std::span<const std::uint8_t> msg);
  void emit_record(AppProto proto, FlowDirection dir, std::uint64_t tx_id, std::string_view json);

  // Parser callbacks (current_ says which flow).
  void on_http_progress(const http::HttpTx& tx, FlowDirection dir, http::HttpProgress p) override;
  void on_http_tx_done(const http::HttpTx& tx) override;
  void on_tls_progress(const tls::TlsState& s, FlowDirection dir, tls::TlsProgress p) override;
  void on_dns_message(FlowDirection dir, std::span<const std::uint8_t> msg) override;

  AppLayerConfig cfg_;
  std::unique_ptr<http::HttpShared> http_;
  std::unique_ptr<tls::TlsShared> tls_;
  std::unique_ptr<dns::DnsShared> dns_;
  std::unique_ptr<dns::DnsMessage> dns_msg_;  // the message being handled (large: not on the stack)
  Slot* slots_ = nullptr;                     // malloc'd, not zeroed: untouched slots cost nothing
  std::vector<std::uint32_t> free_slots_;
  std::unique_ptr<char[]> json_buf_;
  AppRecordQueue records_;
  AppCounters counters_;

  // The call in progress.
  Flow* current_ = nullptr;
  AppObserver* obs_ = nullptr;
  AppPacketInfo pkt_{};
};

}  // namespace vigil::app
