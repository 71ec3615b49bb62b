// Shared between the HTTP parser's own files; not part of the public API.
#pragma once

#include "dataplane/app/http/http_normalize.h"
#include "dataplane/app/http/http_parser.h"

namespace vigil::app::http {

// The arguments every step of one http_parse / http_gap / http_close call needs.
struct HttpCtx {
  HttpState& s;
  HttpShared& sh;
  HttpSink& sink;
  void count(HttpCounter c, std::uint64_t n = 1) { sh.counters().add(c, n); }
};

inline bool is_request(FlowDirection d) { return d == FlowDirection::to_server; }

// Calls the sink for `tx` (sets the transient pointers, bumps the lazy-buffer epoch).
void notify(HttpCtx& c, HttpTx& tx, FlowDirection dir, HttpProgress p);
void notify_done(HttpCtx& c, HttpTx& tx);

// Body decoding of the message being parsed in `dir`: set up the content-encoding layers from
// the message's headers, feed dechunked body bytes, release the decoders at the end.
void body_begin(HttpCtx& c, FlowDirection dir, HttpTx& tx);
void body_data(HttpCtx& c, FlowDirection dir, HttpTx& tx, Bytes data);
void body_end(HttpCtx& c, FlowDirection dir);

// The stored header lines of one side of a transaction.
inline Bytes msg_headers(const HttpTx& tx, FlowDirection dir) {
  const HttpMsg& m = tx.msg[dir_index(dir)];
  return Bytes(tx.arena + m.hdr_off, m.hdr_len);
}
// Calls fn(const HeaderItem&) for each header of that side; response blocks are split
// leniently (stray CR line ends, NUL folding), as they were read.
template <typename Fn>
void for_each_msg_header(const HttpTx& tx, FlowDirection dir, Fn&& fn) {
  for_each_header(msg_headers(tx, dir), fn, !is_request(dir));
}
inline Bytes msg_span(const HttpTx& tx, HttpSpan16 sp) { return Bytes(tx.arena + sp.off, sp.len); }

}  // namespace vigil::app::http
