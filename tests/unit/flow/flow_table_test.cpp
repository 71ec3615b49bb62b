#include <CppUTest/TestHarness.h>

#include <cstddef>
#if defined(__SANITIZE_ADDRESS__)
// From libasan's allocator interface (Debian ships no header for it with g++).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#else
#include <malloc.h>
#endif

#include <cstdio>
#include <stdexcept>
#include <string>

#include "dataplane/flow/flow_table.h"
#include "flow_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

constexpr std::uint8_t SYN = tcpflag::syn, ACK = tcpflag::ack, RST = tcpflag::rst;

// Bytes the process has allocated and not freed.
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

FlowTableConfig config(std::uint32_t max_flows, std::uint64_t seed = 0) {
  FlowTableConfig c;
  c.max_flows = max_flows;
  c.hash_seed = seed;
  return c;
}

// A distinct UDP flow per index: client 10.x.y.z:port -> 192.0.2.1:53.
DecodedPacket udp_flow(std::uint32_t i, bool reply = false) {
  char client[32];
  std::snprintf(client, sizeof(client), "10.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  const auto port = static_cast<std::uint16_t>(1024 + (i >> 24));
  return reply ? udp_pkt("192.0.2.1", 53, client, port) : udp_pkt(client, port, "192.0.2.1", 53);
}

}  // namespace

TEST_GROUP(FlowTable){};

TEST(FlowTable, BothDirectionsFindOneFlow) {
  FlowTable t(config(16));
  Recorder rec;
  Feed feed{t, rec};
  Flow* a = feed(udp_pkt("10.0.0.5", 5353, "10.0.0.1", 53, 20), 1 * kSec, 62);
  CHECK(feed.dir == FlowDirection::to_server);
  Flow* b = feed(udp_pkt("10.0.0.1", 53, "10.0.0.5", 5353, 80), 2 * kSec, 122);
  CHECK(a == b);
  CHECK(feed.dir == FlowDirection::to_client);
  feed(udp_pkt("10.0.0.5", 5353, "10.0.0.1", 53), 3 * kSec, 60);
  CHECK_EQUAL(1, t.active());
  CHECK_EQUAL(2u, a->pkts[0]);
  CHECK_EQUAL(1u, a->pkts[1]);
  CHECK_EQUAL(122u, a->bytes[0]);
  CHECK_EQUAL(122u, a->bytes[1]);
  CHECK_EQUAL(1 * kSec, a->start_ns);
  CHECK_EQUAL(3 * kSec, a->last_ns);
  CHECK(a->client_addr() == ip("10.0.0.5"));
  CHECK_EQUAL(5353, a->client_port());
  CHECK(flow_state(*a) == FlowState::established);
  CHECK(t.find(a->key) == a);
  CHECK_TRUE(t.verify());
}

TEST(FlowTable, PreparedKeyGivesTheSameFlow) {
  FlowTable t(config(16, 12345));
  Recorder rec;
  const DecodedPacket p = udp_pkt("10.0.0.5", 5353, "10.0.0.1", 53);
  PacketFlowKey k;
  CHECK(t.prepare(p, k) == FlowKeyStatus::ok);
  CHECK_EQUAL(flow_key_hash(k.key, 12345), k.hash);
  t.prefetch(k);
  FlowDirection dir;
  Flow* a = t.lookup_or_create(p, k, kSec, dir, rec);
  Flow* b = t.lookup_or_create(p, kSec, dir, rec);
  CHECK(a != nullptr);
  CHECK(a == b);
}

TEST(FlowTable, VlanSeparatesFlows) {
  FlowTable t(config(16));
  Recorder rec;
  Feed feed{t, rec};
  const DecodedPacket p = udp_pkt("10.0.0.5", 5353, "10.0.0.1", 53);
  Flow* a = feed(with_vlan(p, 100), kSec);
  Flow* b = feed(with_vlan(p, 200), kSec);
  Flow* c = feed(p, kSec);
  CHECK(a != b);
  CHECK(b != c);
  CHECK(a != c);
  CHECK_EQUAL(3, t.active());
  CHECK_EQUAL(100, a->key.vlan[0]);
}

TEST(FlowTable, VlanTrackingOffJoinsTaggedAndUntaggedDirections) {
  FlowTableConfig cfg = config(16);
  cfg.vlan_tracking = false;
  FlowTable t(cfg);
  Recorder rec;
  Feed feed{t, rec};
  Flow* a = feed(with_vlan(udp_pkt("10.0.0.5", 5353, "10.0.0.1", 53), 3136), kSec);
  Flow* b = feed(udp_pkt("10.0.0.1", 53, "10.0.0.5", 5353), kSec);  // the reply, untagged
  CHECK(a == b);
  CHECK_EQUAL(1, t.active());
  CHECK_EQUAL(0, a->key.vlan[0]);
}

TEST(FlowTable, IcmpEchoRequestAndReplyPair) {
  FlowTable t(config(16));
  Recorder rec;
  Feed feed{t, rec};
  Flow* req = feed(icmp_pkt("10.0.0.5", "10.0.0.1", 8, 0, 42), kSec);
  Flow* rep = feed(icmp_pkt("10.0.0.1", "10.0.0.5", 0, 0, 42), kSec);
  CHECK(req == rep);
  CHECK(feed.dir == FlowDirection::to_client);
  CHECK(req->flags & flowflag::echo);
  Flow* other_id = feed(icmp_pkt("10.0.0.5", "10.0.0.1", 8, 0, 43), kSec);
  CHECK(other_id != req);
  Flow* unreach = feed(icmp_pkt("10.0.0.1", "10.0.0.5", 3, 3), kSec);
  CHECK(unreach != req);
  CHECK_EQUAL(3, t.active());
  const std::uint64_t echo_id = req->flow_id;
  t.flush_all(rec);
  const FlowRecord* found = nullptr;
  for (const FlowRecord& e : rec.ended) {
    if (e.flow_id == echo_id) found = &e;
  }
  CHECK(found != nullptr);
  const FlowRecord& r = *found;
  CHECK_EQUAL(8, r.icmp_type);
  CHECK_EQUAL(0, r.response_icmp_type);
  CHECK_EQUAL(1u, r.pkts_toserver);
  CHECK_EQUAL(1u, r.pkts_toclient);
  CHECK(r.state == FlowState::established);
}

TEST(FlowTable, OtherIpProtocolsAreTracked) {
  FlowTable t(config(16));
  Recorder rec;
  Feed feed{t, rec};
  Flow* a = feed(ip_pkt("10.0.0.5", "10.0.0.1", 47), kSec);
  Flow* b = feed(ip_pkt("10.0.0.1", "10.0.0.5", 47), kSec);
  CHECK(a != nullptr);
  CHECK(a == b);
  CHECK_EQUAL(0, a->key.lo_port);
  CHECK(flow_state(*a) == FlowState::established);
}

TEST(FlowTable, NonIpAndFragmentsAreCountedNotTracked) {
  FlowTable t(config(16));
  Recorder rec;
  FlowDirection dir;
  DecodedPacket arp;
  CHECK(t.lookup_or_create(arp, kSec, dir, rec) == nullptr);
  DecodedPacket frag = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2);
  frag.is_fragment = true;
  CHECK(t.lookup_or_create(frag, kSec, dir, rec) == nullptr);
  CHECK_EQUAL(1, t.counters().get(FlowCounter::not_ip));
  CHECK_EQUAL(1, t.counters().get(FlowCounter::fragment));
  CHECK_EQUAL(0, t.active());
}

namespace {

// Feeds `n` packets at time t0, then checks the flow survives until exactly t0 + timeout and
// ends (reason timeout) one nanosecond later.
void check_timeout(const FlowTableConfig& cfg, const DecodedPacket* pkts, std::size_t n,
                   std::uint64_t timeout_s, FlowState expected_state) {
  FlowTable t(cfg);
  Recorder rec;
  Feed feed{t, rec};
  const std::uint64_t t0 = 1000 * kSec;
  Flow* f = nullptr;
  for (std::size_t i = 0; i < n; ++i) f = feed(pkts[i], t0);
  CHECK(f != nullptr);
  CHECK(flow_state(*f) == expected_state);
  CHECK_EQUAL(t0 + timeout_s * kSec, t.next_deadline_ns());
  CHECK_EQUAL(0u, t.expire(t0 + timeout_s * kSec - 1, rec, 100));
  CHECK_EQUAL(0u, t.expire(t0 + timeout_s * kSec, rec, 100));
  CHECK_EQUAL(1, t.active());
  CHECK_EQUAL(1u, t.expire(t0 + timeout_s * kSec + 1, rec, 100));
  CHECK_EQUAL(0, t.active());
  CHECK_EQUAL(1u, rec.ended.size());
  CHECK(rec.ended[0].reason == FlowEndReason::timeout);
  CHECK(rec.ended[0].state == expected_state);
  CHECK_EQUAL(1, t.counters().get(FlowCounter::end_timeout));
  CHECK_TRUE(t.verify());
}

const char* const C = "10.0.0.2";
const char* const S = "10.0.0.1";

}  // namespace

TEST(FlowTable, DefaultTimeoutsAreSuricatas) {
  const FlowTimeouts d;
  CHECK_EQUAL(60u, d.tcp.new_s);
  CHECK_EQUAL(600u, d.tcp.established_s);
  CHECK_EQUAL(60u, d.tcp.closed_s);
  CHECK_EQUAL(30u, d.udp.new_s);
  CHECK_EQUAL(300u, d.udp.established_s);
  CHECK_EQUAL(30u, d.icmp.new_s);
  CHECK_EQUAL(300u, d.icmp.established_s);
  CHECK_EQUAL(30u, d.other.new_s);
  CHECK_EQUAL(300u, d.other.established_s);
}

TEST(FlowTable, TcpTimeoutClasses) {
  const FlowTableConfig cfg = config(8);
  const DecodedPacket syn[] = {tcp_pkt(C, 1234, S, 80, SYN, 1)};
  check_timeout(cfg, syn, 1, 60, FlowState::new_);
  const DecodedPacket est[] = {tcp_pkt(C, 1234, S, 80, SYN, 1), tcp_pkt(S, 80, C, 1234, SYN | ACK, 9, 2),
                               tcp_pkt(C, 1234, S, 80, ACK, 2, 10)};
  check_timeout(cfg, est, 3, 600, FlowState::established);
  const DecodedPacket closed[] = {tcp_pkt(C, 1234, S, 80, SYN, 1),
                                  tcp_pkt(S, 80, C, 1234, SYN | ACK, 9, 2),
                                  tcp_pkt(C, 1234, S, 80, RST, 2, 0)};
  check_timeout(cfg, closed, 3, 60, FlowState::closed);
}

TEST(FlowTable, UdpIcmpAndOtherTimeoutClasses) {
  const FlowTableConfig cfg = config(8);
  const DecodedPacket udp_new[] = {udp_pkt(C, 1, S, 2)};
  check_timeout(cfg, udp_new, 1, 30, FlowState::new_);
  const DecodedPacket udp_est[] = {udp_pkt(C, 1, S, 2), udp_pkt(S, 2, C, 1)};
  check_timeout(cfg, udp_est, 2, 300, FlowState::established);
  const DecodedPacket icmp_new[] = {icmp_pkt(C, S, 8, 0, 5)};
  check_timeout(cfg, icmp_new, 1, 30, FlowState::new_);
  const DecodedPacket icmp_est[] = {icmp_pkt(C, S, 8, 0, 5), icmp_pkt(S, C, 0, 0, 5)};
  check_timeout(cfg, icmp_est, 2, 300, FlowState::established);
  const DecodedPacket other_new[] = {ip_pkt(C, S, 50)};
  check_timeout(cfg, other_new, 1, 30, FlowState::new_);
  const DecodedPacket other_est[] = {ip_pkt(C, S, 50), ip_pkt(S, C, 50)};
  check_timeout(cfg, other_est, 2, 300, FlowState::established);
}

TEST(FlowTable, ConfiguredTimeoutsAreUsed) {
  FlowTableConfig cfg = config(8);
  cfg.timeouts.udp = FlowTimeoutSet{7, 11, 0};
  cfg.timeouts.tcp = FlowTimeoutSet{13, 17, 19};
  const DecodedPacket udp_new[] = {udp_pkt(C, 1, S, 2)};
  check_timeout(cfg, udp_new, 1, 7, FlowState::new_);
  const DecodedPacket udp_est[] = {udp_pkt(C, 1, S, 2), udp_pkt(S, 2, C, 1)};
  check_timeout(cfg, udp_est, 2, 11, FlowState::established);
  const DecodedPacket closed[] = {tcp_pkt(C, 1234, S, 80, SYN, 1),
                                  tcp_pkt(S, 80, C, 1234, RST | ACK, 0, 2)};
  check_timeout(cfg, closed, 2, 19, FlowState::closed);
}

TEST(FlowTable, ActivityPostponesExpiry) {
  FlowTable t(config(8));
  Recorder rec;
  Feed feed{t, rec};
  feed(udp_pkt(C, 1, S, 2), 0);
  feed(udp_pkt(C, 1, S, 2), 20 * kSec);
  CHECK_EQUAL(0u, t.expire(45 * kSec, rec, 10));
  CHECK_EQUAL(1u, t.expire(50 * kSec + 1, rec, 10));
}

TEST(FlowTable, ExpiryRunsInDeadlineOrderWithinBudget) {
  FlowTable t(config(16));
  Recorder rec;
  Feed feed{t, rec};
  feed(tcp_pkt(C, 1000, S, 80, SYN, 1), 0);                 // tcp new: deadline 60 s
  feed(icmp_pkt(C, S, 8, 0, 1), 0);                         // icmp established: deadline 300 s
  feed(icmp_pkt(S, C, 0, 0, 1), 0);
  feed(udp_pkt(C, 1000, S, 53), 0);                         // udp new: deadline 30 s
  feed(udp_pkt(C, 1001, S, 53), 10 * kSec);                 // udp new: deadline 40 s
  CHECK_EQUAL(30 * kSec, t.next_deadline_ns());
  CHECK_EQUAL(2u, t.expire(1000 * kSec, rec, 2));
  CHECK_EQUAL(2u, t.expire(1000 * kSec, rec, 100));
  CHECK_EQUAL(4u, rec.ended.size());
  CHECK_EQUAL(1000, rec.ended[0].client_port);
  CHECK_EQUAL(ipproto::udp, rec.ended[0].ip_proto);
  CHECK_EQUAL(1001, rec.ended[1].client_port);
  CHECK_EQUAL(ipproto::tcp, rec.ended[2].ip_proto);
  CHECK_EQUAL(ipproto::icmp, rec.ended[3].ip_proto);
  CHECK_EQUAL(UINT64_MAX, t.next_deadline_ns());
}

TEST(FlowTable, PacketAfterTimeoutStartsANewFlow) {
  FlowTable t(config(8));
  Recorder rec;
  Feed feed{t, rec};
  Flow* a = feed(udp_pkt(C, 1, S, 2), 0);
  const std::uint64_t old_id = a->flow_id;
  Flow* b = feed(udp_pkt(S, 2, C, 1), 31 * kSec);
  CHECK_EQUAL(1u, rec.ended.size());
  CHECK(rec.ended[0].reason == FlowEndReason::timeout);
  CHECK_EQUAL(old_id, rec.ended[0].flow_id);
  CHECK(b->flow_id != old_id);
  CHECK_EQUAL(1, t.active());
  CHECK_EQUAL(1u, b->pkts[0]);  // the reply's sender is the new flow's client
  CHECK(b->client_addr() == ip(S));
}

TEST(FlowTable, EvictionPicksTheFlowNearestItsDeadline) {
  FlowTable t(config(4));
  Recorder rec;
  Feed feed{t, rec};
  feed(udp_pkt(C, 1, S, 53), 1 * kSec);   // oldest, but established: deadline 301 s
  feed(udp_pkt(S, 53, C, 1), 1 * kSec);
  feed(udp_pkt(C, 2, S, 53), 2 * kSec);   // new: deadline 32 s  <- victim
  feed(tcp_pkt(C, 3, S, 80, SYN, 1), 3 * kSec);  // tcp new: deadline 63 s
  feed(udp_pkt(C, 4, S, 53), 4 * kSec);   // new: deadline 34 s
  CHECK_EQUAL(4, t.active());
  Flow* f = feed(udp_pkt(C, 5, S, 53), 5 * kSec);
  CHECK(f != nullptr);
  CHECK_EQUAL(4, t.active());
  CHECK_EQUAL(1u, rec.ended.size());
  CHECK(rec.ended[0].reason == FlowEndReason::forced);
  CHECK_EQUAL(2, rec.ended[0].client_port);
  CHECK_EQUAL(1, t.counters().get(FlowCounter::end_forced));
  CHECK_TRUE(t.verify());
}

TEST(FlowTable, EvictionTakesClosedTcpFirst) {
  FlowTable t(config(4));
  Recorder rec;
  Feed feed{t, rec};
  feed(udp_pkt(C, 1, S, 53), 1 * kSec);                       // deadline 31 s
  feed(tcp_pkt(C, 2, S, 80, SYN, 1), 2 * kSec);               // closed below: deadline 62 s
  feed(tcp_pkt(S, 80, C, 2, RST | ACK, 0, 2), 2 * kSec);
  feed(udp_pkt(C, 3, S, 53), 3 * kSec);
  feed(udp_pkt(C, 4, S, 53), 4 * kSec);
  feed(udp_pkt(C, 5, S, 53), 5 * kSec);
  CHECK_EQUAL(1u, rec.ended.size());
  CHECK(rec.ended[0].reason == FlowEndReason::forced);
  CHECK_EQUAL(ipproto::tcp, rec.ended[0].ip_proto);
  CHECK(rec.ended[0].tcp_state == TcpState::closed);
}

TEST(FlowTable, FullTableEndsAnExpiredFlowAsTimeout) {
  FlowTable t(config(2));
  Recorder rec;
  Feed feed{t, rec};
  feed(udp_pkt(C, 1, S, 53), 1 * kSec);
  feed(udp_pkt(C, 2, S, 53), 20 * kSec);
  feed(udp_pkt(C, 3, S, 53), 40 * kSec);  // flow 1 is past its 31 s deadline
  CHECK_EQUAL(1u, rec.ended.size());
  CHECK(rec.ended[0].reason == FlowEndReason::timeout);
  CHECK_EQUAL(1, rec.ended[0].client_port);
}

TEST(FlowTable, FlushAllEndsEveryFlowInStartOrder) {
  FlowTable t(config(32, 99));
  Recorder rec;
  Feed feed{t, rec};
  feed(udp_pkt(C, 7, S, 53), 5 * kSec);
  feed(udp_pkt(C, 3, S, 53), 1 * kSec);  // clamped to 5 s: time never runs backwards
  feed(tcp_pkt(C, 9, S, 80, SYN, 1), 6 * kSec);
  for (std::uint16_t p = 100; p < 110; ++p) feed(udp_pkt(C, p, S, 53), 8 * kSec);
  feed(udp_pkt(S, 53, C, 7), 9 * kSec);  // touches the first flow: start time unchanged
  CHECK_EQUAL(13u, t.flush_all(rec));
  CHECK_EQUAL(0, t.active());
  CHECK_TRUE(t.verify());
  CHECK_EQUAL(13u, rec.ended.size());
  for (std::size_t i = 0; i < rec.ended.size(); ++i) {
    CHECK(rec.ended[i].reason == FlowEndReason::shutdown);
    if (i == 0) continue;
    const FlowRecord& a = rec.ended[i - 1];
    const FlowRecord& b = rec.ended[i];
    CHECK(a.start_ns < b.start_ns || (a.start_ns == b.start_ns && a.flow_id < b.flow_id));
  }
  for (const FlowRecord& r : rec.ended) {
    if (r.ip_proto == ipproto::udp && r.client_port == 7) {
      CHECK_EQUAL(5 * kSec, r.start_ns);
      CHECK_EQUAL(9 * kSec, r.end_ns);
    }
    if (r.ip_proto == ipproto::udp && r.client_port == 3) CHECK_EQUAL(5 * kSec, r.start_ns);
  }
  CHECK_EQUAL(5 * kSec, rec.ended[0].start_ns);
  CHECK_EQUAL(5 * kSec, rec.ended[1].start_ns);
  CHECK_EQUAL(ipproto::tcp, rec.ended[2].ip_proto);
  CHECK_EQUAL(13, t.counters().get(FlowCounter::end_shutdown));
  // The table is reusable after a flush.
  Feed again{t, rec};
  CHECK(again(udp_pkt(C, 1, S, 53), 10 * kSec) != nullptr);
  CHECK_TRUE(t.verify());
}

TEST(FlowTable, SingleSlotTable) {
  FlowTable t(config(1));
  Recorder rec;
  Feed feed{t, rec};
  Flow* a = feed(udp_pkt(C, 1, S, 53), 1 * kSec);
  Flow* b = feed(udp_pkt(C, 2, S, 53), 2 * kSec);
  CHECK(a == b);  // the one slot, reused
  CHECK_EQUAL(1u, rec.ended.size());
  CHECK(rec.ended[0].reason == FlowEndReason::forced);
  CHECK_EQUAL(1, rec.ended[0].client_port);
  Flow* c = feed(udp_pkt(S, 53, C, 2), 3 * kSec);
  CHECK(c == b);
  CHECK(feed.dir == FlowDirection::to_client);
  CHECK_EQUAL(1u, rec.ended.size());
  feed(udp_pkt(C, 1, S, 53), 4 * kSec);
  CHECK_EQUAL(2u, rec.ended.size());
  CHECK_EQUAL(2, rec.ended[1].client_port);
  CHECK_EQUAL(1u, rec.ended[1].pkts_toclient);
  CHECK_EQUAL(1, t.active());
  CHECK_TRUE(t.verify());
}

TEST(FlowTable, ZeroCapacityTracksNothing) {
  FlowTable t(config(0));
  Recorder rec;
  FlowDirection dir;
  CHECK(t.lookup_or_create(udp_pkt(C, 1, S, 2), kSec, dir, rec) == nullptr);
  CHECK_EQUAL(1, t.counters().get(FlowCounter::no_capacity));
  CHECK_EQUAL(0u, t.expire(UINT64_MAX, rec, 10));
  CHECK_EQUAL(0u, t.flush_all(rec));
  CHECK(t.find(FlowKey{}) == nullptr);
  CHECK_TRUE(t.verify());
}

TEST(FlowTable, OversizedTableIsRejectedAtConfiguration) {
  FlowTableConfig cfg;
  cfg.max_flows = FlowTable::kMaxFlows + 1;
  bool thrown = false;
  try {
    FlowTable t(cfg);
  } catch (const std::invalid_argument&) {
    thrown = true;
  }
  CHECK_TRUE(thrown);
}

TEST(FlowTable, FlowIdsAreDeterministicAndIndependentOfTheHashSeed) {
  auto run = [](std::uint64_t seed) {
    FlowTable t(config(8, seed));
    Recorder rec;
    Feed feed{t, rec};
    for (std::uint32_t i = 0; i < 20; ++i) {
      feed(udp_flow(i), (i + 1) * kSec);
      if (i % 3 == 0) feed(udp_flow(i, true), (i + 1) * kSec + 500);
    }
    t.expire(25 * kSec, rec, 1000);
    t.flush_all(rec);
    return rec.ended;
  };
  const std::vector<FlowRecord> a = run(0);
  const std::vector<FlowRecord> b = run(0xdeadbeefcafef00dull);
  CHECK_EQUAL(20u, a.size());
  CHECK_EQUAL(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK_EQUAL(a[i].flow_id, b[i].flow_id);
    CHECK(a[i].reason == b[i].reason);
    CHECK(a[i].client_addr == b[i].client_addr);
    CHECK(a[i].flow_id != 0);
    CHECK(a[i].flow_id < (std::uint64_t{1} << 51));
  }
  // Same tuple, different start: a different id.
  CHECK(flow_id_for(1234, 1) != flow_id_for(1234, 2));
  CHECK_EQUAL(flow_id_for(1234, 1), flow_id_for(1234, 1));
}

TEST(FlowTable, MemoryPerFlowStaysWithinBudget) {
  FlowTable t(config(65536));
  CHECK(sizeof(Flow) <= 232);  // 29 words: key, counters, TCP, streams, slots, capture link
  CHECK(t.memory_bytes() / t.max_flows() <= 256);
}

TEST(FlowTable, MillionFlowsThroughA64kTable) {
  constexpr std::uint32_t kFlows = 1'000'000;
  constexpr std::uint32_t kMax = 65536;
  FlowTable t(config(kMax, 0x1234567));
  Counter ends;
  FlowDirection dir;
  const std::size_t heap_before = heap_in_use();
  bool ok = true;
  std::uint64_t packets = 0;
  std::uint64_t now = 1 * kSec;
  for (std::uint32_t i = 0; i < kFlows; ++i) {
    now += 1000;  // 1 us per flow: nothing times out during the run
    const DecodedPacket p = udp_flow(i);
    Flow* f = t.lookup_or_create(p, now, dir, ends);
    ok = ok && f != nullptr && dir == FlowDirection::to_server;
    if (f) t.account(*f, dir, p, 60, now);
    ++packets;
    if (i % 4 == 0) {
      // A reply for a quarter of the flows: found, not created.
      const DecodedPacket r = udp_flow(i, true);
      Flow* g = t.lookup_or_create(r, now, dir, ends);
      ok = ok && g == f && dir == FlowDirection::to_client;
      if (g) t.account(*g, dir, r, 60, now);
      ++packets;
    }
  }
  const std::size_t heap_after = heap_in_use();
  CHECK_TRUE(ok);
  CHECK_EQUAL(heap_before, heap_after);
  CHECK_EQUAL(kMax, t.active());
  CHECK_TRUE(t.verify());
  CHECK_EQUAL(kFlows, t.counters().get(FlowCounter::created));
  CHECK_EQUAL(kFlows - kMax, t.counters().get(FlowCounter::end_forced));
  CHECK_EQUAL(kFlows - kMax, ends.flows);
  CHECK_EQUAL(kFlows - kMax, ends.by_reason[static_cast<std::size_t>(FlowEndReason::forced)]);

  CHECK_EQUAL(kMax, t.flush_all(ends));
  CHECK_EQUAL(0, t.active());
  CHECK_EQUAL(kFlows, ends.flows);
  CHECK_EQUAL(packets, ends.pkts);
  CHECK_TRUE(t.verify());
}

TEST(FlowTable, CounterNames) {
  STRCMP_EQUAL("flow.end.forced", std::string(flow_counter_name(FlowCounter::end_forced)).c_str());
  STRCMP_EQUAL("flow.created", std::string(flow_counter_name(FlowCounter::created)).c_str());
}
