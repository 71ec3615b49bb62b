// Points where Suricata's documented or coded behaviour is easy to get wrong; each test names the
// Suricata function it follows.
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

TEST_GROUP(SuricataSemantics){};

// Rule protocols ipv4 / ipv6 match only their IP version (Suricata's DetectProtoParse).
TEST(SuricataSemantics, Ipv6RuleProtocolDoesNotMatchIpv4) {
  Session s("alert ipv6 any any -> any any (sid:1;)\n"
            "alert ipv4 any any -> any any (sid:2;)\n");
  s.send(udp_frame(Endpoints{}, true, bytes("v4")));
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  s.send(udp6_frame(bytes("v6")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

// flow:only_frag matches only datagrams rebuilt from fragments (Suricata's FlowMatch).
TEST(SuricataSemantics, FlowOnlyFragDoesNotMatchUnfragmentedPackets) {
  Session s("alert udp any any -> any any (flow:only_frag; sid:1;)\n"
            "alert udp any any -> any any (flow:no_frag; sid:2;)\n");
  s.send(udp_frame(Endpoints{}, true, bytes("whole")));
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
}

// A datagram rebuilt from two fragments matches flow:only_frag and not flow:no_frag.
TEST(SuricataSemantics, FlowNoFragDoesNotMatchReassembledDatagrams) {
  Session s("alert udp any any -> any any (flow:only_frag; sid:1;)\n"
            "alert udp any any -> any any (flow:no_frag; sid:2;)\n");
  using namespace vigil::test;
  Packet payload(32, 0xab);
  const Packet datagram = udp(1000, 2000, payload);
  Packet first(datagram.begin(), datagram.begin() + 24);
  Packet second(datagram.begin() + 24, datagram.end());
  s.send(ethernet(0x0800, ipv4({.proto = 17, .id = 7, .flags_offset = 0x2000}, first)));
  LONGS_EQUAL(0, s.alerts.size());
  s.send(ethernet(0x0800, ipv4({.proto = 17, .id = 7, .flags_offset = 3}, second)));
  UNSIGNED_LONGLONGS_EQUAL(1, s.worker().counters().reassembled);
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

// Only `=` and `+` create a flowint; `-` on an unset variable leaves it unset (Suricata).
TEST(SuricataSemantics, FlowintSubtractOnUnsetVariableLeavesItUnset) {
  Session s("alert tcp any any -> any any (content:\"dec\"; flowint:n,-,1; noalert; sid:1;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowint:n,notset; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  c.client("dec");
  c.client("chk");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
}

// An unset flowint used as an operand counts as 0 (Suricata's DetectFlowintMatch).
TEST(SuricataSemantics, FlowintUnsetOperandVariableCountsAsZero) {
  Session s("alert tcp any any -> any any (content:\"cp\"; flowint:a,=,b; noalert; sid:1;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowint:a,isset; sid:2;)\n"
            "alert tcp any any -> any any (content:\"chk\"; flowint:a,==,b; sid:3;)\n");
  Tcp c(s);
  c.handshake();
  c.client("cp");
  c.client("chk");
  STRCMP_EQUAL("2,3", alert_sids(s.last_alerts).c_str());
}

// Port conditions of sctp rules match the SCTP common header's ports.
TEST(SuricataSemantics, SctpRulePortsMatchTheSctpHeader) {
  Session s("alert sctp any any -> any any (sid:1;)\n"
            "alert sctp any any -> any 80 (sid:2;)\n"
            "alert sctp any 1234 -> any any (sid:3;)\n");
  using namespace vigil::test;
  Writer sctp;
  sctp.be16(1234).be16(80).be32(0x01020304).be32(0);  // common header: ports, tag, checksum
  sctp.u8(0).u8(3).be16(8).be32(0x41424344);          // a DATA-like chunk
  Ipv4Spec ip;
  ip.proto = 132;
  s.send(ethernet(0x0800, ipv4(ip, sctp.b)));
  STRCMP_EQUAL("1,2,3", alert_sids(s.last_alerts).c_str());
}
