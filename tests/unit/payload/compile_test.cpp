// compile_payload(): the program it builds and every rejection, each naming its keyword.
#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/unit/payload/payload_test_util.h"

using namespace payload_test;
using namespace vigil::detect;

namespace {

// The error must start with the keyword and mention `part`.
void check_error(const char* options, const char* keyword, const char* part) {
  const std::string e = error_of(options);
  if (e.rfind(std::string(keyword) + ":", 0) != 0 || e.find(part) == std::string::npos)
    FAIL((std::string(options) + " -> \"" + e + "\", wanted " + keyword + " / " + part).c_str());
}

}  // namespace

TEST_GROUP(PayloadCompile){};

TEST(PayloadCompile, ListsCarryTheirBuffer) {
  auto p = program("msg:\"x\"; flow:established; content:\"a\"; nocase; isdataat:1,relative;");
  LONGS_EQUAL(1, p.lists.size());
  CHECK(p.lists[0].buffer == kPayloadBufferId);
  LONGS_EQUAL(2, p.lists[0].matches.size());
  CHECK(p.lists[0].matches[0].buffer == kPayloadBufferId);
  CHECK(p.list_for(kPayloadBufferId) == &p.lists[0]);
  STRCMP_EQUAL("a", std::string(p.lists[0].matches[0].content.pattern.begin(),
                                p.lists[0].matches[0].content.pattern.end())
                        .c_str());
  CHECK_TRUE(p.lists[0].matches[0].content.relative_next);
  // no payload keyword: no list
  CHECK_TRUE(program("msg:\"x\"; flow:established;").lists.empty());
  CHECK_TRUE(program("dsize:3;").lists.empty());
  CHECK_TRUE(program("dsize:3;").dsize.has_value());
  // pkt_data keeps the payload buffer
  LONGS_EQUAL(1, program("pkt_data; content:\"a\";").lists.size());
}

TEST(PayloadCompile, FastPatternIsRecorded) {
  auto p = program("content:\"abcd\"; fast_pattern:1,2; content:\"x\";");
  const ContentMatch& c = p.lists[0].matches[0].content;
  CHECK_TRUE(c.fast_pattern && c.fast_pattern_chop && !c.fast_pattern_only);
  LONGS_EQUAL(1, c.fast_pattern_offset);
  LONGS_EQUAL(2, c.fast_pattern_length);
  CHECK_FALSE(p.lists[0].matches[1].content.fast_pattern);
  CHECK_TRUE(
      program("content:\"ab\"; fast_pattern:only;").lists[0].matches[0].content.fast_pattern_only);
  CHECK_TRUE(
      program("content:\"ab\"; fast_pattern; rawbytes;").lists[0].matches[0].content.fast_pattern);
  CHECK_TRUE(matches("content:\"ab\"; fast_pattern; rawbytes;", "xab"));
}

TEST(PayloadCompile, ContentErrors) {
  check_error("content;", "content", "needs a value");
  check_error("content:\"\";", "content", "");
  check_error("content:\"|4|\";", "content", "");
  check_error("nocase; content:\"a\";", "nocase", "preceding content");
  check_error("depth:3;", "depth", "preceding content");
  check_error("content:\"a\"; nocase; nocase;", "nocase", "twice");
  check_error("content:\"a\"; nocase:1;", "nocase", "takes no value");
  check_error("content:\"a\"; offset:1; offset:2;", "offset", "twice");
  check_error("content:\"abc\"; depth:2;", "depth", "smaller than the content length 3");
  check_error("content:\"abc\"; depth:0;", "depth", "outside 1..65535");
  check_error("content:\"a\"; depth:65536;", "depth", "\"65536\"");
  check_error("content:\"a\"; offset:-1;", "offset", "outside 0..65535");
  check_error("content:\"a\"; offset:x1;", "offset", "no earlier byte_extract variable: \"x1\"");
  check_error("content:\"a\"; offset:1x;", "offset", "not a number");
  check_error("content:\"a\"; offset;", "offset", "needs a value");
  check_error("content:\"a\"; content:\"b\"; distance:65536;", "distance", "outside");
  check_error("content:\"a\"; content:\"b\"; distance:-65536;", "distance", "outside");
  check_error("content:\"a\"; content:\"bcd\"; within:2;", "within", "smaller than");
  check_error("content:\"|00|a\"; depth:1;", "depth", "of \"|00|a\"");
  check_error("content:\"a\"; content:\"b\"; offset:1; distance:1;", "content", "mixed");
  check_error("content:\"a\"; content:\"b\"; within:1; depth:1;", "content", "mixed");
  check_error("content:\"a\"; startswith; offset:1;", "startswith", "cannot be mixed");
  check_error("content:\"a\"; content:\"b\"; startswith; distance:0;", "startswith", "mixed");
  check_error("content:\"a\"; startswith; startswith;", "startswith", "twice");
  check_error("content:\"a\"; endswith:1;", "endswith", "takes no value");
}

TEST(PayloadCompile, FastPatternErrors) {
  check_error("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;", "fast_pattern",
              "only one content");
  check_error("content:\"ab\"; fast_pattern:only; offset:1;", "fast_pattern", "only");
  check_error("content:!\"ab\"; fast_pattern:only;", "fast_pattern", "negated");
  check_error("content:!\"ab\"; fast_pattern; depth:4;", "fast_pattern", "negated");
  check_error("content:\"ab\"; fast_pattern:1,2;", "fast_pattern", "runs past");
  check_error("content:\"ab\"; fast_pattern:1;", "fast_pattern", "offset,length");
  check_error("content:\"ab\"; fast_pattern:a,1;", "fast_pattern", "not a number");
  check_error("content:\"ab\"; fast_pattern:0,0;", "fast_pattern", "length");
}

TEST(PayloadCompile, UnsupportedKeywords) {
  check_error("content:\"a\"; byte_math:bytes 1,offset 0,oper +,rvalue 1,result r;", "byte_math",
              "not supported");
  check_error("content:\"a\"; base64_decode; base64_data; content:\"b\";", "base64_decode",
              "not supported");
  check_error("http.uri; pcrexform:\"/(a)/\"; content:\"a\";", "pcrexform", "not supported");
  check_error("content:\"a\"; http_nosuchbuffer;", "http_nosuchbuffer", "buffer not supported");
  check_error("http.nosuchbuffer; content:\"a\";", "http.nosuchbuffer", "sticky buffer");
  // dotted keywords with a value or known non-buffers are other modules' business
  CHECK_TRUE(compile("tls.version:1.2; content:\"a\";").program.has_value());
  CHECK_TRUE(compile("tls.store; content:\"a\";").program.has_value());
  check_error("pkt_data:1;", "pkt_data", "takes no value");
  check_error("content:\"a\"; http_uri:1;", "http_uri", "takes no value");
}

TEST(PayloadCompile, IsdataatErrors) {
  check_error("isdataat;", "isdataat", "needs a value");
  check_error("isdataat:65536;", "isdataat", "outside 0..65535");
  check_error("isdataat:-1;", "isdataat", "outside");
  check_error("isdataat:1,relative,relative;", "isdataat", "repeated option");
  check_error("isdataat:1,later;", "isdataat", "\"later\"");
  check_error("isdataat:n;", "isdataat", "no earlier byte_extract variable");
  CHECK_TRUE(compile("isdataat:1,relative,rawbytes;").program.has_value());
}

TEST(PayloadCompile, SizeErrors) {
  check_error("dsize;", "dsize", "needs a value");
  check_error("dsize:1; dsize:2;", "dsize", "twice");
  check_error("dsize:65536;", "dsize", "above 65535");
  check_error("dsize:abc;", "dsize", "not a number");
  check_error("dsize:5<>3;", "dsize", "first value below");
  check_error("dsize:3<>4;", "dsize", "holds no value");
  check_error("dsize:<0;", "dsize", "never match");
  check_error("dsize:>65535;", "dsize", "never match");
  check_error("dsize:!<3;", "dsize", "'!'");
  check_error("dsize:!;", "dsize", "no value");
  check_error("dsize:<;", "dsize", "no number");
  check_error("bsize:1; bsize:2;", "bsize", "twice");
  check_error("bsize:x;", "bsize", "not a number");
  check_error("content:\"abcdef\"; bsize:<5;", "bsize", "at most 4");
  check_error("content:\"abcdef\"; bsize:2<>6;", "bsize", "at most 5");
  CHECK_TRUE(compile("content:!\"abcdef\"; bsize:<5;").program.has_value());
  CHECK_TRUE(compile("content:\"abcdef\"; bsize:>5;").program.has_value());
}

TEST(PayloadCompile, ByteTestErrors) {
  check_error("byte_test;", "byte_test", "needs a value");
  check_error("byte_test:1,=,1;", "byte_test", "expects bytes");
  check_error("byte_test:9,=,1,0;", "byte_test", "byte count");
  check_error("byte_test:0,=,1,0;", "byte_test", "byte count");
  check_error("byte_test:24,=,1,0,string,dec;", "byte_test", "outside 0..23");
  check_error("byte_test:24,=,1,0,string,hex;", "byte_test", "outside 0..23");
  CHECK_TRUE(compile("byte_test:23,=,1,0,string,hex;").program.has_value());
  check_error("byte_test:1,=>,1,0;", "byte_test", "unknown operator \"=>\"");
  check_error("byte_test:1,=,1x,0;", "byte_test", "not a number");
  check_error("byte_test:1,=,0x,0;", "byte_test", "not a number");
  check_error("byte_test:1,=,18446744073709551616,0;", "byte_test", "above");
  check_error("byte_test:1,=,nope,0;", "byte_test", "no earlier byte_extract variable");
  check_error("byte_test:1,=,1,65536;", "byte_test", "offset");
  check_error("byte_test:1,=,1,0,relative,relative;", "byte_test", "relative");
  check_error("byte_test:1,=,1,0,big,little;", "byte_test", "endianness given twice");
  check_error("byte_test:1,=,1,0,hex;", "byte_test", "need `string`");
  check_error("byte_test:1,=,1,0,string,dec,hex;", "byte_test", "number type given twice");
  check_error("byte_test:1,=,1,0,string,string;", "byte_test", "`string` given twice");
  check_error("byte_test:1,=,1,0,string,dec,little;", "byte_test", "with `string`");
  check_error("byte_test:1,=,1,0,dce;", "byte_test", "dce");
  check_error("byte_test:1,=,1,0,bitmask 0;", "byte_test", "zero");
  check_error("byte_test:1,=,1,0,bitmask 0x1ffffffff;", "byte_test", "above");
  check_error("byte_test:1,=,1,0,bitmask 0xg;", "byte_test", "not a number");
  check_error("byte_test:1,=,1,0,bitmask 1,bitmask 2;", "byte_test", "twice");
  check_error("byte_test:1,=,1,0,sideways;", "byte_test", "unknown option \"sideways\"");
  // string without a type reads decimal
  CHECK_TRUE(matches("byte_test:2,=,10,0,string;", "10"));
}

TEST(PayloadCompile, ByteJumpErrors) {
  check_error("byte_jump;", "byte_jump", "needs a value");
  check_error("byte_jump:1;", "byte_jump", "expects bytes");
  check_error("byte_jump:9,0;", "byte_jump", "byte count");
  check_error("byte_jump:24,0,string,dec;", "byte_jump", "outside 1..23");
  check_error("byte_jump:1,0,multiplier 0;", "byte_jump", "multiplier");
  check_error("byte_jump:1,0,multiplier 65536;", "byte_jump", "multiplier");
  check_error("byte_jump:1,0,multiplier 2,multiplier 2;", "byte_jump", "twice");
  check_error("byte_jump:1,0,align,align;", "byte_jump", "`align` given twice");
  check_error("byte_jump:1,0,from_beginning,from_end;", "byte_jump", "together");
  check_error("byte_jump:1,0,post_offset 70000;", "byte_jump", "post_offset");
  check_error("byte_jump:1,0,post_offset 1,post_offset 1;", "byte_jump", "twice");
  check_error("byte_jump:1,0,backwards;", "byte_jump", "unknown option");
  check_error("byte_jump:1,x;", "byte_jump", "no earlier byte_extract variable");
}

TEST(PayloadCompile, ByteExtractErrors) {
  check_error("byte_extract;", "byte_extract", "needs a value");
  check_error("byte_extract:1,0;", "byte_extract", "expects bytes");
  check_error("byte_extract:1,0,1abc;", "byte_extract", "bad variable name");
  check_error("byte_extract:1,0,a b;", "byte_extract", "bad variable name");
  check_error("byte_extract:1,0,v; byte_extract:1,1,v;", "byte_extract", "declared twice");
  check_error("byte_extract:9,0,v;", "byte_extract", "byte count");
  check_error("byte_extract:15,0,v,string,hex;", "byte_extract", "outside 1..14");
  check_error("byte_extract:21,0,v,string,dec;", "byte_extract", "outside 1..20");
  check_error("byte_extract:24,0,v,string,oct;", "byte_extract", "outside 1..23");
  check_error("byte_extract:1,0,v,string,dec,big;", "byte_extract", "with `string`");
  check_error("byte_extract:1,0,v,align 3;", "byte_extract", "align must be 2 or 4");
  check_error("byte_extract:1,0,v,align 8;", "byte_extract", "align must be 2 or 4");
  check_error("byte_extract:1,0,v,align 2,align 4;", "byte_extract", "twice");
  check_error("byte_extract:1,0,v,multiplier 0;", "byte_extract", "multiplier");
  check_error("byte_extract:1,0,v,from_end;", "byte_extract", "unknown option");
  check_error("content:\"a\"; distance:v; byte_extract:1,0,v;", "distance",
              "no earlier byte_extract variable: \"v\"");
  std::string many;
  for (int i = 0; i <= static_cast<int>(kMaxByteVariables); ++i)
    many += "byte_extract:1,0,v" + std::to_string(i) + "; ";
  check_error(many.c_str(), "byte_extract", "more than 16 variables");
  auto p = program("byte_extract:1,0,a; byte_extract:1,1,b; content:\"x\"; distance:b;");
  LONGS_EQUAL(2, p.variables);
  LONGS_EQUAL(1, p.lists[0].matches[2].content.distance.var);
}

TEST(PayloadCompile, TooManyKeywords) {
  std::string many;
  for (std::size_t i = 0; i <= kMaxMatchesPerList; ++i) many += "content:\"a\"; ";
  check_error(many.c_str(), "content", "more than 256");
}
