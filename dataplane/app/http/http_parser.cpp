// The HTTP/1.x message state machine: start lines, header blocks, body framing (Content-Length,
// chunked, until close), transactions and their pairing, gaps, close.
#include "dataplane/app/http/http_parser.h"

#include <cstring>

#include "dataplane/app/http/http_internal.h"

namespace vigil::app::http {

namespace {

constexpr std::string_view kCounterNames[] = {VIGIL_HTTP_COUNTERS(VIGIL_COUNTER_NAME)};
constexpr std::uint8_t kNoSlot = 0xff;
constexpr std::size_t kResponseCheck = 5;   // "HTTP/" decides whether a response has a status line
constexpr std::size_t kRequestCheck = 12;   // "UNSUBSCRIBE " decides a request start after a gap

// HTTP/1.1, WebDAV, and UPnP's GENA / SSDP methods (devices speak them over TCP too).
const std::string_view kMethods[] = {"GET",   "POST",    "HEAD",    "PUT",      "DELETE",
                                     "OPTIONS", "TRACE", "CONNECT", "PATCH",    "PROPFIND",
                                     "PROPPATCH", "MKCOL", "COPY",  "MOVE",     "LOCK",
                                     "UNLOCK", "SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
                                     "M-SEARCH"};

// yes: `b` is a known method then SP/HT; more: `b` could still become one; no otherwise.
Probe method_probe(Bytes b) {
  bool more = false;
  for (std::string_view m : kMethods) {
    std::size_t n = b.size() < m.size() ? b.size() : m.size();
    if (!iequals(b.subspan(0, n), m.substr(0, n))) continue;
    if (b.size() <= m.size()) {
      more = true;
      continue;
    }
    if (is_ws(b[m.size()])) return Probe::yes;
  }
  return more ? Probe::more : Probe::no;
}

Probe response_probe(Bytes b) {
  std::size_t n = b.size() < 5 ? b.size() : 5;
  if (!iequals(b.subspan(0, n), std::string_view("HTTP/").substr(0, n))) return Probe::no;
  return n < 5 ? Probe::more : Probe::yes;
}

HttpTx* dir_tx(HttpCtx& c, FlowDirection d) {
  std::uint8_t slot = c.s.dir[dir_index(d)].slot;
  return slot < kHttpMaxTx ? &c.s.tx[slot] : nullptr;
}

bool tx_active(const HttpState& s, std::size_t slot) {
  return s.dir[0].slot == slot || s.dir[1].slot == slot;
}

void reset_line(HttpDirState& ds) {
  ds.line_len = 0;
  ds.last_cr = false;
  ds.lbuf_len = 0;
  ds.start_checked = false;
}

// Line-reading state that must not leak from one message part into the next.
void reset_reader(HttpDirState& ds) {
  reset_line(ds);
  ds.lf_cr = ds.ws_pending = ds.peek_start = ds.not_status = false;
  ds.cs = 0;
}

void finish_tx(HttpCtx& c, std::size_t slot) {
  HttpTx& tx = c.s.tx[slot];
  if (!tx.in_use) return;
  if (tx.msg[0].present || tx.msg[1].present) notify_done(c, tx);
  tx.in_use = false;
}

void maybe_done(HttpCtx& c, std::size_t slot) {
  if (slot >= kHttpMaxTx || tx_active(c.s, slot)) return;
  const HttpTx& tx = c.s.tx[slot];
  if (!tx.in_use || !tx.msg[1].complete) return;
  if (tx.msg[0].present && !tx.msg[0].complete) return;
  finish_tx(c, slot);
}

// A free transaction slot; the oldest idle transaction is given up when none is free.
// A request may not take the last free slot: it is kept for a response that has no request
// (unpaired, or one whose request was given up), so responses never push requests out.
int alloc_tx(HttpCtx& c, bool for_request) {
  int slot = -1;
  std::size_t used = 0;
  for (std::size_t i = 0; i < kHttpMaxTx; ++i) {
    if (c.s.tx[i].in_use)
      ++used;
    else if (slot < 0)
      slot = static_cast<int>(i);
  }
  if (for_request && used + 1 >= kHttpMaxTx) slot = -1;
  if (slot < 0) {
    for (std::size_t i = 0; i < kHttpMaxTx; ++i) {
      if (!c.s.tx[i].in_use || tx_active(c.s, i)) continue;
      if (slot < 0 || c.s.tx[i].id < c.s.tx[static_cast<std::size_t>(slot)].id)
        slot = static_cast<int>(i);
    }
    if (slot < 0) return -1;
    HttpTx& old = c.s.tx[static_cast<std::size_t>(slot)];
    c.count(HttpCounter::pipeline_overflow);
    if (old.msg[0].present && !old.msg[1].present) ++c.s.lost_requests;
    finish_tx(c, static_cast<std::size_t>(slot));
  }
  HttpTx& tx = c.s.tx[static_cast<std::size_t>(slot)];
  tx.id = c.s.next_tx_id++;
  tx.msg[0] = HttpMsg{};
  tx.msg[1] = HttpMsg{};
  tx.status = 0;
  tx.in_use = true;
  tx.is_head = tx.is_connect = tx.http09 = false;
  tx.shared = nullptr;
  tx.body_ptr = nullptr;
  tx.body_size = 0;
  return slot;
}

// Appends raw message bytes to the side's room; what does not fit is dropped and counted.
void store(HttpCtx& c, HttpTx& tx, HttpMsg& m, Bytes b) {
  std::size_t room = m.cap > m.len ? m.cap - m.len : 0;
  std::size_t n = b.size() < room ? b.size() : room;
  if (n) std::memcpy(tx.arena + m.base + m.len, b.data(), n);
  m.len = static_cast<std::uint16_t>(m.len + n);
  if (n < b.size() && !m.overflow) {
    m.overflow = true;
    c.count(HttpCounter::header_too_long);
  }
}

// Takes bytes of the current line, up to and including its LF, at most `max`. The first
// kHttpLineBuf bytes of the line also go to lbuf. Returns the bytes taken; `done` when LF came.
std::size_t take_line(HttpCtx& c, HttpDirState& ds, Bytes data, std::size_t max, bool& done,
                      HttpTx* tx, HttpMsg* m) {
  std::size_t limit = data.size() < max ? data.size() : max;
  const void* lf = limit ? std::memchr(data.data(), '\n', limit) : nullptr;
  std::size_t n = lf ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - data.data()) + 1
                     : limit;
  std::size_t content = lf ? n - 1 : n;
  if (ds.lbuf_len < kHttpLineBuf && content) {
    std::size_t k = kHttpLineBuf - ds.lbuf_len;
    if (k > content) k = content;
    std::memcpy(ds.lbuf + ds.lbuf_len, data.data(), k);
    ds.lbuf_len = static_cast<std::uint8_t>(ds.lbuf_len + k);
  }
  if (content) ds.last_cr = data[content - 1] == '\r';
  ds.line_len = content > 0xffffffffu - ds.line_len ? 0xffffffffu : ds.line_len + static_cast<std::uint32_t>(content);
  if (tx && m) store(c, *tx, *m, data.subspan(0, n));
  done = lf != nullptr;
  if (done && !ds.last_cr && !ds.counted_lf_only && ds.line_len > 0) {
    ds.counted_lf_only = true;
    c.count(HttpCounter::lf_only_lines);
  }
  return n;
}

// take_line for response start lines and header blocks, which are read leniently (libhtp,
// browsers): a CR followed by anything but LF or CR ends the line too (a stray CR; not as the
// line's first byte), and a CR right after a bare LF belongs to that line end. Whether a CR is
// stray is known only at the next byte, which is not taken: `done` may come with 0 bytes taken.
// Same splitting as header_line_end, which re-reads the stored block.
std::size_t take_line_lenient(HttpCtx& c, HttpDirState& ds, Bytes data, std::size_t max,
                              bool& done, HttpTx* tx, HttpMsg* m) {
  done = false;
  const std::size_t limit = data.size() < max ? data.size() : max;
  std::size_t i = 0;
  if (ds.lf_cr && limit > 0) {
    ds.lf_cr = false;
    if (ds.line_len == 0 && data[0] == '\r') i = 1;
  }
  const std::size_t skip = i;
  std::uint32_t len = ds.line_len;
  bool cr = ds.last_cr;
  bool stray = false;
  while (i < limit) {
    const std::uint8_t ch = data[i];
    if (cr && len > 1 && ch != '\n' && ch != '\r') {
      stray = true;
      break;
    }
    if (ch == '\n') {
      ++i;
      done = true;
      break;
    }
    cr = ch == '\r';
    if (len < 0xffffffffu) ++len;
    ++i;
  }
  const std::size_t content_end = done ? i - 1 : i;
  const std::size_t content = content_end - skip;
  if (ds.lbuf_len < kHttpLineBuf && content) {
    std::size_t k = kHttpLineBuf - ds.lbuf_len;
    if (k > content) k = content;
    std::memcpy(ds.lbuf + ds.lbuf_len, data.data() + skip, k);
    ds.lbuf_len = static_cast<std::uint8_t>(ds.lbuf_len + k);
  }
  ds.line_len = len;
  ds.last_cr = cr;
  if (tx && m && i) store(c, *tx, *m, data.subspan(0, i));
  if (done) {
    ++ds.steps;
    if (!cr) {
      ds.lf_cr = true;
      if (!ds.counted_lf_only && len > 0) {
        ds.counted_lf_only = true;
        c.count(HttpCounter::lf_only_lines);
      }
    }
  }
  done |= stray;
  if (stray) ++ds.steps;
  return i;
}

bool line_empty(const HttpDirState& ds) {
  return ds.line_len == 0 || (ds.line_len == 1 && ds.last_cr);
}

// The current line as kept in lbuf (its first kHttpLineBuf bytes), without a trailing CR.
Bytes lbuf_line(const HttpDirState& ds) {
  std::size_t n = ds.lbuf_len;
  if (n == ds.line_len && n > 0 && ds.lbuf[n - 1] == '\r') --n;
  return Bytes(ds.lbuf, n);
}

// Splits `line` at SP/HT runs: the first token and the rest (trimmed).
void split_first(Bytes line, Bytes& first, Bytes& rest) {
  std::size_t i = 0;
  while (i < line.size() && !is_ws(line[i])) ++i;
  first = line.subspan(0, i);
  rest = trim(line.subspan(i));
}

HttpSpan16 span_in(const HttpTx& tx, Bytes b) {
  HttpSpan16 sp;
  if (b.empty()) return sp;
  sp.off = static_cast<std::uint16_t>(b.data() - tx.arena);
  sp.len = static_cast<std::uint16_t>(b.size());
  return sp;
}

// The stored start line of `m` without its line end.
Bytes stored_start_line(const HttpTx& tx, const HttpMsg& m) {
  std::size_t n = m.len;
  if (n && tx.arena[m.base + n - 1] == '\n') --n;
  if (n && tx.arena[m.base + n - 1] == '\r') --n;
  return trim(Bytes(tx.arena + m.base, n));
}

bool is_token(Bytes b) {
  if (b.empty()) return false;
  for (std::uint8_t ch : b)
    if (ch <= 32 || ch >= 127 || std::strchr("()<>@,;:\\\"/[]?={}", ch)) return false;
  return true;
}

// Request line: method, target, protocol; tolerant of extra whitespace and of a target with
// spaces (the protocol is the last token when it starts with "HTTP"); no protocol = HTTP/0.9.
void parse_request_line(HttpCtx& c, HttpTx& tx) {
  HttpMsg& m = tx.msg[0];
  Bytes line = stored_start_line(tx, m);
  m.line = span_in(tx, line);
  Bytes method, rest;
  split_first(line, method, rest);
  Bytes uri = rest, proto;
  std::size_t k = rest.size();
  while (k > 0 && !is_ws(rest[k - 1])) --k;
  Bytes last = rest.subspan(k);
  if (k > 0 && istarts_with(last, "HTTP")) {
    proto = last;
    uri = trim(rest.subspan(0, k));
  }
  m.part[0] = span_in(tx, method);
  m.part[1] = span_in(tx, uri);
  m.part[2] = span_in(tx, proto);
  if (!is_token(method) || uri.empty()) c.count(HttpCounter::invalid_request_line);
  tx.is_head = iequals(method, "HEAD");
  tx.is_connect = iequals(method, "CONNECT");
  tx.http09 = proto.empty();
}

void parse_status_line(HttpCtx& c, HttpTx& tx) {
  HttpMsg& m = tx.msg[1];
  Bytes line = stored_start_line(tx, m);
  m.line = span_in(tx, line);
  Bytes proto, rest, code, msg;
  split_first(line, proto, rest);
  split_first(rest, code, msg);
  m.part[0] = span_in(tx, proto);
  m.part[1] = span_in(tx, code);
  m.part[2] = span_in(tx, msg);
  unsigned v = 0;
  std::size_t digits = 0;
  while (digits < code.size() && digits < 3 && code[digits] >= '0' && code[digits] <= '9')
    v = v * 10 + (code[digits++] - '0');
  if (digits != 3 || code.size() != 3) {
    c.count(HttpCounter::invalid_response_line);
    if (digits != 3) v = 0;
  }
  tx.status = static_cast<std::uint16_t>(v);
}

// Content-Length value(s): "5", " 5 ", "5, 5". Returns false when not a number.
bool parse_cl(Bytes value, std::uint64_t& out, bool& dup, bool& differ) {
  bool any = false;
  std::size_t i = 0;
  while (i <= value.size()) {
    std::size_t e = i;
    while (e < value.size() && value[e] != ',') ++e;
    Bytes tok = trim(value.subspan(i, e - i));
    i = e + 1;
    if (tok.empty()) continue;
    std::uint64_t v = 0;
    for (std::uint8_t ch : tok) {
      if (ch < '0' || ch > '9') return false;
      if (v > (std::uint64_t{1} << 58)) return false;
      v = v * 10 + (ch - '0');
    }
    if (any) {
      dup = true;
      if (v != out) differ = true;
    } else {
      out = v;
    }
    any = true;
  }
  return any;
}

// Transfer-Encoding means chunked when its value contains "chunked" anywhere (case and NUL
// bytes ignored: "chunkedx", "x chunked", "chun\0ked"), as libhtp decides; a body that then
// turns out not to be chunked falls back to identity (see parse_chunk_size).
bool te_chunked(Bytes value) { return contains_token(value, "chunked"); }

struct Framing {
  bool te = false, chunked = false, has_cl = false, cl_bad = false, dup = false, differ = false;
  bool host = false;
  std::uint64_t cl = 0;
};

void note_framing(Bytes name, Bytes value, Framing& f) {
  if (header_name_is(name, "content-length")) {
    std::uint64_t v = 0;
    bool dup = false, differ = false;
    if (!parse_cl(value, v, dup, differ)) {
      f.cl_bad = true;
      return;
    }
    if (f.has_cl) {
      f.dup = true;
      if (v != f.cl) f.differ = true;
    } else {
      f.cl = v;
    }
    f.has_cl = true;
    f.dup |= dup;
    f.differ |= differ;
  } else if (header_name_is(name, "transfer-encoding")) {
    f.te = true;
    f.chunked |= te_chunked(value);
  } else if (header_name_is(name, "host")) {
    f.host = true;
  }
}

// A header line beyond the stored block (from lbuf): only framing is kept.
void note_overflow_line(HttpDirState& ds) {
  Bytes line = lbuf_line(ds);
  std::size_t colon = 0;
  while (colon < line.size() && line[colon] != ':') ++colon;
  if (colon >= line.size() || ds.lbuf_len < ds.line_len) return;  // no colon, or cut
  Framing f;
  note_framing(trim(line.subspan(0, colon)), line.subspan(colon + 1), f);
  ds.x_chunked |= f.chunked;
  if (f.has_cl) {
    ds.x_has_cl = true;
    ds.x_cl = f.cl;
  }
  ds.x_cl_bad |= f.cl_bad;
}

void end_message(HttpCtx& c, FlowDirection dir, bool truncated);

// Stops parsing the whole flow (upgrade / tunnel): the rest is not HTTP.
void stop_flow(HttpCtx& c, HttpCounter why) {
  c.count(why);
  c.s.stopped = true;
}

void start_body(HttpCtx& c, FlowDirection dir, HttpTx& tx, HttpPhase phase, std::uint64_t len) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  body_begin(c, dir, tx);
  ds.phase = phase;
  ds.remaining = len;
  reset_reader(ds);
}

void headers_done(HttpCtx& c, FlowDirection dir) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  HttpTx& tx = *dir_tx(c, dir);
  HttpMsg& m = tx.msg[dir_index(dir)];
  m.headers_done = true;
  Framing f;
  for_each_msg_header(tx, dir, [&](const HeaderItem& h) {
    if (!h.has_colon) {
      c.count(HttpCounter::invalid_header);
      return;
    }
    if (h.name_ws) c.count(HttpCounter::header_name_whitespace);
    if (h.folded) c.count(HttpCounter::header_folding);
    note_framing(h.name, h.value, f);
  });
  if (ds.x_has_cl) {
    if (f.has_cl && f.cl != ds.x_cl) f.differ = true;
    if (!f.has_cl) f.cl = ds.x_cl;
    f.dup |= f.has_cl;
    f.has_cl = true;
  }
  f.chunked |= ds.x_chunked;
  f.cl_bad |= ds.x_cl_bad;
  if (f.dup) c.count(HttpCounter::duplicate_content_length);
  if (f.cl_bad || f.differ) c.count(HttpCounter::content_length_invalid);
  if (f.chunked && f.has_cl) c.count(HttpCounter::content_length_and_chunked);
  if (f.te && !f.chunked) c.count(HttpCounter::transfer_encoding_unknown);
  // Chunked wins over Content-Length; of differing lengths the first is used, as libhtp does.
  const bool use_cl = f.has_cl && !f.chunked;

  if (is_request(dir)) {
    if (!f.host) {
      Bytes auth = uri_authority(msg_span(tx, m.part[1]));
      if (!auth.empty())
        m.host_from_uri = true;
      else if (iequals(msg_span(tx, m.part[2]), "HTTP/1.1"))
        c.count(HttpCounter::missing_host);
    }
    notify(c, tx, dir, HttpProgress::request_headers);
    if (f.chunked) {
      start_body(c, dir, tx, HttpPhase::chunk_size, 0);
    } else if (use_cl && f.cl > 0) {
      start_body(c, dir, tx, HttpPhase::body_length, f.cl);
    } else {
      end_message(c, dir, false);
    }
    return;
  }

  const int st = tx.status;
  if (st >= 100 && st < 200 && st != 101) {
    // 100 Continue and friends: the real response follows for the same request.
    c.count(HttpCounter::interim_response);
    std::uint16_t base = m.base, cap = m.cap;
    m = HttpMsg{};
    m.base = base;
    m.cap = cap;
    ds.phase = HttpPhase::idle;
    reset_line(ds);
    return;
  }
  notify(c, tx, dir, HttpProgress::response_headers);
  // A 101 that announces a body (Content-Length / Transfer-Encoding) is not taken as a switch
  // of protocols: its body is parsed like any other (libhtp does the same).
  const bool upgrade = st == 101 && !f.has_cl && !f.te;
  if (upgrade || (tx.is_connect && st >= 200 && st < 300)) {
    end_message(c, dir, false);
    stop_flow(c, upgrade ? HttpCounter::switching_protocols : HttpCounter::connect_tunnel);
    return;
  }
  if (tx.is_head || st == 204 || st == 304) {
    end_message(c, dir, false);
  } else if (f.chunked) {
    start_body(c, dir, tx, HttpPhase::chunk_size, 0);
  } else if (use_cl && !f.te) {
    if (f.cl > 0)
      start_body(c, dir, tx, HttpPhase::body_length, f.cl);
    else
      end_message(c, dir, false);
  } else {
    start_body(c, dir, tx, HttpPhase::body_close, 0);
  }
}

void end_message(HttpCtx& c, FlowDirection dir, bool truncated) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  std::uint8_t slot = ds.slot;
  body_end(c, dir);
  ds.phase = HttpPhase::idle;
  ds.slot = kNoSlot;
  reset_reader(ds);
  if (slot >= kHttpMaxTx) return;
  HttpTx& tx = c.s.tx[slot];
  HttpMsg& m = tx.msg[dir_index(dir)];
  m.complete = true;
  m.truncated = truncated;
  if (truncated) c.count(HttpCounter::body_truncated);
  notify(c, tx, dir,
         is_request(dir) ? HttpProgress::request_complete : HttpProgress::response_complete);
  maybe_done(c, slot);
}

// The body cannot be followed any more (bad chunk framing): end it, ignore the direction.
void fail_body(HttpCtx& c, FlowDirection dir, HttpCounter why) {
  c.count(why);
  end_message(c, dir, true);
  c.s.dir[dir_index(dir)].phase = HttpPhase::dead;
}

// Begins a message at the current position of `dir`. False when no transaction could be had.
bool begin_message(HttpCtx& c, FlowDirection dir) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  reset_reader(ds);
  ds.counted_lf_only = false;
  ds.x_chunked = ds.x_has_cl = ds.x_cl_bad = false;
  ds.x_cl = 0;
  if (is_request(dir)) {
    int slot = alloc_tx(c, true);
    if (slot < 0) return false;
    HttpTx& tx = c.s.tx[static_cast<std::size_t>(slot)];
    tx.msg[0].present = true;
    tx.msg[0].base = 0;
    tx.msg[0].cap = static_cast<std::uint16_t>(kHttpRequestCap);
    ds.slot = static_cast<std::uint8_t>(slot);
    c.count(HttpCounter::requests);
  } else {
    int slot = ds.slot < kHttpMaxTx ? ds.slot : -1;  // after an interim response
    if (slot < 0 && c.s.lost_requests > 0) {
      --c.s.lost_requests;
      c.count(HttpCounter::response_for_evicted_request);
      slot = alloc_tx(c, false);
    } else if (slot < 0) {
      for (std::size_t i = 0; i < kHttpMaxTx; ++i) {
        const HttpTx& t = c.s.tx[i];
        if (!t.in_use || !t.msg[0].present || t.msg[1].present) continue;
        if (slot < 0 || t.id < c.s.tx[static_cast<std::size_t>(slot)].id) slot = static_cast<int>(i);
      }
      if (slot < 0) {
        c.count(HttpCounter::unpaired_response);
        slot = alloc_tx(c, false);
      }
    }
    if (slot < 0) return false;
    HttpTx& tx = c.s.tx[static_cast<std::size_t>(slot)];
    HttpMsg& req = tx.msg[0];
    HttpMsg& m = tx.msg[1];
    std::uint16_t base = m.base;
    if (!m.cap) {
      base = req.present ? static_cast<std::uint16_t>(req.base + req.len) : 0;
      // A request still sending its headers keeps what it has: the rest is the response's.
      if (req.present && !req.headers_done) req.cap = req.len;
    }
    m = HttpMsg{};
    m.present = true;
    m.base = base;
    m.cap = static_cast<std::uint16_t>(kHttpTxArena - base);
    ds.slot = static_cast<std::uint8_t>(slot);
    c.count(HttpCounter::responses);
  }
  ds.phase = HttpPhase::start_line;
  return true;
}

// A response whose first line is not a status line: HTTP/0.9 style, all of it (that line
// included) is body until close.
void headerless_response(HttpCtx& c, HttpTx& tx) {
  HttpMsg& m = tx.msg[1];
  HttpDirState& ds = c.s.dir[1];
  c.count(HttpCounter::http09_response);
  std::uint8_t stored[2 * kHttpLineBuf];
  std::size_t n = m.len < sizeof(stored) ? m.len : sizeof(stored);
  std::memcpy(stored, tx.arena + m.base, n);
  m.len = 0;
  m.headers_done = true;
  ds.not_status = ds.peek_start = false;
  notify(c, tx, FlowDirection::to_client, HttpProgress::response_headers);
  start_body(c, FlowDirection::to_client, tx, HttpPhase::body_close, 0);
  body_data(c, FlowDirection::to_client, tx, Bytes(stored, n));
}

// Leading bytes browsers and libhtp skip before "HTTP" when judging a status line.
bool status_lead(std::uint8_t ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == 0x0b || ch == 0x0c || ch == 0;
}

// The response's first line, judged by its first non-blank bytes: "HTTP" (any case) starts a
// status line. Anything else is read to its end (at most kHttpLineBuf bytes, else it is body)
// and then, as libhtp does, skipped when it is at most 2 bytes (trailing CRs aside) or the next
// line starts with 'H' (junk before the real status line); otherwise the response has no
// headers and that line starts its body. Returns bytes taken; `done`: a status line is complete.
std::size_t judge_status_line(HttpCtx& c, HttpTx& tx, Bytes data, bool& done) {
  HttpDirState& ds = c.s.dir[1];
  HttpMsg& m = tx.msg[1];
  done = false;
  if (ds.peek_start) {
    // The junk line is complete; data[0] is the next line's first byte.
    ds.peek_start = false;
    ++ds.steps;
    if (data[0] == 'H' || data[0] == 'h') {
      c.count(HttpCounter::invalid_response_line);
      m.len = 0;
      reset_line(ds);
      ds.not_status = false;
      return 0;
    }
    headerless_response(c, tx);
    return 0;
  }
  const std::size_t room = kHttpLineBuf + 1 > ds.line_len ? kHttpLineBuf + 1 - ds.line_len : 1;
  bool line_done = false;
  std::size_t n = take_line_lenient(c, ds, data, ds.start_checked && !ds.not_status ? data.size() : room,
                                    line_done, &tx, &m);
  if (!ds.start_checked) {
    std::size_t i = 0;
    while (i < ds.lbuf_len && status_lead(ds.lbuf[i])) ++i;
    if (ds.lbuf_len >= i + 4) {
      ds.start_checked = true;
      ds.not_status = !istarts_with(Bytes(ds.lbuf + i, 4), "HTTP");
    } else if (line_done || ds.lbuf_len >= kHttpLineBuf) {
      ds.start_checked = true;
      ds.not_status = true;
    }
  }
  if (!ds.not_status) {
    done = line_done;
    return n;
  }
  if (!line_done) {
    if (ds.line_len > kHttpLineBuf) headerless_response(c, tx);
    return n;
  }
  std::size_t len = ds.lbuf_len;
  while (len > 0 && (ds.lbuf[len - 1] == '\r' || ds.lbuf[len - 1] == '\n')) --len;
  if (len <= 2) {
    c.count(HttpCounter::invalid_response_line);
    m.len = 0;
    reset_line(ds);
    ds.not_status = false;
    return n;
  }
  ds.peek_start = true;
  return n;
}

// A header (or trailer) line that is a single SP/HT before a bare LF ends the block unless an
// LF or CR follows (libhtp's rule; else it is a whitespace continuation line).
bool ws_only_line(const HttpDirState& ds) {
  return ds.line_len == 1 && ds.lbuf_len == 1 && is_ws(ds.lbuf[0]) && ds.lf_cr;
}

// Start line, header lines, trailers: everything line based. Returns bytes consumed.
std::size_t parse_lines(HttpCtx& c, FlowDirection dir, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  HttpTx* tx = dir_tx(c, dir);
  if (!tx) {
    ds.phase = HttpPhase::idle;
    return 0;
  }
  HttpMsg& m = tx->msg[dir_index(dir)];
  const bool lenient = !is_request(dir);
  if (ds.ws_pending) {
    ds.ws_pending = false;
    ++ds.steps;
    if (data[0] != '\n' && data[0] != '\r') {
      reset_line(ds);
      if (ds.phase == HttpPhase::headers)
        headers_done(c, dir);
      else
        end_message(c, dir, false);
      return 0;
    }
    if (ds.phase == HttpPhase::headers && !m.overflow) m.hdr_len = ds.ws_hdr_len;
  }
  bool done = false;
  std::size_t n;
  if (ds.phase == HttpPhase::start_line && lenient) {
    n = judge_status_line(c, *tx, data, done);
    if (!done) return n;
  } else {
    HttpMsg* target = ds.phase == HttpPhase::trailers ? nullptr : &m;  // trailers not kept
    n = lenient ? take_line_lenient(c, ds, data, data.size(), done, tx, target)
                : take_line(c, ds, data, data.size(), done, tx, target);
    if (!done) return n;
  }

  switch (ds.phase) {
    case HttpPhase::start_line:
      if (is_request(dir)) {
        parse_request_line(c, *tx);
        if (tx->http09) {
          c.count(HttpCounter::http09_request);
          m.headers_done = true;
          notify(c, *tx, dir, HttpProgress::request_headers);
          end_message(c, dir, false);
          return n;
        }
      } else {
        parse_status_line(c, *tx);
      }
      m.hdr_off = static_cast<std::uint16_t>(m.base + m.len);
      m.hdr_len = 0;
      ds.phase = HttpPhase::headers;
      break;
    case HttpPhase::headers:
      if (line_empty(ds)) {
        reset_line(ds);
        headers_done(c, dir);
        return n;
      }
      if (lenient && ws_only_line(ds)) {
        ds.ws_pending = true;
        ds.ws_hdr_len = static_cast<std::uint16_t>(m.base + m.len - m.hdr_off);
        break;
      }
      if (!m.overflow)
        m.hdr_len = static_cast<std::uint16_t>(m.base + m.len - m.hdr_off);
      else
        note_overflow_line(ds);
      break;
    case HttpPhase::trailers:
      if (line_empty(ds)) {
        reset_line(ds);
        end_message(c, dir, false);
        return n;
      }
      if (lenient && ws_only_line(ds)) ds.ws_pending = true;
      break;
    default:
      break;
  }
  reset_line(ds);
  return n;
}

int hex_value(std::uint8_t ch) {
  ch = lower(ch);
  return ch >= '0' && ch <= '9' ? ch - '0' : (ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1);
}

// An invalid chunk size at data[i]: a request body stops there; a response body is taken as
// not chunked after all (libhtp's fallback; browsers show such a body as is): the size digits
// read so far and everything from data[i] on are identity body until the connection closes.
std::size_t chunk_size_failed(HttpCtx& c, FlowDirection dir, std::size_t i, HttpCounter why) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  ds.cs = 0;
  if (is_request(dir)) {
    fail_body(c, dir, why);
    return i;
  }
  c.count(why);
  std::uint8_t digits[kHttpLineBuf];
  const std::size_t k = ds.lbuf_len;
  std::memcpy(digits, ds.lbuf, k);
  reset_line(ds);
  ds.phase = HttpPhase::body_close;
  if (HttpTx* tx = dir_tx(c, dir); tx && k) body_data(c, dir, *tx, Bytes(digits, k));
  return i;
}

// The chunk-size line, byte by byte as libhtp reads it: CR, LF, SP, HT, VT, FF before the
// size are skipped (empty lines included), then hex digits; whatever follows them up to the
// LF (extensions, junk such as "f x" or "f\r\r") is ignored. No digit first, or a size above
// 0x7fffffff, is invalid (chunk_size_failed).
std::size_t parse_chunk_size(HttpCtx& c, FlowDirection dir, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  std::size_t i = 0;
  while (i < data.size()) {
    const std::uint8_t ch = data[i];
    if (ds.cs == 0) {
      if (ch == '\r' || ch == '\n' || ch == ' ' || ch == '\t' || ch == 0x0b || ch == 0x0c) {
        ++i;
        continue;
      }
      if (hex_value(ch) < 0) return chunk_size_failed(c, dir, i, HttpCounter::chunk_size_invalid);
      ds.cs = 1;
      ds.remaining = 0;
      ds.lbuf_len = 0;
    }
    if (ds.cs == 1) {
      const int v = hex_value(ch);
      if (v >= 0) {
        ds.remaining = ds.remaining * 16 + static_cast<unsigned>(v);
        if (ds.lbuf_len < kHttpLineBuf) ds.lbuf[ds.lbuf_len++] = ch;
        ++i;
        if (ds.remaining > 0x7fffffffu)
          return chunk_size_failed(c, dir, i, HttpCounter::chunk_size_overflow);
        continue;
      }
      ds.cs = 2;
    }
    if (ch == ';' && !ds.start_checked) {  // start_checked: the extension was counted
      ds.start_checked = true;
      c.count(HttpCounter::chunk_extension);
    }
    ++i;
    if (ch != '\n') continue;
    // The size line is complete.
    ds.cs = 0;
    reset_line(ds);
    if (ds.remaining == 0) {
      ds.phase = HttpPhase::trailers;
    } else {
      ds.phase = HttpPhase::chunk_data;
    }
    return i;
  }
  return i;
}

void run(HttpCtx& c, FlowDirection dir, Bytes data);

// After a gap: skips to a line that starts like a request or a status line.
std::size_t parse_resync(HttpCtx& c, FlowDirection dir, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  const std::size_t check = is_request(dir) ? kRequestCheck : kResponseCheck;
  bool done = false;
  std::size_t want = ds.start_checked ? data.size()
                     : (check > ds.line_len ? check - ds.line_len : 1);
  std::size_t n = take_line(c, ds, data, want, done, nullptr, nullptr);
  if (!ds.start_checked && (ds.line_len >= check || done)) {
    ds.start_checked = true;
    Bytes head(ds.lbuf, ds.lbuf_len);
    Probe p = is_request(dir) ? method_probe(head) : response_probe(head);
    if (p == Probe::yes) {
      // A message starts with this line: replay what was taken of it as a new message.
      std::uint8_t saved[kRequestCheck + 2];
      std::size_t k = ds.lbuf_len < kRequestCheck ? ds.lbuf_len : kRequestCheck;
      std::memcpy(saved, ds.lbuf, k);
      if (done) saved[k++] = '\n';
      if (!begin_message(c, dir)) {
        ds.phase = HttpPhase::dead;
        return n;
      }
      run(c, dir, Bytes(saved, k));
      return n;
    }
  }
  if (done) reset_line(ds);
  c.count(HttpCounter::resync_skipped_bytes, n);
  return n;
}

}  // namespace

namespace {

void run(HttpCtx& c, FlowDirection dir, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  while (!data.empty()) {
    if (c.s.stopped) {
      c.count(HttpCounter::stopped_bytes, data.size());
      return;
    }
    const HttpPhase before = ds.phase;
    const std::uint32_t steps = ds.steps;
    std::size_t n = 0;
    switch (ds.phase) {
      case HttpPhase::idle:
        // Empty lines between messages are skipped.
        while (n < data.size() && (data[n] == '\r' || data[n] == '\n')) ++n;
        if (n < data.size() && !begin_message(c, dir)) ds.phase = HttpPhase::dead;
        break;
      case HttpPhase::start_line:
      case HttpPhase::headers:
      case HttpPhase::trailers:
        n = parse_lines(c, dir, data);
        break;
      case HttpPhase::body_length:
      case HttpPhase::chunk_data: {
        HttpTx* tx = dir_tx(c, dir);
        if (!tx) {
          ds.phase = HttpPhase::idle;
          break;
        }
        n = ds.remaining < data.size() ? static_cast<std::size_t>(ds.remaining) : data.size();
        body_data(c, dir, *tx, data.subspan(0, n));
        ds.remaining -= n;
        if (ds.remaining == 0) {
          if (ds.phase == HttpPhase::body_length) {
            end_message(c, dir, false);
          } else {
            ds.phase = HttpPhase::chunk_data_end;
            reset_line(ds);
          }
        }
        break;
      }
      case HttpPhase::chunk_data_end: {
        // After chunk data everything up to the LF is skipped (normally just CRLF), as libhtp
        // does: junk there does not derail the chunk framing.
        if (ds.line_len == 0 && data[0] != '\r' && data[0] != '\n')
          c.count(HttpCounter::chunk_missing_crlf);
        const void* lf = std::memchr(data.data(), '\n', data.size());
        n = lf ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - data.data()) + 1
               : data.size();
        ds.line_len = 1;
        if (lf) {
          ds.phase = HttpPhase::chunk_size;
          reset_reader(ds);
        }
        break;
      }
      case HttpPhase::chunk_size:
        n = parse_chunk_size(c, dir, data);
        break;
      case HttpPhase::body_close: {
        HttpTx* tx = dir_tx(c, dir);
        if (!tx) {
          ds.phase = HttpPhase::idle;
          break;
        }
        body_data(c, dir, *tx, data);
        n = data.size();
        break;
      }
      case HttpPhase::resync:
        n = parse_resync(c, dir, data);
        break;
      case HttpPhase::dead:
        n = data.size();
        break;
    }
    if (n == 0 && ds.phase == before && ds.steps == steps) {
      ds.phase = HttpPhase::dead;  // no progress possible: never loop
      continue;
    }
    data = data.subspan(n);
  }
}

// A gap inside a start line or header block: that partial message is dropped.
void drop_partial(HttpCtx& c, FlowDirection dir) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  std::uint8_t slot = ds.slot;
  ds.slot = kNoSlot;
  if (slot >= kHttpMaxTx) return;
  c.count(HttpCounter::headers_truncated);
  HttpTx& tx = c.s.tx[slot];
  if (is_request(dir)) {
    tx.msg[0] = HttpMsg{};
    if (!tx.msg[1].present && !tx_active(c.s, slot)) {
      tx.in_use = false;  // nothing of it remains to log
      return;
    }
  } else {
    tx.msg[1] = HttpMsg{};
    if (!tx.msg[0].present && !tx_active(c.s, slot)) {
      tx.in_use = false;
      return;
    }
  }
  maybe_done(c, slot);
}

}  // namespace

std::string_view http_counter_name(HttpCounter c) {
  return counter_name(kCounterNames, static_cast<std::size_t>(c), "http.unknown_counter");
}

void http_init(HttpState& s) {
  s.dir[0] = HttpDirState{};
  s.dir[1] = HttpDirState{};
  for (HttpTx& tx : s.tx) {
    tx.id = 0;
    tx.msg[0] = HttpMsg{};
    tx.msg[1] = HttpMsg{};
    tx.status = 0;
    tx.in_use = tx.is_head = tx.is_connect = tx.http09 = false;
    tx.shared = nullptr;
    tx.body_ptr = nullptr;
    tx.body_size = 0;
  }
  s.next_tx_id = 0;
  s.lost_requests = 0;
  s.stopped = s.closed = false;
  s.initialized = true;
}

void http_parse(HttpState& s, HttpShared& shared, FlowDirection dir,
                std::span<const std::uint8_t> data, HttpSink& sink) {
  HttpCtx c{s, shared, sink};
  if (s.closed || dir_index(dir) > 1) return;
  if (s.stopped) {
    c.count(HttpCounter::stopped_bytes, data.size());
    return;
  }
  run(c, dir, data);
}

void http_gap(HttpState& s, HttpShared& shared, FlowDirection dir, HttpSink& sink) {
  if (s.closed || s.stopped || dir_index(dir) > 1) return;
  HttpCtx c{s, shared, sink};
  c.count(HttpCounter::gaps);
  HttpDirState& ds = s.dir[dir_index(dir)];
  switch (ds.phase) {
    case HttpPhase::dead:
      return;
    case HttpPhase::idle:
    case HttpPhase::resync:
      break;
    case HttpPhase::start_line:
    case HttpPhase::headers:
      drop_partial(c, dir);
      break;
    case HttpPhase::trailers:
      end_message(c, dir, false);  // the body itself was complete
      break;
    default:
      end_message(c, dir, true);
      break;
  }
  ds.phase = HttpPhase::resync;
  reset_reader(ds);
}

void http_close(HttpState& s, HttpShared& shared, HttpSink& sink) {
  if (s.closed) return;
  HttpCtx c{s, shared, sink};
  for (FlowDirection dir : {FlowDirection::to_server, FlowDirection::to_client}) {
    HttpDirState& ds = s.dir[dir_index(dir)];
    if (s.stopped) break;
    switch (ds.phase) {
      case HttpPhase::body_close:
      case HttpPhase::trailers:
        end_message(c, dir, false);  // until-close bodies end with the flow
        break;
      case HttpPhase::body_length:
      case HttpPhase::chunk_size:
      case HttpPhase::chunk_data:
      case HttpPhase::chunk_data_end:
        end_message(c, dir, true);
        break;
      case HttpPhase::start_line:
        if (HttpTx* tx = dir_tx(c, dir)) {
          if (ds.not_status) {  // a complete or cut junk first line: the body (no headers)
            headerless_response(c, *tx);
            end_message(c, dir, false);
          } else {
            tx->msg[dir_index(dir)].truncated = true;
          }
        }
        break;
      case HttpPhase::headers:
        // The flow ended inside the header block: the lines that came are the block (libhtp
        // completes the headers at close too), so header rules still see them.
        if (dir_tx(c, dir)) {
          reset_reader(ds);
          headers_done(c, dir);
          if (s.stopped) break;
          if (ds.phase == HttpPhase::body_close)
            end_message(c, dir, false);
          else if (ds.phase != HttpPhase::idle && ds.phase != HttpPhase::dead)
            end_message(c, dir, true);
        }
        break;
      default:
        break;
    }
  }
  for (FlowDirection dir : {FlowDirection::to_server, FlowDirection::to_client}) {
    body_end(c, dir);
    s.dir[dir_index(dir)].slot = kNoSlot;
    s.dir[dir_index(dir)].phase = HttpPhase::dead;
  }
  // The rest in transaction order.
  for (;;) {
    int best = -1;
    for (std::size_t i = 0; i < kHttpMaxTx; ++i)
      if (s.tx[i].in_use && (best < 0 || s.tx[i].id < s.tx[static_cast<std::size_t>(best)].id))
        best = static_cast<int>(i);
    if (best < 0) break;
    finish_tx(c, static_cast<std::size_t>(best));
  }
  s.closed = true;
  s.stopped = true;
}

bool http_stopped(const HttpState& s) { return s.stopped; }

Probe http_probe(std::span<const std::uint8_t> start, FlowDirection dir) {
  std::size_t i = 0;
  while (i < start.size() && (start[i] == '\r' || start[i] == '\n')) ++i;
  Bytes b = start.subspan(i);
  if (b.empty()) return Probe::more;
  return is_request(dir) ? method_probe(b) : response_probe(b);
}

}  // namespace vigil::app::http
