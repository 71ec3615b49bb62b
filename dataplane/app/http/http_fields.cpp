// The buffers rules read from a transaction. Raw ones point into the transaction's arena;
// normalized ones (uri, host, header, header_names, joined duplicate headers) are built on first
// read during a sink call into HttpShared scratch, once per call.
#include "dataplane/app/http/http_internal.h"

namespace vigil::app::http {

namespace {

enum class Side : std::uint8_t { both, request, response };

struct FieldInfo {
  std::string_view name;
  Side side;
  std::string_view header;  // the header it exposes, if it is one header's value
};

constexpr FieldInfo kFields[kHttpFieldCount] = {
    {"http.method", Side::request, {}},
    {"http.uri", Side::request, {}},
    {"http.uri.raw", Side::request, {}},
    {"http.protocol", Side::both, {}},
    {"http.request_line", Side::request, {}},
    {"http.response_line", Side::response, {}},
    {"http.host", Side::request, {}},
    {"http.host.raw", Side::request, "host"},
    {"http.user_agent", Side::request, "user-agent"},
    {"http.header", Side::both, {}},
    {"http.header.raw", Side::both, {}},
    {"http.header_names", Side::both, {}},
    {"http.cookie", Side::both, {}},
    {"http.referer", Side::request, "referer"},
    {"http.content_type", Side::both, "content-type"},
    {"http.content_len", Side::both, "content-length"},
    {"http.accept", Side::request, "accept"},
    {"http.accept_enc", Side::request, "accept-encoding"},
    {"http.accept_lang", Side::request, "accept-language"},
    {"http.connection", Side::both, "connection"},
    {"http.location", Side::response, "location"},
    {"http.server", Side::response, "server"},
    {"http.stat_code", Side::response, {}},
    {"http.stat_msg", Side::response, {}},
    {"http.start", Side::both, {}},
};

std::string_view cookie_header(FlowDirection d) {
  return is_request(d) ? std::string_view("cookie") : std::string_view("set-cookie");
}

// The value of header `name`: duplicates joined with ", ", folded lines with one space. A single
// unfolded header is returned in place; otherwise it is built into `out`.
Bytes header_value(const HttpTx& tx, FlowDirection dir, std::string_view name, std::uint8_t* out,
                   std::size_t cap, std::uint32_t& built) {
  Bytes single;
  std::size_t count = 0;
  bool folded = false;
  for_each_msg_header(tx, dir, [&](const HeaderItem& h) {
    if (!h.has_colon || !header_name_is(h.name, name)) return;
    if (count++ == 0) single = h.value;
    folded |= h.folded;
  });
  if (count == 0) return {};
  if (count == 1 && !folded) return trim(single);
  std::size_t len = 0;
  bool first = true;
  for_each_msg_header(tx, dir, [&](const HeaderItem& h) {
    if (!h.has_colon || !header_name_is(h.name, name)) return;
    if (!first) len = append_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(", "), 2), out, len, cap);
    first = false;
    len = append_value(h.value, out, len, cap);
  });
  built = static_cast<std::uint32_t>(len);
  return Bytes(out, len);
}

std::size_t build_header(const HttpTx& tx, FlowDirection dir, std::uint8_t* out, std::size_t cap) {
  std::size_t len = 0;
  const std::string_view skip = cookie_header(dir);
  static const std::uint8_t sep[] = {':', ' '};
  static const std::uint8_t crlf[] = {'\r', '\n'};
  for_each_msg_header(tx, dir, [&](const HeaderItem& h) {
    if (!h.has_colon || h.name.empty() || header_name_is(h.name, skip)) return;
    len = append_bytes(h.name, out, len, cap);
    len = append_bytes(Bytes(sep, 2), out, len, cap);
    len = append_value(h.value, out, len, cap);
    len = append_bytes(Bytes(crlf, 2), out, len, cap);
  });
  return len;
}

std::size_t build_header_names(const HttpTx& tx, FlowDirection dir, std::uint8_t* out,
                               std::size_t cap) {
  static const std::uint8_t crlf[] = {'\r', '\n'};
  std::size_t len = append_bytes(Bytes(crlf, 2), out, 0, cap);
  for_each_msg_header(tx, dir, [&](const HeaderItem& h) {
    if (!h.has_colon || h.name.empty()) return;
    len = append_bytes(h.name, out, len, cap);
    len = append_bytes(Bytes(crlf, 2), out, len, cap);
  });
  return append_bytes(Bytes(crlf, 2), out, len, cap);
}

// Normalized buffers: built once per sink call.
Bytes lazy_field(const HttpTx& tx, FlowDirection dir, HttpField f) {
  HttpShared* sh = tx.shared;
  if (!sh) return {};
  HttpShared::LazyEntry& e = sh->lazy_entry(dir, f);
  std::uint8_t* out = sh->lazy(dir, f);
  const std::size_t cap = HttpShared::kLazyCap;
  if (e.epoch == sh->epoch) return Bytes(out, e.len);
  std::size_t len = 0;
  const HttpMsg& m = tx.msg[dir_index(dir)];
  switch (f) {
    case HttpField::uri:
      len = normalize_uri(msg_span(tx, m.part[1]), out, cap);
      break;
    case HttpField::host: {
      std::uint32_t built = 0;
      Bytes v = header_value(tx, dir, "host", out, cap, built);
      if (!v.empty()) {
        // The first Host value when there are several.
        std::size_t k = 0;
        while (k < v.size() && v[k] != ',') ++k;
        std::uint8_t tmp[512];
        std::size_t n = k < sizeof(tmp) ? k : sizeof(tmp);
        for (std::size_t i = 0; i < n; ++i) tmp[i] = v[i];
        len = normalize_host(Bytes(tmp, n), out, cap);
      } else if (m.host_from_uri) {
        len = normalize_host(uri_authority(msg_span(tx, m.part[1])), out, cap);
      }
      break;
    }
    case HttpField::header:
      len = build_header(tx, dir, out, cap);
      break;
    case HttpField::header_names:
      len = build_header_names(tx, dir, out, cap);
      break;
    default:
      break;
  }
  e.epoch = sh->epoch;
  e.len = static_cast<std::uint32_t>(len);
  return Bytes(out, len);
}

}  // namespace

void notify(HttpCtx& c, HttpTx& tx, FlowDirection dir, HttpProgress p) {
  ++c.sh.epoch;
  tx.shared = &c.sh;
  c.sink.on_http_progress(tx, dir, p);
  tx.shared = nullptr;
}

void notify_done(HttpCtx& c, HttpTx& tx) {
  ++c.sh.epoch;
  tx.shared = &c.sh;
  tx.body_ptr = nullptr;
  tx.body_size = 0;
  c.sink.on_http_tx_done(tx);
  tx.shared = nullptr;
}

std::string_view http_field_name(HttpField f) {
  std::size_t i = static_cast<std::size_t>(f);
  return i < kHttpFieldCount ? kFields[i].name : std::string_view("http.unknown");
}

std::uint64_t http_tx_id(const HttpTx& tx) { return tx.id; }

std::span<const std::uint8_t> http_field(const HttpTx& tx, FlowDirection dir, HttpField f) {
  const std::size_t fi = static_cast<std::size_t>(f);
  if (fi >= kHttpFieldCount || dir_index(dir) > 1) return {};
  const FieldInfo& info = kFields[fi];
  if ((info.side == Side::request && !is_request(dir)) ||
      (info.side == Side::response && is_request(dir)))
    return {};
  const HttpMsg& m = tx.msg[dir_index(dir)];
  if (!m.present) return {};
  switch (f) {
    case HttpField::method:
    case HttpField::uri_raw:
      return msg_span(tx, m.part[f == HttpField::method ? 0 : 1]);
    case HttpField::protocol:
      return msg_span(tx, m.part[is_request(dir) ? 2 : 0]);
    case HttpField::stat_code:
      return msg_span(tx, m.part[1]);
    case HttpField::stat_msg:
      return msg_span(tx, m.part[2]);
    case HttpField::request_line:
    case HttpField::response_line:
      return msg_span(tx, m.line);
    case HttpField::header_raw:
      return msg_headers(tx, dir);
    case HttpField::start:
      return Bytes(tx.arena + m.base, m.len);
    case HttpField::uri:
    case HttpField::host:
    case HttpField::header:
    case HttpField::header_names:
      if (!m.headers_done && f != HttpField::uri) return {};
      return lazy_field(tx, dir, f);
    default:
      break;
  }
  std::string_view name = f == HttpField::cookie ? cookie_header(dir) : info.header;
  if (name.empty() || !tx.shared) return {};
  HttpShared::LazyEntry& e = tx.shared->lazy_entry(dir, f);
  std::uint8_t* out = tx.shared->lazy(dir, f);
  if (e.epoch == tx.shared->epoch) return Bytes(out, e.len);
  std::uint32_t built = 0;
  Bytes v = header_value(tx, dir, name, out, HttpShared::kLazyCap, built);
  if (v.data() == out) {
    e.epoch = tx.shared->epoch;
    e.len = built;
  }
  return v;
}

HttpBodyView http_body(const HttpTx& tx, FlowDirection dir) {
  HttpBodyView v;
  if (!tx.body_ptr || tx.body_dir != static_cast<std::uint8_t>(dir)) return v;
  v.data = Bytes(tx.body_ptr, tx.body_size);
  v.offset = tx.body_off;
  v.seen = tx.body_seen;
  return v;
}

bool http_has_request(const HttpTx& tx) { return tx.msg[0].present; }
bool http_has_response(const HttpTx& tx) { return tx.msg[1].present; }
int http_status(const HttpTx& tx) { return tx.status; }
std::uint64_t http_body_length(const HttpTx& tx, FlowDirection dir) {
  return dir_index(dir) <= 1 ? tx.msg[dir_index(dir)].body_len : 0;
}

}  // namespace vigil::app::http
