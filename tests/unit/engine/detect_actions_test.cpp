// Rule actions through a real Worker: pass (the packet, or the whole flow), drop and reject in
// inline mode (the packet, or the whole flow), and packet_alert_max.
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

namespace {

SessionOptions inline_mode() {
  SessionOptions o;
  o.inline_mode = true;
  return o;
}

}  // namespace

TEST_GROUP(DetectPass){};

TEST(DetectPass, ContentPassStopsTheRestOfThePacketOnly) {
  Session s("pass tcp any any -> any any (content:\"ok\"; sid:1;)\n"
            "alert tcp any any -> any any (content:\"ok\"; sid:2;)\n"
            "alert tcp any any -> any any (content:\"bad\"; sid:3;)\n");
  Tcp c(s);
  c.handshake();
  c.client("ok bad");
  LONGS_EQUAL(0, s.last_alerts.size());
  c.client("bad");  // the pass was about that packet's bytes: the flow is still inspected
  STRCMP_EQUAL("3", alert_sids(s.last_alerts).c_str());
  UNSIGNED_LONGLONGS_EQUAL(0, s.counter(DetectCounter::pass_flows));
}

TEST(DetectPass, IpOnlyPassPassesTheWholeFlow) {
  Session s("pass ip 192.0.2.1 any -> any any (sid:1;)\n"
            "alert tcp any any -> any any (content:\"bad\"; sid:2;)\n"
            "alert tcp any any -> any any (flags:S; sid:3;)\n");
  Tcp c(s);
  c.handshake();
  c.client("bad");
  c.server("bad");
  c.client("bad");
  LONGS_EQUAL(0, s.alerts.size());
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::pass_flows));
  CHECK(s.counter(DetectCounter::passed_packets) >= 4);
  // Another client is not passed.
  Endpoints other;
  other.client = {192, 0, 2, 2};
  Tcp d(s, other);
  d.handshake();
  d.client("bad");
  STRCMP_EQUAL("3,2", alert_sids(s.alerts).c_str());
}

TEST(DetectPass, PassFirstInActionOrderSilencesEarlierLoadedAlerts) {
  Session s("alert udp any any -> any any (content:\"x\"; sid:1;)\n"
            "pass udp any any -> any 53 (sid:2;)\n");
  Endpoints e;
  e.sport = 53;
  s.send(udp_frame(e, true, bytes("x")));
  LONGS_EQUAL(0, s.alerts.size());
  // A protocol/port pass is about the flow: later packets of the flow are not inspected.
  s.send(udp_frame(e, false, bytes("x")));
  LONGS_EQUAL(0, s.alerts.size());
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::pass_flows));
  e.sport = 54;
  s.send(udp_frame(e, true, bytes("x")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST_GROUP(DetectDrop){};

TEST(DetectDrop, ContentDropDropsThePacketNotTheFlow) {
  Session s("drop tcp any any -> any any (content:\"bad\"; sid:1;)\n", inline_mode());
  Tcp c(s);
  c.handshake();
  CHECK(c.client("bad") == Verdict::drop);
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].flags & alertflag::blocked);
  CHECK(c.client("fine") == Verdict::accept);
  CHECK(c.server("fine") == Verdict::accept);
  UNSIGNED_LONGLONGS_EQUAL(0, s.counter(DetectCounter::drop_flows));
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::dropped_packets));
  UNSIGNED_LONGLONGS_EQUAL(1, s.worker().counters().dropped);
}

TEST(DetectDrop, IpOnlyDropDropsTheWholeFlow) {
  Session s("drop ip any any -> 198.51.100.7 any (sid:1;)\n"
            "alert udp any any -> any any (content:\"x\"; sid:2;)\n",
            inline_mode());
  const Endpoints e;
  CHECK(s.send(udp_frame(e, true, bytes("x"))) == Verdict::drop);
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
  // As Suricata's EVE: the drop rule's alert says blocked, the plain alert's does not.
  CHECK(s.last_alerts[0].flags & alertflag::blocked);
  CHECK_FALSE(s.last_alerts[1].flags & alertflag::blocked);
  // Every later packet of the flow, both directions, is dropped without inspection.
  CHECK(s.send(udp_frame(e, true, bytes("x"))) == Verdict::drop);
  CHECK(s.send(udp_frame(e, false, bytes("x"))) == Verdict::drop);
  LONGS_EQUAL(2, s.alerts.size());
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::drop_flows));
  UNSIGNED_LONGLONGS_EQUAL(3, s.counter(DetectCounter::dropped_packets));
}

TEST(DetectDrop, RejectIsAVerdictOfItsOwn) {
  Session s("reject tcp any any -> any any (content:\"bad\"; sid:1;)\n"
            "rejectboth tcp any any -> any any (content:\"worse\"; sid:2;)\n",
            inline_mode());
  Tcp c(s);
  c.handshake();
  CHECK(c.client("bad") == Verdict::reject);
  // The worker keeps the answer by the packet's index in its burst: an IPv4 TCP RST.
  const std::span<const std::uint8_t> rst = s.worker().reject_answer(0);
  CHECK(rst.size() >= 40);
  BYTES_EQUAL(0x45, rst[0]);
  BYTES_EQUAL(6, rst[9]);
  CHECK(rst[20 + 13] & 0x04);
  CHECK(c.client("worse") == Verdict::reject);
  CHECK(c.client("fine") == Verdict::accept);
  LONGS_EQUAL(0, s.worker().reject_answer(0).size());
  UNSIGNED_LONGLONGS_EQUAL(2, s.counter(DetectCounter::rejected_packets));
}

TEST(DetectDrop, NotInlineDropOnlyAlerts) {
  Session s("drop ip any any -> 198.51.100.7 any (sid:1;)\n"
            "drop udp any any -> any any (content:\"x\"; sid:2;)\n");
  const Endpoints e;
  CHECK(s.send(udp_frame(e, true, bytes("x"))) == Verdict::accept);
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
  for (const AlertRecord& a : s.last_alerts) CHECK_FALSE(a.flags & alertflag::blocked);
  CHECK(s.send(udp_frame(e, true, bytes("x"))) == Verdict::accept);
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  UNSIGNED_LONGLONGS_EQUAL(0, s.counter(DetectCounter::drop_flows));
}

TEST(DetectDrop, DropWithThresholdStillDropsSilently) {
  // limit past its count: the alert is suppressed but the drop still happens (Suricata).
  Session s("drop udp any any -> any any (content:\"x\"; threshold:type limit, track by_src, count 1, seconds 60; sid:1;)\n",
            inline_mode());
  const Endpoints e;
  CHECK(s.send(udp_frame(e, true, bytes("x"))) == Verdict::drop);
  CHECK(s.send(udp_frame(e, true, bytes("x"))) == Verdict::drop);
  LONGS_EQUAL(1, s.alerts.size());
}

TEST(DetectDrop, NoalertDropStillDrops) {
  Session s("drop udp any any -> any any (content:\"x\"; noalert; sid:1;)\n", inline_mode());
  const Endpoints e;
  CHECK(s.send(udp_frame(e, true, bytes("x"))) == Verdict::drop);
  LONGS_EQUAL(0, s.alerts.size());
}

TEST_GROUP(DetectAlertMax){};

TEST(DetectAlertMax, KeepsTheFirstInEvaluationOrderAndCountsTheRest) {
  SessionOptions o;
  o.packet_alert_max = 3;
  Session s("alert udp any any -> any any (content:\"abc\"; priority:5; sid:1;)\n"
            "alert udp any any -> any any (content:\"abc\"; priority:1; sid:2;)\n"
            "alert udp any any -> any any (content:\"abc\"; priority:4; sid:3;)\n"
            "alert udp any any -> any any (content:\"abc\"; priority:2; sid:4;)\n"
            "alert udp any any -> any any (content:\"abc\"; priority:3; sid:5;)\n",
            o);
  s.send(udp_frame(Endpoints{}, true, bytes("abc")));
  STRCMP_EQUAL("2,4,5", alert_sids(s.last_alerts).c_str());
  UNSIGNED_LONGLONGS_EQUAL(2, s.counter(DetectCounter::alerts_over_max));
  UNSIGNED_LONGLONGS_EQUAL(5, s.counter(DetectCounter::matches));
}

TEST(DetectAlertMax, NoalertRulesDoNotTakeASlot) {
  SessionOptions o;
  o.packet_alert_max = 1;
  Session s("alert udp any any -> any any (content:\"abc\"; noalert; priority:1; sid:1;)\n"
            "alert udp any any -> any any (content:\"abc\"; priority:2; sid:2;)\n",
            o);
  s.send(udp_frame(Endpoints{}, true, bytes("abc")));
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  UNSIGNED_LONGLONGS_EQUAL(0, s.counter(DetectCounter::alerts_over_max));
}

// Matches past the engine's match array (64) are still counted as over packet-alert-max.
TEST(DetectAlertMax, MoreThan64MatchesAreCountedOverMax) {
  std::string text;
  for (int i = 1; i <= 70; ++i) {
    text += "alert udp any any -> any any (content:\"abc\"; sid:" + std::to_string(i) + ";)\n";
  }
  Session s(text);
  s.send(udp_frame(Endpoints{}, true, bytes("abc")));
  LONGS_EQUAL(15, s.last_alerts.size());
  UNSIGNED_LONGLONGS_EQUAL(70, s.counter(DetectCounter::matches));
  UNSIGNED_LONGLONGS_EQUAL(70 - 15, s.counter(DetectCounter::alerts_over_max));
}

// With alert before drop in the action order, a drop rule that is the 65th match still drops.
TEST(DetectAlertMax, DropPastThe64thMatchIsStillApplied) {
  RuleSetConfig cfg;
  cfg.action_order = {RuleAction::alert, RuleAction::drop, RuleAction::pass, RuleAction::reject};
  std::string text;
  for (int i = 1; i <= 64; ++i) {
    text += "alert udp any any -> any any (content:\"abc\"; noalert; sid:" + std::to_string(i) + ";)\n";
  }
  text += "drop udp any any -> any any (content:\"abc\"; sid:100;)\n";
  SessionOptions o = inline_mode();
  o.rules = cfg;
  Session s(text, o);
  CHECK(s.send(udp_frame(Endpoints{}, true, bytes("abc"))) == Verdict::drop);
}

TEST(DetectPass, StreamMatchPassPassesTheFlow) {
  Session s("pass tcp any any -> any any (content:\"trusted-client\"; sid:1;)\n"
            "alert tcp any any -> any any (content:\"bad\"; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  c.client("hello trusted-");
  c.client("client here");  // found across the two segments: a stream match
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::pass_flows));
  c.client("bad");
  c.server("bad");
  LONGS_EQUAL(0, s.alerts.size());
}
