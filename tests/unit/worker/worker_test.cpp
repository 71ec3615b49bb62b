// The worker pipeline end to end on hand-built packets: decode -> defrag -> flow -> stream ->
// flow records on the queue.
#include <CppUTest/TestHarness.h>

#include <memory>
#include <vector>

#include "dataplane/worker/worker.h"
#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ull;
constexpr std::uint64_t kStart = 1'700'000'000ull * kSecond;

struct Capture {
  std::vector<Packet> frames;
  std::vector<std::uint64_t> ts;

  void add(Packet frame, std::uint64_t t) {
    frames.push_back(std::move(frame));
    ts.push_back(t);
  }
  std::vector<PacketView> views() const {
    std::vector<PacketView> v(frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
      v[i].data = frames[i].data();
      v[i].caplen = v[i].wire_len = static_cast<std::uint32_t>(frames[i].size());
      v[i].ts_ns = ts[i];
      v[i].link_type = LinkType::ethernet;
    }
    return v;
  }
};

Packet tcp_frame(bool from_client, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                 const Packet& payload = {}) {
  TcpSpec t;
  t.sport = from_client ? 40000 : 80;
  t.dport = from_client ? 80 : 40000;
  t.seq = seq;
  t.ack = ack;
  t.flags = flags;
  Ipv4Spec ip;
  if (!from_client) std::swap(ip.src, ip.dst);
  return ethernet(0x0800, ipv4(ip, tcp(t, payload)));
}

// A TCP connection: handshake, a request, the response in two segments sent out of order, FIN
// from both sides.
Capture tcp_connection() {
  using namespace tcpflag;
  Capture c;
  std::uint64_t t = kStart;
  const Packet req = text("GET / HTTP/1.1\r\nHost: example\r\n\r\n");
  const Packet part1 = text("HTTP/1.1 200 OK\r\n");
  const Packet part2 = text("Content-Length: 0\r\n\r\n");
  c.add(tcp_frame(true, syn, 100, 0), t += 1000);
  c.add(tcp_frame(false, syn | ack, 900, 101), t += 1000);
  c.add(tcp_frame(true, ack, 101, 901), t += 1000);
  c.add(tcp_frame(true, psh | ack, 101, 901, req), t += 1000);
  c.add(tcp_frame(false, psh | ack, 901 + static_cast<std::uint32_t>(part1.size()),
                  101 + static_cast<std::uint32_t>(req.size()), part2), t += 1000);
  c.add(tcp_frame(false, psh | ack, 901, 101 + static_cast<std::uint32_t>(req.size()), part1),
        t += 1000);
  const std::uint32_t cfin = 101 + static_cast<std::uint32_t>(req.size());
  const std::uint32_t sfin = 901 + static_cast<std::uint32_t>(part1.size() + part2.size());
  c.add(tcp_frame(true, fin | ack, cfin, sfin), t += 1000);
  c.add(tcp_frame(false, fin | ack, sfin, cfin + 1), t += 1000);
  c.add(tcp_frame(true, ack, cfin + 1, sfin + 1), t += 1000);
  return c;
}

std::vector<FlowRecord> drain(Worker& w) {
  std::vector<FlowRecord> out;
  w.records().consume_all([&](const FlowRecord& r) { out.push_back(r); });
  return out;
}

std::vector<FlowRecord> replay(const Capture& c, std::size_t burst, const WorkerConfig& cfg = {}) {
  auto w = std::make_unique<Worker>(cfg, 0);
  auto views = c.views();
  for (std::size_t i = 0; i < views.size(); i += burst) {
    const std::size_t n = std::min(burst, views.size() - i);
    w->process_burst({views.data() + i, n});
    w->tick(views[i + n - 1].ts_ns);
  }
  w->shutdown();
  return drain(*w);
}

bool same_record(const FlowRecord& a, const FlowRecord& b) {
  return a.flow_id == b.flow_id && a.start_ns == b.start_ns && a.end_ns == b.end_ns &&
         a.pkts_toserver == b.pkts_toserver && a.pkts_toclient == b.pkts_toclient &&
         a.bytes_toserver == b.bytes_toserver && a.bytes_toclient == b.bytes_toclient &&
         a.reason == b.reason && a.state == b.state && a.tcp_state == b.tcp_state;
}

}  // namespace

TEST_GROUP(Worker){};

TEST(Worker, TcpConnectionBecomesOneClosedFlowWithEveryStreamByte) {
  const Capture c = tcp_connection();
  auto w = std::make_unique<Worker>(WorkerConfig{}, 0);
  auto views = c.views();
  w->process_burst(views);
  w->shutdown();
  const auto records = drain(*w);
  LONGS_EQUAL(1, records.size());
  const FlowRecord& r = records[0];
  UNSIGNED_LONGLONGS_EQUAL(5, r.pkts_toserver);
  UNSIGNED_LONGLONGS_EQUAL(4, r.pkts_toclient);
  std::uint64_t to_server = 0, to_client = 0;
  for (std::size_t i = 0; i < views.size(); ++i) {
    (c.frames[i][26 + 3] == 1 ? to_server : to_client) += views[i].wire_len;  // src 192.0.2.1
  }
  UNSIGNED_LONGLONGS_EQUAL(to_server, r.bytes_toserver);
  UNSIGNED_LONGLONGS_EQUAL(to_client, r.bytes_toclient);
  CHECK(r.state == FlowState::closed);
  CHECK(r.reason == FlowEndReason::shutdown);
  UNSIGNED_LONGLONGS_EQUAL(40000, r.client_port);
  UNSIGNED_LONGLONGS_EQUAL(80, r.server_port);
  // Request (33 bytes) plus both response parts, the second one delivered after the first
  // arrived late.
  UNSIGNED_LONGLONGS_EQUAL(33 + 17 + 21, w->counters().stream_bytes);
  UNSIGNED_LONGLONGS_EQUAL(1, w->stream().counters().get(StreamCounter::ooo_segments));
  UNSIGNED_LONGLONGS_EQUAL(0, w->stream().counters().segments_in_use);
}

TEST(Worker, BurstBoundariesDoNotChangeTheRecords) {
  Capture c = tcp_connection();
  // A second, idle-then-resumed UDP flow: 40 s of silence ends the first UDP flow (30 s new-flow
  // timeout) whether expiry runs between bursts or the lookup finds it stale.
  const Packet dns = text("\x12\x34query");
  c.add(ethernet(0x0800, ipv4({.proto = 17}, udp(5353, 53, dns))), kStart + 20 * kSecond);
  c.add(ethernet(0x0800, ipv4({.proto = 17}, udp(5353, 53, dns))), kStart + 60 * kSecond);
  const auto ref = replay(c, 32);
  LONGS_EQUAL(3, ref.size());
  for (std::size_t burst : {1u, 2u, 3u, 7u, 64u}) {
    auto got = replay(c, burst);
    LONGS_EQUAL(ref.size(), got.size());
    for (const auto& r : ref) {
      bool found = false;
      for (const auto& g : got) found = found || same_record(r, g);
      CHECK_TEXT(found, ("burst size " + std::to_string(burst)).c_str());
    }
  }
  int timeouts = 0;
  for (const auto& r : ref) timeouts += r.reason == FlowEndReason::timeout;
  LONGS_EQUAL(1, timeouts);
}

TEST(Worker, FragmentedDatagramCountsOnceWithItsFragmentsWireBytes) {
  // A 40-byte UDP datagram (8 header + 32 payload) in two fragments of 24 and 16 bytes.
  Packet payload(32, 0xab);
  const Packet datagram = udp(1000, 2000, payload);
  Packet first(datagram.begin(), datagram.begin() + 24);
  Packet second(datagram.begin() + 24, datagram.end());
  Capture c;
  c.add(ethernet(0x0800, ipv4({.proto = 17, .id = 7, .flags_offset = 0x2000}, first)), kStart);
  c.add(ethernet(0x0800, ipv4({.proto = 17, .id = 7, .flags_offset = 3}, second)), kStart + 10);
  const auto views = c.views();
  auto w = std::make_unique<Worker>(WorkerConfig{}, 0);
  w->process_burst(views);
  w->shutdown();
  const auto records = drain(*w);
  LONGS_EQUAL(1, records.size());
  UNSIGNED_LONGLONGS_EQUAL(1, records[0].pkts_toserver);
  UNSIGNED_LONGLONGS_EQUAL(views[0].wire_len + views[1].wire_len, records[0].bytes_toserver);
  UNSIGNED_LONGLONGS_EQUAL(1000, records[0].client_port);
  UNSIGNED_LONGLONGS_EQUAL(2, w->counters().fragments);
  UNSIGNED_LONGLONGS_EQUAL(1, w->counters().reassembled);
}

TEST(Worker, MalformedAndNonIpPacketsAreCountedNotFlowed) {
  Capture c;
  c.add(ethernet(0x0806, Packet(28, 0)), kStart);                         // ARP
  c.add(ethernet(0x0800, ipv4({.ihl = 4}, Packet(8, 0))), kStart + 1);    // header too short
  c.add(ethernet(0x0800, bytes_of({0x45, 0})), kStart + 2);               // cut inside IPv4
  auto w = std::make_unique<Worker>(WorkerConfig{}, 0);
  w->process_burst(c.views());
  w->shutdown();
  LONGS_EQUAL(0, drain(*w).size());
  UNSIGNED_LONGLONGS_EQUAL(1, w->counters().not_ip);
  UNSIGNED_LONGLONGS_EQUAL(2, w->counters().malformed);
  UNSIGNED_LONGLONGS_EQUAL(1, w->decode_counters().get(DecodeEvent::ipv4_hlen_too_small));
  UNSIGNED_LONGLONGS_EQUAL(3, w->counters().packets);
}

TEST(Worker, FullRecordQueueCountsDropsInsteadOfBlocking) {
  WorkerConfig cfg;
  cfg.record_queue_capacity = 2;
  Capture c;
  for (std::uint16_t port = 1; port <= 5; ++port) {
    c.add(ethernet(0x0800, ipv4({.proto = 17}, udp(port, 53, Packet(4, 0)))), kStart + port);
  }
  auto w = std::make_unique<Worker>(cfg, 0);
  w->process_burst(c.views());
  w->shutdown();
  // An spsc_queue of capacity N holds N records.
  LONGS_EQUAL(2, drain(*w).size());
  UNSIGNED_LONGLONGS_EQUAL(3, w->counters().records_dropped);
  UNSIGNED_LONGLONGS_EQUAL(5, w->counters().flows_ended);
}

TEST(Worker, CountersAreNamedOnce) {
  auto w = std::make_unique<Worker>(WorkerConfig{}, 0);
  std::vector<std::string> names;
  w->for_each_counter([&](std::string_view n, std::uint64_t) { names.emplace_back(n); });
  CHECK(names.size() > 50);
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(std::binary_search(names.begin(), names.end(), "decoder.event.ipv4.trunc_pkt"));
  CHECK(std::binary_search(names.begin(), names.end(), "flow.end.timeout"));
}
