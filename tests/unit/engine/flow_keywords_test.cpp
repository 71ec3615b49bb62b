// Flow-state keywords at load time: flow, flowbits, flowint, tag, and the flow-variable layout.
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::uint16_t flow_flags(std::string_view value) {
  FlowCondition c;
  std::string e;
  if (!parse_flow_keyword(value, c, e)) FAIL(("flow:" + std::string(value) + ": " + e).c_str());
  return c.flags;
}

std::string flow_error(std::string_view value) {
  FlowCondition c;
  std::string e;
  CHECK_TEXT(!parse_flow_keyword(value, c, e), ("flow:" + std::string(value)).c_str());
  CHECK(!e.empty());
  return e;
}

struct Vars {
  FlowVarLayout layout;
  FlowVarKeywords kw;
  std::string error;
  bool bits(std::string_view v) { return parse_flowbits(v, layout, kw, error); }
  bool ints(std::string_view v) { return parse_flowint(v, layout, kw, error); }
};

std::string flowbits_error(std::string_view v) {
  Vars x;
  CHECK_TEXT(!x.bits(v), ("flowbits:" + std::string(v)).c_str());
  CHECK(!x.error.empty());
  return x.error;
}

std::string flowint_error(std::string_view v) {
  Vars x;
  CHECK_TEXT(!x.ints(v), ("flowint:" + std::string(v)).c_str());
  CHECK(!x.error.empty());
  return x.error;
}

TagSpec tag(std::string_view v) {
  TagSpec t;
  std::string e;
  if (!parse_tag(v, t, e)) FAIL(("tag:" + std::string(v) + ": " + e).c_str());
  return t;
}

std::string tag_error(std::string_view v) {
  TagSpec t;
  std::string e;
  CHECK_TEXT(!parse_tag(v, t, e), ("tag:" + std::string(v)).c_str());
  CHECK(!e.empty());
  return e;
}

}  // namespace

TEST_GROUP(FlowKeyword){};

TEST(FlowKeyword, EachOption) {
  using namespace flowcond;
  UNSIGNED_LONGS_EQUAL(to_server, flow_flags("to_server"));
  UNSIGNED_LONGS_EQUAL(to_server, flow_flags("from_client"));
  UNSIGNED_LONGS_EQUAL(to_client, flow_flags("to_client"));
  UNSIGNED_LONGS_EQUAL(to_client, flow_flags("from_server"));
  UNSIGNED_LONGS_EQUAL(established, flow_flags("established"));
  UNSIGNED_LONGS_EQUAL(not_established, flow_flags("not_established"));
  UNSIGNED_LONGS_EQUAL(stateless, flow_flags("stateless"));
  UNSIGNED_LONGS_EQUAL(only_stream, flow_flags("only_stream"));
  UNSIGNED_LONGS_EQUAL(no_stream, flow_flags("no_stream"));
  UNSIGNED_LONGS_EQUAL(only_frag, flow_flags("only_frag"));
  UNSIGNED_LONGS_EQUAL(no_frag, flow_flags("no_frag"));
}

TEST(FlowKeyword, CombinationsCaseAndSpaces) {
  using namespace flowcond;
  UNSIGNED_LONGS_EQUAL(to_server | established, flow_flags("to_server,established"));
  UNSIGNED_LONGS_EQUAL(to_client | established | no_stream,
                       flow_flags(" Established , TO_CLIENT , no_stream "));
  UNSIGNED_LONGS_EQUAL(to_server | not_established | only_frag,
                       flow_flags("not_established,to_server,only_frag"));
}

TEST(FlowKeyword, Contradictions) {
  CHECK(contains(flow_error("to_server,to_client"), "contradictory"));
  CHECK(contains(flow_error("from_client,from_server"), "contradictory"));
  CHECK(contains(flow_error("established,not_established"), "contradictory"));
  CHECK(contains(flow_error("only_stream,no_stream"), "contradictory"));
  CHECK(contains(flow_error("only_frag,no_frag"), "contradictory"));
  CHECK(contains(flow_error("stateless,established"), "contradictory"));
}

TEST(FlowKeyword, UnknownDuplicateAndEmpty) {
  CHECK(contains(flow_error("to_servr"), "unknown option 'to_servr'"));
  CHECK(contains(flow_error("established,established"), "twice"));
  // to_server and from_client are one option.
  CHECK(contains(flow_error("to_server,from_client"), "twice"));
  flow_error("");
  flow_error("to_server,");
}

TEST_GROUP(Flowbits){};

TEST(Flowbits, EachOperation) {
  Vars x;
  CHECK(x.bits("set,a"));
  CHECK(x.bits("unset, b"));
  CHECK(x.bits("toggle,c"));
  CHECK(x.bits("isset,a"));
  CHECK(x.bits("isnotset,b"));
  LONGS_EQUAL(3, x.kw.bit_actions.size());
  LONGS_EQUAL(2, x.kw.bit_conditions.size());
  CHECK(x.kw.bit_actions[0].op == FlowbitOp::set);
  CHECK(x.kw.bit_actions[1].op == FlowbitOp::unset);
  CHECK(x.kw.bit_actions[2].op == FlowbitOp::toggle);
  CHECK(x.kw.bit_conditions[0].op == FlowbitOp::isset);
  CHECK(x.kw.bit_conditions[1].op == FlowbitOp::isnotset);
  // Names map to dense indices, the same name to the same index.
  LONGS_EQUAL(3, x.layout.bits.size());
  LONGS_EQUAL(x.kw.bit_actions[0].bits[0], x.kw.bit_conditions[0].bits[0]);
  LONGS_EQUAL(x.kw.bit_actions[1].bits[0], x.kw.bit_conditions[1].bits[0]);
  CHECK(x.kw.bit_actions[0].bits[0] != x.kw.bit_actions[2].bits[0]);
  CHECK_FALSE(x.kw.noalert);
}

TEST(Flowbits, NoalertAndCase) {
  Vars x;
  CHECK(x.bits("noalert"));
  CHECK(x.kw.noalert);
  CHECK(x.bits("SET,Name"));
  CHECK(x.layout.bits.count("Name") == 1);  // names keep their case
}

TEST(Flowbits, OrAndLists) {
  Vars x;
  CHECK(x.bits("isset,a|b|c"));
  const FlowbitAction& any = x.kw.bit_conditions.back();
  CHECK(any.any_of);
  CHECK_FALSE(any.all_of);
  LONGS_EQUAL(3, any.bits.size());
  CHECK(x.bits("isnotset, a | d"));
  CHECK(x.kw.bit_conditions.back().any_of);
  CHECK(x.bits("isset,a&b"));
  CHECK(x.kw.bit_conditions.back().all_of);
  CHECK(x.bits("set,x&y"));
  CHECK(x.kw.bit_actions.back().all_of);
  LONGS_EQUAL(2, x.kw.bit_actions.back().bits.size());
  LONGS_EQUAL(6, x.layout.bits.size());  // a b c d x y
}

TEST(Flowbits, Errors) {
  CHECK(contains(flowbits_error("sett,a"), "unknown operation"));
  CHECK(contains(flowbits_error("set"), "needs a flowbit name"));
  CHECK(contains(flowbits_error("isset,"), "needs a flowbit name"));
  CHECK(contains(flowbits_error("noalert,a"), "noalert takes no name"));
  CHECK(contains(flowbits_error("isset,a|b&c"), "cannot mix"));
  CHECK(contains(flowbits_error("set,a|b"), "only allowed with isset/isnotset"));
  CHECK(contains(flowbits_error("unset,a|b"), "only allowed"));
  CHECK(contains(flowbits_error("toggle,a|b"), "only allowed"));
  CHECK(contains(flowbits_error("isset,a||b"), "bad flowbit name"));
  CHECK(contains(flowbits_error("isset,a b"), "bad flowbit name"));
  CHECK(contains(flowbits_error("set,a,b"), "bad flowbit name"));
  flowbits_error("");
  std::string many = "isset,n0";
  for (int i = 1; i <= 16; ++i) many += "|n" + std::to_string(i);
  CHECK(contains(flowbits_error(many), "more than 16"));
}

TEST_GROUP(Flowint){};

TEST(Flowint, EachOperator) {
  struct Case {
    const char* text;
    FlowintOp op;
    bool condition;
  };
  const Case cases[] = {
      {"c,=,1", FlowintOp::set, false},      {"c,+,2", FlowintOp::add, false},
      {"c,-,3", FlowintOp::sub, false},      {"c,==,4", FlowintOp::eq, true},
      {"c,!=,5", FlowintOp::ne, true},       {"c,<,6", FlowintOp::lt, true},
      {"c,<=,7", FlowintOp::le, true},       {"c,>,8", FlowintOp::gt, true},
      {"c,>=,9", FlowintOp::ge, true},       {"c,isset", FlowintOp::isset, true},
      {"c,notset", FlowintOp::notset, true}, {"c,isnotset", FlowintOp::notset, true},
      {" c , ISSET ", FlowintOp::isset, true}};
  for (const Case& k : cases) {
    Vars x;
    CHECK_TEXT(x.ints(k.text), (std::string(k.text) + ": " + x.error).c_str());
    const auto& list = k.condition ? x.kw.int_conditions : x.kw.int_actions;
    LONGS_EQUAL_TEXT(1, list.size(), k.text);
    CHECK_TEXT(list[0].op == k.op, k.text);
    CHECK_TEXT(list[0].is_condition() == k.condition, k.text);
    CHECK_FALSE(list[0].value_is_var);
  }
  Vars x;
  CHECK(x.ints("c,=,4294967295"));
  UNSIGNED_LONGS_EQUAL(4294967295u, x.kw.int_actions[0].value);
}

TEST(Flowint, ValueAsVariable) {
  Vars x;
  CHECK(x.ints("a,+,b"));
  CHECK(x.ints("b,>,a"));
  const FlowintAction& add = x.kw.int_actions[0];
  CHECK(add.value_is_var);
  LONGS_EQUAL(x.layout.ints.at("b"), add.value_var);
  LONGS_EQUAL(x.layout.ints.at("a"), add.var);
  const FlowintAction& gt = x.kw.int_conditions[0];
  CHECK(gt.value_is_var);
  LONGS_EQUAL(x.layout.ints.at("a"), gt.value_var);
  LONGS_EQUAL(2, x.layout.ints.size());
  // Flowints and flowbits live in separate name spaces.
  CHECK(x.bits("set,a"));
  LONGS_EQUAL(1, x.layout.bits.size());
}

TEST(Flowint, Errors) {
  CHECK(contains(flowint_error("c"), "expected name, operator"));
  CHECK(contains(flowint_error("c,+,1,2"), "expected name, operator"));
  CHECK(contains(flowint_error("c,*,2"), "unknown operator"));
  CHECK(contains(flowint_error("c,+"), "needs a value"));
  CHECK(contains(flowint_error("c,==" ), "needs a value"));
  CHECK(contains(flowint_error("c,isset,1"), "takes no value"));
  CHECK(contains(flowint_error("c,=,4294967296"), "bad value"));  // too large, and not a name
  CHECK(contains(flowint_error("c,=,12abc"), "bad value"));
  CHECK(contains(flowint_error("c d,=,1"), "bad variable name"));
  flowint_error("");
}

TEST_GROUP(Tag){};

TEST(Tag, SessionAndHostForms) {
  TagSpec s = tag("session");
  CHECK(s.kind == TagSpec::Kind::session);
  s = tag("session, 10, packets");
  UNSIGNED_LONGS_EQUAL(10, s.count);
  CHECK(s.metric == TagSpec::Metric::packets);
  s = tag("session,300,seconds");
  CHECK(s.metric == TagSpec::Metric::seconds);
  s = tag("SESSION,1000,BYTES");
  CHECK(s.metric == TagSpec::Metric::bytes);
  TagSpec h = tag("host");
  CHECK(h.kind == TagSpec::Kind::host);
  CHECK(h.dst);  // Suricata's default: the destination host
  h = tag("host,5,packets,dst");
  CHECK(h.dst);
  UNSIGNED_LONGS_EQUAL(5, h.count);
  h = tag("host,5,packets,src");
  CHECK_FALSE(h.dst);
  h = tag("host,dst");
  CHECK(h.dst);
}

TEST(Tag, Errors) {
  CHECK(contains(tag_error("flow"), "unknown type"));
  CHECK(contains(tag_error("session,0,packets"), "bad count"));
  CHECK(contains(tag_error("session,x,packets"), "bad count"));
  CHECK(contains(tag_error("session,10,minutes"), "unknown metric"));
  CHECK(contains(tag_error("session,10"), "count and metric"));
  CHECK(contains(tag_error("session,10,packets,dst"), "host tags only"));
  CHECK(contains(tag_error("host,10,packets,both"), "src or dst"));
  tag_error("host,1,packets,src,extra");
  tag_error("");
}

TEST_GROUP(FlowVarLayout){};

TEST(FlowVarLayout, DenseIndicesPerNameSpace) {
  FlowVarLayout l;
  LONGS_EQUAL(0, l.bit("a"));
  LONGS_EQUAL(1, l.bit("b"));
  LONGS_EQUAL(0, l.bit("a"));
  LONGS_EQUAL(0, l.integer("a"));
  LONGS_EQUAL(1, l.integer("z"));
  LONGS_EQUAL(2, l.bits.size());
  LONGS_EQUAL(2, l.ints.size());
}

// Suricata's DetectTagParse: a bare tag:session / tag:host is 256 packets, host tags the
// destination host.
TEST(Tag, DefaultsAre256PacketsAndTheDestinationHost) {
  const TagSpec s = tag("session");
  UNSIGNED_LONGS_EQUAL(256, s.count);
  CHECK(s.metric == TagSpec::Metric::packets);
  const TagSpec h = tag("host");
  CHECK(h.metric == TagSpec::Metric::packets);
  CHECK(h.dst);
}
