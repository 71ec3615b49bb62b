// HTTP/1.1 parser and writers: every split point, every malformed case, pipelining, round trips.
#include <CppUTest/TestHarness.h>

#include <string>
#include <string_view>
#include <vector>

#include "control/http/http_parser.h"
#include "control/http/http_writer.h"

using namespace vigil::http;

namespace {

struct Parsed {
  std::vector<HttpRequest> requests;
  std::vector<HttpResponse> responses;
  std::vector<bool> keep_alive;
  ParseStatus last = ParseStatus::need_more;
  std::string error;
};

// Feeds the pieces in order, taking every completed message; stops at the first error.
Parsed parse_pieces(MessageKind kind, const std::vector<std::string_view>& pieces,
                    ParserLimits limits = {}, bool eof = false) {
  MessageParser p(kind, limits);
  Parsed out;
  auto take = [&] {
    out.keep_alive.push_back(p.keep_alive());
    if (kind == MessageKind::request) out.requests.push_back(p.take_request());
    else out.responses.push_back(p.take_response());
  };
  for (std::string_view piece : pieces) {
    std::size_t off = 0;
    while (off < piece.size()) {
      std::size_t used = 0;
      ParseStatus s = p.feed(piece.substr(off), used);
      off += used;
      out.last = s;
      if (s == ParseStatus::done) {
        take();
        continue;
      }
      if (is_error(s)) {
        out.error = p.error_message();
        return out;
      }
      CHECK_EQUAL(piece.size(), off);  // need_more consumes everything
    }
  }
  if (eof) {
    out.last = p.finish();
    if (out.last == ParseStatus::done) take();
    else out.error = p.error_message();
  }
  return out;
}

Parsed parse_whole(MessageKind kind, std::string_view s, ParserLimits limits = {}, bool eof = false) {
  return parse_pieces(kind, {s}, limits, eof);
}

bool same_headers(const std::vector<HttpHeader>& a, const std::vector<HttpHeader>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  return true;
}

bool same(const Parsed& a, const Parsed& b) {
  if (a.last != b.last || a.requests.size() != b.requests.size() ||
      a.responses.size() != b.responses.size() || a.keep_alive != b.keep_alive)
    return false;
  for (std::size_t i = 0; i < a.requests.size(); ++i) {
    const HttpRequest &x = a.requests[i], &y = b.requests[i];
    if (x.method != y.method || x.target != y.target || x.body != y.body ||
        !same_headers(x.headers, y.headers))
      return false;
  }
  for (std::size_t i = 0; i < a.responses.size(); ++i) {
    const HttpResponse &x = a.responses[i], &y = b.responses[i];
    if (x.status != y.status || x.reason != y.reason || x.body != y.body ||
        !same_headers(x.headers, y.headers))
      return false;
  }
  return true;
}

// Every split point in two, and one byte at a time, must give what feeding it whole gives.
void check_every_split(MessageKind kind, std::string_view s, const Parsed& whole, bool eof = false) {
  for (std::size_t i = 0; i <= s.size(); ++i) {
    Parsed split = parse_pieces(kind, {s.substr(0, i), s.substr(i)}, {}, eof);
    if (!same(whole, split)) FAIL(("split at " + std::to_string(i) + " differs").c_str());
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  CHECK(same(whole, parse_pieces(kind, bytes, {}, eof)));
}

const std::string kPipelinedRequests =
    "\r\n"  // a stray empty line before the first request is skipped
    "POST /v1/events HTTP/1.1\r\n"
    "Host: provider.vigil.test\r\n"
    "Idempotency-Key: batch-1\r\n"
    "Content-Length: 15\r\n"
    "\r\n"
    "{\"a\":1}\n{\"b\":2}"
    "PUT /v1/flows/42.pcap HTTP/1.1\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=\"v;x\"\r\nhello\r\n"
    "A\r\n0123456789\r\n"
    "0\r\n"
    "X-Checksum: abc\r\n"
    "\r\n"
    "GET /v1/rules HTTP/1.1\r\n"
    "If-None-Match:   \"abc\"  \r\n"
    "Connection: close\r\n"
    "\r\n";

}  // namespace

TEST_GROUP(HttpParser){};

TEST(HttpParser, PipelinedRequestsWhole) {
  Parsed r = parse_whole(MessageKind::request, kPipelinedRequests);
  CHECK(r.last == ParseStatus::done);
  LONGS_EQUAL(3, r.requests.size());
  STRCMP_EQUAL("POST", r.requests[0].method.c_str());
  STRCMP_EQUAL("/v1/events", r.requests[0].target.c_str());
  STRCMP_EQUAL("batch-1", std::string(r.requests[0].header("idempotency-key")).c_str());
  STRCMP_EQUAL("{\"a\":1}\n{\"b\":2}", r.requests[0].body.c_str());
  STRCMP_EQUAL("PUT", r.requests[1].method.c_str());
  STRCMP_EQUAL("hello0123456789", r.requests[1].body.c_str());
  // Trailers are not merged into the headers.
  CHECK(r.requests[1].header("X-Checksum").empty());
  STRCMP_EQUAL("\"abc\"", std::string(r.requests[2].header("If-None-Match")).c_str());
  CHECK(r.keep_alive[0]);
  CHECK(r.keep_alive[1]);
  CHECK_FALSE(r.keep_alive[2]);
}

TEST(HttpParser, PipelinedRequestsEverySplit) {
  check_every_split(MessageKind::request, kPipelinedRequests,
                    parse_whole(MessageKind::request, kPipelinedRequests));
}

TEST(HttpParser, FeedStopsAtTheEndOfOneMessage) {
  MessageParser p(MessageKind::request);
  std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  std::size_t used = 0;
  CHECK(p.feed(two, used) == ParseStatus::done);
  LONGS_EQUAL(19, used);
  CHECK(p.done());
  std::size_t again = 99;
  CHECK(p.feed(std::string_view(two).substr(used), again) == ParseStatus::done);  // until taken
  LONGS_EQUAL(0, again);
  STRCMP_EQUAL("/a", p.take_request().target.c_str());
  CHECK(p.idle());
  CHECK(p.feed(std::string_view(two).substr(used), again) == ParseStatus::done);
  STRCMP_EQUAL("/b", p.take_request().target.c_str());
}

TEST(HttpParser, TrailersAreKeptApart) {
  MessageParser p(MessageKind::request);
  std::string s = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\nA: 1\r\nB: 2\r\n\r\n";
  std::size_t used = 0;
  CHECK(p.feed(s, used) == ParseStatus::done);
  LONGS_EQUAL(2, p.trailers().size());
  STRCMP_EQUAL("B", p.trailers()[1].name.c_str());
  HttpRequest r = p.take_request();
  STRCMP_EQUAL("z", r.body.c_str());
  CHECK(p.trailers().empty());
}

TEST(HttpParser, KeepAliveSemantics) {
  auto ka = [](std::string_view s) {
    Parsed r = parse_whole(MessageKind::request, s);
    CHECK(r.last == ParseStatus::done);
    return static_cast<bool>(r.keep_alive.at(0));
  };
  CHECK(ka("GET / HTTP/1.1\r\n\r\n"));
  CHECK_FALSE(ka("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
  CHECK_FALSE(ka("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n"));
  CHECK_FALSE(ka("GET / HTTP/1.0\r\n\r\n"));
  CHECK(ka("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  CHECK_FALSE(ka("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
}

TEST(HttpParser, ResponsesEverySplit) {
  const std::string s =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 ; ext\r\nabc\r\n0\r\nT: v\r\n\r\n"
      "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 100\r\n\r\n"
      "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"
      "HTTP/1.0 200 OK\r\n\r\nuntil close";
  Parsed whole = parse_whole(MessageKind::response, s, {}, /*eof=*/true);
  CHECK(whole.last == ParseStatus::done);
  LONGS_EQUAL(7, whole.responses.size());
  LONGS_EQUAL(100, whole.responses[0].status);
  STRCMP_EQUAL("hello", whole.responses[1].body.c_str());
  STRCMP_EQUAL("abc", whole.responses[2].body.c_str());
  LONGS_EQUAL(204, whole.responses[3].status);
  CHECK(whole.responses[3].body.empty());
  LONGS_EQUAL(304, whole.responses[4].status);
  LONGS_EQUAL(404, whole.responses[5].status);
  STRCMP_EQUAL("", whole.responses[5].reason.c_str());
  STRCMP_EQUAL("until close", whole.responses[6].body.c_str());
  CHECK_FALSE(whole.keep_alive[6]);
  check_every_split(MessageKind::response, s, whole, true);
}

TEST(HttpParser, HeadResponseHasNoBody) {
  MessageParser p(MessageKind::response);
  p.expect_response_to("HEAD");
  std::string s = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::size_t used = 0;
  CHECK(p.feed(s, used) == ParseStatus::done);
  HttpResponse head = p.take_response();
  STRCMP_EQUAL("50", std::string(head.header("content-length")).c_str());
  CHECK(head.body.empty());
  std::size_t used2 = 0;  // the expectation was for one response only
  CHECK(p.feed(std::string_view(s).substr(used), used2) == ParseStatus::done);
  STRCMP_EQUAL("ok", p.take_response().body.c_str());
}

TEST(HttpParser, EndOfStream) {
  MessageParser p(MessageKind::request);
  CHECK(p.finish() == ParseStatus::connection_closed);
  std::size_t used = 0;
  CHECK(p.feed(std::string_view("GET / HT"), used) == ParseStatus::need_more);
  CHECK_FALSE(p.idle());
  CHECK(p.finish() == ParseStatus::truncated);
  CHECK(is_error(p.status()));
  MessageParser q(MessageKind::request);
  CHECK(q.feed(std::string_view("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab"), used) ==
        ParseStatus::need_more);
  CHECK(q.finish() == ParseStatus::truncated);
}

TEST(HttpParser, MalformedRequests) {
  struct Case {
    const char* input;
    ParseStatus want;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", ParseStatus::bare_lf},
      {"GET / HTTP/1.1\r\nHost: a\n\r\n", ParseStatus::bare_lf},
      {"GET / HTTP/1.1\r\nHost: a\r\n\n", ParseStatus::bare_lf},
      {"GET /\r\n\r\n", ParseStatus::bad_request_line},
      {"GET  / HTTP/1.1\r\n\r\n", ParseStatus::bad_request_line},
      {"GET / HTTP/1.1 \r\n\r\n", ParseStatus::bad_request_line},
      {"G(T / HTTP/1.1\r\n\r\n", ParseStatus::bad_request_line},
      {"GET /a\x01 HTTP/1.1\r\n\r\n", ParseStatus::bad_request_line},
      {"GET / http/1.1\r\n\r\n", ParseStatus::bad_request_line},
      {"GET / HTTP/2.0\r\n\r\n", ParseStatus::unsupported_version},
      {"GET / HTTP/1.2\r\n\r\n", ParseStatus::unsupported_version},
      {"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", ParseStatus::obsolete_line_folding},
      {"GET / HTTP/1.1\r\nA : b\r\n\r\n", ParseStatus::bad_header_name},
      {"GET / HTTP/1.1\r\n: b\r\n\r\n", ParseStatus::bad_header_name},
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", ParseStatus::bad_header_name},
      {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", ParseStatus::bad_header_value},
      {"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", ParseStatus::bad_header_value},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ParseStatus::duplicate_host},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", ParseStatus::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", ParseStatus::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", ParseStatus::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", ParseStatus::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", ParseStatus::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", ParseStatus::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
       ParseStatus::multiple_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
       ParseStatus::multiple_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
       ParseStatus::body_too_large},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::content_length_with_transfer_encoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       ParseStatus::unsupported_transfer_encoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::unsupported_transfer_encoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n",
       ParseStatus::unsupported_transfer_encoding},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::transfer_encoding_in_http10},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", ParseStatus::bad_chunk_size},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", ParseStatus::bad_chunk_size},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", ParseStatus::bad_chunk_size},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", ParseStatus::bad_chunk_size},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\n", ParseStatus::bad_chunk_size},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\n", ParseStatus::bad_chunk_size},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\n", ParseStatus::bare_lf},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
       ParseStatus::chunk_size_overflow},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
       ParseStatus::body_too_large},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", ParseStatus::bad_chunk_terminator},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX", ParseStatus::bad_chunk_terminator},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
       ParseStatus::bad_header_name},
  };
  for (const Case& c : cases) {
    Parsed r = parse_whole(MessageKind::request, c.input);
    if (r.last != c.want)
      FAIL((std::string(c.input) + " -> " + std::string(to_string(r.last)) + ", want " +
            std::string(to_string(c.want))).c_str());
    CHECK_FALSE(r.error.empty());
    // Same verdict whichever way the bytes arrive.
    std::string_view s = c.input;
    for (std::size_t i = 0; i <= s.size(); ++i)
      CHECK(parse_pieces(MessageKind::request, {s.substr(0, i), s.substr(i)}).last == c.want);
  }
}

TEST(HttpParser, MalformedResponses) {
  struct Case {
    const char* input;
    ParseStatus want;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\n\r\n", ParseStatus::bare_lf},
      {"HTTP/1.1 20 OK\r\n\r\n", ParseStatus::bad_status_line},
      {"HTTP/1.1 2000 OK\r\n\r\n", ParseStatus::bad_status_line},
      {"HTTP/1.1 099 OK\r\n\r\n", ParseStatus::bad_status_line},
      {"HTTP/1.1 600 OK\r\n\r\n", ParseStatus::bad_status_line},
      {"HTTP/1.1  200 OK\r\n\r\n", ParseStatus::bad_status_line},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", ParseStatus::bad_status_line},
      {"ICY 200 OK\r\n\r\n", ParseStatus::bad_status_line},
      {"HTTP/3.0 200 OK\r\n\r\n", ParseStatus::unsupported_version},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
       ParseStatus::multiple_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::content_length_with_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n", ParseStatus::bad_content_length},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab", ParseStatus::bad_chunk_terminator},
  };
  for (const Case& c : cases) {
    Parsed r = parse_whole(MessageKind::response, c.input);
    if (r.last != c.want)
      FAIL((std::string(c.input) + " -> " + std::string(to_string(r.last))).c_str());
  }
}

TEST(HttpParser, ErrorsAreStickyUntilReset) {
  MessageParser p(MessageKind::request);
  std::size_t used = 0;
  CHECK(p.feed(std::string_view("GET / HTTP/1.1\n"), used) == ParseStatus::bare_lf);
  CHECK(p.feed(std::string_view("GET / HTTP/1.1\r\n\r\n"), used) == ParseStatus::bare_lf);
  LONGS_EQUAL(0, used);
  STRCMP_CONTAINS("LF without CR", p.error_message().c_str());
  p.reset();
  CHECK(p.feed(std::string_view("GET / HTTP/1.1\r\n\r\n"), used) == ParseStatus::done);
}

TEST(HttpParser, Limits) {
  ParserLimits lim;
  lim.max_start_line = 32;
  lim.max_header_bytes = 64;
  lim.max_headers = 3;
  lim.max_body = 10;
  lim.max_chunk_line = 16;
  auto st = [&](const std::string& s) { return parse_whole(MessageKind::request, s, lim).last; };
  // Start line: 32 bytes including CRLF fit, 33 do not, with or without its LF seen yet.
  CHECK(st("GET /" + std::string(16, 'a') + " HTTP/1.1\r\n\r\n") == ParseStatus::done);
  CHECK(st("GET /" + std::string(17, 'a') + " HTTP/1.1\r\n\r\n") == ParseStatus::start_line_too_long);
  CHECK(st("GET /" + std::string(40, 'a')) == ParseStatus::start_line_too_long);
  CHECK(st(std::string(40, 'A')) == ParseStatus::start_line_too_long);
  CHECK(st(std::string(100, '\r') ) == ParseStatus::start_line_too_long);
  std::string crlfs;
  for (int i = 0; i < 20; ++i) crlfs += "\r\n";
  CHECK(st(crlfs + "GET / HTTP/1.1\r\n\r\n") == ParseStatus::start_line_too_long);
  // Header block: 64 bytes including the final CRLF.
  CHECK(st("GET / HTTP/1.1\r\nA: " + std::string(57, 'x') + "\r\n\r\n") == ParseStatus::done);
  CHECK(st("GET / HTTP/1.1\r\nA: " + std::string(58, 'x') + "\r\n\r\n") ==
        ParseStatus::header_block_too_large);
  CHECK(st("GET / HTTP/1.1\r\nA: " + std::string(200, 'x')) == ParseStatus::header_block_too_large);
  CHECK(st("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n") == ParseStatus::done);
  CHECK(st("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n") == ParseStatus::too_many_headers);
  // Body.
  CHECK(st("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789") == ParseStatus::done);
  CHECK(st("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n") == ParseStatus::body_too_large);
  const std::string te = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(st(te + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n") == ParseStatus::done);
  CHECK(st(te + "5\r\n01234\r\n6\r\n") == ParseStatus::body_too_large);
  CHECK(st(te + "1;" + std::string(20, 'e') + "\r\n") == ParseStatus::chunk_line_too_long);
  CHECK(st(te + "0000000000000000000000000005\r\n") == ParseStatus::chunk_line_too_long);
  CHECK(st(te + "0\r\nA: " + std::string(200, 'x')) == ParseStatus::header_block_too_large);
  Parsed r = parse_whole(MessageKind::request, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", lim);
  STRCMP_CONTAINS("limit 10 bytes", r.error.c_str());
  // A close-delimited response body is bounded too.
  CHECK(parse_whole(MessageKind::response, "HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'b'), lim)
            .last == ParseStatus::body_too_large);
}

TEST(HttpParser, LeadingZerosInChunkSizeAreFine) {
  Parsed r = parse_whole(MessageKind::request,
                         "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n0003\r\nabc\r\n000\r\n\r\n");
  CHECK(r.last == ParseStatus::done);
  STRCMP_EQUAL("abc", r.requests.at(0).body.c_str());
}

TEST(HttpParser, StatusMapping) {
  LONGS_EQUAL(413, status_for(ParseStatus::body_too_large));
  LONGS_EQUAL(431, status_for(ParseStatus::too_many_headers));
  LONGS_EQUAL(431, status_for(ParseStatus::header_block_too_large));
  LONGS_EQUAL(414, status_for(ParseStatus::start_line_too_long));
  LONGS_EQUAL(501, status_for(ParseStatus::unsupported_transfer_encoding));
  LONGS_EQUAL(505, status_for(ParseStatus::unsupported_version));
  LONGS_EQUAL(400, status_for(ParseStatus::bare_lf));
  CHECK_FALSE(is_error(ParseStatus::connection_closed));
  CHECK(is_error(ParseStatus::truncated));
  STRCMP_EQUAL("multiple_content_length", std::string(to_string(ParseStatus::multiple_content_length)).c_str());
}

TEST(HttpParser, ReadMessageKeepsPipelinedBytes) {
  // The reader hands out the stream in 7-byte reads; both messages come out, in order.
  const std::string stream = "GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  std::size_t pos = 0;
  ReadFn read = [&](std::span<char> buf) -> long {
    std::size_t n = std::min<std::size_t>({7, buf.size(), stream.size() - pos});
    stream.copy(buf.data(), n, pos);
    pos += n;
    return static_cast<long>(n);
  };
  MessageParser p(MessageKind::request);
  std::string pending;
  CHECK(read_message(p, pending, read) == ParseStatus::done);
  STRCMP_EQUAL("/1", p.take_request().target.c_str());
  CHECK(read_message(p, pending, read) == ParseStatus::done);
  HttpRequest second = p.take_request();
  STRCMP_EQUAL("/2", second.target.c_str());
  STRCMP_EQUAL("abc", second.body.c_str());
  CHECK(read_message(p, pending, read) == ParseStatus::connection_closed);
  ReadFn broken = [](std::span<char>) -> long { return -1; };
  CHECK(read_message(p, pending, broken) == ParseStatus::read_failed);
}

TEST_GROUP(HttpWriter){};

TEST(HttpWriter, RequestRoundTrip) {
  HttpRequest req{"POST", "/v1/events", {{"Host", "provider"}, {"Idempotency-Key", "k:1"},
                                         {"Content-Length", "999"}}, "{\"x\":1}\n"};
  std::string wire;
  CHECK(write_request(req, wire));
  STRCMP_EQUAL(
      "POST /v1/events HTTP/1.1\r\nHost: provider\r\nIdempotency-Key: k:1\r\nContent-Length: 8\r\n\r\n"
      "{\"x\":1}\n",
      wire.c_str());
  HttpRequest get{"GET", "/v1/rules", {}, ""};
  CHECK(write_request(get, wire));
  Parsed r = parse_whole(MessageKind::request, wire);
  LONGS_EQUAL(2, r.requests.size());
  STRCMP_EQUAL(req.body.c_str(), r.requests[0].body.c_str());
  STRCMP_EQUAL("8", std::string(r.requests[0].header("content-length")).c_str());
  STRCMP_EQUAL("k:1", std::string(r.requests[0].header("Idempotency-Key")).c_str());
  STRCMP_EQUAL("/v1/rules", r.requests[1].target.c_str());
  CHECK(r.requests[1].header("content-length").empty());
  // An empty PUT still says Content-Length: 0.
  std::string put;
  CHECK(write_request(HttpRequest{"PUT", "/x", {}, ""}, put));
  STRCMP_CONTAINS("Content-Length: 0\r\n", put.c_str());
}

TEST(HttpWriter, ResponseRoundTrip) {
  std::string wire;
  CHECK(write_response(HttpResponse{200, "", {{"Content-Type", "application/json"}}, "{}"}, wire));
  CHECK(write_response(HttpResponse{304, "", {{"ETag", "\"a\""}}, ""}, wire));
  CHECK(write_response(HttpResponse{404, "Nope", {}, ""}, wire));
  Parsed r = parse_whole(MessageKind::response, wire);
  LONGS_EQUAL(3, r.responses.size());
  STRCMP_EQUAL("OK", r.responses[0].reason.c_str());
  STRCMP_EQUAL("{}", r.responses[0].body.c_str());
  CHECK(r.responses[1].header("content-length").empty());
  STRCMP_EQUAL("Nope", r.responses[2].reason.c_str());
  STRCMP_EQUAL("0", std::string(r.responses[2].header("Content-Length")).c_str());
  std::string head;
  CHECK(write_response(HttpResponse{200, "", {}, "12345"}, head, nullptr, true));
  STRCMP_EQUAL("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head.c_str());
}

TEST(HttpWriter, RefusesInjection) {
  std::string out = "kept";
  std::string error;
  CHECK_FALSE(write_request(HttpRequest{"GET", "/a b", {}, ""}, out, &error));
  CHECK_FALSE(write_request(HttpRequest{"GE T", "/", {}, ""}, out, &error));
  CHECK_FALSE(write_request(HttpRequest{"GET", "/", {{"A", "x\r\nEvil: 1"}}, ""}, out, &error));
  CHECK_FALSE(write_request(HttpRequest{"GET", "/", {{"A:", "x"}}, ""}, out, &error));
  CHECK_FALSE(write_request(HttpRequest{"GET", "/", {{"A", " padded"}}, ""}, out, &error));
  CHECK_FALSE(write_response(HttpResponse{200, "O\nK", {}, ""}, out, &error));
  CHECK_FALSE(write_response(HttpResponse{99, "", {}, ""}, out, &error));
  CHECK_FALSE(write_response(HttpResponse{204, "", {}, "body"}, out, &error));
  STRCMP_CONTAINS("cannot carry a body", error.c_str());
  STRCMP_EQUAL("kept", out.c_str());
}

TEST(HttpWriter, FindHeaderIsCaseInsensitiveAndFirstWins) {
  std::vector<HttpHeader> h{{"X-A", "1"}, {"x-a", "2"}};
  STRCMP_EQUAL("1", std::string(find_header(h, "X-a")).c_str());
  CHECK(find_header(h, "X-B").empty());
  CHECK(find_header(h, "X-").empty());
}
