// Transforms: each one on its own, chains, truncation, parsing errors, and through rules.
#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

#include "dataplane/detect/payload/transforms.h"
#include "tests/unit/payload/payload_test_util.h"

using namespace payload_test;
using namespace vigil::detect;

namespace {

RuleOption option(const std::string& keyword, const std::string& raw = "", bool quoted = false) {
  RuleOption o;
  o.keyword = keyword;
  o.has_value = !raw.empty();
  o.raw = quoted ? "\"" + raw + "\"" : raw;
  o.value = raw;
  return o;
}

Transform make(const RuleOption& o) {
  TransformParse p = parse_transform(o);
  if (!p.transform) FAIL(("transform did not parse: " + p.error).c_str());
  return *p.transform;
}

std::string apply(const std::vector<Transform>& ts, const std::string& in, TransformScratch& s) {
  auto out = apply_transforms(ts, bytes(in), s);
  return std::string(out.begin(), out.end());
}

std::string apply(const RuleOption& o, const std::string& in) {
  TransformScratch s;
  return apply({make(o)}, in, s);
}

std::string hex(const std::string& b) {
  static const char* d = "0123456789abcdef";
  std::string h;
  for (unsigned char c : b) {
    h += d[c >> 4];
    h += d[c & 15];
  }
  return h;
}

void check_parse_error(const RuleOption& o, const char* part) {
  TransformParse p = parse_transform(o);
  if (p.transform) FAIL(("parsed but should not have: " + o.keyword + ":" + o.raw).c_str());
  if (p.error.rfind(o.keyword + ":", 0) != 0 || p.error.find(part) == std::string::npos)
    FAIL(("\"" + p.error + "\" wanted " + o.keyword + " / " + part).c_str());
}

}  // namespace

TEST_GROUP(PayloadTransforms){};

TEST(PayloadTransforms, Each) {
  STRCMP_EQUAL(".example.com", apply(option("dotprefix"), "example.com").c_str());
  STRCMP_EQUAL("", apply(option("dotprefix"), "").c_str());  // an empty buffer stays empty
  STRCMP_EQUAL("get /a", apply(option("to_lowercase"), "GeT /A").c_str());
  STRCMP_EQUAL("GET /A", apply(option("to_uppercase"), "gEt /a").c_str());
  STRCMP_EQUAL("ABC", apply(option("strip_whitespace"), " A B\tC\r\n\v\f").c_str());
  STRCMP_EQUAL(" A B C ", apply(option("compress_whitespace"), " A  B \t C ").c_str());
  STRCMP_EQUAL("A\tB", apply(option("compress_whitespace"), "A\t B").c_str());  // first of a run
  STRCMP_EQUAL("aAb c%zz%4", apply(option("url_decode"), "a%41b+c%zz%4").c_str());
  STRCMP_EQUAL("%", apply(option("url_decode"), "%25").c_str());
  STRCMP_EQUAL("%2", apply(option("url_decode"), "%2").c_str());
  STRCMP_EQUAL(std::string("\x60\x60\x62").c_str(), apply(option("xor", "0102", true), "abc").c_str());
  STRCMP_EQUAL("host: ABC\r\nuser-agent: X:Y\r\n",
               apply(option("header_lowercase"), "Host: ABC\r\nUser-Agent: X:Y\r\n").c_str());
  STRCMP_EQUAL("Host: a\r\nAccept: b",
               apply(option("strip_pseudo_headers"), ":method: GET\r\nHost: a\r\n:path: /\r\nAccept: b")
                   .c_str());
  STRCMP_EQUAL("", apply(option("strip_pseudo_headers"), ":path: /").c_str());
  STRCMP_EQUAL("900150983cd24fb0d6963f7d28e17f72", hex(apply(option("to_md5"), "abc")).c_str());
  STRCMP_EQUAL("a9993e364706816aba3e25717850c26c9cd0d89d", hex(apply(option("to_sha1"), "abc")).c_str());
  STRCMP_EQUAL("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
               hex(apply(option("to_sha256"), "abc")).c_str());
  STRCMP_EQUAL("d41d8cd98f00b204e9800998ecf8427e", hex(apply(option("to_md5"), "")).c_str());
}

TEST(PayloadTransforms, FromBase64) {
  STRCMP_EQUAL("hello", apply(option("from_base64"), "aGVsbG8=").c_str());
  STRCMP_EQUAL("hello", apply(option("from_base64"), "aGVsbG8").c_str());  // partial quantum kept
  STRCMP_EQUAL("hel", apply(option("from_base64"), "aGVs*bG8=").c_str());  // rfc4648 stops
  STRCMP_EQUAL("hello", apply(option("from_base64", "mode rfc2045"), "aGVs bG8=").c_str());
  STRCMP_EQUAL("hel", apply(option("from_base64", "mode rfc2045"), "aGVsbG8").c_str());
  // strict: an invalid byte decodes nothing, and Suricata then keeps the buffer
  STRCMP_EQUAL("aGV*sbG8=", apply(option("from_base64", "mode strict"), "aGV*sbG8=").c_str());
  STRCMP_EQUAL("hello", apply(option("from_base64", "offset 2"), "xxaGVsbG8=").c_str());
  STRCMP_EQUAL("hel", apply(option("from_base64", "bytes 4, offset 2"), "xxaGVsbG8=").c_str());
  STRCMP_EQUAL("xx", apply(option("from_base64", "offset 3"), "xx").c_str());  // past the end
  STRCMP_EQUAL("aGVs", apply(option("from_base64", "bytes 5"), "aGVs").c_str());
  // nothing decodable: the buffer stays
  STRCMP_EQUAL("***", apply(option("from_base64"), "***").c_str());
}

TEST(PayloadTransforms, ChainAndScratchReuse) {
  TransformScratch s;
  std::vector<Transform> ts = {make(option("strip_whitespace")), make(option("to_lowercase")),
                               make(option("dotprefix"))};
  STRCMP_EQUAL(".www.example.com", apply(ts, " WWW. Example .com", s).c_str());
  STRCMP_EQUAL(".abc", apply(ts, "A B C", s).c_str());
  // no transform: the input itself
  const std::string in = "same";
  auto out = apply_transforms({}, bytes(in), s);
  CHECK(out.data() == reinterpret_cast<const std::uint8_t*>(in.data()));
  LONGS_EQUAL(0, s.truncations);
}

TEST(PayloadTransforms, TruncatedToTheScratchSize) {
  TransformScratch s;
  const std::string big(kTransformBufferSize + 100, 'A');
  const std::string out = apply({make(option("to_lowercase"))}, big, s);
  LONGS_EQUAL(kTransformBufferSize, out.size());
  CHECK_EQUAL('a', out.back());
  LONGS_EQUAL(1, s.truncations);
  // dotprefix on a full-size buffer loses its last byte
  const std::string full(kTransformBufferSize, 'x');
  const std::string dotted = apply({make(option("dotprefix"))}, full, s);
  LONGS_EQUAL(kTransformBufferSize, dotted.size());
  CHECK_EQUAL('.', dotted.front());
  LONGS_EQUAL(2, s.truncations);
  // a hash of a large input is not truncated
  LONGS_EQUAL(32, apply({make(option("to_sha256"))}, big, s).size());
  LONGS_EQUAL(2, s.truncations);
  // through payload_match: the counter
  auto p = program("http.uri; to_lowercase; content:\"aaa\"; endswith;");
  PayloadScratch ps;
  CHECK_TRUE(payload_match(p.lists[0], bytes(big), ps));
  LONGS_EQUAL(1, ps.counters.get(PayloadCounter::transform_truncated));
}

TEST(PayloadTransforms, ParseErrors) {
  check_parse_error(option("xor", "012", true), "pairs of hex");
  check_parse_error(option("xor", "0g", true), "non-hex");
  check_parse_error(option("xor", "0102"), "quoted");
  check_parse_error(option("xor", "", true), "needs a quoted");
  check_parse_error(option("to_lowercase", "1"), "takes no value");
  check_parse_error(option("from_base64", "mode rfc1"), "unknown mode");
  check_parse_error(option("from_base64", "bytes 70000"), "0..65535");
  check_parse_error(option("from_base64", "offset x"), "0..65535");
  check_parse_error(option("from_base64", "bytes 1, bytes 2"), "twice");
  check_parse_error(option("from_base64", "sideways 1"), "unknown option");
  check_parse_error(option("pcrexform", "/(a)/", true), "not supported");
}

TEST(PayloadTransforms, InRules) {
  auto p = program("dns.query; dotprefix; content:\".example.com\"; endswith;");
  const PayloadMatchList& l = list_named(p, "dns.query+dotprefix");
  CHECK(l.buffer == *buffer_id("dns.query"));
  LONGS_EQUAL(1, l.transforms.size());
  PayloadScratch s;
  CHECK_TRUE(payload_match(l, bytes("www.example.com"), s));
  CHECK_TRUE(payload_match(l, bytes("example.com"), s));
  CHECK_FALSE(payload_match(l, bytes("badexample.com"), s));
  // the prefilter's spelling of a transform with a value
  auto x = program("http.header; xor:\"0d0a\"; content:\"a\";");
  list_named(x, "http.header+xor:\"0d0a\"");
  // contents before a transform stay in the untransformed buffer
  auto two = program("http.uri; content:\"A\"; to_lowercase; content:\"b\";");
  LONGS_EQUAL(2, two.lists.size());
  STRCMP_EQUAL("http.uri", two.lists[0].prefilter_name.c_str());
  STRCMP_EQUAL("http.uri+to_lowercase", two.lists[1].prefilter_name.c_str());
  // a hash compared with a content
  auto h = program(
      "http.user_agent; to_md5; content:\"|90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72|\";");
  CHECK_TRUE(payload_match(h.lists[0], bytes("abc"), s));
  CHECK_FALSE(payload_match(h.lists[0], bytes("abd"), s));
}

TEST(PayloadTransforms, RuleErrors) {
  auto err = [](const char* options) { return error_of(options); };
  CHECK_TRUE(err("to_lowercase; content:\"a\";").find("to_lowercase: a transform must follow") == 0);
  CHECK_TRUE(err("pkt_data; to_lowercase; content:\"a\";").find("to_lowercase:") == 0);
  CHECK_TRUE(err("http.uri; to_lowercase; content:\"ABC\";").find("content:") == 0);
  CHECK_TRUE(err("http.uri; strip_whitespace; content:\"a b\";").find("can never match") !=
             std::string::npos);
  CHECK_TRUE(err("http.uri; compress_whitespace; content:\"a  b\";").find("content:") == 0);
  CHECK_TRUE(err("http.uri; xor:\"zz\"; content:\"a\";").find("xor:") == 0);
  CHECK_TRUE(err("http.uri; from_base64:mode x; content:\"a\";").find("from_base64:") == 0);
  // nocase content after to_uppercase is fine when written in upper case
  CHECK_TRUE(compile("http.uri; to_uppercase; content:\"ABC\";").program.has_value());
}
