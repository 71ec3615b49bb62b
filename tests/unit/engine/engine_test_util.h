// Helpers shared by the detection engine tests: compiling one rule, building a rule set from text,
// and a Session that runs hand-built Ethernet frames through a real Worker and collects the
// alerts and verdicts it produces.
#pragma once

#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/engine/rule_set.h"
#include "dataplane/worker/worker.h"
#include "tests/unit/decode/packet_builder.h"

namespace engine_test {

using namespace vigil;
using namespace vigil::detect;
using vigil::test::Packet;

// ---- Compiling ----

// Parses one rule (it must be syntactically valid) and compiles it with the built-in
// classification table.
inline SignatureCompileResult compile(std::string_view rule, FlowVarLayout* layout = nullptr) {
  const SingleRuleResult parsed = parse_rule(rule, "test.rules", 1, RuleVars{});
  if (!parsed.rule) {
    FAIL(("rule does not parse: " + std::string(rule) + ": " + parsed.error->message).c_str());
  }
  FlowVarLayout own;
  return compile_signature(*parsed.rule, default_classification(), layout ? *layout : own);
}

// The compiled signature; fails the test when the rule does not compile.
inline Signature sig_of(std::string_view rule, FlowVarLayout* layout = nullptr) {
  SignatureCompileResult r = compile(rule, layout);
  if (!r.sig) FAIL((std::string(rule) + " -> " + r.reason + ": " + r.message).c_str());
  return std::move(*r.sig);
}

// The reason a rule is rejected ("" when it compiles).
inline std::string reject_reason(std::string_view rule) {
  const SignatureCompileResult r = compile(rule);
  return r.sig ? std::string() : r.reason;
}

inline RuleSetBuildResult build(std::string_view text, const RuleSetConfig& cfg = {}) {
  const RuleFile f{"test.rules", std::string(text)};
  return RuleSet::build(std::span<const RuleFile>(&f, 1), cfg);
}

// A rule set that must build (skipped rules are allowed).
inline std::shared_ptr<const RuleSet> rules_of(std::string_view text, const RuleSetConfig& cfg = {}) {
  RuleSetBuildResult r = build(text, cfg);
  if (!r.rules) FAIL(("rule set not built: " + r.failure.value_or("?")).c_str());
  return r.rules;
}

// sids in evaluation order.
inline std::vector<std::uint32_t> sids_in_order(const RuleSet& rs) {
  std::vector<std::uint32_t> out;
  for (const Signature& s : rs.signatures()) out.push_back(s.sid);
  return out;
}

inline std::string join(const std::vector<std::uint32_t>& v) {
  std::string out;
  for (std::uint32_t x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

// ---- Packets ----

inline Packet bytes(std::string_view s) { return Packet(s.begin(), s.end()); }

using Addr4 = std::array<std::uint8_t, 4>;
inline constexpr Addr4 kClient{192, 0, 2, 1};
inline constexpr Addr4 kServer{198, 51, 100, 7};

struct Endpoints {
  Addr4 client = kClient, server = kServer;
  std::uint16_t cport = 40000, sport = 80;
};

inline Packet tcp_frame(const Endpoints& e, bool from_client, std::uint8_t flags, std::uint32_t seq,
                        std::uint32_t ack, std::span<const std::uint8_t> payload = {},
                        std::uint8_t ttl = 64) {
  vigil::test::TcpSpec t;
  t.sport = from_client ? e.cport : e.sport;
  t.dport = from_client ? e.sport : e.cport;
  t.seq = seq;
  t.ack = ack;
  t.flags = flags;
  vigil::test::Ipv4Spec ip;
  ip.proto = 6;
  ip.ttl = ttl;
  ip.src = from_client ? e.client : e.server;
  ip.dst = from_client ? e.server : e.client;
  return vigil::test::ethernet(0x0800, vigil::test::ipv4(ip, vigil::test::tcp(t, payload)));
}

inline Packet udp_frame(const Endpoints& e, bool from_client, std::span<const std::uint8_t> payload) {
  vigil::test::Ipv4Spec ip;
  ip.proto = 17;
  ip.src = from_client ? e.client : e.server;
  ip.dst = from_client ? e.server : e.client;
  return vigil::test::ethernet(
      0x0800, vigil::test::ipv4(ip, vigil::test::udp(from_client ? e.cport : e.sport,
                                                     from_client ? e.sport : e.cport, payload)));
}

inline Packet icmp_frame(const Endpoints& e, bool from_client, std::uint8_t type, std::uint8_t code,
                         std::uint16_t id, std::uint16_t seq, std::span<const std::uint8_t> payload = {}) {
  vigil::test::Ipv4Spec ip;
  ip.proto = 1;
  ip.src = from_client ? e.client : e.server;
  ip.dst = from_client ? e.server : e.client;
  return vigil::test::ethernet(0x0800,
                               vigil::test::ipv4(ip, vigil::test::icmp(type, code, id, seq, payload)));
}

inline Packet udp6_frame(std::span<const std::uint8_t> payload) {
  vigil::test::Ipv6Spec ip;
  ip.next_header = 17;
  return vigil::test::ethernet(0x86dd, vigil::test::ipv6(ip, vigil::test::udp(5000, 53, payload)));
}

// ---- Running packets through a worker ----

struct SessionOptions {
  bool inline_mode = false;
  bool midstream = true;  // both the TCP tracker's and the reassembler's
  std::uint32_t packet_alert_max = 15;
  std::uint32_t flow_var_slots = 64;
  RuleSetConfig rules{};
};

class Session {
 public:
  explicit Session(std::string_view rules, const SessionOptions& o = {}) {
    RuleSetBuildResult r = build(rules, o.rules);
    if (!r.rules) FAIL(("rule set not built: " + r.failure.value_or("?")).c_str());
    errors = std::move(r.errors);
    rules_ = r.rules;
    WorkerConfig cfg;
    cfg.flows.max_flows = 256;
    cfg.flows.tcp.midstream = o.midstream;
    cfg.stream.midstream_pickup = o.midstream;
    cfg.stream.max_segments = 256;
    cfg.record_queue_capacity = 256;
    cfg.rules = rules_;
    cfg.detect.inline_mode = o.inline_mode;
    cfg.detect.packet_alert_max = o.packet_alert_max;
    cfg.detect.flow_var_slots = o.flow_var_slots;
    cfg.detect.threshold_entries = 256;
    cfg.detect.alert_queue_capacity = 4096;
    cfg.app.state_slots = 64;
    cfg.app.http_decoders = 4;
    cfg.app.record_queue_bytes = 1u << 20;
    worker_ = std::make_unique<Worker>(cfg, 0);
  }

  // Runs one frame; returns its verdict and appends its alerts to `alerts`.
  Verdict send(const Packet& frame) {
    frames_.push_back(frame);
    PacketView v;
    v.data = frames_.back().data();
    v.caplen = v.wire_len = static_cast<std::uint32_t>(frames_.back().size());
    v.ts_ns = now_ += 1'000'000;  // 1 ms apart
    v.link_type = LinkType::ethernet;
    worker_->process_burst(std::span<const PacketView>(&v, 1));
    const Verdict verdict = worker_->verdicts()[0];
    last_alerts.clear();
    worker_->detect()->alerts().consume_all([&](const AlertRecord& a) {
      alerts.push_back(a);
      last_alerts.push_back(a);
    });
    return verdict;
  }

  // sids of the alerts of the last packet, in emission order.
  std::vector<std::uint32_t> last_sids() const {
    std::vector<std::uint32_t> out;
    for (const AlertRecord& a : last_alerts) out.push_back(a.sig->sid);
    return out;
  }
  std::size_t count(std::uint32_t sid) const {
    return static_cast<std::size_t>(std::count_if(
        alerts.begin(), alerts.end(), [&](const AlertRecord& a) { return a.sig->sid == sid; }));
  }
  std::uint64_t counter(DetectCounter c) const { return worker_->detect()->counters().get(c); }

  Worker& worker() { return *worker_; }
  const RuleSet& rules() const { return *rules_; }

  std::vector<AlertRecord> alerts, last_alerts;
  std::vector<RuleLoadError> errors;

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::unique_ptr<Worker> worker_;
  std::vector<Packet> frames_;  // every frame stays alive: flows and alerts may point into them
  std::uint64_t now_ = 1'700'000'000ull * 1'000'000'000ull;
};

// One TCP connection through a Session: keeps both sides' sequence numbers.
class Tcp {
 public:
  Tcp(Session& s, Endpoints e = {}) : s_(s), e_(e) {}

  void handshake() {
    s_.send(tcp_frame(e_, true, tcpflag::syn, cseq_ - 1, 0));
    s_.send(tcp_frame(e_, false, tcpflag::syn | tcpflag::ack, sseq_ - 1, cseq_));
    s_.send(tcp_frame(e_, true, tcpflag::ack, cseq_, sseq_));
  }
  Verdict client(std::string_view data) { return client(bytes(data)); }
  Verdict server(std::string_view data) { return server(bytes(data)); }
  Verdict client(const Packet& data) {
    const Verdict v = s_.send(tcp_frame(e_, true, tcpflag::psh | tcpflag::ack, cseq_, sseq_, data));
    cseq_ += static_cast<std::uint32_t>(data.size());
    return v;
  }
  Verdict server(const Packet& data) {
    const Verdict v = s_.send(tcp_frame(e_, false, tcpflag::psh | tcpflag::ack, sseq_, cseq_, data));
    sseq_ += static_cast<std::uint32_t>(data.size());
    return v;
  }
  // A client segment `skip` bytes ahead of the next expected one (out of order).
  Verdict client_ahead(std::uint32_t skip, std::string_view data) {
    return s_.send(tcp_frame(e_, true, tcpflag::psh | tcpflag::ack, cseq_ + skip, sseq_, bytes(data)));
  }
  Verdict client_flags(std::uint8_t flags) {
    return s_.send(tcp_frame(e_, true, flags, cseq_, sseq_));
  }

 private:
  Session& s_;
  Endpoints e_;
  std::uint32_t cseq_ = 1001, sseq_ = 5001;
};

inline std::string alert_sids(const std::vector<AlertRecord>& alerts) {
  std::vector<std::uint32_t> v;
  for (const AlertRecord& a : alerts) v.push_back(a.sig->sid);
  return join(v);
}

}  // namespace engine_test
