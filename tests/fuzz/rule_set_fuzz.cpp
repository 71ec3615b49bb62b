// libFuzzer target for the detection engine: arbitrary bytes as a rule file, compiled by
// RuleSet::build with the built-in classification; when at least one rule loads, a fixed set of
// packets (a TCP connection with split, out-of-order and retransmitted data in both directions,
// UDP, ICMP echo, IPv6, a fragmented datagram, a truncated TCP header) goes through a Worker
// running that rule set, in IDS or inline mode. Every alert is checked to name a rule of the set.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/detect/engine/rule_set.h"
#include "dataplane/worker/worker.h"

using namespace vigil;
using namespace vigil::detect;

namespace {

using Bytes = std::vector<std::uint8_t>;

void be16(Bytes& b, unsigned v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void be32(Bytes& b, std::uint32_t v) {
  be16(b, v >> 16);
  be16(b, v & 0xffff);
}
Bytes text(const char* s) { return Bytes(s, s + std::char_traits<char>::length(s)); }

Bytes ethernet(std::uint16_t type, const Bytes& payload) {
  Bytes b{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
  be16(b, type);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes ipv4(std::uint8_t proto, bool from_client, const Bytes& l4, std::uint16_t frag = 0x4000,
           std::uint16_t id = 1) {
  Bytes b{0x45, 0};
  be16(b, static_cast<unsigned>(20 + l4.size()));
  be16(b, id);
  be16(b, frag);
  b.push_back(64);
  b.push_back(proto);
  be16(b, 0);
  const std::array<std::uint8_t, 4> c{10, 0, 0, 1}, s{192, 168, 1, 80};
  const auto& src = from_client ? c : s;
  const auto& dst = from_client ? s : c;
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes tcp(bool from_client, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
          const Bytes& payload = {}) {
  Bytes b;
  be16(b, from_client ? 40000 : 80);
  be16(b, from_client ? 80 : 40000);
  be32(b, seq);
  be32(b, ack);
  b.push_back(0x50);
  b.push_back(flags);
  be16(b, 65535);
  be16(b, 0);
  be16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload) {
  Bytes b;
  be16(b, sport);
  be16(b, dport);
  be16(b, static_cast<unsigned>(8 + payload.size()));
  be16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// The packets every loaded rule set is run against.
const std::vector<Bytes>& frames() {
  static const std::vector<Bytes> f = [] {
    std::vector<Bytes> v;
    constexpr std::uint8_t S = 0x02, A = 0x10, P = 0x08, F = 0x01;
    auto c = [&](std::uint8_t fl, std::uint32_t seq, std::uint32_t ack, const Bytes& p = {}) {
      v.push_back(ethernet(0x0800, ipv4(6, true, tcp(true, fl, seq, ack, p))));
    };
    auto s = [&](std::uint8_t fl, std::uint32_t seq, std::uint32_t ack, const Bytes& p = {}) {
      v.push_back(ethernet(0x0800, ipv4(6, false, tcp(false, fl, seq, ack, p))));
    };
    const Bytes req1 = text("GET /index.html?q=select%20*%20from HTTP/1.1\r\nHost: exa");
    const Bytes req2 = text("mple.com\r\nUser-Agent: curl/8.0\r\nCookie: id=1\r\n\r\n");
    const std::uint32_t c0 = 1000, s0 = 5000;
    const auto n1 = static_cast<std::uint32_t>(req1.size()), n2 = static_cast<std::uint32_t>(req2.size());
    c(S, c0 - 1, 0);
    s(S | A, s0 - 1, c0);
    c(A, c0, s0);
    c(P | A, c0, s0, req1);
    c(P | A, c0 + n1, s0, req2);
    c(P | A, c0, s0, req1);  // retransmission
    const Bytes resp1 = text("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n");
    const Bytes resp2 = {0x00, 0x01, 0x02, 0x03, 0xff, 0xfe, 0x7f, 0x80};
    const auto r1 = static_cast<std::uint32_t>(resp1.size());
    s(P | A, s0 + r1, c0 + n1 + n2, resp2);  // ahead of the stream
    s(P | A, s0, c0 + n1 + n2, resp1);       // fills the hole
    Bytes big(600, 'A');
    for (std::size_t i = 0; i < big.size(); i += 37) big[i] = static_cast<std::uint8_t>(i);
    c(P | A, c0 + n1 + n2, s0 + r1 + 8, big);
    c(F | A, c0 + n1 + n2 + 600, s0 + r1 + 8);
    s(F | A, s0 + r1 + 8, c0 + n1 + n2 + 601);
    c(A, c0 + n1 + n2 + 601, s0 + r1 + 9);
    // UDP both ways, ICMP echo, IPv6 UDP.
    const Bytes dns = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x03, 'w',  'w',  'w',  0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                       0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};
    v.push_back(ethernet(0x0800, ipv4(17, true, udp(5353, 53, dns))));
    v.push_back(ethernet(0x0800, ipv4(17, false, udp(53, 5353, dns))));
    Bytes echo{8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01};
    for (int i = 0; i < 16; ++i) echo.push_back(static_cast<std::uint8_t>('a' + i));
    v.push_back(ethernet(0x0800, ipv4(1, true, echo)));
    echo[0] = 0;
    v.push_back(ethernet(0x0800, ipv4(1, false, echo)));
    Bytes v6{0x60, 0, 0, 0};
    const Bytes u6 = udp(1234, 80, text("ipv6 payload"));
    be16(v6, static_cast<unsigned>(u6.size()));
    v6.push_back(17);
    v6.push_back(64);
    for (int i = 0; i < 2; ++i) {
      const std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                           0,    0,    0,    0,    0, 0, 0, static_cast<std::uint8_t>(i + 1)};
      v6.insert(v6.end(), a.begin(), a.end());
    }
    v6.insert(v6.end(), u6.begin(), u6.end());
    v.push_back(ethernet(0x86dd, v6));
    // A UDP datagram in two fragments, and a TCP header cut short.
    const Bytes dg = udp(1000, 2000, Bytes(32, 0xab));
    v.push_back(ethernet(0x0800, ipv4(17, true, Bytes(dg.begin(), dg.begin() + 24), 0x2000, 7)));
    v.push_back(ethernet(0x0800, ipv4(17, true, Bytes(dg.begin() + 24, dg.end()), 3, 7)));
    v.push_back(ethernet(0x0800, ipv4(6, true, Bytes{0x9c, 0x40, 0x00})));
    return v;
  }();
  return f;
}

void run(const std::shared_ptr<const RuleSet>& rules, bool inline_mode) {
  WorkerConfig cfg;
  cfg.flows.max_flows = 64;
  cfg.stream.max_segments = 64;
  cfg.record_queue_capacity = 64;
  cfg.rules = rules;
  cfg.detect.inline_mode = inline_mode;
  cfg.detect.flow_var_slots = 16;
  cfg.detect.threshold_entries = 64;
  cfg.detect.alert_queue_capacity = 1024;
  auto worker = std::make_unique<Worker>(cfg, 0);
  const auto& f = frames();
  std::vector<PacketView> views(f.size());
  std::uint64_t ts = 1'700'000'000'000'000'000ull;
  for (std::size_t i = 0; i < f.size(); ++i) {
    views[i].data = f[i].data();
    views[i].caplen = views[i].wire_len = static_cast<std::uint32_t>(f[i].size());
    views[i].ts_ns = ts += 1'000'000;
    views[i].link_type = LinkType::ethernet;
  }
  const auto sigs = rules->signatures();
  auto check = [&](const AlertRecord& a) {
    if (a.sig < sigs.data() || a.sig >= sigs.data() + sigs.size()) std::abort();
  };
  // One packet per burst, then the whole capture again as one burst on new flows' timestamps.
  for (const PacketView& v : views) {
    worker->process_burst(std::span<const PacketView>(&v, 1));
    worker->detect()->alerts().consume_all(check);
  }
  for (PacketView& v : views) v.ts_ns += 3600ull * 1'000'000'000ull;
  worker->process_burst(views);
  worker->detect()->alerts().consume_all(check);
  worker->shutdown();
  worker->detect()->alerts().consume_all(check);
  FlowRecord r;
  while (worker->records().pop(r)) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 16384) return 0;  // larger inputs only slow the fuzzer down
  const RuleFile file{"fuzz.rules", std::string(reinterpret_cast<const char*>(data), size)};
  RuleSetConfig cfg;
  if (size > 0 && (data[0] & 2)) {
    cfg.action_order = {RuleAction::alert, RuleAction::drop, RuleAction::reject, RuleAction::pass};
  }
  const RuleSetBuildResult r = RuleSet::build(std::span<const RuleFile>(&file, 1), cfg);
  for (const RuleLoadError& e : r.errors) (void)format_rule_load_error(e);
  if (!r.rules || r.rules->signatures().empty()) return 0;
  for (ProtoClass c : {ProtoClass::tcp, ProtoClass::udp, ProtoClass::icmp, ProtoClass::other}) {
    (void)r.rules->iponly_rules(c);
    (void)r.rules->any_port_rules(c);
    (void)r.rules->port_rules(c, 80);
  }
  run(r.rules, size > 0 && (data[0] & 1));
  return 0;
}
