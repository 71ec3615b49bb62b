#include <CppUTest/TestHarness.h>

#include "dataplane/flow/tcp_tracker.h"
#include "flow_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

constexpr std::uint8_t SYN = tcpflag::syn, ACK = tcpflag::ack, FIN = tcpflag::fin,
                       RST = tcpflag::rst, PSH = tcpflag::psh;

// Client 10.0.0.2:40000 (the key's hi endpoint, so orientation is really exercised),
// server 10.0.0.1:80. Client ISN 1000, server ISN 5000.
constexpr std::uint32_t kCisn = 1000, kSisn = 5000;

FlowTableConfig small_config(bool midstream = true, bool async_oneside = false) {
  FlowTableConfig c;
  c.max_flows = 64;
  c.tcp.midstream = midstream;
  c.tcp.async_oneside = async_oneside;
  return c;
}

struct Conn {
  explicit Conn(bool midstream = true, bool async_oneside = false)
      : table(small_config(midstream, async_oneside)) {}
  FlowTable table;
  Recorder rec;
  Feed feed{table, rec};
  std::uint64_t now = 100 * kSec;

  Flow* c2s(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::size_t len = 0,
            std::uint16_t window = 65535) {
    return send(tcp_pkt("10.0.0.2", 40000, "10.0.0.1", 80, flags, seq, ack, len, window));
  }
  Flow* s2c(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::size_t len = 0,
            std::uint16_t window = 65535) {
    return send(tcp_pkt("10.0.0.1", 80, "10.0.0.2", 40000, flags, seq, ack, len, window));
  }
  Flow* send(const DecodedPacket& p) {
    now += 1000;
    return feed(p, now);
  }
  Flow* handshake() {
    c2s(SYN, kCisn, 0);
    s2c(SYN | ACK, kSisn, kCisn + 1);
    return c2s(ACK, kCisn + 1, kSisn + 1);
  }
  std::uint64_t tcp_count(TcpCounter c) const { return table.tcp_counters().get(c); }
};

}  // namespace

TEST_GROUP(TcpTracker){};

TEST(TcpTracker, ThreeWayHandshake) {
  Conn c;
  Flow* f = c.c2s(SYN, kCisn, 0);
  CHECK(f != nullptr);
  CHECK(c.feed.dir == FlowDirection::to_server);
  CHECK(f->tcp.state == TcpState::syn_sent);
  CHECK(flow_state(*f) == FlowState::new_);
  CHECK_EQUAL(kCisn, f->tcp.peer[0].isn);
  CHECK(f->stream[0].flags & streamflag::initialized);
  CHECK_EQUAL(kCisn + 1, f->stream[0].next_seq);
  CHECK_FALSE(f->stream[1].flags & streamflag::initialized);

  CHECK(c.s2c(SYN | ACK, kSisn, kCisn + 1) == f);
  CHECK(c.feed.dir == FlowDirection::to_client);
  CHECK(f->tcp.state == TcpState::syn_recv);
  CHECK_EQUAL(kSisn, f->tcp.peer[1].isn);
  CHECK_EQUAL(kSisn + 1, f->stream[1].next_seq);

  CHECK(c.c2s(ACK, kCisn + 1, kSisn + 1) == f);
  CHECK(f->tcp.state == TcpState::established);
  CHECK(flow_state(*f) == FlowState::established);
  CHECK(c.feed.status == TcpTrackStatus::ok);
  CHECK_EQUAL(0, f->tcp.flags & tcpsess::midstream);
  CHECK_EQUAL(1, c.table.active());
}

TEST(TcpTracker, WindowScaleNegotiatedFromBothSyns) {
  Conn c;
  DecodedPacket syn = tcp_pkt("10.0.0.2", 40000, "10.0.0.1", 80, SYN, kCisn, 0);
  syn.tcp_opts.has_wscale = true;
  syn.tcp_opts.wscale = 7;
  syn.tcp_opts.has_mss = true;
  syn.tcp_opts.mss = 1460;
  c.send(syn);
  DecodedPacket synack = tcp_pkt("10.0.0.1", 80, "10.0.0.2", 40000, SYN | ACK, kSisn, kCisn + 1);
  synack.tcp_opts.has_wscale = true;
  synack.tcp_opts.wscale = 3;
  Flow* f = c.send(synack);
  CHECK(f->tcp.flags & tcpsess::wscale_on);
  CHECK_EQUAL(7, f->tcp.peer[0].wscale);
  CHECK_EQUAL(3, f->tcp.peer[1].wscale);
  CHECK_EQUAL(1460, f->tcp.peer[0].mss);
  CHECK_EQUAL(65535u, f->tcp.peer[1].window);  // SYN-ACK window is never scaled
  c.c2s(ACK, kCisn + 1, kSisn + 1, 0, 100);
  CHECK_EQUAL(100u << 7, f->tcp.peer[0].window);
  c.s2c(ACK, kSisn + 1, kCisn + 1, 0, 100);
  CHECK_EQUAL(100u << 3, f->tcp.peer[1].window);
}

TEST(TcpTracker, WindowScaleOffUnlessBothSidesOfferIt) {
  Conn c;
  DecodedPacket syn = tcp_pkt("10.0.0.2", 40000, "10.0.0.1", 80, SYN, kCisn, 0);
  syn.tcp_opts.has_wscale = true;
  syn.tcp_opts.wscale = 7;
  c.send(syn);
  Flow* f = c.s2c(SYN | ACK, kSisn, kCisn + 1);
  CHECK_FALSE(f->tcp.flags & tcpsess::wscale_on);
  CHECK_EQUAL(0, f->tcp.peer[0].wscale);
  c.c2s(ACK, kCisn + 1, kSisn + 1, 0, 100);
  CHECK_EQUAL(100u, f->tcp.peer[0].window);
}

TEST(TcpTracker, OversizedWindowScaleIsClampedAndCounted) {
  Conn c;
  DecodedPacket syn = tcp_pkt("10.0.0.2", 40000, "10.0.0.1", 80, SYN, kCisn, 0);
  syn.tcp_opts.has_wscale = true;
  syn.tcp_opts.wscale = 200;
  Flow* f = c.send(syn);
  CHECK_EQUAL(kTcpMaxWscale, f->tcp.peer[0].wscale);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::invalid_wscale));
}

TEST(TcpTracker, SynAckWithWrongAckIsRejected) {
  Conn c;
  c.c2s(SYN, kCisn, 0);
  Flow* f = c.s2c(SYN | ACK, kSisn, kCisn + 77);
  CHECK(c.feed.status == TcpTrackStatus::anomaly);
  CHECK(f->tcp.state == TcpState::syn_sent);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::synack_bad_ack));
}

TEST(TcpTracker, HandshakeAckMustAcknowledgeTheServerSyn) {
  Conn c;
  c.c2s(SYN, kCisn, 0);
  c.s2c(SYN | ACK, kSisn, kCisn + 1);
  Flow* f = c.c2s(ACK, kCisn + 1, kSisn + 999);
  CHECK(f->tcp.state == TcpState::syn_recv);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::handshake_bad_ack));
  // Server data before the client's ACK is in the wrong direction for this state.
  c.s2c(ACK, kSisn + 1, kCisn + 1, 10);
  CHECK(f->tcp.state == TcpState::syn_recv);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::handshake_wrong_dir));
  // The client's ACK may come with data.
  c.c2s(ACK | PSH, kCisn + 1, kSisn + 1, 20);
  CHECK(f->tcp.state == TcpState::established);
  CHECK_EQUAL(kCisn + 21, f->tcp.peer[0].next_seq);
}

TEST(TcpTracker, SynRetransmittedWithNewIsnReplacesIt) {
  Conn c;
  Flow* f = c.c2s(SYN, kCisn, 0);
  c.c2s(SYN, kCisn, 0);  // plain retransmission
  CHECK_EQUAL(0, c.tcp_count(TcpCounter::syn_resend_diff_seq));
  c.c2s(SYN, 9000, 0);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::syn_resend_diff_seq));
  CHECK_EQUAL(9000u, f->tcp.peer[0].isn);
  CHECK_EQUAL(9001u, f->stream[0].next_seq);
  c.s2c(SYN | ACK, kSisn, 9001);
  CHECK(f->tcp.state == TcpState::syn_recv);
}

TEST(TcpTracker, ClientCloses) {
  Conn c;
  Flow* f = c.handshake();
  c.c2s(ACK | PSH, kCisn + 1, kSisn + 1, 100);
  c.s2c(ACK | PSH, kSisn + 1, kCisn + 101, 200);
  c.c2s(FIN | ACK, kCisn + 101, kSisn + 201);
  CHECK(f->tcp.state == TcpState::fin_wait1);
  c.s2c(ACK, kSisn + 201, kCisn + 102);
  CHECK(f->tcp.state == TcpState::fin_wait2);
  c.s2c(FIN | ACK, kSisn + 201, kCisn + 102);
  CHECK(f->tcp.state == TcpState::time_wait);
  CHECK(flow_state(*f) == FlowState::closed);
  c.c2s(ACK, kCisn + 102, kSisn + 202);
  CHECK(f->tcp.state == TcpState::closed);
  CHECK_FALSE(f->tcp.flags & tcpsess::closed_by_rst);
}

TEST(TcpTracker, ClientFinAnsweredByServerFinAck) {
  Conn c;
  Flow* f = c.handshake();
  c.c2s(FIN | ACK, kCisn + 1, kSisn + 1);
  c.s2c(FIN | ACK, kSisn + 1, kCisn + 2);  // acknowledges the client's FIN and closes too
  CHECK(f->tcp.state == TcpState::time_wait);
  c.c2s(ACK, kCisn + 2, kSisn + 2);
  CHECK(f->tcp.state == TcpState::closed);
}

TEST(TcpTracker, ServerCloses) {
  Conn c;
  Flow* f = c.handshake();
  c.s2c(FIN | ACK, kSisn + 1, kCisn + 1);
  CHECK(f->tcp.state == TcpState::close_wait);
  CHECK(flow_state(*f) == FlowState::established);
  c.c2s(ACK, kCisn + 1, kSisn + 2);
  CHECK(f->tcp.state == TcpState::close_wait);
  c.c2s(FIN | ACK, kCisn + 1, kSisn + 2);
  CHECK(f->tcp.state == TcpState::last_ack);
  CHECK(flow_state(*f) == FlowState::closed);
  c.s2c(ACK, kSisn + 2, kCisn + 2);
  CHECK(f->tcp.state == TcpState::closed);
}

TEST(TcpTracker, SimultaneousClose) {
  Conn c;
  Flow* f = c.handshake();
  c.c2s(FIN | ACK, kCisn + 1, kSisn + 1);
  c.s2c(FIN | ACK, kSisn + 1, kCisn + 1);  // crossed: does not acknowledge the client's FIN
  CHECK(f->tcp.state == TcpState::closing);
  c.c2s(ACK, kCisn + 2, kSisn + 2);
  CHECK(f->tcp.state == TcpState::closing);
  c.s2c(ACK, kSisn + 2, kCisn + 2);
  CHECK(f->tcp.state == TcpState::time_wait);
}

TEST(TcpTracker, SimultaneousOpen) {
  Conn c;
  Flow* f = c.c2s(SYN, kCisn, 0);
  c.s2c(SYN, kSisn, 0);
  CHECK(f->tcp.state == TcpState::syn_recv);
  CHECK(f->tcp.flags & tcpsess::simultaneous);
  CHECK(f->stream[1].flags & streamflag::initialized);
  CHECK_EQUAL(kSisn + 1, f->stream[1].next_seq);
  c.s2c(SYN | ACK, kSisn, kCisn + 1);
  CHECK(f->tcp.state == TcpState::syn_recv);
  c.c2s(SYN | ACK, kCisn, kSisn + 1);
  CHECK(f->tcp.state == TcpState::established);
  CHECK(c.feed.dir == FlowDirection::to_server);  // the first SYN's sender stays the client
  CHECK_EQUAL(0, c.tcp_count(TcpCounter::handshake_unexpected));
}

TEST(TcpTracker, InWindowRstClosesAndOutOfWindowRstIsCounted) {
  Conn c;
  Flow* f = c.handshake();
  c.s2c(ACK, kSisn + 1, kCisn + 1, 0, 1000);  // server window: 1000 bytes from client seq 1001
  c.c2s(RST, kCisn + 1 + 5000, 0);
  CHECK(c.feed.status == TcpTrackStatus::anomaly);
  CHECK(f->tcp.state == TcpState::established);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::invalid_rst));
  c.c2s(RST, kCisn + 1 + 500, 0);
  CHECK(c.feed.status == TcpTrackStatus::ok);
  CHECK(f->tcp.state == TcpState::closed);
  CHECK(f->tcp.flags & tcpsess::closed_by_rst);
  CHECK(f->tcp.peer[0].flags & tcppeer::rst_sent);
  c.c2s(ACK, kCisn + 1, kSisn + 1);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::pkt_on_closed));
}

TEST(TcpTracker, RstAnsweringASynMustAcknowledgeIt) {
  Conn c;
  Flow* f = c.c2s(SYN, kCisn, 0);
  c.s2c(RST | ACK, 0, kCisn + 5);
  CHECK(f->tcp.state == TcpState::syn_sent);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::invalid_rst));
  c.s2c(RST, 0, kCisn + 1);  // no ACK flag: not acceptable in SYN-SENT
  CHECK_EQUAL(2, c.tcp_count(TcpCounter::invalid_rst));
  c.s2c(RST | ACK, 0, kCisn + 1);
  CHECK(f->tcp.state == TcpState::closed);
  CHECK(flow_state(*f) == FlowState::closed);
}

TEST(TcpTracker, RstFromEitherSideDuringHandshake) {
  Conn a;
  Flow* f = a.c2s(SYN, kCisn, 0);
  a.s2c(SYN | ACK, kSisn, kCisn + 1);
  a.c2s(RST, kCisn + 1, 0);
  CHECK(f->tcp.state == TcpState::closed);

  Conn b;
  Flow* g = b.c2s(SYN, kCisn, 0);
  b.s2c(SYN | ACK, kSisn, kCisn + 1);
  b.s2c(RST, kSisn + 7, 0);
  CHECK(g->tcp.state == TcpState::syn_recv);
  b.s2c(RST, kSisn + 1, 0);
  CHECK(g->tcp.state == TcpState::closed);
}

TEST(TcpTracker, RstAsFirstPacketOpensNoSession) {
  Conn c;
  Flow* f = c.c2s(RST | ACK, 1, 1);
  CHECK(f != nullptr);  // the flow is still tracked for its record
  CHECK(f->tcp.state == TcpState::none);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::rst_but_no_session));
}

TEST(TcpTracker, AsyncOnesideClientSideEstablishesWithoutSynAck) {
  Conn strict;
  strict.c2s(SYN, kCisn, 0);
  Flow* f = strict.c2s(ACK, kCisn + 1, kSisn + 1);  // the SYN-ACK took another path
  CHECK(f->tcp.state == TcpState::syn_sent);
  CHECK_EQUAL(1u, strict.tcp_count(TcpCounter::handshake_unexpected));

  Conn c(true, true);
  c.c2s(SYN, kCisn, 0);
  f = c.c2s(ACK, kCisn + 1, kSisn + 1);
  CHECK(f->tcp.state == TcpState::established);
  CHECK(f->tcp.flags & tcpsess::async);
  CHECK_EQUAL(1u, c.tcp_count(TcpCounter::async_oneside));
  CHECK(c.c2s(ACK | PSH, kCisn + 1, kSisn + 1, 100)->tcp.state == TcpState::established);
  // A wrong sequence number is not the client's ACK of a SYN-ACK.
  Conn w(true, true);
  w.c2s(SYN, kCisn, 0);
  CHECK(w.c2s(ACK, kCisn + 7, kSisn + 1)->tcp.state == TcpState::syn_sent);
}

TEST(TcpTracker, AsyncOnesideServerSideEstablishesWithoutTheClientAck) {
  Conn c(true, true);
  Flow* f = c.s2c(SYN | ACK, kSisn, kCisn + 1);
  f = c.s2c(ACK | PSH, kSisn + 1, kCisn + 1, 50);
  CHECK(f->tcp.state == TcpState::established);
  CHECK(f->tcp.flags & tcpsess::async);
  Conn strict;
  strict.s2c(SYN | ACK, kSisn, kCisn + 1);
  CHECK(strict.s2c(ACK | PSH, kSisn + 1, kCisn + 1, 50)->tcp.state == TcpState::syn_recv);
}

TEST(TcpTracker, MidstreamPickup) {
  Conn c;
  Flow* f = c.s2c(ACK | PSH, 70000, 30000, 100);
  CHECK(f->tcp.state == TcpState::established);
  CHECK(f->tcp.flags & tcpsess::midstream);
  CHECK(c.feed.dir == FlowDirection::to_server);  // the first sender is taken as client
  CHECK(f->client_addr() == ip("10.0.0.1"));
  CHECK_EQUAL(70000u, f->stream[0].next_seq);
  CHECK_EQUAL(30000u, f->stream[1].next_seq);
  CHECK_EQUAL(70100u, f->tcp.peer[0].next_seq);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::midstream_pickup));
  // An RST from the other side at its next sequence number is plausible.
  c.c2s(RST, 30000, 0);
  CHECK(f->tcp.state == TcpState::closed);
}

TEST(TcpTracker, MidstreamPickupNeedsAnAck) {
  Conn c;
  Flow* f = c.c2s(PSH, 1, 0, 10);
  CHECK(f->tcp.state == TcpState::none);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::pkt_without_ack));
}

TEST(TcpTracker, MidstreamDisabledWaitsForAHandshake) {
  Conn c(false);
  Flow* f = c.s2c(ACK | PSH, 70000, 30000, 100);
  CHECK(f->tcp.state == TcpState::none);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::midstream_disabled));
  CHECK(f->client_addr() == ip("10.0.0.1"));
  // The real client's SYN arrives: the flow turns round and the handshake proceeds.
  Flow* g = c.c2s(SYN, kCisn, 0);
  CHECK(g == f);
  CHECK(c.feed.dir == FlowDirection::to_server);
  CHECK(f->client_addr() == ip("10.0.0.2"));
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::direction_swapped));
  CHECK_EQUAL(1u, f->pkts[0]);
  CHECK_EQUAL(1u, f->pkts[1]);
  CHECK(f->tcp.state == TcpState::syn_sent);
}

TEST(TcpTracker, SynAckFirstMakesItsReceiverTheClient) {
  Conn c;
  Flow* f = c.s2c(SYN | ACK, kSisn, kCisn + 1);
  CHECK(c.feed.dir == FlowDirection::to_client);
  CHECK(f->client_addr() == ip("10.0.0.2"));
  CHECK_EQUAL(40000, f->client_port());
  CHECK(f->tcp.state == TcpState::syn_recv);
  CHECK_EQUAL(kSisn + 1, f->stream[1].next_seq);
  CHECK_EQUAL(kCisn + 1, f->stream[0].next_seq);
  CHECK_EQUAL(kCisn, f->tcp.peer[0].isn);
  c.c2s(SYN, kCisn, 0);  // the client's SYN, seen late, is a retransmission
  CHECK(c.feed.status == TcpTrackStatus::ok);
  c.c2s(ACK, kCisn + 1, kSisn + 1);
  CHECK(f->tcp.state == TcpState::established);
}

TEST(TcpTracker, PacketWithoutAckInEstablishedIsCounted) {
  Conn c;
  Flow* f = c.handshake();
  c.c2s(PSH, kCisn + 1, 0, 10);
  CHECK(c.feed.status == TcpTrackStatus::anomaly);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::pkt_without_ack));
  CHECK_EQUAL(kCisn + 1, f->tcp.peer[0].next_seq);
}

TEST(TcpTracker, SynOnEstablishedIsCountedNotReused) {
  Conn c;
  Flow* f = c.handshake();
  const std::uint64_t id = f->flow_id;
  Flow* g = c.c2s(SYN, 424242, 0);
  CHECK(g == f);
  CHECK_EQUAL(id, g->flow_id);
  CHECK(f->tcp.state == TcpState::established);
  CHECK_EQUAL(1, c.tcp_count(TcpCounter::syn_on_established));
  CHECK_EQUAL(0u, c.rec.ended.size());
}

TEST(TcpTracker, SynOnClosedConnectionReusesTheTuple) {
  Conn c;
  Flow* f = c.handshake();
  c.c2s(RST, kCisn + 1, 0);
  CHECK(f->tcp.state == TcpState::closed);
  const std::uint64_t old_id = f->flow_id;
  Flow* g = c.c2s(SYN, 777, 0);
  CHECK_EQUAL(1u, c.rec.ended.size());
  CHECK(c.rec.ended[0].reason == FlowEndReason::tcp_reuse);
  CHECK_EQUAL(old_id, c.rec.ended[0].flow_id);
  CHECK(c.rec.ended[0].tcp_state == TcpState::closed);
  CHECK(g->tcp.state == TcpState::syn_sent);
  CHECK_EQUAL(777u, g->tcp.peer[0].isn);
  CHECK(g->flow_id != old_id);
  CHECK_EQUAL(1u, g->pkts[0]);
  CHECK_EQUAL(1, c.table.active());
  CHECK_EQUAL(1, c.table.counters().get(FlowCounter::end_tcp_reuse));
}

TEST(TcpTracker, SynInTimeWaitReusesTheTuple) {
  Conn c;
  c.handshake();
  c.c2s(FIN | ACK, kCisn + 1, kSisn + 1);
  Flow* f = c.s2c(FIN | ACK, kSisn + 1, kCisn + 2);
  CHECK(f->tcp.state == TcpState::time_wait);
  Flow* g = c.c2s(SYN, 99, 0);
  CHECK_EQUAL(1u, c.rec.ended.size());
  CHECK(c.rec.ended[0].reason == FlowEndReason::tcp_reuse);
  CHECK(g->tcp.state == TcpState::syn_sent);
}

TEST(TcpTracker, DirectCallOnAFlowObject) {
  // The tracker works on any Flow, without a table: the pipeline's contract is only the direction.
  Flow f;
  f.key.ip_proto = ipproto::tcp;
  TcpCounters counters;
  TcpTrackConfig cfg;
  const DecodedPacket syn = tcp_pkt("10.0.0.2", 1, "10.0.0.1", 2, SYN, 10, 0);
  CHECK(tcp_track(f, FlowDirection::to_server, syn, cfg, counters) == TcpTrackStatus::ok);
  CHECK(f.tcp.state == TcpState::syn_sent);
  CHECK_TRUE(tcp_handshake_reverses(Flow{}, FlowDirection::to_client, syn));
  CHECK_FALSE(tcp_handshake_reverses(f, FlowDirection::to_client, syn));
  CHECK_FALSE(tcp_packet_reuses_flow(f, syn));
}

TEST(TcpTracker, StateAndCounterNames) {
  STRCMP_EQUAL("none", std::string(tcp_state_name(TcpState::none)).c_str());
  STRCMP_EQUAL("syn_sent", std::string(tcp_state_name(TcpState::syn_sent)).c_str());
  STRCMP_EQUAL("syn_recv", std::string(tcp_state_name(TcpState::syn_recv)).c_str());
  STRCMP_EQUAL("established", std::string(tcp_state_name(TcpState::established)).c_str());
  STRCMP_EQUAL("fin_wait1", std::string(tcp_state_name(TcpState::fin_wait1)).c_str());
  STRCMP_EQUAL("fin_wait2", std::string(tcp_state_name(TcpState::fin_wait2)).c_str());
  STRCMP_EQUAL("time_wait", std::string(tcp_state_name(TcpState::time_wait)).c_str());
  STRCMP_EQUAL("last_ack", std::string(tcp_state_name(TcpState::last_ack)).c_str());
  STRCMP_EQUAL("close_wait", std::string(tcp_state_name(TcpState::close_wait)).c_str());
  STRCMP_EQUAL("closing", std::string(tcp_state_name(TcpState::closing)).c_str());
  STRCMP_EQUAL("closed", std::string(tcp_state_name(TcpState::closed)).c_str());
  STRCMP_EQUAL("tcp.invalid_rst", std::string(tcp_counter_name(TcpCounter::invalid_rst)).c_str());
  STRCMP_EQUAL("tcp.pkt_without_ack",
               std::string(tcp_counter_name(TcpCounter::pkt_without_ack)).c_str());
}
