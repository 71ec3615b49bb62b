#include <CppUTest/TestHarness.h>

#include <lzma.h>

#include <string>

#include "http_test_util.h"

using namespace vigil;
using namespace vigil::app::http;
using namespace vigil::app::http::test;

namespace {

constexpr FlowDirection C2S = FlowDirection::to_server, S2C = FlowDirection::to_client;
using F = HttpField;

HttpConfig cfg() { return HttpConfig{}; }

const std::string kGet =
    "GET /a/./b/../c%41?q=%41 HTTP/1.1\r\n"
    "Host: WWW.Example.com:8080\r\n"
    "User-Agent: test/1.0\r\n"
    "Cookie: k=v\r\n"
    "Accept: */*\r\n"
    "\r\n";
const std::string kOk =
    "HTTP/1.1 200 OK\r\n"
    "Server: vigil\r\n"
    "Set-Cookie: s=1\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

std::uint64_t count(HttpShared& sh, HttpCounter c) { return sh.counters().get(c); }

}  // namespace

TEST_GROUP(HttpParser){};

TEST(HttpParser, SimpleGet) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req(kGet);
  f.resp(kOk);
  CHECK_EQUAL(1u, f.rec.done.size());
  const TxRec& t = f.rec.done[0];
  CHECK_EQUAL(0u, t.id);
  CHECK(t.req && t.resp);
  CHECK_EQUAL(200, t.status);
  STRCMP_EQUAL("GET", t.rq(F::method).c_str());
  STRCMP_EQUAL("/a/./b/../c%41?q=%41", t.rq(F::uri_raw).c_str());
  STRCMP_EQUAL("/a/cA?q=A", t.rq(F::uri).c_str());
  STRCMP_EQUAL("HTTP/1.1", t.rq(F::protocol).c_str());
  STRCMP_EQUAL("GET /a/./b/../c%41?q=%41 HTTP/1.1", t.rq(F::request_line).c_str());
  STRCMP_EQUAL("www.example.com", t.rq(F::host).c_str());
  STRCMP_EQUAL("WWW.Example.com:8080", t.rq(F::host_raw).c_str());
  STRCMP_EQUAL("test/1.0", t.rq(F::user_agent).c_str());
  STRCMP_EQUAL("k=v", t.rq(F::cookie).c_str());
  STRCMP_EQUAL("*/*", t.rq(F::accept).c_str());
  STRCMP_EQUAL("Host: WWW.Example.com:8080\r\nUser-Agent: test/1.0\r\nAccept: */*\r\n",
               t.rq(F::header).c_str());
  STRCMP_EQUAL("\r\nHost\r\nUser-Agent\r\nCookie\r\nAccept\r\n\r\n", t.rq(F::header_names).c_str());
  STRCMP_EQUAL(
      "Host: WWW.Example.com:8080\r\nUser-Agent: test/1.0\r\nCookie: k=v\r\nAccept: */*\r\n",
      t.rq(F::header_raw).c_str());
  STRCMP_EQUAL(kGet.c_str(), t.rq(F::start).c_str());
  // Request-only fields are empty on the response side and the reverse.
  STRCMP_EQUAL("", t.rs(F::method).c_str());
  STRCMP_EQUAL("", t.rq(F::stat_code).c_str());
  STRCMP_EQUAL("200", t.rs(F::stat_code).c_str());
  STRCMP_EQUAL("OK", t.rs(F::stat_msg).c_str());
  STRCMP_EQUAL("HTTP/1.1 200 OK", t.rs(F::response_line).c_str());
  STRCMP_EQUAL("HTTP/1.1", t.rs(F::protocol).c_str());
  STRCMP_EQUAL("vigil", t.rs(F::server).c_str());
  STRCMP_EQUAL("s=1", t.rs(F::cookie).c_str());
  STRCMP_EQUAL("text/plain", t.rs(F::content_type).c_str());
  STRCMP_EQUAL("5", t.rs(F::content_len).c_str());
  STRCMP_EQUAL("Server: vigil\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n",
               t.rs(F::header).c_str());
  STRCMP_EQUAL("hello", t.body[1].c_str());
  CHECK_EQUAL(5u, t.body_len[1]);
  CHECK(t.complete[0] && t.complete[1]);
  CHECK(!t.window_error);
  CHECK_EQUAL(1u, count(sh, HttpCounter::requests));
  CHECK_EQUAL(1u, count(sh, HttpCounter::responses));
  CHECK_EQUAL(0u, count(sh, HttpCounter::lf_only_lines));
  CHECK_EQUAL(64u, sh.decoders_free());
}

TEST(HttpParser, PostWithBody) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
  f.resp("HTTP/1.1 204 No Content\r\n\r\n");
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL("hello world", f.rec.done[0].body[0].c_str());
  CHECK_EQUAL(204, f.rec.done[0].status);
  STRCMP_EQUAL("", f.rec.done[0].body[1].c_str());
}

TEST(HttpParser, PipelinedPairing) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
        "POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
  CHECK_EQUAL(0u, f.rec.done.size());
  f.resp(response("", "one") + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" +
         response("", "three"));
  CHECK_EQUAL(3u, f.rec.done.size());
  for (std::uint64_t i = 0; i < 3; ++i) CHECK_EQUAL(i, f.rec.done[i].id);
  STRCMP_EQUAL("/1", f.rec.done[0].rq(F::uri).c_str());
  STRCMP_EQUAL("one", f.rec.done[0].body[1].c_str());
  CHECK_EQUAL(404, f.rec.done[1].status);
  STRCMP_EQUAL("/2", f.rec.done[1].rq(F::uri).c_str());
  STRCMP_EQUAL("abc", f.rec.done[2].body[0].c_str());
  STRCMP_EQUAL("three", f.rec.done[2].body[1].c_str());
}

namespace {

// A conversation exercising most of the parser, for the split tests.
std::string split_requests() {
  return "\r\nGET /x/../y HTTP/1.1\r\nHost: a.example\r\nX-Long: one\r\n two\r\n\r\n"
         "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n"
         "get /lf HTTP/1.0\nHost: lf\n\n";
}
std::string split_responses() {
  std::string body(3000, 'z');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  return response("Content-Encoding: gzip\r\n", gzip(body)) +
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
         "HTTP/1.0 200 OK\nServer: x\n\nuntil close body";
}

std::vector<TxRec> run_split(std::size_t req_at, std::size_t resp_at, std::size_t step = 0) {
  HttpShared sh(cfg());
  std::vector<TxRec> out;
  {
    HttpFlow f(sh);
    std::string rq = split_requests(), rs = split_responses();
    if (step) {
      f.feed(C2S, rq, step);
      f.feed(S2C, rs, step);
    } else {
      f.feed_split(C2S, rq, req_at);
      f.feed_split(S2C, rs, resp_at);
    }
    f.close();
    out = f.rec.done;
  }
  CHECK_EQUAL(64u, sh.decoders_free());
  return out;
}

}  // namespace

TEST(HttpParser, SplitAtEveryByteGivesSameResult) {
  std::vector<TxRec> ref = run_split(0, 0);
  CHECK_EQUAL(3u, ref.size());
  STRCMP_EQUAL("/y", ref[0].rq(F::uri).c_str());
  STRCMP_EQUAL("X-Long: one two\r\n", ref[0].rq(F::header).substr(17).c_str());
  STRCMP_EQUAL("abc0123456789", ref[1].body[0].c_str());
  STRCMP_EQUAL("hello", ref[1].body[1].c_str());
  STRCMP_EQUAL("get", ref[2].rq(F::method).c_str());
  STRCMP_EQUAL("lf", ref[2].rq(F::host).c_str());
  STRCMP_EQUAL("until close body", ref[2].body[1].c_str());
  CHECK_EQUAL(3000u, ref[0].body[1].size());
  const std::size_t nreq = split_requests().size(), nresp = split_responses().size();
  for (std::size_t at = 0; at <= nreq; ++at) {
    std::vector<TxRec> got = run_split(at, 0);
    CHECK_EQUAL(ref.size(), got.size());
    for (std::size_t i = 0; i < ref.size(); ++i) CHECK(ref[i] == got[i]);
  }
  for (std::size_t at = 0; at <= nresp; ++at) {
    std::vector<TxRec> got = run_split(0, at);
    CHECK_EQUAL(ref.size(), got.size());
    for (std::size_t i = 0; i < ref.size(); ++i) CHECK(ref[i] == got[i]);
  }
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u}) {
    std::vector<TxRec> got = run_split(0, 0, step);
    CHECK_EQUAL(ref.size(), got.size());
    for (std::size_t i = 0; i < ref.size(); ++i) CHECK(ref[i] == got[i]);
  }
}

TEST(HttpParser, ChunkedExtensionsAndOddSizes) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "  0004 ; name=\"v\"\r\nabcd\r\n2\r\nef\n1;x\r\ng\r\n000\r\n\r\n");
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL("abcdefg", f.rec.done[0].body[1].c_str());
  CHECK_EQUAL(2u, count(sh, HttpCounter::chunk_extension));
}

TEST(HttpParser, ChunkSizeOverflowRequestStops) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n"
        "ffffffffffffffffff\r\nxyz");
  CHECK_EQUAL(1u, count(sh, HttpCounter::chunk_size_overflow));
  // The request direction is given up: later bytes are ignored.
  f.req("GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  f.close();
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL("ab", f.rec.done[0].body[0].c_str());
}

// Rule: a response chunk size that is not a size (no hex digit first, or above 0x7fffffff)
// means the body was not chunked after all: from there on it is identity until close.
TEST(HttpParser, ChunkSizeInvalidResponseFallsBackToIdentity) {
  {
    HttpShared sh(cfg());
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n"
           "ffffffffffffffffff\r\nxyz");
    CHECK_EQUAL(1u, count(sh, HttpCounter::chunk_size_overflow));
    f.close();
    CHECK_EQUAL(1u, f.rec.done.size());
    STRCMP_EQUAL("abffffffffffffffffff\r\nxyz", f.rec.done[0].body[1].c_str());
    CHECK(f.rec.done[0].complete[1]);
  }
  {
    HttpShared sh(cfg());
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n chunked\r\n\r\nX5O!P%@AP\r\nrest");
    CHECK_EQUAL(1u, count(sh, HttpCounter::chunk_size_invalid));
    f.close();
    CHECK_EQUAL(1u, f.rec.done.size());
    STRCMP_EQUAL("X5O!P%@AP\r\nrest", f.rec.done[0].body[1].c_str());
  }
}

TEST(HttpParser, ChunkSizeNegativeAndNonHex) {
  for (const char* bad : {"-5", "zz", ""}) {
    HttpShared sh(cfg());
    HttpFlow f(sh);
    f.req("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(bad) +
          "\r\nhello\r\n0\r\n\r\n");
    if (*bad) {
      CHECK_EQUAL(1u, count(sh, HttpCounter::chunk_size_invalid));
    }
    f.close();
    CHECK_EQUAL(1u, f.rec.done.size());
  }
}

// Rule: chunk-size lines are read as libhtp reads them: CR/LF/SP/HT/VT/FF before the digits
// skipped, anything after the digits up to the LF ignored; after chunk data, up to the LF.
TEST(HttpParser, ChunkSizeLenientLines) {
  const char* sizes[] = {"5x", "5 x", "5\r", "5\f", "\r5", "\v5", "\f5", "\r\n5", "0005"};
  for (const char* sz : sizes) {
    HttpShared sh(cfg());
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(sz) +
           "\r\nhello\r\n" + std::string(sz) + "\r\nworld junk\r\n0\r\n\r\n");
    CHECK_EQUAL(1u, f.rec.done.size());
    STRCMP_EQUAL("helloworld", f.rec.done[0].body[1].c_str());
    CHECK(f.rec.done[0].complete[1]);
    CHECK_EQUAL(0u, count(sh, HttpCounter::chunk_size_invalid));
  }
}

TEST(HttpParser, GzipDeflateVariants) {
  std::string body = "The quick brown fox jumps over the lazy dog. ";
  for (int i = 0; i < 4; ++i) body += body;
  struct {
    const char* coding;
    std::string data;
  } cases[] = {
      {"gzip", gzip(body)},
      {"x-gzip", gzip(body)},
      {"deflate", compress(body, 15)},
      {"deflate", compress(body, -15)},
      {"gzip", compress(body, -15)},   // mislabelled raw deflate: decoded anyway
      {"GZIP", compress(body, 15)},
  };
  for (auto& c : cases) {
    HttpShared sh(cfg());
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.feed(S2C, response("Content-Encoding: " + std::string(c.coding) + "\r\n", c.data), 3);
    CHECK_EQUAL(1u, f.rec.done.size());
    CHECK(body == f.rec.done[0].body[1]);
    CHECK_EQUAL(c.data.size(), f.rec.done[0].body_len[1]);  // EVE length: the body as sent
    CHECK_EQUAL(0u, count(sh, HttpCounter::gzip_errors));
  }
}

TEST(HttpParser, GzipBadTrailerTolerated) {
  std::string body(1000, 'q');
  std::string gz = gzip(body);
  gz[gz.size() - 5] ^= 0x55;  // CRC
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp(response("Content-Encoding: gzip\r\n", gz));
  CHECK(body == f.rec.done[0].body[1]);
  CHECK_EQUAL(1u, count(sh, HttpCounter::gzip_bad_trailer));
}

TEST(HttpParser, GzipLayersAndLimit) {
  std::string body = "layered content layered content layered content";
  std::string two = gzip(gzip(body)), three = gzip(gzip(gzip(body)));
  {
    HttpShared sh(cfg());
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.resp(response("Content-Encoding: gzip, gzip\r\n", two));
    CHECK(body == f.rec.done[0].body[1]);
    CHECK_EQUAL(0u, count(sh, HttpCounter::decompress_layer_limit));
  }
  {
    HttpShared sh(cfg());
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.resp(response("Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n"
                    "Content-Encoding: gzip\r\n",
                    three));
    CHECK_EQUAL(1u, count(sh, HttpCounter::decompress_layer_limit));
    CHECK(gzip(body) == f.rec.done[0].body[1]);  // two layers decoded, one left
  }
  {
    HttpConfig c = cfg();
    c.decompress_layer_limit = 3;
    HttpShared sh(c);
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.resp(response("Content-Encoding: gzip, gzip, gzip\r\n", three));
    CHECK(body == f.rec.done[0].body[1]);
  }
}

TEST(HttpParser, GzipBombStopsAtLimit) {
  std::string zeros(50 * 1024 * 1024, '\0');
  std::string bomb = compress(zeros, 15 + 16, 9);
  zeros.clear();
  zeros.shrink_to_fit();
  HttpConfig c = cfg();
  c.response_body_limit = 1 << 30;
  c.decompress_ratio_limit = 1 << 30;  // the output limit alone
  HttpShared sh(c);
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp(response("Content-Encoding: gzip\r\n", bomb));
  CHECK_EQUAL(1u, f.rec.done.size());
  CHECK_EQUAL(1u, count(sh, HttpCounter::decompress_bomb));
  CHECK_EQUAL(static_cast<std::size_t>(c.decompress_output_limit), f.rec.done[0].body[1].size());
  CHECK_EQUAL(bomb.size(), f.rec.done[0].body_len[1]);  // the length as sent
  CHECK(f.rec.done[0].max_window <= kBodyTail + HttpShared::kChunk);

  // The ratio limit stops it too, after 64 KiB of output (deflate itself tops out near 1032:1).
  HttpConfig c2 = cfg();
  c2.decompress_ratio_limit = 100;
  HttpShared sh2(c2);
  HttpFlow f2(sh2);
  f2.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f2.resp(response("Content-Encoding: gzip\r\n", bomb));
  CHECK_EQUAL(1u, count(sh2, HttpCounter::decompress_bomb));
  CHECK(f2.rec.done[0].body_len[1] < c.decompress_output_limit);
}

TEST(HttpParser, TruncatedGzipYieldsPrefix) {
  std::string body;
  for (int i = 0; i < 2000; ++i) body += std::to_string(i) + ",";
  std::string gz = gzip(body);
  std::string cut = gz.substr(0, gz.size() / 2);
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + cut);  // until close
  f.close();
  const std::string& got = f.rec.done[0].body[1];
  CHECK(got.size() > 1000);
  CHECK(body.compare(0, got.size(), got) == 0);
}

TEST(HttpParser, CorruptGzipContinuesRaw) {
  std::string body(5000, 'a');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7) % 26);
  std::string gz = gzip(body);
  std::string bad = gz.substr(0, gz.size() / 2) + std::string(64, '\xff') + "RAWTAIL";
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp(response("Content-Encoding: gzip\r\n", bad));
  CHECK_EQUAL(1u, count(sh, HttpCounter::gzip_errors));
  CHECK_EQUAL(1u, count(sh, HttpCounter::decompress_raw_fallback));
  const std::string& got = f.rec.done[0].body[1];
  CHECK(got.size() >= 7);
  STRCMP_EQUAL("RAWTAIL", got.substr(got.size() - 7).c_str());
}

TEST(HttpParser, HeaderFolding) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla\r\n  (folded)\r\n\tmore\r\n"
        "Accept: a\r\nAccept: b\r\n\r\n");
  f.resp("HTTP/1.1 304 Not Modified\r\n\r\n");
  const TxRec& t = f.rec.done[0];
  STRCMP_EQUAL("Mozilla (folded) more", t.rq(F::user_agent).c_str());
  STRCMP_EQUAL("a, b", t.rq(F::accept).c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::header_folding));
}

TEST(HttpParser, AbsoluteUri) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET http://Proxy.Example:3128/a//b?c HTTP/1.1\r\n\r\n");
  f.resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  const TxRec& t = f.rec.done[0];
  STRCMP_EQUAL("/a/b?c", t.rq(F::uri).c_str());
  STRCMP_EQUAL("http://Proxy.Example:3128/a//b?c", t.rq(F::uri_raw).c_str());
  STRCMP_EQUAL("proxy.example", t.rq(F::host).c_str());
  STRCMP_EQUAL("", t.rq(F::host_raw).c_str());
  CHECK_EQUAL(0u, count(sh, HttpCounter::missing_host));
  // A Host header wins over the URI's authority.
  HttpFlow g(sh);
  g.req("GET http://a.example/ HTTP/1.1\r\nHost: B.example\r\n\r\n");
  g.close();
  STRCMP_EQUAL("b.example", g.rec.done[0].rq(F::host).c_str());
}

TEST(HttpParser, MissingHostCounted) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.0\r\n\r\n");
  CHECK_EQUAL(1u, count(sh, HttpCounter::missing_host));
}

TEST(HttpParser, LfOnlyAndTolerantRequestLine) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("\n\r\n  \n");  // leading empty lines... and a whitespace line starts a message
  f.close();
  HttpShared sh2(cfg());
  HttpFlow g(sh2);
  g.req("\r\n\r\nget \t /x%20y   HTTP/1.1\nHost: h\nX: 1\n\n");
  g.resp("HTTP/1.1   200\nContent-Length: 2\n\nok");
  const TxRec& t = g.rec.done[0];
  STRCMP_EQUAL("get", t.rq(F::method).c_str());
  STRCMP_EQUAL("/x%20y", t.rq(F::uri_raw).c_str());
  STRCMP_EQUAL("/x y", t.rq(F::uri).c_str());
  STRCMP_EQUAL("HTTP/1.1", t.rq(F::protocol).c_str());
  STRCMP_EQUAL("Host: h\r\nX: 1\r\n", t.rq(F::header).c_str());
  STRCMP_EQUAL("Host: h\nX: 1\n", t.rq(F::header_raw).c_str());
  CHECK_EQUAL(200, t.status);
  STRCMP_EQUAL("", t.rs(F::stat_msg).c_str());
  STRCMP_EQUAL("ok", t.body[1].c_str());
  CHECK_EQUAL(2u, count(sh2, HttpCounter::lf_only_lines));
}

TEST(HttpParser, UriWithSpaces) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET /a b/c HTTP/1.1\r\nHost: h\r\n\r\n");
  f.close();
  STRCMP_EQUAL("/a b/c", f.rec.done[0].rq(F::uri_raw).c_str());
  STRCMP_EQUAL("HTTP/1.1", f.rec.done[0].rq(F::protocol).c_str());
}

TEST(HttpParser, Http09) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET /old\r\n");
  f.resp("<html>no status line</html>");
  f.close();
  CHECK_EQUAL(1u, f.rec.done.size());
  const TxRec& t = f.rec.done[0];
  STRCMP_EQUAL("/old", t.rq(F::uri).c_str());
  STRCMP_EQUAL("", t.rq(F::protocol).c_str());
  STRCMP_EQUAL("<html>no status line</html>", t.body[1].c_str());
  CHECK_EQUAL(0, t.status);
  CHECK_EQUAL(1u, count(sh, HttpCounter::http09_request));
  CHECK_EQUAL(1u, count(sh, HttpCounter::http09_response));
}

TEST(HttpParser, Upgrade101Stops) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
  f.resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
  CHECK(http_stopped(*f.state));
  CHECK_EQUAL(1u, f.rec.done.size());
  CHECK_EQUAL(101, f.rec.done[0].status);
  f.req("GET /not-http HTTP/1.1\r\n\r\n");
  f.close();
  CHECK_EQUAL(1u, f.rec.done.size());
  CHECK_EQUAL(1u, count(sh, HttpCounter::switching_protocols));
  CHECK(count(sh, HttpCounter::stopped_bytes) > 0);
}

TEST(HttpParser, ConnectStops) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n");
  f.resp("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01");
  CHECK(http_stopped(*f.state));
  CHECK_EQUAL(1u, count(sh, HttpCounter::connect_tunnel));
}

TEST(HttpParser, HugeHeaderBlock) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  std::string req = "POST /big HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 400; ++i) req += "X-Filler-" + std::to_string(i) + ": " + std::string(20, 'f') + "\r\n";
  req += "Content-Length: 4\r\n\r\nBODYGET /next HTTP/1.1\r\nHost: n\r\n\r\n";
  f.feed(C2S, req, 100);
  f.resp(response("", "1") + response("", "2"));
  CHECK_EQUAL(1u, count(sh, HttpCounter::header_too_long));
  CHECK_EQUAL(2u, f.rec.done.size());
  const TxRec& t = f.rec.done[0];
  STRCMP_EQUAL("BODY", t.body[0].c_str());  // the length beyond the stored block still counts
  CHECK(t.rq(F::start).size() <= kHttpRequestCap);
  CHECK(t.rq(F::header_raw).size() < kHttpRequestCap);
  STRCMP_EQUAL("h", t.rq(F::host).c_str());
  STRCMP_EQUAL("/next", f.rec.done[1].rq(F::uri).c_str());
  STRCMP_EQUAL("2", f.rec.done[1].body[1].c_str());
}

TEST(HttpParser, HugeResponseHeaders) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string r = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(20000, 'b') + "\r\nContent-Length: 3\r\n\r\nabc";
  f.feed(S2C, r, 1000);
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL("abc", f.rec.done[0].body[1].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::header_too_long));
}

TEST(HttpParser, ResponseWithoutRequest) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.resp(kOk);
  CHECK_EQUAL(1u, f.rec.done.size());
  CHECK(!f.rec.done[0].req);
  CHECK(f.rec.done[0].resp);
  CHECK_EQUAL(1u, count(sh, HttpCounter::unpaired_response));
  f.req(kGet);
  f.resp(kOk);
  CHECK_EQUAL(2u, f.rec.done.size());
  CHECK_EQUAL(1u, f.rec.done[1].id);
  CHECK(f.rec.done[1].req);
}

TEST(HttpParser, NoBodyResponses) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
         "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
         "HTTP/1.1 304 Not Modified\r\n\r\n"
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  CHECK_EQUAL(4u, f.rec.done.size());
  CHECK_EQUAL(200, f.rec.done[0].status);
  CHECK_EQUAL(204, f.rec.done[1].status);
  CHECK_EQUAL(304, f.rec.done[2].status);
  CHECK_EQUAL(200, f.rec.done[3].status);
  STRCMP_EQUAL("x", f.rec.done[3].body[1].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::interim_response));
}

TEST(HttpParser, BodyUntilCloseEndsAtClose) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.0\r\n\r\n");
  f.resp("HTTP/1.0 200 OK\r\n\r\npart one, ");
  f.resp("part two");
  CHECK_EQUAL(0u, f.rec.done.size());
  f.close();
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL("part one, part two", f.rec.done[0].body[1].c_str());
  CHECK(f.rec.done[0].complete[1]);
  CHECK_EQUAL(0u, count(sh, HttpCounter::body_truncated));
}

TEST(HttpParser, BodyLimits) {
  HttpConfig c = cfg();
  c.response_body_limit = 1000;
  c.request_body_limit = 10;
  HttpShared sh(c);
  HttpFlow f(sh);
  f.req("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\n01234567890123456789");
  std::string big(5000, 'x');
  f.feed(S2C, response("", big), 333);
  const TxRec& t = f.rec.done[0];
  STRCMP_EQUAL("0123456789", t.body[0].c_str());
  CHECK_EQUAL(20u, t.body_len[0]);
  CHECK_EQUAL(1000u, t.body[1].size());
  CHECK_EQUAL(5000u, t.body_len[1]);
  CHECK(!t.window_error);
  CHECK(t.max_window <= kBodyTail + 333);
  CHECK_EQUAL(2u, count(sh, HttpCounter::body_limit_reached));
}

TEST(HttpParser, BodyWindowsCarryTail) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string body(1000, 'x');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('0' + i % 10);
  f.feed(S2C, response("", body), 100);
  const TxRec& t = f.rec.done[0];
  CHECK(t.body[1] == body);
  CHECK(!t.window_error);
  CHECK(t.max_window > kBodyTail && t.max_window <= kBodyTail + 100);
  CHECK(t.body_calls[1] >= 10);
}

TEST(HttpParser, PipelineOverflow) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  std::string reqs;
  for (int i = 0; i < 7; ++i) reqs += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  f.req(reqs);
  // kHttpMaxTx - 1 requests are kept; one slot stays free for a response without request.
  CHECK_EQUAL(3u, count(sh, HttpCounter::pipeline_overflow));
  CHECK_EQUAL(3u, f.rec.done.size());  // the oldest, given up without response
  CHECK_EQUAL(0u, f.rec.done[0].id);
  CHECK(!f.rec.done[0].resp);
  for (int i = 0; i < 7; ++i) f.resp(response("", std::to_string(i)));
  CHECK_EQUAL(10u, f.rec.done.size());
  CHECK_EQUAL(3u, count(sh, HttpCounter::response_for_evicted_request));
  CHECK_EQUAL(0u, count(sh, HttpCounter::unpaired_response));
  // The responses of the kept requests still pair with them.
  bool paired = false;
  for (const TxRec& t : f.rec.done)
    if (t.rq(F::uri) == "/6") paired = t.body[1] == "6";
  CHECK(paired);
}

TEST(HttpParser, GapInBodyResyncs) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part");
  f.gap(S2C);
  f.resp("rest of the lost body\r\nmore junk\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK_EQUAL(2u, f.rec.done.size());
  CHECK_EQUAL(1u, count(sh, HttpCounter::body_truncated));
  STRCMP_EQUAL("first part", f.rec.done[0].body[1].c_str());
  STRCMP_EQUAL("ok", f.rec.done[1].body[1].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::gaps));
}

TEST(HttpParser, GapInHeadersDropsPartial) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET /lost HTTP/1.1\r\nHo");
  f.gap(C2S);
  f.req("st: x\r\n\r\nGET /found HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp(kOk);
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL("/found", f.rec.done[0].rq(F::uri).c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::headers_truncated));
}

TEST(HttpParser, ContentLengthEvasions) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"
         "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
         "2\r\nxy\r\n0\r\n\r\n");
  CHECK_EQUAL(2u, f.rec.done.size());
  STRCMP_EQUAL("abc", f.rec.done[0].body[1].c_str());
  STRCMP_EQUAL("3, 3", f.rec.done[0].rs(F::content_len).c_str());
  STRCMP_EQUAL("xy", f.rec.done[1].body[1].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::duplicate_content_length));
  CHECK_EQUAL(1u, count(sh, HttpCounter::content_length_and_chunked));
}

TEST(HttpParser, TransferEncodingTokens) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding : identity, Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  CHECK_EQUAL(1u, f.rec.done.size());
  STRCMP_EQUAL("abc", f.rec.done[0].body[1].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::header_name_whitespace));
}

TEST(HttpParser, DecodersExhausted) {
  HttpShared sh(cfg(), 1);
  HttpFlow f(sh);
  std::string body = "payload payload payload";
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp(response("Content-Encoding: gzip, gzip\r\n", gzip(gzip(body))));
  CHECK_EQUAL(1u, count(sh, HttpCounter::decoders_exhausted));
  CHECK(f.rec.done[0].body[1] == gzip(body));  // the outer layer only
  CHECK_EQUAL(1u, sh.decoders_free());
}

TEST(HttpParser, UnknownEncodingRaw) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  f.resp(response("Content-Encoding: br\r\n", "brotli?"));
  STRCMP_EQUAL("brotli?", f.rec.done[0].body[1].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::content_encoding_unknown));
}

TEST(HttpParser, CloseWithOpenTransactions) {
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
  f.close();
  CHECK_EQUAL(2u, f.rec.done.size());
  CHECK_EQUAL(0u, f.rec.done[0].id);
  CHECK_EQUAL(1u, f.rec.done[1].id);
  STRCMP_EQUAL("abc", f.rec.done[1].body[0].c_str());
  CHECK_EQUAL(1u, count(sh, HttpCounter::body_truncated));
}

TEST(HttpParser, Probe) {
  auto p = [](const std::string& s, FlowDirection d) { return http_probe(bytes(s), d); };
  CHECK(p("GET / HTTP/1.1\r\n", C2S) == Probe::yes);
  CHECK(p("\r\npost /x", C2S) == Probe::yes);
  CHECK(p("GE", C2S) == Probe::more);
  CHECK(p("", C2S) == Probe::more);
  CHECK(p("GETX /", C2S) == Probe::no);
  CHECK(p("\x16\x03\x01", C2S) == Probe::no);
  CHECK(p("HTTP/1.1 200 OK", S2C) == Probe::yes);
  CHECK(p("HTT", S2C) == Probe::more);
  CHECK(p("SSH-2.0", S2C) == Probe::no);
}

TEST(HttpParser, CounterNames) {
  STRCMP_EQUAL("http.requests", std::string(http_counter_name(HttpCounter::requests)).c_str());
  STRCMP_EQUAL("http.stopped_bytes",
               std::string(http_counter_name(HttpCounter::stopped_bytes)).c_str());
  STRCMP_EQUAL("http.uri", std::string(http_field_name(HttpField::uri)).c_str());
}

namespace {

std::string lzma_alone(const std::string& in) {
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 0);
  lzma_stream ls = LZMA_STREAM_INIT;
  if (lzma_alone_encoder(&ls, &opt) != LZMA_OK) return {};
  std::string out(in.size() + 1024, '\0');
  ls.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
  ls.avail_in = in.size();
  ls.next_out = reinterpret_cast<std::uint8_t*>(out.data());
  ls.avail_out = out.size();
  if (lzma_code(&ls, LZMA_FINISH) != LZMA_STREAM_END) return {};
  out.resize(ls.total_out);
  lzma_end(&ls);
  return out;
}

}  // namespace

TEST(HttpParser, LzmaWhenEnabled) {
  std::string body;
  for (int i = 0; i < 500; ++i) body += "lzma " + std::to_string(i);
  std::string enc = lzma_alone(body);
  CHECK(!enc.empty());
  {
    HttpConfig c = cfg();
    c.lzma = true;
    HttpShared sh(c);
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.feed(S2C, response("Content-Encoding: lzma\r\n", enc), 17);
    CHECK(body == f.rec.done[0].body[1]);
    CHECK_EQUAL(0u, count(sh, HttpCounter::lzma_errors));
  }
  {
    HttpShared sh(cfg());  // lzma off: the body stays as sent
    HttpFlow f(sh);
    f.req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.resp(response("Content-Encoding: lzma\r\n", enc));
    CHECK(enc == f.rec.done[0].body[1]);
    CHECK_EQUAL(1u, count(sh, HttpCounter::content_encoding_unknown));
  }
}

TEST(HttpParser, StateFitsSlotAndReinit) {
  CHECK(sizeof(HttpState) <= vigil::app::kParserStateBytes);
  HttpShared sh(cfg());
  HttpFlow f(sh);
  f.req(kGet);
  f.resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gzip("abc").substr(0, 5));
  CHECK(sh.decoders_free() < 64u);
  f.close();
  CHECK_EQUAL(64u, sh.decoders_free());
  // The slot can be reused for a new flow after http_init.
  http_init(*f.state);
  f.closed = false;
  f.req(kGet);
  f.resp(kOk);
  CHECK_EQUAL(2u, f.rec.done.size());
  CHECK_EQUAL(0u, f.rec.done[1].id);
}
