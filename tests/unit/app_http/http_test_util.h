// Test helpers for the HTTP parser: a sink that records every transaction, compression helpers,
// and a flow driver that feeds the two directions in chosen chunks.
#pragma once

#include <zlib.h>

#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "dataplane/app/http/http_parser.h"

namespace vigil::app::http::test {

inline std::string str(std::span<const std::uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
inline std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct TxRec {
  std::uint64_t id = 0;
  bool req = false, resp = false;
  int status = 0;
  std::string f[2][kHttpFieldCount];  // every field at done, by direction
  std::string body[2];                // reassembled from the body windows
  std::uint64_t body_len[2]{};
  bool complete[2]{};
  bool headers[2]{};
  int body_calls[2]{};
  bool window_error = false;          // a window did not match what was given before
  std::size_t max_window = 0;

  const std::string& rq(HttpField x) const { return f[0][static_cast<int>(x)]; }
  const std::string& rs(HttpField x) const { return f[1][static_cast<int>(x)]; }
  bool operator==(const TxRec& o) const {
    for (int d = 0; d < 2; ++d)
      for (std::size_t i = 0; i < kHttpFieldCount; ++i)
        if (f[d][i] != o.f[d][i]) return false;
    return id == o.id && req == o.req && resp == o.resp && status == o.status &&
           body[0] == o.body[0] && body[1] == o.body[1] && body_len[0] == o.body_len[0] &&
           body_len[1] == o.body_len[1] && complete[0] == o.complete[0] &&
           complete[1] == o.complete[1] && !window_error && !o.window_error;
  }
};

class Recorder : public HttpSink {
 public:
  std::vector<TxRec> done;
  std::map<std::uint64_t, TxRec> open;
  std::vector<std::string> events;

  void on_http_progress(const HttpTx& tx, FlowDirection dir, HttpProgress p) override {
    TxRec& r = open[http_tx_id(tx)];
    r.id = http_tx_id(tx);
    int d = static_cast<int>(dir);
    events.push_back(std::to_string(r.id) + ":" + std::to_string(static_cast<int>(p)));
    if (p == HttpProgress::request_headers || p == HttpProgress::response_headers)
      r.headers[d] = true;
    if (p == HttpProgress::request_complete || p == HttpProgress::response_complete)
      r.complete[d] = true;
    if (p == HttpProgress::request_body || p == HttpProgress::response_body) {
      ++r.body_calls[d];
      HttpBodyView v = http_body(tx, dir);
      if (v.data.size() > r.max_window) r.max_window = v.data.size();
      std::string w = str(v.data);
      if (v.offset > r.body[d].size()) {
        r.window_error = true;
        return;
      }
      std::size_t old = r.body[d].size() - v.offset;  // bytes of the window already seen
      if (old > w.size() || old > kBodyTail || r.body[d].compare(v.offset, old, w, 0, old) != 0 ||
          w.size() == old)
        r.window_error = true;
      r.body[d] += w.substr(old < w.size() ? old : w.size());
      // Outside the other direction the body is empty.
      if (!http_body(tx, opposite(dir)).data.empty()) r.window_error = true;
    }
  }
  void on_http_tx_done(const HttpTx& tx) override {
    TxRec r = open[http_tx_id(tx)];
    open.erase(http_tx_id(tx));
    r.id = http_tx_id(tx);
    r.req = http_has_request(tx);
    r.resp = http_has_response(tx);
    r.status = http_status(tx);
    for (int d = 0; d < 2; ++d) {
      for (std::size_t i = 0; i < kHttpFieldCount; ++i)
        r.f[d][i] = str(http_field(tx, static_cast<FlowDirection>(d), static_cast<HttpField>(i)));
      r.body_len[d] = http_body_length(tx, static_cast<FlowDirection>(d));
    }
    done.push_back(r);
  }
};

// One flow's state in a 32 KiB slot, as the lead's glue holds it.
struct HttpFlow {
  explicit HttpFlow(HttpShared& sh) : shared(sh), slot(new (std::align_val_t(64)) std::uint8_t[kParserStateBytes]) {
    state = new (slot) HttpState{};
    http_init(*state);
  }
  ~HttpFlow() {
    if (!closed) http_close(*state, shared, rec);
    state->~HttpState();
    ::operator delete[](slot, std::align_val_t(64));
  }
  HttpFlow(const HttpFlow&) = delete;
  HttpFlow& operator=(const HttpFlow&) = delete;

  void req(const std::string& s) { http_parse(*state, shared, FlowDirection::to_server, bytes(s), rec); }
  void resp(const std::string& s) { http_parse(*state, shared, FlowDirection::to_client, bytes(s), rec); }
  void gap(FlowDirection d) { http_gap(*state, shared, d, rec); }
  void close() {
    http_close(*state, shared, rec);
    closed = true;
  }
  // Feeds `s` in pieces of `step` bytes (0: whole).
  void feed(FlowDirection d, const std::string& s, std::size_t step) {
    if (step == 0) step = s.size() ? s.size() : 1;
    for (std::size_t i = 0; i < s.size(); i += step)
      http_parse(*state, shared, d, bytes(s).subspan(i, std::min(step, s.size() - i)), rec);
  }
  void feed_split(FlowDirection d, const std::string& s, std::size_t at) {
    http_parse(*state, shared, d, bytes(s).subspan(0, at), rec);
    http_parse(*state, shared, d, bytes(s).subspan(at), rec);
  }

  HttpShared& shared;
  std::uint8_t* slot;
  HttpState* state;
  Recorder rec;
  bool closed = false;
};

// wbits: 15+16 gzip, 15 zlib, -15 raw deflate.
inline std::string compress(const std::string& in, int wbits, int level = 6) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}
inline std::string gzip(const std::string& in) { return compress(in, 15 + 16); }

inline std::string response(const std::string& headers, const std::string& body) {
  return "HTTP/1.1 200 OK\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace vigil::app::http::test
