// libFuzzer target for the HTTP/1.1 request and response parsers (control/http). The first byte
// picks the parser (request / response), whether the response answers a HEAD and whether the
// stream ends with a close; the rest is the byte stream. It is parsed whole, then again cut at
// every split point (inputs up to 2 KiB; sampled points above) and one byte at a time (up to
// 512 bytes): every way must give the same messages and the same final status. Each message is
// then written back with the writer and parsed again, which must give the same message.
// A contract violation traps, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/http/http_parser.h"
#include "control/http/http_writer.h"

namespace {

using namespace vigil::http;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

struct Mode {
  MessageKind kind;
  bool head;
  bool eof;
};

struct Result {
  std::vector<HttpRequest> requests;
  std::vector<HttpResponse> responses;
  std::vector<bool> keep_alive;
  ParseStatus last = ParseStatus::need_more;
};

ParserLimits small_limits() {
  // Small enough that the fuzzer reaches every limit.
  ParserLimits l;
  l.max_start_line = 256;
  l.max_header_bytes = 512;
  l.max_headers = 8;
  l.max_body = 4096;
  l.max_chunk_line = 64;
  return l;
}

Result run(const Mode& m, const std::vector<std::string_view>& pieces, ParserLimits limits) {
  MessageParser p(m.kind, limits);
  Result r;
  auto take = [&] {
    r.keep_alive.push_back(p.keep_alive());
    if (m.kind == MessageKind::request) {
      r.requests.push_back(p.take_request());
    } else {
      r.responses.push_back(p.take_response());
    }
    if (m.head) p.expect_response_to("HEAD");
    require(p.idle());
  };
  if (m.head) p.expect_response_to("HEAD");
  for (std::string_view piece : pieces) {
    std::size_t off = 0;
    while (off < piece.size()) {
      std::size_t used = 0;
      ParseStatus s = p.feed(piece.substr(off), used);
      require(used <= piece.size() - off);
      off += used;
      r.last = s;
      if (s == ParseStatus::done) {
        require(p.done());
        take();
        continue;
      }
      if (is_error(s)) {
        require(!p.error_message().empty());
        require(p.status() == s);
        return r;
      }
      require(s == ParseStatus::need_more && off == piece.size());
    }
  }
  if (m.eof) {
    r.last = p.finish();
    if (r.last == ParseStatus::done) take();
  }
  return r;
}

bool is_framing(std::string_view name) {
  auto lower = [](std::string_view s) {
    std::string o(s);
    for (char& c : o)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    return o;
  };
  std::string n = lower(name);
  return n == "content-length" || n == "transfer-encoding";
}

std::vector<HttpHeader> without_framing(const std::vector<HttpHeader>& h) {
  std::vector<HttpHeader> o;
  for (const HttpHeader& x : h)
    if (!is_framing(x.name)) o.push_back(x);
  return o;
}

bool same_headers(const std::vector<HttpHeader>& a, const std::vector<HttpHeader>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  return true;
}

bool same(const Result& a, const Result& b) {
  if (a.last != b.last || a.keep_alive != b.keep_alive || a.requests.size() != b.requests.size() ||
      a.responses.size() != b.responses.size())
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

void check_round_trip(const Mode& m, const Result& r) {
  ParserLimits roomy = small_limits();
  roomy.max_start_line *= 2;
  roomy.max_header_bytes *= 2;
  roomy.max_headers += 1;  // the writer's Content-Length
  for (const HttpRequest& req : r.requests) {
    std::string wire;
    require(write_request(req, wire));
    Result again = run(Mode{MessageKind::request, false, false}, {wire}, roomy);
    require(again.last == ParseStatus::done && again.requests.size() == 1);
    const HttpRequest& y = again.requests[0];
    require(y.method == req.method && y.target == req.target && y.body == req.body);
    require(same_headers(without_framing(y.headers), without_framing(req.headers)));
  }
  for (const HttpResponse& resp : r.responses) {
    std::string wire;
    if (!write_response(resp, wire)) {
      // Only a reason with outer whitespace (kept by the parser, refused by the writer).
      require(!resp.reason.empty() && (resp.reason.front() == ' ' || resp.reason.front() == '\t' ||
                                       resp.reason.back() == ' ' || resp.reason.back() == '\t'));
      continue;
    }
    Result again = run(Mode{MessageKind::response, false, false}, {wire}, roomy);
    require(again.last == ParseStatus::done && again.responses.size() == 1);
    const HttpResponse& y = again.responses[0];
    require(y.status == resp.status && y.body == resp.body);
    require(resp.reason.empty() ? y.reason == reason_phrase(resp.status) : y.reason == resp.reason);
    require(same_headers(without_framing(y.headers), without_framing(resp.headers)));
  }
  (void)m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Mode m{(data[0] & 1) ? MessageKind::response : MessageKind::request, (data[0] & 2) != 0,
               (data[0] & 4) != 0};
  const std::string_view s(reinterpret_cast<const char*>(data + 1), size - 1);
  const ParserLimits limits = small_limits();

  const Result whole = run(m, {s}, limits);
  const std::size_t step = s.size() <= 2048 ? 1 : s.size() / 64 + 1;
  for (std::size_t i = 0; i <= s.size(); i += step)
    require(same(whole, run(m, {s.substr(0, i), s.substr(i)}, limits)));
  if (s.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
    require(same(whole, run(m, bytes, limits)));
  }
  check_round_trip(m, whole);

  // The default limits as the provider uses them, whole only.
  run(m, {s}, ParserLimits{});
  return 0;
}
