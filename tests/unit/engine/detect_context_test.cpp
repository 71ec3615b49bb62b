// DetectContext through a real Worker: hand-built frames in, alerts and verdicts out. Matching,
// the flow keyword, flow variables, noalert, thresholds, groups, addresses and a few payload
// keywords end to end.
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

TEST_GROUP(DetectMatch){};

TEST(DetectMatch, ContentOnPacketPayload) {
  Session s("alert tcp any any -> any any (msg:\"evil\"; content:\"evil\"; sid:1;)\n"
            "alert tcp any any -> any any (content:\"absent\"; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  LONGS_EQUAL(0, s.alerts.size());
  c.client("GET /evil HTTP/1.0\r\n\r\n");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  const AlertRecord& a = s.last_alerts[0];
  STRCMP_EQUAL("evil", a.sig->msg.c_str());
  CHECK(a.flags & alertflag::has_flow);
  CHECK_FALSE(a.flags & alertflag::stream_match);
  CHECK_FALSE(a.flags & alertflag::blocked);
  CHECK(a.dir == FlowDirection::to_server);
  UNSIGNED_LONGS_EQUAL(40000, a.sport);
  UNSIGNED_LONGS_EQUAL(80, a.dport);
  UNSIGNED_LONGS_EQUAL(40000, a.flow_client_port);
  UNSIGNED_LONGS_EQUAL(80, a.flow_server_port);
  UNSIGNED_LONGLONGS_EQUAL(4, a.pcap_cnt);
  UNSIGNED_LONGLONGS_EQUAL(3, a.flow_pkts[0]);
  UNSIGNED_LONGLONGS_EQUAL(1, a.flow_pkts[1]);
  CHECK(a.family == IpFamily::v4);
  LONGS_EQUAL(6, a.ip_proto);
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::alerts));
  CHECK(s.counter(DetectCounter::packets) >= 4);
}

TEST(DetectMatch, OneAlertPerRulePerPacket) {
  Session s("alert tcp any any -> any any (content:\"ab\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("ab ab ab ab ab");
  LONGS_EQUAL(1, s.last_alerts.size());
  c.client("ab");
  LONGS_EQUAL(1, s.last_alerts.size());
  LONGS_EQUAL(2, s.count(1));
}

TEST(DetectMatch, NocaseAndServerDirection) {
  Session s("alert tcp any 80 -> any any (content:\"200 ok\"; nocase; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("HTTP/1.1 200 OK");  // the client's bytes: wrong direction
  LONGS_EQUAL(0, s.alerts.size());
  c.server("HTTP/1.1 200 OK");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].dir == FlowDirection::to_client);
}

TEST(DetectMatch, UdpIcmpAndIpv6) {
  Session s("alert udp any any -> any 80 (content:\"ping\"; sid:1;)\n"
            "alert icmp any any -> any any (itype:8; icmp_seq:3; sid:2;)\n"
            "alert ip any any -> any any (ttl:3; sid:3;)\n"
            "alert udp any any -> 2001:db8::2 53 (content:\"v6\"; sid:4;)\n");
  const Endpoints e;
  s.send(udp_frame(e, true, bytes("a ping")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  s.send(icmp_frame(e, true, 8, 0, 1, 3));
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  s.send(icmp_frame(e, true, 8, 0, 1, 4));
  LONGS_EQUAL(0, s.last_alerts.size());
  s.send(tcp_frame(e, true, tcpflag::syn, 1, 0, {}, 3));
  STRCMP_EQUAL("3", alert_sids(s.last_alerts).c_str());
  s.send(udp6_frame(bytes("v6!")));
  STRCMP_EQUAL("4", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].family == IpFamily::v6);
}

TEST(DetectMatch, IpOnlyRuleAlertsOncePerFlowDirection) {
  Session s("alert ip 192.0.2.1 any -> any any (sid:1;)\n"
            "alert ip any any -> 192.0.2.1 any (sid:2;)\n"
            "alert ip any any <> any any (sid:3;)\n");
  const Endpoints e;
  s.send(udp_frame(e, true, bytes("1")));
  STRCMP_EQUAL("1,3", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("2")));
  LONGS_EQUAL(0, s.last_alerts.size());
  s.send(udp_frame(e, false, bytes("3")));
  STRCMP_EQUAL("2,3", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, false, bytes("4")));
  s.send(udp_frame(e, true, bytes("5")));
  LONGS_EQUAL(4, s.alerts.size());
  // A new flow (another client port) is checked again.
  Endpoints e2;
  e2.cport = 40001;
  s.send(udp_frame(e2, true, bytes("6")));
  STRCMP_EQUAL("1,3", alert_sids(s.last_alerts).c_str());
}

TEST(DetectMatch, BidirectionalRules) {
  Session s("alert tcp 192.0.2.1 any <> 198.51.100.7 80 (content:\"x\"; sid:1;)\n"
            "alert tcp 192.0.2.1 any -> 198.51.100.7 80 (content:\"x\"; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  c.client("x");
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
  c.server("x");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST(DetectMatch, PortGroups) {
  Session s("alert udp any any -> any 53 (sid:1;)\n"
            "alert udp any any -> any [5353,5354] (dsize:>0; sid:2;)\n"
            "alert udp any 53 -> any any (dsize:>0; sid:3;)\n");
  Endpoints e;
  e.sport = 53;
  s.send(udp_frame(e, true, bytes("q")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("q")));  // a port rule is not IP-only: every packet
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, false, bytes("r")));  // from port 53
  STRCMP_EQUAL("3", alert_sids(s.last_alerts).c_str());
  e.sport = 5354;
  s.send(udp_frame(e, true, bytes("q")));
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  e.sport = 54;
  s.send(udp_frame(e, true, bytes("q")));
  LONGS_EQUAL(0, s.last_alerts.size());
}

TEST(DetectMatch, WeakPatternPortRuleStillNeedsItsContent) {
  Session s("alert udp any any -> any 135 (content:\"|05|\"; depth:1; sid:1;)\n");
  Endpoints e;
  e.sport = 135;
  s.send(udp_frame(e, true, bytes("\x05xyz")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("x\x05yz")));  // depth:1 does not hold
  LONGS_EQUAL(0, s.last_alerts.size());
  e.sport = 136;
  s.send(udp_frame(e, true, bytes("\x05xyz")));
  LONGS_EQUAL(0, s.last_alerts.size());
}

TEST(DetectMatch, NegatedAddressesAndPorts) {
  Session s("alert udp !192.0.2.1 any -> any any (sid:1;)\n"
            "alert udp [192.0.2.0/24,!192.0.2.1] any -> any any (sid:2;)\n"
            "alert udp any any -> any !80 (content:\"p\"; sid:3;)\n");
  Endpoints e;
  s.send(udp_frame(e, true, bytes("p")));  // from 192.0.2.1 to port 80
  LONGS_EQUAL(0, s.last_alerts.size());
  e.client = {192, 0, 2, 9};
  s.send(udp_frame(e, true, bytes("p")));
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
  e.client = {10, 0, 0, 1};
  e.sport = 81;
  s.send(udp_frame(e, true, bytes("p")));
  STRCMP_EQUAL("1,3", alert_sids(s.last_alerts).c_str());
}

TEST(DetectMatch, HeaderKeywordsEndToEnd) {
  Session s("alert tcp any any -> any any (flags:S,12; sid:1;)\n"
            "alert tcp any any -> any any (flags:SA; sid:2;)\n"
            "alert tcp any any -> any any (flags:+A; content:\"d\"; sid:3;)\n");
  Tcp c(s);
  c.handshake();
  LONGS_EQUAL(2, s.alerts.size());
  STRCMP_EQUAL("1,2", alert_sids(s.alerts).c_str());
  c.client("d");
  STRCMP_EQUAL("3", alert_sids(s.last_alerts).c_str());
}

TEST_GROUP(DetectFlow){};

TEST(DetectFlow, DirectionAndEstablishedWithHandshake) {
  Session s("alert tcp any any -> any any (flow:to_server,established; content:\"q\"; sid:1;)\n"
            "alert tcp any any -> any any (flow:to_client; content:\"q\"; sid:2;)\n"
            "alert tcp any any -> any any (flow:not_established; flags:S; sid:3;)\n"
            "alert tcp any any -> any any (flow:established; flags:S; sid:4;)\n"
            "alert tcp any any -> any any (flow:from_server,established; content:\"r\"; sid:5;)\n"
            "alert tcp any any -> any any (flow:stateless; flags:S; sid:6;)\n");
  Tcp c(s);
  c.handshake();
  STRCMP_EQUAL("3,6", alert_sids(s.alerts).c_str());
  c.client("q");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  c.server("qr");
  STRCMP_EQUAL("2,5", alert_sids(s.last_alerts).c_str());
}

TEST(DetectFlow, MidstreamPickupIsEstablished) {
  Session s("alert tcp any any -> any any (flow:to_server,established; content:\"q\"; sid:1;)\n"
            "alert tcp any any -> any any (flow:not_established; content:\"q\"; sid:2;)\n");
  Tcp c(s);  // no handshake: the first packet carries data
  c.client("q");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST(DetectFlow, WithoutMidstreamTheFlowIsNotEstablished) {
  SessionOptions o;
  o.midstream = false;
  Session s("alert tcp any any -> any any (flow:established; content:\"q\"; sid:1;)\n"
            "alert tcp any any -> any any (flow:not_established,to_server; content:\"q\"; sid:2;)\n",
            o);
  Tcp c(s);
  c.client("q");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  c.client("q");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
}

TEST(DetectFlow, UdpEstablishedOnceBothDirectionsSeen) {
  Session s("alert udp any any -> any any (flow:established; content:\"x\"; sid:1;)\n"
            "alert udp any any -> any any (flow:not_established; content:\"x\"; sid:2;)\n");
  const Endpoints e;
  s.send(udp_frame(e, true, bytes("x")));
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, false, bytes("x")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("x")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST_GROUP(DetectFlowVars){};

TEST(DetectFlowVars, FlowbitSetThenIssetOnTheSameFlowOnly) {
  Session s("alert tcp any any -> any any (content:\"login\"; flowbits:set,logged_in; flowbits:noalert; sid:1;)\n"
            "alert tcp any any -> any any (content:\"secret\"; flowbits:isset,logged_in; sid:2;)\n"
            "alert tcp any any -> any any (content:\"secret\"; flowbits:isnotset,logged_in; sid:3;)\n");
  Tcp a(s);
  a.handshake();
  a.client("secret");
  STRCMP_EQUAL("3", alert_sids(s.last_alerts).c_str());
  a.client("login");
  LONGS_EQUAL(0, s.last_alerts.size());  // noalert
  a.server("secret");  // flowbits are per flow, not per direction
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  Endpoints other;
  other.cport = 40001;
  Tcp b(s, other);
  b.handshake();
  b.client("secret");
  STRCMP_EQUAL("3", alert_sids(s.last_alerts).c_str());
}

TEST(DetectFlowVars, SetterAndReaderOnTheSamePacket) {
  // The setter is evaluated first (flowbits order), so the reader sees the bit on the same packet.
  Session s("alert tcp any any -> any any (content:\"b\"; flowbits:isset,x; sid:1;)\n"
            "alert tcp any any -> any any (content:\"a\"; flowbits:set,x; noalert; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  c.client("ab");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST(DetectFlowVars, UnsetToggleAndLists) {
  Session s("alert tcp any any -> any any (content:\"set\"; flowbits:set,a; noalert; sid:1;)\n"
            "alert tcp any any -> any any (content:\"clr\"; flowbits:unset,a; noalert; sid:2;)\n"
            "alert tcp any any -> any any (content:\"tog\"; flowbits:toggle,b; noalert; sid:3;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowbits:isset,a; sid:10;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowbits:isset,a|b; sid:11;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowbits:isset,a&b; sid:12;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowbits:isnotset,a&b; sid:13;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowbits:isnotset,a|b; sid:14;)\n");
  Tcp c(s);
  c.handshake();
  c.client("chk");
  STRCMP_EQUAL("13,14", alert_sids(s.last_alerts).c_str());
  c.client("tog");
  c.client("chk");
  STRCMP_EQUAL("11,14", alert_sids(s.last_alerts).c_str());
  c.client("set");
  c.client("chk");
  STRCMP_EQUAL("10,11,12", alert_sids(s.last_alerts).c_str());
  c.client("tog");
  c.client("clr");
  c.client("chk");
  STRCMP_EQUAL("13,14", alert_sids(s.last_alerts).c_str());
}

TEST(DetectFlowVars, FlowintCounting) {
  Session s("alert tcp any any -> any any (content:\"user\"; flowint:users,+,1; noalert; sid:1;)\n"
            "alert tcp any any -> any any (content:\"user\"; flowint:users,>=,3; sid:2;)\n"
            "alert tcp any any -> any any (content:\"user\"; flowint:users,==,2; sid:3;)\n"
            "alert tcp any any -> any any (content:\"reset\"; flowint:users,=,0; noalert; sid:4;)\n"
            "alert tcp any any -> any any (content:\"user\"; flowint:users,notset; sid:5;)\n");
  Tcp c(s);
  c.handshake();
  c.client("user");
  LONGS_EQUAL(0, s.last_alerts.size());  // users = 1; notset is evaluated after the increment
  c.client("user");
  STRCMP_EQUAL("3", alert_sids(s.last_alerts).c_str());
  c.client("user");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  c.client("user");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  c.client("reset");
  c.client("user");
  LONGS_EQUAL(0, s.last_alerts.size());  // back to 1
  // Another flow starts unset.
  Endpoints other;
  other.cport = 40001;
  Tcp d(s, other);
  d.handshake();
  d.client("xuser");
  LONGS_EQUAL(0, s.last_alerts.size());
}

TEST(DetectFlowVars, FlowintValueFromAnotherVariableAndSubtract) {
  Session s("alert tcp any any -> any any (content:\"init\"; flowint:limit,=,2; flowint:n,=,5; noalert; sid:1;)\n"
            "alert tcp any any -> any any (content:\"dec\"; flowint:n,-,limit; noalert; sid:2;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowint:n,<,limit; sid:3;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowint:n,isset; sid:4;)\n");
  Tcp c(s);
  c.handshake();
  c.client("chk");
  LONGS_EQUAL(0, s.last_alerts.size());
  c.client("init");
  c.client("chk");
  STRCMP_EQUAL("4", alert_sids(s.last_alerts).c_str());
  c.client("dec");  // 3
  c.client("dec");  // 1
  c.client("chk");
  STRCMP_EQUAL("3,4", alert_sids(s.last_alerts).c_str());
}

TEST(DetectFlowVars, NoalertRuleMatchesButDoesNotAlert) {
  Session s("alert tcp any any -> any any (content:\"x\"; noalert; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("x");
  LONGS_EQUAL(0, s.alerts.size());
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::matches));
  UNSIGNED_LONGLONGS_EQUAL(0, s.counter(DetectCounter::alerts));
}

TEST_GROUP(DetectThreshold){};

TEST(DetectThreshold, LimitThroughTheEngine) {
  Session s("alert tcp any any -> any any (content:\"x\"; threshold:type limit, track by_src, count 2, seconds 60; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  for (int i = 0; i < 5; ++i) c.client("x");
  LONGS_EQUAL(2, s.count(1));
  UNSIGNED_LONGLONGS_EQUAL(3, s.counter(DetectCounter::alerts_suppressed));
}

TEST(DetectThreshold, DetectionFilterThroughTheEngine) {
  Session s("alert tcp any any -> any any (content:\"x\"; detection_filter:track by_src, count 3, seconds 60; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  std::vector<std::size_t> after;
  for (int i = 0; i < 5; ++i) {
    c.client("x");
    after.push_back(s.count(1));
  }
  LONGS_EQUAL(0, after[2]);  // the first three matches are filtered
  LONGS_EQUAL(1, after[3]);
  LONGS_EQUAL(2, after[4]);
}

TEST(DetectThreshold, ThresholdByFlowIsPerFlow) {
  Session s("alert udp any any -> any any (content:\"x\"; threshold:type limit, track by_flow, count 1, seconds 60; sid:1;)\n");
  Endpoints a, b;
  b.cport = 40001;
  s.send(udp_frame(a, true, bytes("x")));
  s.send(udp_frame(a, true, bytes("x")));
  s.send(udp_frame(b, true, bytes("x")));
  s.send(udp_frame(b, true, bytes("x")));
  LONGS_EQUAL(2, s.count(1));
}

TEST_GROUP(DetectPayloadEndToEnd){};

TEST(DetectPayloadEndToEnd, ByteTestEndianness) {
  Session s("alert udp any any -> any any (content:\"|ff|\"; byte_test:2,=,258,1; sid:1;)\n"
            "alert udp any any -> any any (content:\"|ff|\"; byte_test:2,=,513,1,little; sid:2;)\n"
            "alert udp any any -> any any (content:\"|ff|\"; byte_test:2,=,513,1; sid:3;)\n"
            "alert udp any any -> any any (content:\"|ff|\"; byte_test:2,>,0,0,relative,little; sid:4;)\n");
  const Endpoints e;
  s.send(udp_frame(e, true, Packet{0xff, 0x01, 0x02}));
  STRCMP_EQUAL("1,2,4", alert_sids(s.last_alerts).c_str());
}

TEST(DetectPayloadEndToEnd, DistanceWithinChain) {
  Session s("alert udp any any -> any any (content:\"abc\"; content:\"xyz\"; distance:2; within:5; sid:1;)\n");
  const Endpoints e;
  s.send(udp_frame(e, true, bytes("abc--xyz")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("abcxyz")));  // too close
  LONGS_EQUAL(0, s.last_alerts.size());
  // within counts from where distance puts the search start (as Suricata and Snort do):
  // xyz must end by 3 + 2 + 5 = 10.
  s.send(udp_frame(e, true, bytes("abc---xyz")));  // ends at 9
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("abc-----xyz")));  // ends at 11
  LONGS_EQUAL(0, s.last_alerts.size());
  s.send(udp_frame(e, true, bytes("abcxyzabc--xyz")));  // the second abc fits
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST(DetectPayloadEndToEnd, OffsetsAtBufferEnds) {
  Session s("alert udp any any -> any any (content:\"end\"; offset:5; depth:3; sid:1;)\n"
            "alert udp any any -> any any (content:\"end\"; isdataat:!1,relative; sid:2;)\n"
            "alert udp any any -> any any (content:\"12\"; startswith; sid:3;)\n"
            "alert udp any any -> any any (content:\"nd\"; endswith; sid:4;)\n"
            "alert udp any any -> any any (dsize:8; sid:5;)\n");
  const Endpoints e;
  s.send(udp_frame(e, true, bytes("12345end")));
  STRCMP_EQUAL("1,2,3,4,5", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("1234end!")));  // "end" one byte early, not at the end
  STRCMP_EQUAL("3,5", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, true, bytes("x12345end")));  // one byte late: past depth, not at the start
  STRCMP_EQUAL("2,4", alert_sids(s.last_alerts).c_str());
}

TEST(DetectMatch, TruncatedTransportHeaderOnlyReachesIpRules) {
  Session s("alert ip any any -> any any (sid:1;)\n"
            "alert tcp any any -> any any (sid:2;)\n"
            "alert ip any any -> any 80 (sid:3;)\n"
            "alert ip any any -> any any (ttl:64; sid:4;)\n");
  using namespace vigil::test;
  Ipv4Spec ip;
  ip.proto = 6;
  s.send(ethernet(0x0800, ipv4(ip, Packet{0x9c, 0x40, 0x00})));  // 3 bytes of a TCP header
  STRCMP_EQUAL("1,4", alert_sids(s.last_alerts).c_str());
  CHECK_FALSE(s.last_alerts[0].flags & alertflag::has_flow);
  // Without a flow, an IP-only rule is checked on every such packet.
  s.send(ethernet(0x0800, ipv4(ip, Packet{0x9c, 0x40, 0x00})));
  STRCMP_EQUAL("1,4", alert_sids(s.last_alerts).c_str());
}

TEST_GROUP(DetectContextDirect){};

// The context on its own, for packets without a flow: flow-dependent conditions never match,
// IP-only rules are checked on every packet.
TEST(DetectContextDirect, PacketsWithoutAFlow) {
  const auto rules = rules_of("alert udp any any -> any any (content:\"x\"; sid:1;)\n"
                              "alert udp any any -> any any (flow:to_server; content:\"x\"; sid:2;)\n"
                              "alert udp any any -> any any (flowbits:isnotset,b; content:\"x\"; sid:3;)\n"
                              "alert ip any any -> any any (sid:4;)\n");
  DetectContext ctx(rules, DetectConfig{});
  const vigil::test::Decoded d =
      vigil::test::decode(LinkType::ethernet, udp_frame(Endpoints{}, true, bytes("xyz")));
  CHECK(d.status == DecodeStatus::ok);
  for (int i = 0; i < 2; ++i) {
    ctx.begin_packet();
    CHECK(ctx.inspect(DetectPacket{&d.pkt, nullptr, FlowDirection::to_server, 1, 1}) ==
          Verdict::accept);
  }
  std::vector<AlertRecord> got;
  ctx.alerts().consume_all([&](const AlertRecord& a) { got.push_back(a); });
  STRCMP_EQUAL("3,1,4,3,1,4", alert_sids(got).c_str());  // flowbit readers before the rest
  CHECK_FALSE(got[0].flags & alertflag::has_flow);
  UNSIGNED_LONGLONGS_EQUAL(2, ctx.counters().get(DetectCounter::packets));
}

TEST(DetectContextDirect, FlowVariableSlotsRunOut) {
  SessionOptions o;
  o.flow_var_slots = 1;
  Session s("alert tcp any any -> any any (content:\"set\"; flowbits:set,b; noalert; sid:1;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowbits:isset,b; sid:2;)\n",
            o);
  Tcp a(s);
  a.handshake();
  a.client("set");  // takes the only slot
  Endpoints other;
  other.cport = 40001;
  Tcp b(s, other);
  b.handshake();
  b.client("set");  // no slot left: the flowbit is lost and counted
  b.client("chk");
  LONGS_EQUAL(0, s.alerts.size());
  CHECK(s.counter(DetectCounter::flow_vars_exhausted) >= 1);
  a.client("chk");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
}

TEST(DetectMatch, IpOnlyRulesWithAddressesBothWaysAndBothFamilies) {
  Session s("alert ip 192.0.2.1 any <> 198.51.100.7 any (sid:1;)\n"
            "alert ip 198.51.100.0/24 any -> 192.0.2.0/24 any (sid:2;)\n"
            "alert ip [10.0.0.0/8,192.0.2.1] any -> any any (sid:3;)\n"
            "alert ip 2001:db8::/32 any -> 2001:db8::2 any (sid:4;)\n"
            "alert ip any any -> [!198.51.100.7,198.51.100.0/24] any (sid:5;)\n"
            "alert udp 192.0.2.1 any -> 198.51.100.8 any (sid:6;)\n");
  const Endpoints e;
  s.send(udp_frame(e, true, bytes("c")));
  STRCMP_EQUAL("1,3", alert_sids(s.last_alerts).c_str());
  s.send(udp_frame(e, false, bytes("s")));
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
  s.send(udp6_frame(bytes("v6")));
  STRCMP_EQUAL("4", alert_sids(s.last_alerts).c_str());
  Endpoints other;
  other.server = {198, 51, 100, 8};
  s.send(udp_frame(other, true, bytes("c")));
  STRCMP_EQUAL("3,5,6", alert_sids(s.last_alerts).c_str());
}
