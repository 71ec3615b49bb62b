// Stream inspection through a real Worker: patterns split across TCP segments are found in the
// stream window (old tail + new bytes), alerted once, flagged as stream matches; anchored rules
// only at the stream start; tcp-pkt / tcp-stream / dsize rules on their side of the line.
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

TEST_GROUP(DetectStream){};

TEST(DetectStream, ContentSplitAcrossSegmentsIsFoundOnce) {
  Session s("alert tcp any any -> any any (content:\"evilstuff\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("GET /evil");
  LONGS_EQUAL(0, s.last_alerts.size());
  c.client("stuff HTTP/1.0");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].flags & alertflag::stream_match);
  c.client("\r\n\r\n");  // the window still holds the match, but it needs no new byte
  LONGS_EQUAL(0, s.last_alerts.size());
  c.client("more");
  LONGS_EQUAL(1, s.alerts.size());
  CHECK(s.counter(DetectCounter::stream_windows) >= 4);
}

TEST(DetectStream, SplitContentInTheServerDirection) {
  Session s("alert tcp any any -> any any (flow:to_client; content:\"secret\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("sec");  // the other direction's bytes never join this one's
  c.server("sec");
  c.client("ret");
  LONGS_EQUAL(0, s.alerts.size());
  c.server("ret");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].dir == FlowDirection::to_client);
}

TEST(DetectStream, OutOfOrderSegmentIsInspectedWhenTheHoleFills) {
  Session s("alert tcp any any -> any any (content:\"evil!\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client_ahead(7, "il!");  // bytes 7..9, ahead of the stream: buffered
  LONGS_EQUAL(0, s.alerts.size());
  c.client("GET /ev");  // fills the hole: "GET /evil!" is delivered at once
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].flags & alertflag::stream_match);
}

TEST(DetectStream, PacketMatchIsNotAStreamMatch) {
  Session s("alert tcp any any -> any any (content:\"whole\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("the whole thing");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK_FALSE(s.last_alerts[0].flags & alertflag::stream_match);
}

TEST(DetectStream, TcpPktRulesNeverSeeTheStream) {
  Session s("alert tcp-pkt any any -> any any (content:\"evilstuff\"; sid:1;)\n"
            "alert tcp any any -> any any (dsize:>3; content:\"evilstuff\"; sid:2;)\n"
            "alert tcp any any -> any any (flow:no_stream; content:\"evilstuff\"; sid:3;)\n"
            "alert tcp any any -> any any (content:\"evilstuff\"; sid:4;)\n");
  Tcp c(s);
  c.handshake();
  c.client("GET /evil");
  c.client("stuff");
  STRCMP_EQUAL("4", alert_sids(s.last_alerts).c_str());
  c.client("evilstuff");  // in one packet: every rule
  STRCMP_EQUAL("1,2,3,4", alert_sids(s.last_alerts).c_str());
}

TEST(DetectStream, TcpStreamRulesOnlySeeTheStream) {
  Session s("alert tcp-stream any any -> any any (content:\"abc\"; sid:1;)\n"
            "alert tcp any any -> any any (flow:only_stream; content:\"abc\"; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  c.client("xabcx");
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
  for (const AlertRecord& a : s.last_alerts) CHECK(a.flags & alertflag::stream_match);
  // A segment the reassembler does not deliver (a retransmission) is not seen by them.
  Endpoints e;
  s.send(tcp_frame(e, true, tcpflag::psh | tcpflag::ack, 1001, 5001, bytes("xabcx")));
  LONGS_EQUAL(0, s.last_alerts.size());
}

TEST(DetectStream, AnchoredRuleIsNotMatchedInAMidStreamWindow) {
  Session s("alert tcp any any -> any any (content:\"abcd\"; depth:4; sid:1;)\n"
            "alert tcp any any -> any any (content:\"abcd\"; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  c.client(std::string(300, 'x'));  // the stream is well past its start
  c.client("ab");
  c.client("cd");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].flags & alertflag::stream_match);
  c.client("abcd");  // this packet's own payload still starts with it
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
}

// A window whose old part holds every byte delivered so far starts at the stream start, so an
// anchored content split across the first two segments matches, as at Suricata's offset 0.
TEST(DetectStream, AnchoredContentSplitAtTheStreamStartIsFound) {
  Session s("alert tcp any any -> any any (content:\"SSH-\"; depth:4; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("SS");
  c.client("H-2.0-OpenSSH\r\n");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST(DetectStream, StreamMatchDropReachesTheFlow) {
  SessionOptions o;
  o.inline_mode = true;
  Session s("drop tcp any any -> any any (content:\"evilstuff\"; sid:1;)\n", o);
  Tcp c(s);
  c.handshake();
  CHECK(c.client("GET /evil") == Verdict::accept);
  CHECK(c.client("stuff") == Verdict::drop);
  CHECK(s.last_alerts[0].flags & alertflag::blocked);
  CHECK(s.last_alerts[0].flags & alertflag::stream_match);
  UNSIGNED_LONGLONGS_EQUAL(1, s.counter(DetectCounter::drop_flows));
  CHECK(c.client("harmless") == Verdict::drop);
  CHECK(c.server("reply") == Verdict::drop);
}

TEST(DetectStream, FlowEndReleasesTheFlowVariables) {
  Session s("alert tcp any any -> any any (content:\"abc\"; flowbits:set,x; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("abc");
  std::uint64_t in_use = 0;
  s.worker().detect()->for_each_counter([&](std::string_view name, std::uint64_t v) {
    if (name == "detect.flow_vars_in_use") in_use = v;
  });
  UNSIGNED_LONGLONGS_EQUAL(1, in_use);
  s.worker().shutdown();
  s.worker().detect()->for_each_counter([&](std::string_view name, std::uint64_t v) {
    if (name == "detect.flow_vars_in_use") in_use = v;
  });
  UNSIGNED_LONGLONGS_EQUAL(0, in_use);
}

// Suricata inspects the packet that picks a session up mid-stream as a packet and its bytes again
// at the direction's next stream inspection: its content matches alert twice (suricata-verify
// detect-bytetest-02). Rules without a content (pcre / byte_* only) look at packets only.
TEST(DetectStream, MidstreamPickupBytesAreInspectedAgainAtTheNextStreamPoint) {
  Session s("alert tcp any any -> any any (content:\"GET \"; depth:4; sid:1;)\n"
            "alert tcp any any -> any any (pcre:\"/GET \\//\"; sid:2;)\n");
  Tcp c(s);
  c.client("GET / HTTP/1.0\r\n");  // no handshake: picked up mid-stream
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
  s.worker().shutdown();  // the flow's end: pending bytes inspected as stream
  std::vector<AlertRecord> end;
  s.worker().detect()->alerts().consume_all([&](const AlertRecord& a) { end.push_back(a); });
  STRCMP_EQUAL("1", alert_sids(end).c_str());
  CHECK(end[0].flags & alertflag::stream_match);
  LONGS_EQUAL(0, end[0].pcap_cnt);
}

TEST(DetectStream, MidstreamPickupBytesJoinTheNextSegmentsWindow) {
  Session s("alert tcp any any -> any any (content:\"hello\"; sid:1;)\n");
  Tcp c(s);
  c.client("hello ");
  LONGS_EQUAL(1, s.last_alerts.size());
  c.client("world");  // the pending bytes are inspected with this window
  LONGS_EQUAL(1, s.last_alerts.size());
  CHECK(s.last_alerts[0].flags & alertflag::stream_match);
  c.client("again");  // and then they are old
  LONGS_EQUAL(0, s.last_alerts.size());
}

TEST(DetectStream, SecondContentInALaterSegmentCompletesTheMatch) {
  // The fast pattern (the longer first content) arrives with the first segment; the rule cannot
  // match yet and is carried to the next window, where its second content arrives.
  Session s("alert tcp any any -> any any (content:\"first-part-of-it\"; content:\"tail\"; "
            "distance:0; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("hello first-part-of-it and then ");
  LONGS_EQUAL(0, s.alerts.size());
  c.client("some more bytes: tail!");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].flags & alertflag::stream_match);
}

TEST(DetectStream, LongPatternSplitAcrossSegments) {
  // 78 bytes: longer than the prefilter keeps of a payload pattern (its last 64 bytes).
  const std::string pat = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789-end";
  Session s("alert tcp any any -> any any (content:\"" + pat + "\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("x" + pat.substr(0, 70));
  LONGS_EQUAL(0, s.alerts.size());
  c.client(pat.substr(70) + "y");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST(DetectStream, LongPatternSplitBeforeItsLastBytes) {
  const std::string pat = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789-end";
  Session s("alert tcp any any -> any any (content:\"" + pat + "\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("x" + pat.substr(0, 5));  // the cut lies before the 64 bytes the prefilter keeps
  c.client(pat.substr(5) + "y");
  STRCMP_EQUAL("1", alert_sids(s.alerts).c_str());
}
