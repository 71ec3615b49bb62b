// content and its modifiers, evaluated against buffers.
#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/unit/payload/payload_test_util.h"

using namespace payload_test;
using vigil::detect::PayloadCounter;
using vigil::detect::PayloadScratch;

TEST_GROUP(PayloadContent){};

TEST(PayloadContent, PlainAndHex) {
  CHECK_TRUE(matches("content:\"GET\";", "xxGETyy"));
  CHECK_FALSE(matches("content:\"GET\";", "xxgetyy"));
  CHECK_TRUE(matches("content:\"|0d 0a|\";", "a\r\nb"));
  CHECK_FALSE(matches("content:\"abc\";", "ab"));
  CHECK_FALSE(matches("content:\"abc\";", ""));
}

TEST(PayloadContent, Nocase) {
  CHECK_TRUE(matches("content:\"GeT\"; nocase;", "xxgEtyy"));
  CHECK_TRUE(matches("content:\"|47|et\"; nocase;", "GET"));
  CHECK_FALSE(matches("content:\"get\"; nocase;", "gez"));
}

TEST(PayloadContent, OffsetAtBufferEnds) {
  CHECK_TRUE(matches("content:\"ab\"; offset:0;", "abxx"));
  CHECK_TRUE(matches("content:\"ab\"; offset:2;", "xxab"));
  CHECK_FALSE(matches("content:\"ab\"; offset:3;", "xxab"));
  CHECK_FALSE(matches("content:\"ab\"; offset:10;", "xxab"));
}

TEST(PayloadContent, DepthExactlyAtContentEnd) {
  CHECK_TRUE(matches("content:\"abc\"; depth:3;", "abcd"));
  CHECK_FALSE(matches("content:\"abc\"; depth:3;", "xabc"));
  CHECK_TRUE(matches("content:\"abc\"; depth:4;", "xabc"));
  // depth counts from offset: bytes [2, 5)
  CHECK_TRUE(matches("content:\"abc\"; offset:2; depth:3;", "xxabcx"));
  CHECK_FALSE(matches("content:\"abc\"; offset:2; depth:3;", "xxxabc"));
  CHECK_TRUE(matches("content:\"abc\"; depth:3; offset:2;", "xxabcx"));
  // depth past the buffer is clamped
  CHECK_TRUE(matches("content:\"abc\"; depth:100;", "xabc"));
}

TEST(PayloadContent, DistanceAndWithin) {
  CHECK_TRUE(matches("content:\"ab\"; content:\"cd\"; distance:0;", "abcd"));
  CHECK_TRUE(matches("content:\"ab\"; content:\"cd\"; distance:2;", "abxxcd"));
  CHECK_FALSE(matches("content:\"ab\"; content:\"cd\"; distance:3;", "abxxcd"));
  CHECK_TRUE(matches("content:\"ab\"; content:\"cd\"; within:4;", "abxxcd"));
  CHECK_FALSE(matches("content:\"ab\"; content:\"cd\"; within:3;", "abxxcd"));
  CHECK_TRUE(matches("content:\"ab\"; content:\"cd\"; distance:1; within:3;", "abxxcd"));
  CHECK_FALSE(matches("content:\"ab\"; content:\"cd\"; distance:1; within:2;", "abxxcd"));
  // relative content before the previous match does not count
  CHECK_FALSE(matches("content:\"ab\"; content:\"cd\"; distance:0;", "cdab"));
}

TEST(PayloadContent, NegativeDistance) {
  // "cd" may start one byte before the end of "abc": overlapping "bc" ... start at 1
  CHECK_TRUE(matches("content:\"abc\"; content:\"bcd\"; distance:-2; within:3;", "abcd"));
  CHECK_FALSE(matches("content:\"abc\"; content:\"bcd\"; distance:-1; within:3;", "abcd"));
  // a window wholly before the previous match looks back
  CHECK_TRUE(matches("content:\"cd\"; content:\"ab\"; distance:-4; within:2;", "abcd"));
  CHECK_FALSE(matches("content:\"cd\"; content:\"bc\"; distance:-4; within:2;", "abcd"));
  // a distance reaching before the buffer start clamps to 0
  CHECK_TRUE(matches("content:\"ab\"; content:\"ab\"; distance:-50;", "ab"));
}

TEST(PayloadContent, WithinChain) {
  const char* rule = "content:\"a\"; content:\"b\"; within:2; content:\"c\"; within:2;";
  CHECK_TRUE(matches(rule, "axbxc"));
  CHECK_FALSE(matches(rule, "axbxxc"));
  CHECK_FALSE(matches(rule, "axxbxc"));
}

TEST(PayloadContent, BacktrackingFindsLaterOccurrence) {
  // The first "ab" is not followed by "cd"; the second one is.
  CHECK_TRUE(matches("content:\"ab\"; content:\"cd\"; within:2;", "abxx abcd"));
  // three levels: the middle content must also be retried
  CHECK_TRUE(
      matches("content:\"a\"; content:\"b\"; within:1; content:\"c\"; within:1;", "ab ab abc"));
  CHECK_FALSE(
      matches("content:\"a\"; content:\"b\"; within:1; content:\"c\"; within:1;", "ab ab abx"));
}

TEST(PayloadContent, NoBacktrackingWithoutRelativeKeyword) {
  // An absolute second content does not depend on where the first matched.
  CHECK_TRUE(matches("content:\"ab\"; content:\"zz\";", "ab ab zz"));
  CHECK_FALSE(matches("content:\"ab\"; content:\"zz\";", "ab ab z"));
}

TEST(PayloadContent, NegatedAbsolute) {
  CHECK_TRUE(matches("content:!\"evil\";", "good data"));
  CHECK_FALSE(matches("content:!\"evil\";", "some evil data"));
  CHECK_TRUE(matches("content:!\"evil\"; depth:4;", "xevil"));
  CHECK_FALSE(matches("content:!\"evil\"; depth:4;", "evilx"));
  CHECK_TRUE(matches("content:!\"evil\";", ""));
  CHECK_TRUE(matches("content:\"GET\"; content:!\"evil\";", "GET good"));
  CHECK_FALSE(matches("content:\"GET\"; content:!\"evil\";", "GET evil"));
}

TEST(PayloadContent, NegatedRelative) {
  // "a" not immediately followed by "b": the first "a" fails, the second passes.
  CHECK_TRUE(matches("content:\"a\"; content:!\"b\"; within:1;", "ab ac"));
  CHECK_FALSE(matches("content:\"a\"; content:!\"b\"; within:1;", "ab ab"));
  CHECK_TRUE(matches("content:\"a\"; content:!\"b\"; within:1;", "a"));
  // a negated relative content does not move the position
  CHECK_TRUE(matches("content:\"a\"; content:!\"x\"; within:1; content:\"b\"; within:1;", "ab"));
}

TEST(PayloadContent, Startswith) {
  CHECK_TRUE(matches("content:\"GET \"; startswith;", "GET /"));
  CHECK_FALSE(matches("content:\"GET \"; startswith;", " GET /"));
  CHECK_TRUE(matches("content:\"get\"; startswith; nocase;", "GeT"));
}

TEST(PayloadContent, Endswith) {
  CHECK_TRUE(matches("content:\"|0d 0a|\"; endswith;", "a\r\n"));
  CHECK_TRUE(matches("content:\"|0d 0a|\"; endswith;", "a\r\nb\r\n"));
  CHECK_FALSE(matches("content:\"|0d 0a|\"; endswith;", "a\r\nb"));
  CHECK_TRUE(matches("content:\"ab\"; content:\"yz\"; distance:0; endswith;", "ab yz yz"));
  CHECK_FALSE(matches("content:\"ab\"; content:\"yz\"; distance:0; endswith;", "yz ab"));
  CHECK_TRUE(matches("content:\"abc\"; startswith; endswith;", "abc"));
  CHECK_FALSE(matches("content:\"abc\"; startswith; endswith;", "abcabc"));
  CHECK_TRUE(matches("content:!\"xx\"; endswith;", "xxa"));
  CHECK_FALSE(matches("content:!\"xx\"; endswith;", "axx"));
}

TEST(PayloadContent, RecursionLimitIsCounted) {
  // Every "a" is retried (each next content has `within`), each failing deeper: the budget
  // stops the search.
  const auto p = program(
      "content:\"a\"; content:\"a\"; within:5; content:\"a\"; within:5; "
      "content:\"b\"; within:5;");
  const std::string buf(200, 'a');
  PayloadScratch s;
  s.recursion_limit = 500;
  CHECK_FALSE(vigil::detect::payload_match(p.lists[0], bytes(buf), s));
  LONGS_EQUAL(1, s.counters.get(PayloadCounter::recursion_limit));
  LONGS_EQUAL(1, s.counters.get(PayloadCounter::inspections));
  // With a large enough budget the same search ends without hitting it.
  PayloadScratch big;
  big.recursion_limit = 100'000'000;
  CHECK_FALSE(vigil::detect::payload_match(p.lists[0], bytes(std::string(30, 'a')), big));
  LONGS_EQUAL(0, big.counters.get(PayloadCounter::recursion_limit));
  // And a match after backtracking is still found under the default budget.
  PayloadScratch d;
  CHECK_TRUE(vigil::detect::payload_match(p.lists[0], bytes("aaab"), d));
}

TEST(PayloadContent, ByteExtractInDistance) {
  // Skip the number of bytes the first byte names, then "ok" must follow at once.
  const char* rule = "byte_extract:1,0,skip; content:\"ok\"; distance:skip; within:2;";
  CHECK_TRUE(matches(rule, "\x03xyzok"));
  CHECK_FALSE(matches(rule, "\x02xyzok"));
  CHECK_FALSE(matches(rule, "\x04xyzok"));
  // as offset and depth
  CHECK_TRUE(matches("byte_extract:1,0,o; content:\"ok\"; offset:o;", "\x03xxok"));
  CHECK_FALSE(matches("byte_extract:1,0,o; content:\"ok\"; offset:o;", "\x04xxok"));
  CHECK_TRUE(matches("byte_extract:1,0,d; content:\"ok\"; depth:d;", "\x03ok"));
  CHECK_FALSE(matches("byte_extract:1,0,d; content:\"ok\"; depth:d;", "\x02ok"));
}
