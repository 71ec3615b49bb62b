// RuleSet::build: errors and their reasons, duplicate sids, evaluation order, statistics, the
// groups of rules reached without a pattern, and the fingerprint.
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

namespace {

const RuleLoadError* error_for(const RuleSetBuildResult& r, std::uint32_t sid) {
  for (const RuleLoadError& e : r.errors) {
    if (e.sid == sid) return &e;
  }
  return nullptr;
}

bool has(std::span<const std::uint32_t> list, const RuleSet& rs, std::uint32_t sid) {
  for (std::uint32_t i : list) {
    if (rs.signature(i).sid == sid) return true;
  }
  return false;
}

}  // namespace

TEST_GROUP(RuleSetErrors){};

TEST(RuleSetErrors, SyntaxErrorsCarrySourceLineAndSid) {
  const RuleSetBuildResult r = build(
      "alert tcp any any -> any any (content:\"ok\"; sid:1;)\n"
      "\n"
      "alert tcp any any -> any any (content:\"x\"; sid:2\n"
      "alert tcp any any => any any (sid:3;)\n");
  CHECK(r.rules != nullptr);
  LONGS_EQUAL(1, r.rules->signatures().size());
  LONGS_EQUAL(2, r.errors.size());
  const RuleLoadError& e = r.errors[0];
  STRCMP_EQUAL("test.rules", e.source.c_str());
  LONGS_EQUAL(3, e.line);
  CHECK(e.reason.starts_with("syntax."));
  const RuleLoadError& e2 = r.errors[1];
  LONGS_EQUAL(4, e2.line);
  STRCMP_EQUAL("syntax.bad_direction", e2.reason.c_str());
  UNSIGNED_LONGS_EQUAL(3, e2.sid);
  const std::string text = format_rule_load_error(e2);
  CHECK(text.starts_with("test.rules:4: sid 3: syntax.bad_direction: "));
}

TEST(RuleSetErrors, EngineReasons) {
  const RuleSetBuildResult r = build(
      "alert tcp any any -> any any (content:\"a\"; sid:1;)\n"
      "alert tcp any any -> any any (lua:x.lua; sid:2;)\n"
      "alert foo any any -> any any (sid:3;)\n"
      "alert tcp any any -> any any (ttl:999; sid:4;)\n"
      "alert tcp any any -> any any (content:\"a\"; depth:0; sid:5;)\n"
      "alert tcp any any -> any any (classtype:nope; sid:6;)\n");
  CHECK(r.rules != nullptr);
  STRCMP_EQUAL("unsupported_keyword", error_for(r, 2)->reason.c_str());
  STRCMP_EQUAL("unsupported_protocol", error_for(r, 3)->reason.c_str());
  STRCMP_EQUAL("bad_value", error_for(r, 4)->reason.c_str());
  STRCMP_EQUAL("payload", error_for(r, 5)->reason.c_str());
  STRCMP_EQUAL("unknown_classtype", error_for(r, 6)->reason.c_str());
  LONGS_EQUAL(5, error_for(r, 5)->line);
  STRCMP_EQUAL("test.rules:2: sid 2: unsupported_keyword: keyword 'lua' is not supported",
               format_rule_load_error(*error_for(r, 2)).c_str());
}

TEST(RuleSetErrors, ErrorsFromSeveralFilesNameTheirFile) {
  const RuleFile files[] = {
      {"a.rules", "alert tcp any any -> any any (sid:1;)\n"},
      {"b.rules", "\nalert tcp any any -> any any (nosuch; sid:2;)\n"}};
  const RuleSetBuildResult r = RuleSet::build(files, RuleSetConfig{});
  LONGS_EQUAL(1, r.errors.size());
  STRCMP_EQUAL("b.rules", r.errors[0].source.c_str());
  LONGS_EQUAL(2, r.errors[0].line);
  STRCMP_EQUAL("a.rules", r.rules->signature(0).source.c_str());
}

TEST(RuleSetErrors, EmptyInputBuildsAnEmptySet) {
  const RuleSetBuildResult r = build("# only a comment\n\n");
  CHECK(r.rules != nullptr);
  LONGS_EQUAL(0, r.rules->signatures().size());
  LONGS_EQUAL(0, r.errors.size());
  LONGS_EQUAL(0, r.rules->stats().rules);
}

// Load errors come in file order, syntax and compile errors interleaved by line.
TEST(RuleSetErrors, LoadErrorsAreInFileOrder) {
  const RuleSetBuildResult r = build(
      "alert tcp any any -> any any (lua:x; sid:1;)\n"
      "alert tcp any any => any any (sid:2;)\n");
  LONGS_EQUAL(2, r.errors.size());
  LONGS_EQUAL(1, r.errors[0].line);
  LONGS_EQUAL(2, r.errors[1].line);
}

TEST_GROUP(RuleSetDuplicates){};

TEST(RuleSetDuplicates, HigherRevisionIsKept) {
  const RuleSetBuildResult r = build(
      "alert tcp any any -> any any (msg:\"old\"; content:\"a\"; sid:7; rev:1;)\n"
      "alert tcp any any -> any any (msg:\"new\"; content:\"b\"; sid:7; rev:2;)\n");
  LONGS_EQUAL(1, r.rules->signatures().size());
  STRCMP_EQUAL("new", r.rules->signature(0).msg.c_str());
  LONGS_EQUAL(1, r.errors.size());
  STRCMP_EQUAL("duplicate_sid", r.errors[0].reason.c_str());
  LONGS_EQUAL(1, r.errors[0].line);  // the loser: rev 1 on line 1
  CHECK(r.errors[0].message.find("test.rules:2") != std::string::npos);
}

TEST(RuleSetDuplicates, LowerOrEqualRevisionLaterIsDropped) {
  const RuleSetBuildResult r = build(
      "alert tcp any any -> any any (msg:\"first\"; sid:7; rev:5;)\n"
      "alert tcp any any -> any any (msg:\"second\"; sid:7; rev:5;)\n"
      "alert tcp any any -> any any (msg:\"third\"; sid:7; rev:4;)\n");
  LONGS_EQUAL(1, r.rules->signatures().size());
  STRCMP_EQUAL("first", r.rules->signature(0).msg.c_str());
  LONGS_EQUAL(2, r.errors.size());
  LONGS_EQUAL(2, r.errors[0].line);
  LONGS_EQUAL(3, r.errors[1].line);
  LONGS_EQUAL(2, r.rules->stats().skipped_by_reason.at("duplicate_sid"));
}

TEST(RuleSetDuplicates, SameSidOtherGidIsNoDuplicate) {
  const RuleSetBuildResult r = build(
      "alert tcp any any -> any any (sid:7; gid:1;)\n"
      "alert tcp any any -> any any (sid:7; gid:2;)\n");
  LONGS_EQUAL(2, r.rules->signatures().size());
  LONGS_EQUAL(0, r.errors.size());
}

TEST_GROUP(RuleSetOrder){};

TEST(RuleSetOrder, DefaultActionOrderPassDropRejectAlert) {
  const auto rs = rules_of(
      "alert tcp any any -> any any (sid:1;)\n"
      "reject tcp any any -> any any (sid:2;)\n"
      "drop tcp any any -> any any (sid:3;)\n"
      "pass tcp any any -> any any (sid:4;)\n"
      "rejectsrc tcp any any -> any any (sid:5;)\n"
      "alert tcp any any -> any any (sid:6;)\n");
  STRCMP_EQUAL("4,3,2,5,1,6", join(sids_in_order(*rs)).c_str());
}

TEST(RuleSetOrder, CustomActionOrder) {
  RuleSetConfig cfg;
  cfg.action_order = {RuleAction::drop, RuleAction::alert, RuleAction::pass};
  const auto rs = rules_of(
      "alert tcp any any -> any any (sid:1;)\n"
      "pass tcp any any -> any any (sid:2;)\n"
      "reject tcp any any -> any any (sid:3;)\n"
      "drop tcp any any -> any any (sid:4;)\n",
      cfg);
  // reject is not in the list: after everything that is.
  STRCMP_EQUAL("4,1,2,3", join(sids_in_order(*rs)).c_str());
}

TEST(RuleSetOrder, FlowbitSettersBeforeReaders) {
  const auto rs = rules_of(
      "alert tcp any any -> any any (sid:1;)\n"
      "alert tcp any any -> any any (flowbits:isset,a; sid:2;)\n"
      "alert tcp any any -> any any (flowbits:isset,a; flowbits:set,b; sid:3;)\n"
      "alert tcp any any -> any any (flowbits:set,a; sid:4;)\n");
  STRCMP_EQUAL("4,3,2,1", join(sids_in_order(*rs)).c_str());
}

TEST(RuleSetOrder, PriorityThenLoadOrder) {
  const auto rs = rules_of(
      "alert tcp any any -> any any (priority:3; sid:1;)\n"
      "alert tcp any any -> any any (classtype:trojan-activity; sid:2;)\n"
      "alert tcp any any -> any any (priority:2; sid:3;)\n"
      "alert tcp any any -> any any (sid:4;)\n"
      "alert tcp any any -> any any (priority:1; sid:5;)\n");
  STRCMP_EQUAL("2,5,3,1,4", join(sids_in_order(*rs)).c_str());
}

TEST(RuleSetOrder, ActionBeatsFlowbitsBeatsPriority) {
  const auto rs = rules_of(
      "alert tcp any any -> any any (flowbits:set,a; priority:9; sid:1;)\n"
      "alert tcp any any -> any any (priority:1; sid:2;)\n"
      "drop tcp any any -> any any (priority:9; sid:3;)\n");
  STRCMP_EQUAL("3,1,2", join(sids_in_order(*rs)).c_str());
}

TEST_GROUP(RuleSetStats){};

TEST(RuleSetStats, LoadedSkippedAndReasons) {
  const RuleSetBuildResult r = build(
      "alert tcp any any -> any any (content:\"abc\"; sid:1;)\n"
      "alert ip 10.0.0.1 any -> any any (sid:2;)\n"
      "alert tcp any any -> any 80 (flags:S; sid:3;)\n"
      "# alert tcp any any -> any any (sid:99;)\n"
      "alert tcp any any -> any any (lua:x; sid:4;)\n"
      "alert tcp any any -> any any (lua:y; sid:5;)\n"
      "alert tcp any any -> any any (sid:6\n"
      "alert tcp any any -> any any (content:\"dup\"; sid:1;)\n");
  const RuleSetStats& st = r.rules->stats();
  LONGS_EQUAL(7, st.rules);
  LONGS_EQUAL(3, st.loaded);
  LONGS_EQUAL(4, st.skipped);
  LONGS_EQUAL(2, st.skipped_by_reason.at("unsupported_keyword"));
  LONGS_EQUAL(1, st.skipped_by_reason.at("duplicate_sid"));
  LONGS_EQUAL(3, st.skipped_by_reason.size());  // and one syntax.* reason
  LONGS_EQUAL(1, st.iponly);
  LONGS_EQUAL(1, st.pattern);
  LONGS_EQUAL(1, st.no_pattern);
  LONGS_EQUAL(st.loaded + st.skipped, st.rules);
}

TEST_GROUP(RuleSetGroups){};

TEST(RuleSetGroups, IpOnlyPortAndAnyPortGroups) {
  const auto rs = rules_of(
      "alert ip 10.0.0.1 any -> any any (sid:1;)\n"
      "alert udp any any -> any 53 (sid:2;)\n"
      "alert tcp any any -> any [80,8080] (flags:S; sid:3;)\n"
      "alert tcp any any -> any any (flags:S; sid:4;)\n"
      "alert tcp any 1024:1030 -> any any (flow:established; sid:5;)\n"
      "alert tcp any any -> any 1:65000 (flags:S; sid:6;)\n"
      "alert tcp any any -> any any (content:\"pattern\"; sid:7;)\n"
      "alert icmp any any -> any any (itype:8; sid:8;)\n"
      "alert tcp any any -> any !80 (flags:S; sid:9;)\n");
  // IP-only rules sit in every transport's IP-only group.
  for (ProtoClass c : {ProtoClass::tcp, ProtoClass::udp, ProtoClass::icmp, ProtoClass::other}) {
    CHECK(has(rs->iponly_rules(c), *rs, 1));
  }
  CHECK(has(rs->port_rules(ProtoClass::udp, 53), *rs, 2));
  CHECK_FALSE(has(rs->port_rules(ProtoClass::udp, 54), *rs, 2));
  CHECK_FALSE(has(rs->port_rules(ProtoClass::tcp, 53), *rs, 2));
  CHECK(has(rs->port_rules(ProtoClass::tcp, 80), *rs, 3));
  CHECK(has(rs->port_rules(ProtoClass::tcp, 8080), *rs, 3));
  CHECK_FALSE(has(rs->port_rules(ProtoClass::tcp, 81), *rs, 3));
  CHECK(has(rs->any_port_rules(ProtoClass::tcp), *rs, 4));
  // A small source-port set is indexed when the destination is any.
  CHECK(has(rs->port_rules(ProtoClass::tcp, 1027), *rs, 5));
  CHECK_FALSE(has(rs->any_port_rules(ProtoClass::tcp), *rs, 5));
  // Large and negated port sets are not indexed.
  CHECK(has(rs->any_port_rules(ProtoClass::tcp), *rs, 6));
  CHECK(has(rs->any_port_rules(ProtoClass::tcp), *rs, 9));
  // A rule with a fast pattern is reached through the prefilter, in no group.
  CHECK_FALSE(has(rs->any_port_rules(ProtoClass::tcp), *rs, 7));
  CHECK_FALSE(has(rs->port_rules(ProtoClass::tcp, 80), *rs, 7));
  CHECK(has(rs->any_port_rules(ProtoClass::icmp), *rs, 8));
  CHECK_FALSE(has(rs->any_port_rules(ProtoClass::tcp), *rs, 8));
  std::array<PrefilterBufferId, RuleSet::kMaxPayloadScans> dbs{};
  CHECK(rs->payload_scans(ProtoClass::tcp, 40000, 80, dbs) > 0);
  CHECK(rs->prefilter() != nullptr);
  // No port group at all for a transport without port rules.
  LONGS_EQUAL(0, rs->port_rules(ProtoClass::icmp, 80).size());
}

TEST(RuleSetGroups, WeakPayloadPatternWithPortsIsReachedByPort) {
  const auto rs = rules_of(
      "alert tcp any any -> any 135 (content:\"|05|\"; depth:1; sid:1;)\n"
      "alert tcp any any -> any any (content:\"|05|\"; depth:1; sid:2;)\n"
      "alert tcp any any -> any 135 (content:\"|05 0b 00 01|\"; sid:3;)\n"
      "alert udp any 53 -> any any (content:\"ab\"; sid:4;)\n");
  // Three bytes or fewer, ports named: a port rule, not a database entry.
  CHECK(has(rs->port_rules(ProtoClass::tcp, 135), *rs, 1));
  CHECK_FALSE(has(rs->port_rules(ProtoClass::tcp, 136), *rs, 1));
  CHECK(has(rs->port_rules(ProtoClass::udp, 53), *rs, 4));
  // Without ports the short pattern is still the best filter there is.
  CHECK_FALSE(has(rs->any_port_rules(ProtoClass::tcp), *rs, 2));
  // Four bytes: the prefilter.
  CHECK_FALSE(has(rs->port_rules(ProtoClass::tcp, 135), *rs, 3));
  LONGS_EQUAL(2, rs->stats().pattern);
  LONGS_EQUAL(2, rs->stats().no_pattern);
}

TEST(RuleSetGroups, NoPayloadBufferWithoutPatterns) {
  const auto rs = rules_of("alert ip any any -> any any (sid:1;)\n");
  std::array<PrefilterBufferId, RuleSet::kMaxPayloadScans> dbs{};
  LONGS_EQUAL(0, rs->payload_scans(ProtoClass::tcp, 40000, 80, dbs));
  LONGS_EQUAL(0, rs->port_rules(ProtoClass::tcp, 80).size());
}

TEST_GROUP(RuleSetFingerprint){};

TEST(RuleSetFingerprint, StableForSameInputChangesWithRev) {
  const char* text =
      "alert tcp any any -> any any (content:\"a\"; sid:1; rev:1;)\n"
      "alert udp any any -> any 53 (sid:2; rev:4;)\n";
  const auto a = rules_of(text);
  const auto b = rules_of(text);
  STRCMP_EQUAL(a->fingerprint().c_str(), b->fingerprint().c_str());
  LONGS_EQUAL(64, a->fingerprint().size());
  const auto c = rules_of(
      "alert tcp any any -> any any (content:\"a\"; sid:1; rev:2;)\n"
      "alert udp any any -> any 53 (sid:2; rev:4;)\n");
  CHECK(a->fingerprint() != c->fingerprint());
  const auto d = rules_of("alert tcp any any -> any any (content:\"a\"; sid:1; rev:1;)\n");
  CHECK(a->fingerprint() != d->fingerprint());
}

TEST_GROUP(RuleSetFlowVars){};

TEST(RuleSetFlowVars, LayoutCollectsEveryName) {
  const auto rs = rules_of(
      "alert tcp any any -> any any (flowbits:set,a; sid:1;)\n"
      "alert tcp any any -> any any (flowbits:isset,a|b; flowint:n,+,1; sid:2;)\n");
  LONGS_EQUAL(2, rs->flow_vars().bits.size());
  LONGS_EQUAL(1, rs->flow_vars().ints.size());
}

// The fingerprint covers the options: a rule edited without a new revision changes it.
TEST(RuleSetFingerprint, ChangesWhenOptionsChangeWithoutNewRev) {
  const auto a = rules_of("alert tcp any any -> any any (content:\"a\"; sid:1; rev:1;)\n");
  const auto b = rules_of("alert tcp any any -> any any (content:\"b\"; sid:1; rev:1;)\n");
  CHECK(a->fingerprint() != b->fingerprint());
}
