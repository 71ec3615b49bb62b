#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/flow/flow_record.h"
#include "flow_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

constexpr std::uint8_t SYN = tcpflag::syn, ACK = tcpflag::ack, RST = tcpflag::rst,
                       PSH = tcpflag::psh;

FlowTableConfig config() {
  FlowTableConfig c;
  c.max_flows = 16;
  return c;
}

std::string str(std::string_view s) { return std::string(s); }

}  // namespace

TEST_GROUP(FlowRecord){};

TEST(FlowRecord, SynAckFirstIsOrientedTowardsItsReceiver) {
  FlowTable t(config());
  Recorder rec;
  Feed feed{t, rec};
  // 10.0.0.1 is the lower address: orientation must not simply follow the key order.
  feed(tcp_pkt("192.0.2.80", 443, "10.0.0.1", 51000, SYN | ACK, 500, 101), 7 * kSec, 74);
  feed(tcp_pkt("10.0.0.1", 51000, "192.0.2.80", 443, ACK, 101, 501), 8 * kSec, 66);
  t.flush_all(rec);
  CHECK_EQUAL(1u, rec.ended.size());
  const FlowRecord& r = rec.ended[0];
  CHECK(r.client_addr == ip("10.0.0.1"));
  CHECK_EQUAL(51000, r.client_port);
  CHECK(r.server_addr == ip("192.0.2.80"));
  CHECK_EQUAL(443, r.server_port);
  CHECK_EQUAL(1u, r.pkts_toserver);
  CHECK_EQUAL(1u, r.pkts_toclient);
  CHECK_EQUAL(66u, r.bytes_toserver);
  CHECK_EQUAL(74u, r.bytes_toclient);
  CHECK_EQUAL(SYN | ACK, r.tcp_flags_tc);
  CHECK_EQUAL(ACK, r.tcp_flags_ts);
  CHECK(r.tcp_state == TcpState::established);
  CHECK(r.state == FlowState::established);
  CHECK_EQUAL(7 * kSec, r.start_ns);
  CHECK_EQUAL(8 * kSec, r.end_ns);
  CHECK(r.reason == FlowEndReason::shutdown);
}

TEST(FlowRecord, FullTcpConversation) {
  FlowTable t(config());
  Recorder rec;
  Feed feed{t, rec};
  const char* c = "2001:db8::20";
  const char* s = "2001:db8::10";
  feed(with_vlan(tcp_pkt(c, 40000, s, 80, SYN, 1), 5, 6), 1 * kSec, 80);
  feed(with_vlan(tcp_pkt(s, 80, c, 40000, SYN | ACK, 100, 2), 5, 6), 2 * kSec, 80);
  feed(with_vlan(tcp_pkt(c, 40000, s, 80, ACK | PSH, 2, 101, 10), 5, 6), 3 * kSec, 90);
  feed(with_vlan(tcp_pkt(s, 80, c, 40000, RST | ACK, 101, 12), 5, 6), 4 * kSec, 60);
  t.flush_all(rec);
  const FlowRecord& r = rec.ended.at(0);
  CHECK(r.family == IpFamily::v6);
  CHECK_EQUAL(ipproto::tcp, r.ip_proto);
  CHECK(r.client_addr == ip(c));
  CHECK_EQUAL(5, r.vlan[0]);
  CHECK_EQUAL(6, r.vlan[1]);
  CHECK_EQUAL(2u, r.pkts_toserver);
  CHECK_EQUAL(2u, r.pkts_toclient);
  CHECK_EQUAL(170u, r.bytes_toserver);
  CHECK_EQUAL(140u, r.bytes_toclient);
  CHECK_EQUAL(SYN | ACK | PSH, r.tcp_flags_ts);
  CHECK_EQUAL(SYN | ACK | RST, r.tcp_flags_tc);
  CHECK_EQUAL(SYN | ACK | PSH | RST, r.tcp_flags);
  CHECK(r.tcp_state == TcpState::closed);
  CHECK(r.state == FlowState::closed);
  CHECK(r.flags & flowrec::closed_by_rst);
  CHECK_FALSE(r.flags & flowrec::midstream);
  CHECK(r.flow_id != 0);
}

TEST(FlowRecord, FlagsFromStreamAndFlow) {
  FlowTable t(config());
  Recorder rec;
  Feed feed{t, rec};
  Flow* f = feed(tcp_pkt("10.0.0.2", 1, "10.0.0.1", 2, ACK | PSH, 10, 20, 5), kSec);
  CHECK(f != nullptr);
  f->stream[1].flags |= streamflag::gap;  // as the reassembler would after skipping a hole
  f->flags |= flowflag::flagged;
  FlowRecord r = make_flow_record(*f, FlowEndReason::forced);
  CHECK(r.flags & flowrec::midstream);
  CHECK(r.flags & flowrec::gap_tc);
  CHECK_FALSE(r.flags & flowrec::gap_ts);
  CHECK(r.flags & flowrec::flagged);
  CHECK(r.reason == FlowEndReason::forced);
  f->stream[0].flags |= streamflag::gap;
  r = make_flow_record(*f, FlowEndReason::timeout);
  CHECK(r.flags & flowrec::gap_ts);
}

TEST(FlowRecord, UdpStateIsNewUntilBothDirectionsSpoke) {
  FlowTable t(config());
  Recorder rec;
  Feed feed{t, rec};
  Flow* f = feed(udp_pkt("10.0.0.2", 5000, "10.0.0.1", 53), kSec);
  CHECK(make_flow_record(*f, FlowEndReason::timeout).state == FlowState::new_);
  feed(udp_pkt("10.0.0.1", 53, "10.0.0.2", 5000), kSec);
  const FlowRecord r = make_flow_record(*f, FlowEndReason::timeout);
  CHECK(r.state == FlowState::established);
  CHECK_EQUAL(5000, r.client_port);
  CHECK_EQUAL(53, r.server_port);
  CHECK(r.tcp_state == TcpState::none);
  CHECK_EQUAL(0, r.tcp_flags);
}

TEST(FlowRecord, IcmpRecordCarriesTypesNotPorts) {
  FlowTable t(config());
  Recorder rec;
  Feed feed{t, rec};
  Flow* f = feed(icmp_pkt("10.0.0.2", "10.0.0.1", 8, 0, 0x77), kSec);
  feed(icmp_pkt("10.0.0.1", "10.0.0.2", 0, 0, 0x77), kSec);
  feed(icmp_pkt("10.0.0.2", "10.0.0.1", 8, 0, 0x77), kSec);
  const FlowRecord r = make_flow_record(*f, FlowEndReason::timeout);
  CHECK_EQUAL(0, r.client_port);
  CHECK_EQUAL(0, r.server_port);
  CHECK_EQUAL(8, r.icmp_type);
  CHECK_EQUAL(0, r.response_icmp_type);
  CHECK_EQUAL(2u, r.pkts_toserver);
  CHECK(r.client_addr == ip("10.0.0.2"));
}

TEST(FlowRecord, Names) {
  STRCMP_EQUAL("new", str(flow_state_name(FlowState::new_)).c_str());
  STRCMP_EQUAL("established", str(flow_state_name(FlowState::established)).c_str());
  STRCMP_EQUAL("closed", str(flow_state_name(FlowState::closed)).c_str());
  STRCMP_EQUAL("timeout", str(flow_end_reason_name(FlowEndReason::timeout)).c_str());
  STRCMP_EQUAL("forced", str(flow_end_reason_name(FlowEndReason::forced)).c_str());
  STRCMP_EQUAL("shutdown", str(flow_end_reason_name(FlowEndReason::shutdown)).c_str());
  STRCMP_EQUAL("tcp_reuse", str(flow_end_reason_name(FlowEndReason::tcp_reuse)).c_str());
}

TEST(FlowRecord, ClosedStatesMapToSuricatasFlowState) {
  // Suricata: last_ack, time_wait and closed are "closed"; the FIN states before them are
  // still "established".
  Flow f;
  f.key.ip_proto = ipproto::tcp;
  const TcpState established[] = {TcpState::established, TcpState::fin_wait1,
                                  TcpState::fin_wait2, TcpState::closing, TcpState::close_wait};
  for (TcpState s : established) {
    f.tcp.state = s;
    CHECK(flow_state(f) == FlowState::established);
  }
  const TcpState closed[] = {TcpState::last_ack, TcpState::time_wait, TcpState::closed};
  for (TcpState s : closed) {
    f.tcp.state = s;
    CHECK(flow_state(f) == FlowState::closed);
  }
  const TcpState opening[] = {TcpState::none, TcpState::syn_sent, TcpState::syn_recv};
  for (TcpState s : opening) {
    f.tcp.state = s;
    CHECK(flow_state(f) == FlowState::new_);
  }
}
