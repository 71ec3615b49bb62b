// AppLayer: protocol detection, parser dispatch, transaction views and records (app_layer.h).
#include "dataplane/app/app_layer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "dataplane/app/app_detect.h"
#include "dataplane/app/json_text.h"
#include "dataplane/app/parser_state.h"

namespace vigil::app {

namespace {

// Flow::app_flags.
namespace appflag {
inline constexpr std::uint8_t no_ts = 0x01;     // to_server bytes recognised nothing
inline constexpr std::uint8_t no_tc = 0x02;     // to_client bytes recognised nothing
inline constexpr std::uint8_t stopped = 0x04;   // the parser stopped (upgrade, encrypted, error)
inline constexpr std::uint8_t parser = 0x08;    // the slot holds a started parser
}  // namespace appflag

constexpr std::uint8_t no_flag(FlowDirection d) {
  return d == FlowDirection::to_server ? appflag::no_ts : appflag::no_tc;
}

constexpr std::size_t kProbeBytes = 512;  // bytes kept per direction while probes want more
constexpr std::size_t kJsonBytes = 64 * 1024;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The root name is empty in the parser's text; EVE writes it as Suricata does.
std::string_view dns_name_text(std::string_view name) { return name.empty() ? "<root>" : name; }

}  // namespace

struct AppLayer::Slot {
  std::uint16_t probe_len[2]{};
  std::uint8_t probe[2][kProbeBytes];
  TxAlertMemory memory;
  alignas(64) unsigned char parser[kParserStateBytes];
};

// ---------------------------------------------------------------------------------------------
// Views

class AppLayer::HttpView final : public AppTxView {
 public:
  HttpView(const http::HttpTx& tx, bool body) : tx_(tx), body_(body) {}

  bool fresh(AppBuffer b) const override {
    const std::optional<FlowDirection> fixed = app_buffer_direction(b);
    if (fixed && *fixed != dir) return false;
    return streaming(b) == body_;  // headers: the direction's header buffers; body: its body
  }

  // Detection asks for a buffer once per prefilter database and once per rule list: the first
  // answer is kept for the rest of this progress (normalised fields are built on first read).
  bool get(AppBuffer b, std::size_t i, AppSpan& out) const override {
    if (i != 0) return false;
    const auto k = static_cast<std::size_t>(b);
    if (k < kBuffers && (known_ >> k & 1)) {
      std::memcpy(&out, cache_ + k * sizeof(AppSpan), sizeof(AppSpan));
      return (present_ >> k & 1) != 0;
    }
    const bool present = lookup(b, out);
    if (k < kBuffers) {
      known_ |= std::uint64_t{1} << k;
      if (present) present_ |= std::uint64_t{1} << k;
      std::memcpy(cache_ + k * sizeof(AppSpan), &out, sizeof(AppSpan));
    }
    return present;
  }

 private:
  static constexpr std::size_t kBuffers = static_cast<std::size_t>(AppBuffer::count_);
  static_assert(kBuffers <= 64, "buffer bit masks are 64 bits");

  bool lookup(AppBuffer b, AppSpan& out) const {
    using http::HttpField;
    const std::optional<FlowDirection> fixed = app_buffer_direction(b);
    const FlowDirection d = fixed ? *fixed : dir;
    auto field = [&](HttpField f) {
      out.data = http::http_field(tx_, d, f);
      out.at_start = true;
      return !out.data.empty();
    };
    switch (b) {
      case AppBuffer::http_uri: return field(HttpField::uri);
      case AppBuffer::http_uri_raw: return field(HttpField::uri_raw);
      case AppBuffer::http_method: return field(HttpField::method);
      case AppBuffer::http_protocol: return field(HttpField::protocol);
      case AppBuffer::http_request_line: return field(HttpField::request_line);
      case AppBuffer::http_response_line: return field(HttpField::response_line);
      case AppBuffer::http_host: return field(HttpField::host);
      case AppBuffer::http_host_raw: return field(HttpField::host_raw);
      case AppBuffer::http_user_agent: return field(HttpField::user_agent);
      case AppBuffer::http_header: return field(HttpField::header);
      case AppBuffer::http_header_raw: return field(HttpField::header_raw);
      case AppBuffer::http_header_names: return field(HttpField::header_names);
      case AppBuffer::http_cookie: return field(HttpField::cookie);
      case AppBuffer::http_referer: return field(HttpField::referer);
      case AppBuffer::http_content_type: return field(HttpField::content_type);
      case AppBuffer::http_content_len: return field(HttpField::content_len);
      case AppBuffer::http_accept: return field(HttpField::accept);
      case AppBuffer::http_accept_enc: return field(HttpField::accept_enc);
      case AppBuffer::http_accept_lang: return field(HttpField::accept_lang);
      case AppBuffer::http_connection: return field(HttpField::connection);
      case AppBuffer::http_location: return field(HttpField::location);
      case AppBuffer::http_server: return field(HttpField::server);
      case AppBuffer::http_stat_code: return field(HttpField::stat_code);
      case AppBuffer::http_stat_msg: return field(HttpField::stat_msg);
      case AppBuffer::http_start: return field(HttpField::start);
      case AppBuffer::http_request_body:
      case AppBuffer::http_response_body:
      case AppBuffer::file_data: {
        // Bodies are shown window by window, while they arrive.
        if (!body_ || d != dir) return false;
        const http::HttpBodyView v = http::http_body(tx_, d);
        out.data = v.data;
        out.at_start = v.offset == 0;
        out.seen = v.seen;
        return !v.data.empty();
      }
      default:
        return false;
    }
  }

  const http::HttpTx& tx_;
  bool body_;
  mutable std::uint64_t known_ = 0, present_ = 0;
  // Raw storage, read only where known_ says it was written: a view is made per progress, and
  // constructing 44 spans each time would cost more than the lookups it saves.
  static_assert(std::is_trivially_copyable_v<AppSpan>);
  alignas(AppSpan) mutable unsigned char cache_[kBuffers * sizeof(AppSpan)];
};

class AppLayer::TlsView final : public AppTxView {
 public:
  TlsView(const tls::TlsState& s, tls::TlsProgress p) : s_(s), p_(p) {}

  bool fresh(AppBuffer b) const override {
    switch (b) {
      case AppBuffer::tls_sni: case AppBuffer::ja3_hash: case AppBuffer::ja3_string:
        return p_ == tls::TlsProgress::client_hello;
      case AppBuffer::ja3s_hash: case AppBuffer::ja3s_string:
        return p_ == tls::TlsProgress::server_hello;
      default:
        return p_ == tls::TlsProgress::certificate;
    }
  }

  bool get(AppBuffer b, std::size_t i, AppSpan& out) const override {
    using tls::TlsField;
    out.at_start = true;
    if (b == AppBuffer::tls_certs) {
      if (i >= tls::tls_cert_count(s_)) return false;
      out.data = tls::tls_cert(s_, i);
      return !out.data.empty();
    }
    if (i != 0) return false;
    TlsField f;
    switch (b) {
      case AppBuffer::tls_sni: f = TlsField::sni; break;
      case AppBuffer::tls_cert_subject: f = TlsField::cert_subject; break;
      case AppBuffer::tls_cert_issuer: f = TlsField::cert_issuer; break;
      case AppBuffer::tls_cert_serial: f = TlsField::cert_serial; break;
      case AppBuffer::tls_cert_fingerprint: f = TlsField::cert_fingerprint; break;
      case AppBuffer::ja3_hash: f = TlsField::ja3_hash; break;
      case AppBuffer::ja3_string: f = TlsField::ja3_string; break;
      case AppBuffer::ja3s_hash: f = TlsField::ja3s_hash; break;
      case AppBuffer::ja3s_string: f = TlsField::ja3s_string; break;
      default: return false;
    }
    out.data = tls::tls_field(s_, f);
    return !out.data.empty();
  }

 private:
  const tls::TlsState& s_;
  tls::TlsProgress p_;
};

class AppLayer::DnsView final : public AppTxView {
 public:
  explicit DnsView(const dns::DnsMessage& m) : m_(m) {}

  bool fresh(AppBuffer) const override { return true; }  // a message is inspected once, whole

  bool get(AppBuffer b, std::size_t i, AppSpan& out) const override {
    // dns.query: every question of a query, one instance each (Suricata 7's multi-buffer).
    if (b != AppBuffer::dns_query || m_.response || i >= m_.question_count) return false;
    out.data = bytes_of(m_.questions[i].name);
    out.at_start = true;
    return true;
  }

 private:
  const dns::DnsMessage& m_;
};

// ---------------------------------------------------------------------------------------------

AppLayer::AppLayer(const AppLayerConfig& config)
    : cfg_(config), records_(std::max<std::uint32_t>(config.record_queue_bytes, 4096)) {
  http_ = std::make_unique<http::HttpShared>(cfg_.http, cfg_.http_decoders);
  tls_ = std::make_unique<tls::TlsShared>();
  dns_ = std::make_unique<dns::DnsShared>();
  dns_msg_ = std::make_unique<dns::DnsMessage>();
  json_buf_ = std::make_unique<char[]>(kJsonBytes);
  const std::uint32_t n = std::max<std::uint32_t>(cfg_.state_slots, 1);
  // Not zeroed (a slot is reset when a flow takes it), so the pool costs no memory until flows
  // use it: a block this large comes as fresh anonymous pages, backed on first write.
  slots_ = static_cast<Slot*>(std::malloc(std::size_t{n} * sizeof(Slot)));
  if (slots_ == nullptr) throw std::bad_alloc();
  free_slots_.reserve(n);
  for (std::uint32_t i = n; i-- > 0;) free_slots_.push_back(i);
}

AppLayer::~AppLayer() { std::free(slots_); }

AppLayer::Slot* AppLayer::slot_of(const Flow& flow) {
  return flow.app_slot == kNoFlow ? nullptr : &slots_[flow.app_slot];
}

AppLayer::Slot* AppLayer::acquire(Flow& flow) {
  if (flow.app_slot != kNoFlow) return &slots_[flow.app_slot];
  if (free_slots_.empty()) {
    counters_.add(AppCounter::state_exhausted);
    return nullptr;
  }
  flow.app_slot = free_slots_.back();
  free_slots_.pop_back();
  Slot* s = &slots_[flow.app_slot];
  s->probe_len[0] = s->probe_len[1] = 0;
  s->memory = TxAlertMemory{};
  return s;
}

void AppLayer::release(Flow& flow) {
  if (flow.app_slot == kNoFlow) return;
  free_slots_.push_back(flow.app_slot);
  flow.app_slot = kNoFlow;
  flow.app_flags &= static_cast<std::uint8_t>(~appflag::parser);
}

void AppLayer::on_stream_data(Flow& flow, FlowDirection dir, std::span<const std::uint8_t> data,
                              bool after_gap, const AppPacketInfo& pkt, AppObserver& obs) {
  if (!cfg_.enabled || data.empty()) return;
  const auto proto = static_cast<AppProto>(flow.app_proto);
  if (proto == AppProto::failed || (flow.app_flags & appflag::stopped)) return;
  current_ = &flow;
  obs_ = &obs;
  pkt_ = pkt;
  if (proto == AppProto::unknown) {
    if (flow.app_flags & no_flag(dir)) return;
    Slot* slot = acquire(flow);
    if (slot == nullptr) {
      flow.app_flags |= appflag::stopped;
      return;
    }
    if (after_gap) slot->probe_len[dir_index(dir)] = 0;  // the bytes kept are not a prefix now
    detect_tcp(flow, *slot, dir, data);
  } else if (Slot* slot = slot_of(flow); slot != nullptr && (flow.app_flags & appflag::parser)) {
    void* st = slot->parser;
    if (after_gap) {
      switch (proto) {
        case AppProto::http: http::http_gap(*static_cast<http::HttpState*>(st), *http_, dir, *this); break;
        case AppProto::tls: tls::tls_gap(*static_cast<tls::TlsState*>(st), *tls_, dir, *this); break;
        case AppProto::dns: dns::dns_tcp_gap(*static_cast<dns::DnsTcpState*>(st), *dns_, dir); break;
        default: break;
      }
    }
    feed(flow, *slot, dir, data);
  }
  current_ = nullptr;
}

bool AppLayer::reply_first(const Flow& flow, FlowDirection dir,
                           std::span<const std::uint8_t> data) const {
  if (!cfg_.enabled || flow.app_proto != 0) return false;
  if (probe_stream(data, dir, flow.server_port()).proto != AppProto::unknown) return false;
  // Ports as seen from the other side: the sender is the server.
  const AppProto other = probe_stream(data, opposite(dir), flow.client_port()).proto;
  return other == AppProto::http || other == AppProto::tls;
}

void AppLayer::detect_tcp(Flow& flow, Slot& slot, FlowDirection dir,
                          std::span<const std::uint8_t> data) {
  const std::size_t d = dir_index(dir);
  std::span<const std::uint8_t> start = data;
  std::size_t copied = 0;
  if (slot.probe_len[d] > 0) {
    copied = std::min(kProbeBytes - slot.probe_len[d], data.size());
    std::memcpy(slot.probe[d] + slot.probe_len[d], data.data(), copied);
    slot.probe_len[d] = static_cast<std::uint16_t>(slot.probe_len[d] + copied);
    start = {slot.probe[d], slot.probe_len[d]};
  }
  const ProbeResult r = probe_stream(start, dir, flow.server_port());
  if (r.proto != AppProto::unknown) {
    flow.app_proto = static_cast<std::uint8_t>(r.proto);
    start_parser(flow, slot, r.proto);
    if (!(flow.app_flags & appflag::parser)) return;
    // The bytes kept while probing are parsed first, requests before responses; this call's bytes
    // follow their direction's kept ones (their first `copied` bytes are among those).
    for (const FlowDirection x : {FlowDirection::to_server, FlowDirection::to_client}) {
      const std::size_t xi = dir_index(x);
      const std::size_t kept = slot.probe_len[xi];
      slot.probe_len[xi] = 0;  // the probe buffer is apart from the parser's state
      if (kept > 0) feed(flow, slot, x, {slot.probe[xi], kept});
      if (x == dir) feed(flow, slot, x, data.subspan(copied));
    }
    return;
  }
  if (r.need_more && start.size() < kProbeBytes) {
    if (slot.probe_len[d] == 0) {
      const std::size_t n = std::min(kProbeBytes, data.size());
      std::memcpy(slot.probe[d], data.data(), n);
      slot.probe_len[d] = static_cast<std::uint16_t>(n);
    }
    return;
  }
  slot.probe_len[d] = 0;
  if (give_up(flow, dir, AppCounter::flow_failed)) release(flow);
}

bool AppLayer::give_up(Flow& flow, FlowDirection dir, AppCounter failed) {
  // Nothing this direction could be: give up on it; with both directions so, on the flow.
  flow.app_flags |= no_flag(dir);
  if ((flow.app_flags & (appflag::no_ts | appflag::no_tc)) != (appflag::no_ts | appflag::no_tc)) {
    return false;
  }
  flow.app_proto = static_cast<std::uint8_t>(AppProto::failed);
  counters_.add(failed);
  return true;
}

void AppLayer::start_parser(Flow& flow, Slot& slot, AppProto proto) {
  switch (proto) {
    case AppProto::http:
      counters_.add(AppCounter::flow_http);
      // Default-initialised (no braces): the init function resets what it needs, and the large
      // buffers are not zeroed, so a flow touches only the pages its parser writes.
      http::http_init(*new (slot.parser) http::HttpState);
      break;
    case AppProto::tls:
      counters_.add(AppCounter::flow_tls);
      tls::tls_init(*new (slot.parser) tls::TlsState);
      break;
    case AppProto::dns:
      counters_.add(AppCounter::flow_dns_tcp);
      dns::dns_tcp_init(*new (slot.parser) dns::DnsTcpState);
      break;
    default:
      // Named but not parsed: the slot is not needed any more.
      counters_.add(proto == AppProto::ssh    ? AppCounter::flow_ssh
                    : proto == AppProto::smtp ? AppCounter::flow_smtp
                                              : AppCounter::flow_ftp);
      flow.app_flags |= appflag::stopped;
      release(flow);
      return;
  }
  flow.app_flags |= appflag::parser;
}

void AppLayer::feed(Flow& flow, Slot& slot, FlowDirection dir, std::span<const std::uint8_t> data) {
  if (data.empty() || (flow.app_flags & appflag::stopped)) return;
  void* st = slot.parser;
  switch (static_cast<AppProto>(flow.app_proto)) {
    case AppProto::http: {
      auto& s = *static_cast<http::HttpState*>(st);
      http::http_parse(s, *http_, dir, data, *this);
      if (http::http_stopped(s)) flow.app_flags |= appflag::stopped;
      break;
    }
    case AppProto::tls: {
      auto& s = *static_cast<tls::TlsState*>(st);
      tls::tls_parse(s, *tls_, dir, data, *this);
      if (tls::tls_stopped(s)) flow.app_flags |= appflag::stopped;
      break;
    }
    case AppProto::dns:
      dns::dns_tcp_feed(*static_cast<dns::DnsTcpState*>(st), *dns_, dir, data, *this);
      break;
    default:
      break;
  }
}

void AppLayer::on_datagram(Flow& flow, FlowDirection dir, std::span<const std::uint8_t> payload,
                           const AppPacketInfo& pkt, AppObserver& obs) {
  if (!cfg_.enabled || payload.empty()) return;
  auto proto = static_cast<AppProto>(flow.app_proto);
  if (proto == AppProto::unknown) {
    if (probe_datagram(payload, dir, flow.server_port()).proto == AppProto::dns) {
      proto = AppProto::dns;
      flow.app_proto = static_cast<std::uint8_t>(proto);
      counters_.add(AppCounter::flow_dns_udp);
    } else {
      give_up(flow, dir, AppCounter::flow_failed_udp);
      return;
    }
  }
  if (proto != AppProto::dns) return;
  current_ = &flow;
  obs_ = &obs;
  pkt_ = pkt;
  handle_dns_message(dir, payload);
  current_ = nullptr;
}

void AppLayer::on_flow_end(Flow& flow, const AppPacketInfo& pkt, AppObserver& obs) {
  Slot* slot = slot_of(flow);
  if (slot != nullptr && (flow.app_flags & appflag::parser)) {
    current_ = &flow;
    obs_ = &obs;
    pkt_ = pkt;
    void* st = slot->parser;
    switch (static_cast<AppProto>(flow.app_proto)) {
      case AppProto::http: http::http_close(*static_cast<http::HttpState*>(st), *http_, *this); break;
      case AppProto::tls: tls::tls_close(*static_cast<tls::TlsState*>(st), *tls_, *this); break;
      default: break;
    }
    current_ = nullptr;
  }
  release(flow);
}

// ---------------------------------------------------------------------------------------------
// Parser callbacks

void AppLayer::on_http_progress(const http::HttpTx& tx, FlowDirection dir, http::HttpProgress p) {
  // A message's end brings no new buffer: its request or response was inspected as it came.
  if (current_ == nullptr || p == http::HttpProgress::request_complete ||
      p == http::HttpProgress::response_complete) {
    return;
  }
  Slot* slot = slot_of(*current_);
  const bool body = p == http::HttpProgress::request_body || p == http::HttpProgress::response_body;
  HttpView v(tx, body);
  v.proto = AppProto::http;
  v.tx_id = http::http_tx_id(tx);
  v.dir = dir;
  v.memory = slot != nullptr ? &slot->memory : nullptr;
  obs_->on_app_tx(*current_, v);
}

void AppLayer::on_http_tx_done(const http::HttpTx& tx) {
  if (current_ == nullptr) return;
  counters_.add(AppCounter::tx_http);
  using http::HttpField;
  JsonText j(json_buf_.get(), kJsonBytes);
  constexpr auto ts = FlowDirection::to_server, tc = FlowDirection::to_client;
  auto put = [&](std::string_view key, FlowDirection d, HttpField f) {
    const auto v = http::http_field(tx, d, f);
    if (!v.empty()) j.member(key, v);
  };
  j.begin_object();
  put("hostname", ts, HttpField::host);
  if (current_->server_port() != 0) j.member_number("http_port", current_->server_port());
  put("url", ts, HttpField::uri_raw);
  put("http_user_agent", ts, HttpField::user_agent);
  if (http::http_has_response(tx)) {
    // Suricata logs the response's media type without its parameters.
    auto ct = http::http_field(tx, tc, HttpField::content_type);
    std::size_t n = 0;
    while (n < ct.size() && ct[n] != ';') ++n;
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) --n;
    if (n > 0) j.member("http_content_type", ct.first(n));
  }
  put("http_refer", ts, HttpField::referer);
  put("http_method", ts, HttpField::method);
  put("protocol", ts, HttpField::protocol);
  if (http::http_has_response(tx)) {
    if (const int st = http::http_status(tx); st > 0) j.member_number("status", static_cast<std::uint64_t>(st));
    put("redirect", tc, HttpField::location);
    j.member_number("length", http::http_body_length(tx, tc));
  }
  j.end_object();
  emit_record(AppProto::http, FlowDirection::to_server, http::http_tx_id(tx), j.overflowed() ? std::string_view{} : j.text());
  if (j.overflowed()) counters_.add(AppCounter::record_too_large);
}

void AppLayer::on_tls_progress(const tls::TlsState& s, FlowDirection dir, tls::TlsProgress p) {
  if (current_ == nullptr) return;
  if (p != tls::TlsProgress::handshake_done) {
    Slot* slot = slot_of(*current_);
    TlsView v(s, p);
    v.proto = AppProto::tls;
    v.tx_id = 0;  // one transaction: the handshake
    v.dir = dir;
    v.memory = slot != nullptr ? &slot->memory : nullptr;
    obs_->on_app_tx(*current_, v);
    return;
  }
  counters_.add(AppCounter::tx_tls);
  using tls::TlsField;
  JsonText j(json_buf_.get(), kJsonBytes);
  auto put = [&](std::string_view key, TlsField f) {
    const auto v = tls::tls_field(s, f);
    if (!v.empty()) j.member(key, v);
  };
  j.begin_object();
  put("subject", TlsField::cert_subject);
  put("issuerdn", TlsField::cert_issuer);
  put("serial", TlsField::cert_serial);
  put("fingerprint", TlsField::cert_fingerprint);
  put("sni", TlsField::sni);
  put("version", TlsField::version);
  if (const auto nb = tls::tls_not_before(s); !nb.empty()) j.member("notbefore", nb);
  if (const auto na = tls::tls_not_after(s); !na.empty()) j.member("notafter", na);
  if (!tls::tls_field(s, TlsField::ja3_hash).empty()) {
    j.key("ja3");
    j.begin_object();
    put("hash", TlsField::ja3_hash);
    put("string", TlsField::ja3_string);
    j.end_object();
  }
  if (!tls::tls_field(s, TlsField::ja3s_hash).empty()) {
    j.key("ja3s");
    j.begin_object();
    put("hash", TlsField::ja3s_hash);
    put("string", TlsField::ja3s_string);
    j.end_object();
  }
  j.end_object();
  if (j.overflowed()) {
    counters_.add(AppCounter::record_too_large);
    return;
  }
  emit_record(AppProto::tls, FlowDirection::to_server, 0, j.text());
}

void AppLayer::on_dns_message(FlowDirection dir, std::span<const std::uint8_t> msg) {
  handle_dns_message(dir, msg);
}

void AppLayer::handle_dns_message(FlowDirection dir, std::span<const std::uint8_t> msg) {
  dns::DnsMessage& m = *dns_msg_;
  m = dns::DnsMessage{};
  const dns::DnsStatus st = dns::dns_parse(msg, *dns_, m);
  if (st != dns::DnsStatus::ok) counters_.add(AppCounter::dns_malformed);
  if (st == dns::DnsStatus::malformed && m.question_count == 0 && m.answer_count == 0) return;
  counters_.add(AppCounter::tx_dns);
  // A query opens a transaction; a response belongs to the latest one (Suricata pairs them).
  const std::uint64_t tx_id =
      m.response && current_->app_tx > 0 ? current_->app_tx - 1 : current_->app_tx++;
  {
    DnsView v(m);
    v.proto = AppProto::dns;
    v.tx_id = tx_id;
    v.dir = dir;
    v.memory = nullptr;  // each message is inspected once
    obs_->on_app_tx(*current_, v);
  }
  char hexflags[5];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) hexflags[i] = kHex[(m.flags >> (12 - 4 * i)) & 15];
  hexflags[4] = 0;
  if (!m.response) {
    // One record per question, as Suricata's "query" events.
    for (std::size_t q = 0; q < m.question_count; ++q) {
      JsonText j(json_buf_.get(), kJsonBytes);
      j.begin_object();
      j.member("type", "query");
      j.member_number("id", m.id);
      j.member("rrname", dns_name_text(m.questions[q].name));
      j.member("rrtype", dns::dns_rrtype_name(m.questions[q].type));
      j.member_number("tx_id", tx_id);
      j.member_number("opcode", m.opcode);
      j.end_object();
      if (j.overflowed()) {
        counters_.add(AppCounter::record_too_large);
        continue;
      }
      emit_record(AppProto::dns, dir, tx_id, j.text());
    }
    return;
  }
  JsonText j(json_buf_.get(), kJsonBytes);
  j.begin_object();
  j.member("type", "answer");
  j.member_number("id", m.id);
  j.member("flags", std::string_view(hexflags, 4));
  j.member_bool("qr", true);
  if (m.aa) j.member_bool("aa", true);
  if (m.tc) j.member_bool("tc", true);
  if (m.rd) j.member_bool("rd", true);
  if (m.ra) j.member_bool("ra", true);
  if (m.question_count > 0) {
    j.member("rrname", dns_name_text(m.questions[0].name));
    j.member("rrtype", dns::dns_rrtype_name(m.questions[0].type));
  }
  j.member("rcode", dns::dns_rcode_name(m.rcode));
  j.member_number("opcode", m.opcode);
  auto records = [&](std::string_view key, const auto& arr, std::size_t n) {
    if (n == 0) return;
    j.key(key);
    j.begin_array();
    for (std::size_t i = 0; i < n; ++i) {
      const dns::DnsRecord& r = arr[i];
      j.begin_object();
      j.member("rrname", dns_name_text(r.name));
      j.member("rrtype", dns::dns_rrtype_name(r.type));
      j.member_number("ttl", r.ttl);
      if (!r.rdata_text.empty()) j.member("rdata", r.rdata_text);
      j.end_object();
    }
    j.end_array();
  };
  records("answers", m.answers, m.answer_count);
  records("authorities", m.authorities, m.authority_count);
  j.end_object();
  if (j.overflowed()) {
    counters_.add(AppCounter::record_too_large);
    return;
  }
  emit_record(AppProto::dns, dir, tx_id, j.text());
}

void AppLayer::emit_record(AppProto proto, FlowDirection dir, std::uint64_t tx_id,
                           std::string_view json) {
  if (json.empty()) return;
  const Flow& f = *current_;
  AppRecordHeader h;
  h.proto = proto;
  h.dir = dir;
  h.family = f.key.family;
  h.ip_proto = f.key.ip_proto;
  h.ts_ns = pkt_.ts_ns;
  h.pcap_cnt = pkt_.pcap_cnt;
  h.flow_id = f.flow_id;
  h.tx_id = tx_id;
  const bool ts = dir == FlowDirection::to_server;
  h.src = ts ? f.client_addr() : f.server_addr();
  h.dst = ts ? f.server_addr() : f.client_addr();
  h.sport = ts ? f.client_port() : f.server_port();
  h.dport = ts ? f.server_port() : f.client_port();
  h.vlan = f.key.vlan;
  if (push_app_record(records_, h, json)) {
    counters_.add(AppCounter::records);
  } else {
    counters_.add(AppCounter::records_dropped);
  }
}

void AppLayer::for_each_counter(
    const std::function<void(std::string_view, std::uint64_t)>& fn) const {
  vigil::for_each_counter(counters_, app_counter_name, fn);
  fn("app_layer.state_in_use", std::max<std::uint32_t>(cfg_.state_slots, 1) - free_slots_.size());
  vigil::for_each_counter(http_->counters(), http::http_counter_name, fn);
  vigil::for_each_counter(tls_->counters(), tls::tls_counter_name, fn);
  vigil::for_each_counter(dns_->counters(), dns::dns_counter_name, fn);
}

}  // namespace vigil::app
