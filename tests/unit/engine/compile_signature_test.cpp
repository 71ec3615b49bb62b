// compile_signature: one parsed rule to a Signature — protocols, meta keywords, the keyword
// dispatch and its errors, and how the rule is classified (SigKind, flow_scope, anchoring).
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

namespace {

constexpr std::uint8_t bit(ProtoClass c) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c)); }

std::string rule(std::string_view proto, std::string_view options) {
  return "alert " + std::string(proto) + " any any -> any any (" + std::string(options) + " sid:1;)";
}

}  // namespace

TEST_GROUP(CompileProtocol){};

TEST(CompileProtocol, TransportProtocols) {
  Signature s = sig_of(rule("ip", ""));
  CHECK(s.proto_any);
  UNSIGNED_LONGS_EQUAL(0x0f, s.proto_mask);
  s = sig_of(rule("tcp", ""));
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::tcp), s.proto_mask);
  CHECK_FALSE(s.proto_any);
  CHECK_FALSE(s.exact_proto);
  s = sig_of(rule("udp", ""));
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::udp), s.proto_mask);
  s = sig_of(rule("icmp", ""));
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::icmp), s.proto_mask);
  CHECK_FALSE(s.exact_proto);  // ICMPv4 and ICMPv6
  s = sig_of(rule("icmpv6", ""));
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::icmp), s.proto_mask);
  LONGS_EQUAL(58, *s.exact_proto);
  s = sig_of(rule("sctp", ""));
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::other), s.proto_mask);
  LONGS_EQUAL(132, *s.exact_proto);
  CHECK(s.kind == SigKind::packet);  // an exact protocol is not IP-only
}

TEST(CompileProtocol, TcpPktAndTcpStream) {
  Signature s = sig_of(rule("tcp-pkt", "content:\"x\";"));
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::tcp), s.proto_mask);
  CHECK(s.flow.flags & flowcond::no_stream);
  s = sig_of(rule("tcp-stream", "content:\"x\";"));
  CHECK(s.flow.flags & flowcond::only_stream);
  CHECK(s.kind == SigKind::packet);
}

TEST(CompileProtocol, AppLayerProtocols) {
  Signature s = sig_of(rule("http", "content:\"x\";"));
  STRCMP_EQUAL("http", s.app_proto.c_str());
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::tcp), s.proto_mask);
  s = sig_of(rule("dns", ""));
  STRCMP_EQUAL("dns", s.app_proto.c_str());
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::tcp) | bit(ProtoClass::udp), s.proto_mask);
  CHECK(s.kind == SigKind::packet);  // an app-layer rule is never IP-only
  CHECK_FALSE(s.flow_scope);
  s = sig_of(rule("dhcp", ""));
  UNSIGNED_LONGS_EQUAL(bit(ProtoClass::udp), s.proto_mask);
}

TEST(CompileProtocol, UnknownProtocolIsUnsupported) {
  const SignatureCompileResult r = compile(rule("nosuchproto", ""));
  CHECK_FALSE(r.sig);
  STRCMP_EQUAL("unsupported_protocol", r.reason.c_str());
  CHECK(r.message.find("nosuchproto") != std::string::npos);
}

TEST_GROUP(CompileMeta){};

TEST(CompileMeta, IdentityAndHeader) {
  const Signature s = sig_of(
      "drop tcp 10.0.0.0/8 1024: <> any 80 (msg:\"hello\"; sid:42; rev:3; gid:7;)");
  UNSIGNED_LONGS_EQUAL(42, s.sid);
  UNSIGNED_LONGS_EQUAL(3, s.rev);
  UNSIGNED_LONGS_EQUAL(7, s.gid);
  CHECK(s.action == RuleAction::drop);
  STRCMP_EQUAL("hello", s.msg.c_str());
  STRCMP_EQUAL("test.rules", s.source.c_str());
  LONGS_EQUAL(1, s.line);
  CHECK(s.bidirectional);
  CHECK_FALSE(s.src_any);
  CHECK(s.dst_any);
  CHECK_FALSE(s.sport_any);
  CHECK_FALSE(s.dport_any);
  UNSIGNED_LONGS_EQUAL(3, s.priority);  // no classtype: 3
}

TEST(CompileMeta, ClasstypeGivesCategoryAndPriority) {
  Signature s = sig_of(rule("tcp", "classtype:trojan-activity;"));
  STRCMP_EQUAL("trojan-activity", s.classtype.c_str());
  STRCMP_EQUAL("A Network Trojan was detected", s.category.c_str());
  UNSIGNED_LONGS_EQUAL(1, s.priority);
  s = sig_of(rule("tcp", "classtype:Trojan-Activity;"));  // case-insensitive
  STRCMP_EQUAL("trojan-activity", s.classtype.c_str());
}

TEST(CompileMeta, PriorityOverridesClasstypeWhicheverComesFirst) {
  Signature s = sig_of(rule("tcp", "classtype:trojan-activity; priority:4;"));
  UNSIGNED_LONGS_EQUAL(4, s.priority);
  s = sig_of(rule("tcp", "priority:4; classtype:trojan-activity;"));
  UNSIGNED_LONGS_EQUAL(4, s.priority);
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "priority:0;")).c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "priority:256;")).c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "priority:x;")).c_str());
}

TEST(CompileMeta, UnknownClasstype) {
  const SignatureCompileResult r = compile(rule("tcp", "classtype:no-such-class;"));
  CHECK_FALSE(r.sig);
  STRCMP_EQUAL("unknown_classtype", r.reason.c_str());
  CHECK(r.message.find("no-such-class") != std::string::npos);
}

TEST(CompileMeta, CustomClassificationTable) {
  const auto parsed = parse_rule(rule("tcp", "classtype:mine;"), "t", 1, RuleVars{});
  ClassificationTable table;
  table.types.push_back({"mine", "My class", 2});
  FlowVarLayout layout;
  SignatureCompileResult r = compile_signature(*parsed.rule, table, layout);
  CHECK(r.sig.has_value());
  STRCMP_EQUAL("My class", r.sig->category.c_str());
  UNSIGNED_LONGS_EQUAL(2, r.sig->priority);
  r = compile_signature(*parse_rule(rule("tcp", "classtype:trojan-activity;"), "t", 1, {}).rule,
                        table, layout);
  STRCMP_EQUAL("unknown_classtype", r.reason.c_str());
}

TEST(CompileMeta, MetadataPairs) {
  const Signature s = sig_of(rule(
      "tcp", "metadata: created_at 2024_01_01, former_category MALWARE, flag, signature_severity Major Bad;"));
  LONGS_EQUAL(4, s.metadata.size());
  STRCMP_EQUAL("created_at", s.metadata[0].first.c_str());
  STRCMP_EQUAL("2024_01_01", s.metadata[0].second.c_str());
  STRCMP_EQUAL("former_category", s.metadata[1].first.c_str());
  STRCMP_EQUAL("MALWARE", s.metadata[1].second.c_str());
  STRCMP_EQUAL("flag", s.metadata[2].first.c_str());
  STRCMP_EQUAL("", s.metadata[2].second.c_str());
  STRCMP_EQUAL("Major Bad", s.metadata[3].second.c_str());
  // Several metadata keywords add up.
  const Signature t = sig_of(rule("tcp", "metadata:a 1; metadata:b 2;"));
  LONGS_EQUAL(2, t.metadata.size());
}

TEST(CompileMeta, Target) {
  STRCMP_EQUAL("src_ip", sig_of(rule("tcp", "target:src_ip;")).target.c_str());
  STRCMP_EQUAL("dest_ip", sig_of(rule("tcp", "target: dest_ip ;")).target.c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "target:dst_ip;")).c_str());
}

TEST(CompileMeta, ReferenceIsAccepted) {
  CHECK(compile(rule("tcp", "reference:url,example.com;")).sig.has_value());
}

TEST_GROUP(CompileKeywords){};

TEST(CompileKeywords, UnsupportedKeywordNamesIt) {
  const SignatureCompileResult r = compile(rule("tcp", "content:\"x\"; lua:script.lua;"));
  CHECK_FALSE(r.sig);
  STRCMP_EQUAL("unsupported_keyword", r.reason.c_str());
  CHECK(r.message.find("'lua'") != std::string::npos);
}

TEST(CompileKeywords, BadHeaderKeywordValueIsBadValue) {
  const SignatureCompileResult r = compile(rule("tcp", "ttl:300;"));
  STRCMP_EQUAL("bad_value", r.reason.c_str());
  CHECK(r.message.find("ttl") != std::string::npos);
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "flags:SZ;")).c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "ttl:1; ttl:2;")).c_str());
}

TEST(CompileKeywords, FlowKeywordErrors) {
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "flow:established; flow:to_server;")).c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "flow:to_server,to_client;")).c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "flowbits:bogus,a;")).c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "flowint:a,*,1;")).c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "tag:flow;")).c_str());
  // only_stream needs a rule that can see TCP.
  STRCMP_EQUAL("bad_value", reject_reason(rule("udp", "flow:only_stream; content:\"x\";")).c_str());
  CHECK(compile(rule("tcp", "flow:only_stream; content:\"x\";")).sig.has_value());
}

TEST(CompileKeywords, ThresholdAndDetectionFilter) {
  Signature s = sig_of(rule("tcp", "threshold:type limit, track by_src, count 1, seconds 60;"));
  CHECK(s.threshold.has_value());
  CHECK(s.threshold->type == ThresholdType::limit);
  s = sig_of(rule("tcp", "detection_filter:track by_dst, count 5, seconds 10;"));
  CHECK(s.threshold->type == ThresholdType::detection_filter);
  STRCMP_EQUAL("bad_value",
               reject_reason(rule("tcp", "threshold:type limit, track by_src, count 1, seconds 60; "
                                         "detection_filter:track by_dst, count 5, seconds 10;"))
                   .c_str());
  STRCMP_EQUAL("bad_value", reject_reason(rule("tcp", "threshold:type nope;")).c_str());
}

TEST(CompileKeywords, TagAndNoalert) {
  Signature s = sig_of(rule("tcp", "tag:session,10,packets;"));
  CHECK(s.tag.has_value());
  CHECK(s.tag->metric == TagSpec::Metric::packets);
  CHECK_FALSE(s.noalert);
  s = sig_of(rule("tcp", "noalert;"));
  CHECK(s.noalert);
  s = sig_of(rule("tcp", "flowbits:set,x; flowbits:noalert;"));
  CHECK(s.noalert);
  CHECK(s.vars.noalert);
}

TEST(CompileKeywords, PayloadErrorsArePayload) {
  STRCMP_EQUAL("payload", reject_reason(rule("tcp", "content:\"x\"; depth:0;")).c_str());
  STRCMP_EQUAL("payload", reject_reason(rule("tcp", "distance:1;")).c_str());
}

TEST(CompileKeywords, FlowbitNamesGoIntoTheSharedLayout) {
  FlowVarLayout layout;
  sig_of(rule("tcp", "flowbits:set,one; flowint:cnt,+,1;"), &layout);
  const Signature s = sig_of(rule("tcp", "flowbits:isset,two; flowbits:isset,one;"), &layout);
  LONGS_EQUAL(2, layout.bits.size());
  LONGS_EQUAL(1, layout.ints.size());
  LONGS_EQUAL(layout.bits.at("one"), s.vars.bit_conditions[1].bits[0]);
}

TEST_GROUP(CompileKind){};

TEST(CompileKind, IpOnlyRules) {
  CHECK(sig_of(rule("ip", "")).kind == SigKind::iponly);
  CHECK(sig_of("alert tcp 10.0.0.1 any -> any any (sid:1;)").kind == SigKind::iponly);
  CHECK(sig_of("alert udp any any -> !10.0.0.0/8 any (msg:\"m\"; classtype:bad-unknown; sid:1;)")
            .kind == SigKind::iponly);
  CHECK(sig_of(rule("ip", "flow:stateless;")).kind == SigKind::iponly);
  CHECK(sig_of(rule("ip", "flowbits:set,x;")).kind == SigKind::iponly);
  CHECK(sig_of(rule("ip", "threshold:type limit, track by_src, count 1, seconds 60;")).kind ==
        SigKind::iponly);
}

TEST(CompileKind, PacketRules) {
  CHECK(sig_of(rule("tcp", "content:\"x\";")).kind == SigKind::packet);
  CHECK(sig_of(rule("tcp", "dsize:>10;")).kind == SigKind::packet);
  CHECK(sig_of(rule("tcp", "flags:S;")).kind == SigKind::packet);
  CHECK(sig_of(rule("tcp", "flow:established;")).kind == SigKind::packet);
  CHECK(sig_of(rule("tcp", "flowbits:isset,x;")).kind == SigKind::packet);
  CHECK(sig_of(rule("tcp", "flowint:x,+,1;")).kind == SigKind::packet);
  CHECK(sig_of(rule("tcp", "flowint:x,isset;")).kind == SigKind::packet);
  CHECK(sig_of("alert tcp any any -> any 80 (sid:1;)").kind == SigKind::packet);
  CHECK(sig_of("alert tcp any 1024 -> any any (sid:1;)").kind == SigKind::packet);
  CHECK(sig_of(rule("tcp-pkt", "")).kind == SigKind::packet);
}

TEST(CompileKind, FlowScope) {
  // About the flow, not this packet's bytes: pass / drop reach the whole flow.
  CHECK(sig_of(rule("ip", "")).flow_scope);
  CHECK(sig_of("drop tcp any any -> any 80 (sid:1;)").flow_scope);
  CHECK(sig_of(rule("tcp", "flow:to_server;")).flow_scope);
  CHECK(sig_of(rule("tcp", "flowbits:set,x;")).flow_scope);
  CHECK_FALSE(sig_of(rule("tcp", "content:\"x\";")).flow_scope);
  CHECK_FALSE(sig_of(rule("tcp", "dsize:0;")).flow_scope);
  CHECK_FALSE(sig_of(rule("tcp", "flags:S;")).flow_scope);
  CHECK_FALSE(sig_of(rule("tcp", "flowbits:isset,x;")).flow_scope);
  CHECK_FALSE(sig_of(rule("tcp", "flowint:x,>,1;")).flow_scope);
  CHECK_FALSE(sig_of(rule("http", "")).flow_scope);
}

TEST(CompileKind, PayloadAnchoring) {
  CHECK_FALSE(sig_of(rule("tcp", "content:\"abc\";")).payload_anchored);
  CHECK(sig_of(rule("tcp", "content:\"abc\"; depth:3;")).payload_anchored);
  CHECK(sig_of(rule("tcp", "content:\"abc\"; offset:2;")).payload_anchored);
  CHECK(sig_of(rule("tcp", "content:\"abc\"; startswith;")).payload_anchored);
  CHECK_FALSE(sig_of(rule("tcp", "content:\"a\"; content:\"b\"; distance:0; within:3;")).payload_anchored);
  CHECK(sig_of(rule("tcp", "content:\"a\"; isdataat:10;")).payload_anchored);
  CHECK_FALSE(sig_of(rule("tcp", "content:\"a\"; isdataat:10,relative;")).payload_anchored);
  CHECK(sig_of(rule("tcp", "content:\"a\"; byte_test:1,=,1,0;")).payload_anchored);
  CHECK_FALSE(sig_of(rule("tcp", "content:\"a\"; byte_test:1,=,1,0,relative;")).payload_anchored);
}

TEST(CompileKind, PayloadFlags) {
  Signature s = sig_of(rule("tcp", "content:\"x\";"));
  CHECK(s.has_payload);
  s = sig_of(rule("tcp", "dsize:>5;"));
  CHECK(s.has_payload);
  CHECK(s.flow.flags & flowcond::no_stream);  // dsize is about one packet
  s = sig_of(rule("tcp", "flags:S;"));
  CHECK_FALSE(s.has_payload);
  CHECK(s.header.flags.has_value());
}
