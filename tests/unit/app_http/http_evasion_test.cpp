// The lenient (libhtp / browser-like) reading of responses that HTTP evasions rely on: one
// test per rule, each rule also stated where it lives in dataplane/app/http/.
#include <CppUTest/TestHarness.h>

#include <lzma.h>

#include <string>

#include "http_test_util.h"

using namespace vigil;
using namespace vigil::app::http;
using namespace vigil::app::http::test;

namespace {

using F = HttpField;
constexpr FlowDirection C2S = FlowDirection::to_server;
constexpr FlowDirection S2C = FlowDirection::to_client;
const std::string kEicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

std::uint64_t count(const HttpShared& sh, HttpCounter c) { return sh.counters().get(c); }

// The response body and its response_line of a GET answered by `resp`, fed whole and byte by
// byte (both must agree), then closed.
struct Result {
  std::string body, line, header;
  bool complete = false;
  std::size_t txs = 0;
};
Result exchange(const std::string& resp, HttpConfig config = HttpConfig{}) {
  Result r[2];
  for (int pass = 0; pass < 2; ++pass) {
    HttpShared sh(config);
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.feed(S2C, resp, pass == 0 ? resp.size() : 1);
    f.close();
    r[pass].txs = f.rec.done.size();
    if (!f.rec.done.empty()) {
      r[pass].body = f.rec.done[0].body[1];
      r[pass].line = f.rec.done[0].rs(F::response_line);
      r[pass].header = f.rec.done[0].rs(F::header);
      r[pass].complete = f.rec.done[0].complete[1];
    }
  }
  CHECK(r[0].body == r[1].body);
  CHECK(r[0].line == r[1].line);
  CHECK(r[0].header == r[1].header);
  return r[0];
}

std::string chunked(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 5) {
    std::string part = s.substr(i, 5);
    out += std::to_string(part.size()) + "\r\n" + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

}  // namespace

TEST_GROUP(HttpEvasion){};

// Rule: in responses, a CR followed by anything but LF/CR ends a line (stray CR), not as a
// line's first byte; LF CR is one line end.
TEST(HttpEvasion, StrayCrEndsResponseLines) {
  Result r = exchange("HTTP/1.1 200 ok\rContent-Type: x\rTransfer-Encoding: chunked\r\n\r\n" +
                      chunked(kEicar));
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
  STRCMP_EQUAL("HTTP/1.1 200 ok", r.line.c_str());
  r = exchange("HTTP/1.1 200 ok\r\nContent-Length: 68\n\r\r\n" + kEicar);
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
  r = exchange("HTTP/1.1 200 ok\r\nContent-Encoding:\r gzip\r\nContent-Length: " +
               std::to_string(gzip(kEicar).size()) + "\r\n\r\n" + gzip(kEicar));
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
  // A lone CR as a line's first byte is not a line end: "\r\rX" is one line "\r\r" then X.
  r = exchange("HTTP/1.1 200 ok\r\nConnection: close\r\n\r\rTransfer-Encoding: chunked\r\n\r\n" +
               chunked(kEicar));
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
}

// Rule: a header line that is one SP/HT before a bare LF ends the block unless LF/CR follows.
TEST(HttpEvasion, WhitespaceLineEndsHeaders) {
  Result r = exchange("HTTP/1.1 200 ok\r\nContent-Length: 68\n \n" + kEicar);
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
  r = exchange("HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\n \n\n" + chunked(kEicar));
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
}

// Rule: junk before the status line is skipped when the next line starts with 'H' or the junk
// is at most 2 bytes; otherwise a response without status line is all body.
TEST(HttpEvasion, JunkBeforeStatusLine) {
  for (const char* junk : {" \r\n", " \t\r\n", "SIP/2.0 200 ok\r\n", " foobar\r\n", " \r", " \n"}) {
    Result r = exchange(std::string(junk) + "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        chunked(kEicar));
    STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
    STRCMP_EQUAL("HTTP/1.1 200 ok", r.line.c_str());
  }
  Result r = exchange("hello world\nmore");
  STRCMP_EQUAL("hello world\nmore", r.body.c_str());
  r = exchange("  http/1.0 200 ok\r\n\r\nbody");
  STRCMP_EQUAL("body", r.body.c_str());
}

// Rule: Transfer-Encoding is chunked when its value contains "chunked" (case, NULs ignored);
// header names match ignoring NULs and surrounding control bytes; NUL starts a continuation;
// an indented line with a colon after a header with one is a new header.
TEST(HttpEvasion, ObfuscatedTransferEncoding) {
  const std::string te_lines[] = {
      "Transfer-Encoding: chunkedx\r\n",      "Transfer-Encoding: x chunked\r\n",
      "Transfer-Encoding: x \r\n chunked\r\n", std::string("Transfer\0-encoding:chun\0ked\r\n", 30),
      "Transfer-Encoding\x0c:chunked\r\n",    "Transfer-Encoding:\xef\xbb\xbf" "chunked\r\n",
      std::string("Transfer-Encoding:\n\0chunked\r\n", 29), "Transfer-Encoding\r :chunked\r\n",
      "Connection: close\r\n Transfer-Encoding: chunked\r\n"};
  for (const std::string& te : te_lines) {
    Result r = exchange("HTTP/1.1 200 ok\r\n" + te + "X: y\r\n\r\n" + chunked(kEicar));
    STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
    CHECK(r.complete);
  }
}

// Rule: Content-Encoding tokens containing gzip / deflate count as such; each layer sniffs the
// real format (printable text = not encoded; gzip; zlib; raw deflate); a layer that cannot
// decode anything passes everything it got on raw.
TEST(HttpEvasion, LenientContentEncoding) {
  struct {
    std::string ce;
    std::string data;
  } cases[] = {
      {"Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n", gzip(kEicar)},
      {"Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n", kEicar},
      {"Content-Encoding: deflate, gzip\r\n", kEicar},
      {"Content-Encoding: gzip\r\nContent-Encoding: deflate\r\n", gzip(kEicar)},
      {"Content-Encoding: deflate\r\nContent-Encoding: gzip\r\n", compress(kEicar, -15)},
      {"Content-Encoding: gzip x\r\n", gzip(kEicar)},
      {"Content-Encoding: x gzip\r\n", gzip(kEicar)},
      {"Content-Encoding:: deflate\r\n", compress(kEicar, -15)},
      {std::string("Content-Encoding:gz\0ip\r\n", 24), gzip(kEicar)},
      {"Content-Encoding : deflate;\r\n", compress(kEicar, 15)},
      {"Content-Encoding:\x0bgzip\r\n", gzip(kEicar)},
      {"Content-Encoding: deflate,\r\n", kEicar},
      {"Content-Encoding: gzip\r\n", compress(kEicar, -15)},
  };
  HttpConfig config;
  config.decompress_layer_limit = 3;
  for (auto& c : cases) {
    Result r = exchange(response(c.ce, c.data), config);
    STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
  }
}

// Rule: the gzip member header is read leniently (reserved flags and FHCRC not checked), the
// trailer is not enforced (a wrong one is counted).
TEST(HttpEvasion, LenientGzipHeader) {
  for (std::uint8_t flags : {0x20, 0x40, 0x80, 0x02}) {
    std::string gz = gzip(kEicar);
    gz[3] = static_cast<char>(flags);
    if (flags == 0x02) gz.insert(10, std::string("\0\0", 2));
    Result r = exchange(response("Content-Encoding: gzip\r\n", gz));
    STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
  }
  // FEXTRA, FNAME and FCOMMENT skipped, split anywhere (exchange feeds byte by byte too).
  std::string gz = gzip(kEicar);
  gz[3] = 0x1c;
  gz.insert(10, std::string("\x03\x00" "abc" "name\0" "comment\0", 18));
  Result r = exchange(response("Content-Encoding: gzip\r\n", gz));
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
}

// Rule: clear text labelled gzip (here a request body) is exposed as sent.
TEST(HttpEvasion, ClearTextLabelledGzipRequest) {
  HttpShared sh(HttpConfig{});
  HttpFlow f(sh);
  const std::string body = "{\"sdk_version\":11026,\"app_package\":\"com.x\"}";
  f.req("POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
  f.close();
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL(body.c_str(), f.rec.done[0].body[0].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::decompress_not_encoded));
}

// Rule: a 101 announcing a body (Content-Length / Transfer-Encoding) is not a protocol switch.
TEST(HttpEvasion, SwitchingProtocolsWithBody) {
  HttpShared sh(HttpConfig{});
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.1 101 ok\r\nContent-Length: 68\r\n\r\n" + kEicar);
  CHECK_FALSE(http_stopped(*f.state));
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL(kEicar.c_str(), f.rec.done[0].body[1].c_str());
  CHECK_EQUAL(0u, count(sh, HttpCounter::switching_protocols));
}

// Rule: a header block cut by the flow end is complete at close: header rules see it.
TEST(HttpEvasion, HeadersCompletedAtClose) {
  HttpShared sh(HttpConfig{});
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.0 200 OK\nServer:ng1nx\r\n");
  CHECK_EQUAL(0u, f.rec.done.size());
  f.close();
  CHECK_EQUAL(1u, f.rec.done.size());
  CHECK(f.rec.done[0].headers[1]);
  STRCMP_EQUAL("Server: ng1nx\r\n", f.rec.done[0].rs(F::header).c_str());
}

// Rule: the LZMA dictionary size is clamped to what the memory limit allows.
TEST(HttpEvasion, LzmaLargeDictionary) {
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 6);  // 8 MiB dictionary announced
  lzma_stream ls = LZMA_STREAM_INIT;
  CHECK(lzma_alone_encoder(&ls, &opt) == LZMA_OK);
  std::string enc(4096, '\0');
  ls.next_in = reinterpret_cast<const std::uint8_t*>(kEicar.data());
  ls.avail_in = kEicar.size();
  ls.next_out = reinterpret_cast<std::uint8_t*>(enc.data());
  ls.avail_out = enc.size();
  CHECK(lzma_code(&ls, LZMA_FINISH) == LZMA_STREAM_END);
  enc.resize(enc.size() - ls.avail_out);
  lzma_end(&ls);
  HttpConfig config;
  config.lzma = true;
  Result r = exchange(response("Content-Encoding: lzma\r\n", enc), config);
  STRCMP_EQUAL(kEicar.c_str(), r.body.c_str());
}
