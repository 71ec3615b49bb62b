#include "dataplane/worker/worker.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "dataplane/decode/checksum.h"

namespace vigil {

Worker::Worker(const WorkerConfig& config, std::uint16_t worker_id)
    : config_(config),
      id_(worker_id),
      flows_(config.flows),
      defrag_(config.defrag),
      stream_(config.stream),
      records_(config.record_queue_capacity) {
  if (config.rules) detect_ = std::make_unique<detect::DetectContext>(config.rules, config.detect);
  if (config.app.enabled) app_ = std::make_unique<app::AppLayer>(config.app);
  if (config.rules && config.detect.inline_mode) {
    reject_buf_ = std::make_unique<std::uint8_t[]>(kMaxBurst * detect::kMaxRejectLen);
  }
  if (config.capture.enabled && config.rules) {
    capture_ = std::make_unique<capture::FlowCapture>(config.capture, flows_.max_flows());
  }
}

void Worker::count_layers(const DecodedPacket& dp) {
  counters_.vlan += dp.vlan_count >= 1;
  counters_.vlan_qinq += dp.vlan_count >= 2;
  if (dp.family == IpFamily::v4) {
    ++counters_.ipv4;
  } else if (dp.family == IpFamily::v6) {
    ++counters_.ipv6;
  }
}

// Stages over the burst, as DPDK's bulk hash lookups do: decode every packet and prefetch its
// flow's index slot; prefetch the flows those slots name; then look the flows up (in cache by
// then). Packets are always inspected in arrival order, so the result does not depend on where
// bursts begin and end.
void Worker::process_burst(std::span<const PacketView> burst) {
  while (burst.size() > kMaxBurst) {
    process_burst(burst.first(kMaxBurst));
    burst = burst.subspan(kMaxBurst);
  }
  last_burst_ = burst.size();
  auto& decoded = scratch_.decoded;
  auto& status = scratch_.status;
  auto& keys = scratch_.keys;
  auto& keyed = scratch_.keyed;

  // Packet headers are usually not in cache yet: ask for the first few now, and for each later
  // one a few packets ahead of the decoder, as DPDK's l3fwd does.
  constexpr std::size_t kPrefetchAhead = 4;
  for (std::size_t i = 0; i < std::min(kPrefetchAhead, burst.size()); ++i) {
    __builtin_prefetch(burst[i].data);
  }
  for (std::size_t i = 0; i < burst.size(); ++i) {
    if (i + kPrefetchAhead < burst.size()) __builtin_prefetch(burst[i + kPrefetchAhead].data);
    const PacketView& pkt = burst[i];
    ++counters_.packets;
    counters_.bytes += pkt.wire_len;
    counters_.ethernet += pkt.link_type == LinkType::ethernet;
    status[i] = decode_packet(pkt, decoded[i], decode_);
    counters_.malformed += status[i] == DecodeStatus::malformed;
    keyed[i] = status[i] == DecodeStatus::ok &&
               flows_.prepare(decoded[i], keys[i]) == FlowKeyStatus::ok;
    if (keyed[i]) flows_.prefetch(keys[i]);
  }

  // By now the index slots have arrived: fetch the flows they name before looking them up.
  for (std::size_t i = 0; i < burst.size(); ++i) {
    if (keyed[i]) flows_.prefetch_flow(keys[i]);
  }

  for (std::size_t i = 0; i < burst.size(); ++i) {
    const PacketView& pkt = burst[i];
    DecodedPacket& dp = decoded[i];
    if (pkt.ts_ns > now_ns_) now_ns_ = pkt.ts_ns;
    counters_.snapped += dp.snapped;
    scratch_.verdict[i] = detect::Verdict::accept;
    packet_number_ = counters_.packets - burst.size() + i + 1;
    current_pkt_ = &pkt;
    switch (status[i]) {
      case DecodeStatus::ok:
        count_layers(dp);
        if (keyed[i]) scratch_.verdict[i] = inspect(dp, &keys[i], pkt.wire_len, pkt.ts_ns);
        break;
      case DecodeStatus::fragment: {
        count_layers(dp);
        ++counters_.fragments;
        std::span<const std::uint8_t> datagram;
        std::uint32_t datagram_wire = 0;
        if (defrag_.insert(dp, pkt.wire_len, pkt.ts_ns, datagram, datagram_wire) !=
            DefragStatus::complete) {
          break;
        }
        // The rebuilt datagram is one packet of its flow, carrying its fragments' wire bytes.
        const DecodeStatus st = decode_ip(datagram, dp, decode_);
        counters_.malformed += st == DecodeStatus::malformed;
        PacketFlowKey key;
        if (st == DecodeStatus::ok && flows_.prepare(dp, key) == FlowKeyStatus::ok) {
          ++counters_.reassembled;
          scratch_.verdict[i] =
              inspect(dp, &key, datagram_wire, pkt.ts_ns, detect::PacketSource::defrag);
        }
        break;
      }
      case DecodeStatus::not_ip:
        ++counters_.not_ip;
        break;
      case DecodeStatus::malformed:
        // A packet whose IP header is sound but whose transport header is not is still an IP
        // packet to rules on `ip` (Suricata inspects it without a flow).
        if (detect_ && dp.family != IpFamily::none) {
          detect_->begin_packet();
          scratch_.verdict[i] = detect_->inspect(
              detect::DetectPacket{&dp, nullptr, FlowDirection::to_server, pkt.ts_ns,
                                   packet_number_, /*l4_invalid=*/true});
          counters_.dropped += scratch_.verdict[i] != detect::Verdict::accept;
        }
        break;
    }
    // The answer to a rejected packet is only valid until the next inspection: keep it by index.
    reject_len_[i] = 0;
    if (scratch_.verdict[i] == detect::Verdict::reject && reject_buf_) {
      const std::span<const std::uint8_t> answer = detect_->reject_answer();
      std::memcpy(reject_buf_.get() + i * detect::kMaxRejectLen, answer.data(), answer.size());
      reject_len_[i] = static_cast<std::uint16_t>(answer.size());
    }
  }
}

std::span<const std::uint8_t> Worker::reject_answer(std::size_t i) const {
  if (i >= last_burst_ || !reject_buf_) return {};
  return {reject_buf_.get() + i * detect::kMaxRejectLen, reject_len_[i]};
}

detect::Verdict Worker::inspect(DecodedPacket& dp, const PacketFlowKey* key,
                                std::uint32_t wire_len, std::uint64_t ts_ns,
                                detect::PacketSource source) {
  switch (dp.ip_proto) {
    case ipproto::tcp: ++counters_.tcp; break;
    case ipproto::udp: ++counters_.udp; break;
    case ipproto::icmp: ++counters_.icmpv4; break;
    case ipproto::icmpv6: ++counters_.icmpv6; break;
    default: ++counters_.other_ip; break;
  }
  FlowDirection dir;
  Flow* flow = flows_.lookup_or_create(dp, *key, ts_ns, dir, *this);
  if (flow == nullptr) return detect::Verdict::accept;
  // A segment with a bad checksum never reached the host: it is counted with its flow and still
  // inspected as a packet, but its bytes do not enter the stream.
  const bool bad_sum = config_.validate_checksums && !tcp_checksum_ok(dp);
  counters_.bad_checksum += bad_sum;
  const TcpTrackStatus tcp = flows_.account(*flow, dir, dp, wire_len, ts_ns);
  if (detect_) detect_->begin_packet();
  // A session picked up mid-stream whose first bytes are a reply (an HTTP response, a TLS
  // ServerHello) was picked up from its server: the flow is turned round before its bytes are
  // parsed, as Suricata's protocol detection reverses such flows.
  if (app_ && dp.ip_proto == ipproto::tcp && !dp.payload.empty() &&
      (flow->tcp.flags & tcpsess::midstream) && flow->pkts[0] + flow->pkts[1] == 1 &&
      app_->reply_first(*flow, dir, dp.payload)) {
    flow_swap_direction(*flow);
    dir = opposite(dir);
  }
  const detect::DetectPacket p{&dp,   flow,   dir,   ts_ns, packet_number_,
                               false, source, false, flow->app_proto};
  packet_ = &p;
  if (dp.ip_proto == ipproto::tcp && !dp.payload.empty() && tcp == TcpTrackStatus::ok && !bad_sum) {
    // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
    const std::uint32_t seq = dp.seq + ((dp.tcp_flags & tcpflag::syn) ? 1u : 0u);
    stream_flow_ = flow;
    stream_dir_ = dir;
    stream_.on_segment(flow->stream[dir_index(dir)], seq, dp.payload, *this);
    stream_flow_ = nullptr;
  } else if (app_ && dp.ip_proto == ipproto::udp && !dp.payload.empty()) {
    app_->on_datagram(*flow, dir, dp.payload, {ts_ns, packet_number_}, *this);
  }
  packet_ = nullptr;
  if (!detect_) return detect::Verdict::accept;
  const detect::Verdict v = detect_->inspect(p);
  counters_.dropped += v != detect::Verdict::accept;
  // A datagram rebuilt from fragments is kept as the frame that completed it (docs/capture.md).
  if (capture_ && current_pkt_ != nullptr) {
    capture_->on_packet(*flow, flows_.slot_of(*flow), *current_pkt_);
  }
  return v;
}

void Worker::on_stream_data(StreamDirState&, std::span<const std::uint8_t> data, bool after_gap) {
  counters_.stream_bytes += data.size();
  counters_.stream_gaps += after_gap;
  if (detect_ && stream_flow_ != nullptr) detect_->on_stream_data(*stream_flow_, stream_dir_, data);
  if (app_ && stream_flow_ != nullptr) {
    app_->on_stream_data(*stream_flow_, stream_dir_, data, after_gap, {now_ns_, packet_number_},
                         *this);
  }
}

void Worker::on_app_tx(Flow& flow, const app::AppTxView& tx) {
  if (!detect_) return;
  if (packet_ != nullptr && packet_->flow == &flow) {
    detect_->inspect_app(*packet_, tx);
  } else {
    detect_->inspect_app_end(flow, tx, now_ns_);  // the flow is ending: no packet
  }
}

void Worker::on_flow_end(Flow& flow, FlowEndReason reason) {
  if (flow.key.ip_proto == ipproto::tcp) {
    for (std::size_t d = 0; d < 2; ++d) {
      // Bytes still buffered (behind a hole) are delivered now; detection inspects them as the
      // stream's end, so data sent around a gap is not missed.
      if (detect_) detect_->begin_packet();
      stream_flow_ = &flow;
      stream_dir_ = static_cast<FlowDirection>(d);
      stream_.on_close(flow.stream[d], *this);
      stream_flow_ = nullptr;
      if (detect_) detect_->inspect_stream_end(flow, static_cast<FlowDirection>(d), now_ns_);
      stream_.release(flow.stream[d]);
    }
  }
  if (app_) app_->on_flow_end(flow, {now_ns_, packet_number_}, *this);
  if (detect_) detect_->on_flow_end(flow);
  if (capture_) capture_->on_flow_end(flow, flows_.slot_of(flow));
  ++counters_.flows_ended;
  if (!records_.push(make_flow_record(flow, reason))) ++counters_.records_dropped;
}

void Worker::tick(std::uint64_t now_ns) {
  if (now_ns > now_ns_) now_ns_ = now_ns;
  flows_.expire(now_ns_, *this, config_.expire_budget);
  defrag_.expire(now_ns_);
}

void Worker::shutdown() { flows_.flush_all(*this); }

void Worker::for_each_counter(
    const std::function<void(std::string_view, std::uint64_t)>& fn) const {
  const WorkerCounters& c = counters_;
  fn("decoder.pkts", c.packets);
  fn("decoder.bytes", c.bytes);
  fn("decoder.ethernet", c.ethernet);
  fn("decoder.vlan", c.vlan);
  fn("decoder.vlan_qinq", c.vlan_qinq);
  fn("decoder.ipv4", c.ipv4);
  fn("decoder.ipv6", c.ipv6);
  fn("decoder.tcp", c.tcp);
  fn("decoder.udp", c.udp);
  fn("decoder.icmpv4", c.icmpv4);
  fn("decoder.icmpv6", c.icmpv6);
  fn("decoder.other_ip", c.other_ip);
  fn("decoder.not_ip", c.not_ip);
  fn("decoder.invalid", c.malformed);
  fn("decoder.snapped", c.snapped);
  fn("decoder.fragments", c.fragments);
  fn("tcp.invalid_checksum", c.bad_checksum);
  fn("decoder.reassembled", c.reassembled);
  // Suricata files decoder events under decoder.event.<layer>.<event>.
  vigil::for_each_counter(decode_, decode_event_name, [&](std::string_view name, std::uint64_t v) {
    fn("decoder.event." + std::string(name), v);
  });
  vigil::for_each_counter(flows_.counters(), flow_counter_name, fn);
  fn("flow.active", flows_.active());
  fn("flow.records_dropped", c.records_dropped);
  vigil::for_each_counter(flows_.tcp_counters(), tcp_counter_name, fn);
  vigil::for_each_counter(stream_.counters(), stream_counter_name, fn);
  fn("stream.segments_in_use", stream_.counters().segments_in_use);
  fn("stream.gap_deliveries", c.stream_gaps);
  vigil::for_each_counter(defrag_.counters(), defrag_counter_name, fn);
  if (app_) app_->for_each_counter(fn);
  if (capture_) {
    vigil::for_each_counter(capture_->counters(), capture::capture_counter_name, fn);
  }
  if (detect_) {
    fn("detect.verdict_dropped", c.dropped);
    detect_->for_each_counter(fn);
  }
}

}  // namespace vigil
