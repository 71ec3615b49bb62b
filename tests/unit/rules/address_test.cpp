#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/detect/rules/address_set.h"
#include "rules_test_util.h"

using namespace vigil;
using namespace vigil::detect;
using rules_test::v4;
using rules_test::v6;

namespace {

AddressSet ok(const char* text, const RuleVars& vars = {}) {
  AddressSpecResult r = parse_address_spec(text, vars);
  if (r.problem) FAIL((std::string(text) + ": " + r.problem->message).c_str());
  return r.set;
}

RuleErrorReason bad(const char* text, const RuleVars& vars = {}) {
  AddressSpecResult r = parse_address_spec(text, vars);
  if (!r.problem) FAIL((std::string(text) + " was accepted").c_str());
  CHECK_TRUE(r.set.v4.empty() && r.set.v6.empty());
  CHECK_FALSE(r.problem->message.empty());
  return r.problem->reason;
}

void check_reason(RuleErrorReason want, RuleErrorReason got) {
  STRCMP_EQUAL(std::string(rule_error_reason_name(want)).c_str(),
               std::string(rule_error_reason_name(got)).c_str());
}

}  // namespace

TEST_GROUP(AddressSpec){};

TEST(AddressSpec, AnyMatchesBothFamilies) {
  AddressSet s = ok("any");
  CHECK_TRUE(is_any(s));
  CHECK_TRUE(matches(s, IpFamily::v4, v4(0, 0, 0, 0)));
  CHECK_TRUE(matches(s, IpFamily::v4, v4(255, 255, 255, 255)));
  CHECK_TRUE(matches(s, IpFamily::v6,
                     v6({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff})));
  CHECK_FALSE(matches(s, IpFamily::none, v4(1, 2, 3, 4)));
  CHECK_TRUE(is_any(ok("ANY")));
}

TEST(AddressSpec, SingleIpv4) {
  AddressSet s = ok("1.2.3.4");
  CHECK_TRUE(matches(s, IpFamily::v4, v4(1, 2, 3, 4)));
  CHECK_FALSE(matches(s, IpFamily::v4, v4(1, 2, 3, 5)));
  CHECK_FALSE(matches(s, IpFamily::v4, v4(1, 2, 3, 3)));
  CHECK_FALSE(matches(s, IpFamily::v6, v4(1, 2, 3, 4)));
  CHECK_FALSE(is_any(s));
}

TEST(AddressSpec, Ipv4CidrAndNetmask) {
  AddressSet s = ok("10.1.0.0/16");
  CHECK_TRUE(matches(s, IpFamily::v4, v4(10, 1, 0, 0)));
  CHECK_TRUE(matches(s, IpFamily::v4, v4(10, 1, 255, 255)));
  CHECK_FALSE(matches(s, IpFamily::v4, v4(10, 2, 0, 0)));
  CHECK_FALSE(matches(s, IpFamily::v4, v4(10, 0, 255, 255)));
  // Host bits below the prefix are ignored.
  AddressSet h = ok("192.168.1.77/24");
  CHECK_TRUE(matches(h, IpFamily::v4, v4(192, 168, 1, 0)));
  CHECK_TRUE(matches(h, IpFamily::v4, v4(192, 168, 1, 255)));
  AddressSet m = ok("172.16.0.0/255.240.0.0");
  CHECK_TRUE(matches(m, IpFamily::v4, v4(172, 31, 255, 255)));
  CHECK_FALSE(matches(m, IpFamily::v4, v4(172, 32, 0, 0)));
  AddressSet all = ok("0.0.0.0/0");
  CHECK_TRUE(matches(all, IpFamily::v4, v4(8, 8, 8, 8)));
  CHECK_FALSE(matches(all, IpFamily::v6, v6({1, 0, 0, 0, 0, 0, 0, 1})));
  AddressSet one = ok("8.8.8.8/32");
  CHECK_TRUE(matches(one, IpFamily::v4, v4(8, 8, 8, 8)));
  CHECK_FALSE(matches(one, IpFamily::v4, v4(8, 8, 8, 9)));
}

TEST(AddressSpec, Ipv6AddressesAndCidr) {
  AddressSet s = ok("2001:db8::1");
  CHECK_TRUE(matches(s, IpFamily::v6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})));
  CHECK_FALSE(matches(s, IpFamily::v6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2})));
  AddressSet c = ok("2001:db8::/32");
  CHECK_TRUE(matches(c, IpFamily::v6,
                     v6({0x2001, 0xdb8, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff})));
  CHECK_FALSE(matches(c, IpFamily::v6, v6({0x2001, 0xdb9, 0, 0, 0, 0, 0, 0})));
  AddressSet c96 = ok("fe80::/96");
  CHECK_TRUE(matches(c96, IpFamily::v6, v6({0xfe80, 0, 0, 0, 0, 0, 0xffff, 0xffff})));
  CHECK_FALSE(matches(c96, IpFamily::v6, v6({0xfe80, 0, 0, 0, 0, 1, 0, 0})));
  AddressSet full = ok("1:2:3:4:5:6:7:8");
  CHECK_TRUE(matches(full, IpFamily::v6, v6({1, 2, 3, 4, 5, 6, 7, 8})));
  AddressSet mapped = ok("::ffff:1.2.3.4");
  CHECK_TRUE(matches(mapped, IpFamily::v6, v6({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304})));
  CHECK_TRUE(matches(ok("::"), IpFamily::v6, v6({0, 0, 0, 0, 0, 0, 0, 0})));
  CHECK_TRUE(matches(ok("::/0"), IpFamily::v6, v6({0xffff, 1, 2, 3, 4, 5, 6, 7})));
  CHECK_TRUE(matches(ok("2001:db8::1/128"), IpFamily::v6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})));
}

TEST(AddressSpec, Ranges) {
  AddressSet s = ok("10.0.0.5-10.0.0.9");
  CHECK_FALSE(matches(s, IpFamily::v4, v4(10, 0, 0, 4)));
  CHECK_TRUE(matches(s, IpFamily::v4, v4(10, 0, 0, 5)));
  CHECK_TRUE(matches(s, IpFamily::v4, v4(10, 0, 0, 9)));
  CHECK_FALSE(matches(s, IpFamily::v4, v4(10, 0, 0, 10)));
  AddressSet s6 = ok("2001:db8::1-2001:db8::ff");
  CHECK_TRUE(matches(s6, IpFamily::v6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x80})));
  CHECK_FALSE(matches(s6, IpFamily::v6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100})));
}

TEST(AddressSpec, ListsNestedAndMerged) {
  AddressSet s = ok("[1.1.1.1, [2.2.2.0/24, 3.3.3.3], 2001:db8::1]");
  CHECK_TRUE(matches(s, IpFamily::v4, v4(1, 1, 1, 1)));
  CHECK_TRUE(matches(s, IpFamily::v4, v4(2, 2, 2, 200)));
  CHECK_TRUE(matches(s, IpFamily::v4, v4(3, 3, 3, 3)));
  CHECK_FALSE(matches(s, IpFamily::v4, v4(3, 3, 3, 4)));
  CHECK_TRUE(matches(s, IpFamily::v6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})));
  // Touching and overlapping items merge into one range.
  AddressSet m = ok("[10.0.0.0/25,10.0.0.128/25,10.0.0.3]");
  LONGS_EQUAL(1, m.v4.size());
  LONGS_EQUAL(0x0a000000u, m.v4[0].first);
  LONGS_EQUAL(0x0a0000ffu, m.v4[0].last);
}

TEST(AddressSpec, NegationOfItemsAndLists) {
  AddressSet n = ok("!1.2.3.4");
  CHECK_FALSE(matches(n, IpFamily::v4, v4(1, 2, 3, 4)));
  CHECK_TRUE(matches(n, IpFamily::v4, v4(1, 2, 3, 5)));
  CHECK_TRUE(matches(n, IpFamily::v4, v4(0, 0, 0, 0)));
  CHECK_TRUE(matches(n, IpFamily::v4, v4(255, 255, 255, 255)));
  // Per family, as in Suricata: a pure IPv4 negation says nothing about IPv6.
  CHECK_FALSE(matches(n, IpFamily::v6, v6({1, 0, 0, 0, 0, 0, 0, 1})));
  AddressSet cut = ok("[10.0.0.0/8, !10.1.0.0/16]");
  CHECK_TRUE(matches(cut, IpFamily::v4, v4(10, 0, 255, 255)));
  CHECK_FALSE(matches(cut, IpFamily::v4, v4(10, 1, 2, 3)));
  CHECK_TRUE(matches(cut, IpFamily::v4, v4(10, 2, 0, 0)));
  CHECK_FALSE(matches(cut, IpFamily::v4, v4(11, 0, 0, 0)));
  AddressSet nl = ok("![1.1.1.1, 2.2.2.2]");
  CHECK_FALSE(matches(nl, IpFamily::v4, v4(1, 1, 1, 1)));
  CHECK_FALSE(matches(nl, IpFamily::v4, v4(2, 2, 2, 2)));
  CHECK_TRUE(matches(nl, IpFamily::v4, v4(1, 1, 1, 2)));
  // A negated list is the complement of the list's value, negations inside it included.
  AddressSet nn = ok("![10.0.0.0/8, !10.1.0.0/16]");
  CHECK_TRUE(matches(nn, IpFamily::v4, v4(10, 1, 0, 1)));
  CHECK_FALSE(matches(nn, IpFamily::v4, v4(10, 2, 0, 1)));
  CHECK_TRUE(matches(nn, IpFamily::v4, v4(11, 0, 0, 0)));
  AddressSet dbl = ok("!!1.2.3.4");
  CHECK_TRUE(matches(dbl, IpFamily::v4, v4(1, 2, 3, 4)));
  CHECK_FALSE(matches(dbl, IpFamily::v4, v4(1, 2, 3, 5)));
}

TEST(AddressSpec, DefaultVariables) {
  AddressSet home = ok("$HOME_NET");
  CHECK_TRUE(matches(home, IpFamily::v4, v4(192, 168, 4, 4)));
  CHECK_TRUE(matches(home, IpFamily::v4, v4(10, 9, 9, 9)));
  CHECK_TRUE(matches(home, IpFamily::v4, v4(172, 20, 0, 1)));
  CHECK_FALSE(matches(home, IpFamily::v4, v4(8, 8, 8, 8)));
  AddressSet ext = ok("$EXTERNAL_NET");
  CHECK_TRUE(matches(ext, IpFamily::v4, v4(8, 8, 8, 8)));
  CHECK_FALSE(matches(ext, IpFamily::v4, v4(192, 168, 4, 4)));
  CHECK_FALSE(matches(ext, IpFamily::v4, v4(172, 31, 255, 255)));
  CHECK_TRUE(matches(ext, IpFamily::v4, v4(172, 32, 0, 0)));
  AddressSet servers = ok("[$HTTP_SERVERS,$SQL_SERVERS,$DNS_SERVERS]");
  CHECK_TRUE(matches(servers, IpFamily::v4, v4(10, 0, 0, 1)));
  AddressSet aim = ok("$AIM_SERVERS");  // $EXTERNAL_NET in suricata.yaml
  CHECK_TRUE(matches(aim, IpFamily::v4, v4(8, 8, 8, 8)));
  CHECK_FALSE(matches(aim, IpFamily::v4, v4(10, 0, 0, 1)));
  AddressSet neg = ok("!$HOME_NET");
  CHECK_TRUE(matches(neg, IpFamily::v4, v4(1, 1, 1, 1)));
}

TEST(AddressSpec, CallerVariablesOverrideDefaults) {
  RuleVars vars;
  vars.addresses["HOME_NET"] = "[198.51.100.0/24, 2001:db8::/32]";
  vars.addresses["DMZ"] = "[$HOME_NET, 203.0.113.7]";
  AddressSet home = ok("$HOME_NET", vars);
  CHECK_TRUE(matches(home, IpFamily::v4, v4(198, 51, 100, 9)));
  CHECK_FALSE(matches(home, IpFamily::v4, v4(192, 168, 0, 1)));
  AddressSet ext = ok("$EXTERNAL_NET", vars);  // the default !$HOME_NET sees the caller's HOME_NET
  CHECK_TRUE(matches(ext, IpFamily::v4, v4(192, 168, 0, 1)));
  CHECK_TRUE(matches(ext, IpFamily::v6, v6({0x2001, 0xdb9, 0, 0, 0, 0, 0, 1})));
  CHECK_FALSE(matches(ext, IpFamily::v6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})));
  AddressSet dmz = ok("$DMZ", vars);
  CHECK_TRUE(matches(dmz, IpFamily::v4, v4(203, 0, 113, 7)));
  vars.addresses["HOME_NET"] = "any";
  check_reason(RuleErrorReason::negated_any, bad("$EXTERNAL_NET", vars));
}

TEST(AddressSpec, Errors) {
  check_reason(RuleErrorReason::unbalanced_brackets, bad("[1.2.3.4"));
  check_reason(RuleErrorReason::unbalanced_brackets, bad("1.2.3.4]"));
  check_reason(RuleErrorReason::unbalanced_brackets, bad("[[1.2.3.4]"));
  check_reason(RuleErrorReason::bad_address, bad("[1.2.3.4]x"));
  check_reason(RuleErrorReason::bad_address, bad("[]"));
  check_reason(RuleErrorReason::bad_address, bad("[1.2.3.4,]"));
  check_reason(RuleErrorReason::bad_address, bad(""));
  check_reason(RuleErrorReason::bad_address, bad("!"));
  check_reason(RuleErrorReason::bad_address, bad("1.2.3"));
  check_reason(RuleErrorReason::bad_address, bad("1.2.3.4.5"));
  check_reason(RuleErrorReason::bad_address, bad("256.1.1.1"));
  check_reason(RuleErrorReason::bad_address, bad("01.2.3.4"));
  check_reason(RuleErrorReason::bad_address, bad("example.com"));
  check_reason(RuleErrorReason::bad_address, bad("1::2::3"));
  check_reason(RuleErrorReason::bad_address, bad("1:2:3:4:5:6:7:8:9"));
  check_reason(RuleErrorReason::bad_address, bad("12345::1"));
  check_reason(RuleErrorReason::bad_address, bad("1.2.3.4-2001:db8::1"));
  check_reason(RuleErrorReason::bad_cidr, bad("1.2.3.4/33"));
  check_reason(RuleErrorReason::bad_cidr, bad("1.2.3.4/"));
  check_reason(RuleErrorReason::bad_cidr, bad("1.2.3.4/x"));
  check_reason(RuleErrorReason::bad_cidr, bad("1.2.3.4/255.0.255.0"));
  check_reason(RuleErrorReason::bad_cidr, bad("2001:db8::/129"));
  check_reason(RuleErrorReason::reversed_range, bad("10.0.0.9-10.0.0.5"));
  check_reason(RuleErrorReason::unknown_variable, bad("$NO_SUCH_NET"));
  check_reason(RuleErrorReason::unknown_variable, bad("$"));
  check_reason(RuleErrorReason::unknown_variable, bad("$HTTP_PORTS"));  // a port variable
  check_reason(RuleErrorReason::negated_any, bad("!any"));
  check_reason(RuleErrorReason::negated_any, bad("[1.2.3.4,!any]"));
  check_reason(RuleErrorReason::negated_any, bad("!0.0.0.0/0"));
  check_reason(RuleErrorReason::contradiction, bad("![1.2.3.4, !1.2.3.4]"));
  check_reason(RuleErrorReason::contradiction, bad("[1.2.3.4, !1.2.3.4]"));
  check_reason(RuleErrorReason::contradiction, bad("[10.0.0.0/24, !10.0.0.0/8]"));
}

TEST(AddressSpec, RecursiveVariables) {
  RuleVars vars;
  vars.addresses["LOOP"] = "[1.2.3.4, $LOOP]";
  check_reason(RuleErrorReason::recursive_variable, bad("$LOOP", vars));
  vars.addresses["A"] = "$B";
  vars.addresses["B"] = "!$A";
  check_reason(RuleErrorReason::recursive_variable, bad("$A", vars));
  // The same variable twice side by side is not recursion.
  ok("[$HOME_NET,$HOME_NET]");
}

TEST(AddressSpec, NestingLimit) {
  std::string deep(40, '[');
  deep += "1.2.3.4";
  deep += std::string(40, ']');
  check_reason(RuleErrorReason::too_deep, bad(deep.c_str()));
  std::string fine(10, '[');
  fine += "1.2.3.4";
  fine += std::string(10, ']');
  ok(fine.c_str());
}
