#include "control/http/http_parser.h"

#include <array>
#include <cstring>
#include <limits>
#include <utility>

namespace vigil::http {
namespace {

// RFC 9110 5.6.2 tchar.
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  return true;
}

// Field values and reason phrases: HTAB, SP, VCHAR, obs-text. No CR, LF, NUL, DEL.
bool is_field_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each non-empty, OWS-trimmed element of a comma-separated list.
template <typename F>
void for_each_list_item(std::string_view list, F&& f) {
  while (true) {
    std::size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// "HTTP/1.0" → 0, "HTTP/1.1" → 1, another "HTTP/d.d" → -2, anything else → -1.
int parse_version(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.') return -1;
  if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') return -1;
  if (v[5] != '1' || v[7] > '1') return -2;
  return v[7] - '0';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string limit_text(std::size_t limit, const char* unit) {
  return "limit " + std::to_string(limit) + " " + unit;
}

}  // namespace

std::string_view to_string(ParseStatus s) {
  switch (s) {
    case ParseStatus::need_more: return "need_more";
    case ParseStatus::done: return "done";
    case ParseStatus::start_line_too_long: return "start_line_too_long";
    case ParseStatus::header_block_too_large: return "header_block_too_large";
    case ParseStatus::too_many_headers: return "too_many_headers";
    case ParseStatus::body_too_large: return "body_too_large";
    case ParseStatus::chunk_line_too_long: return "chunk_line_too_long";
    case ParseStatus::bare_lf: return "bare_lf";
    case ParseStatus::bad_request_line: return "bad_request_line";
    case ParseStatus::bad_status_line: return "bad_status_line";
    case ParseStatus::unsupported_version: return "unsupported_version";
    case ParseStatus::obsolete_line_folding: return "obsolete_line_folding";
    case ParseStatus::bad_header_name: return "bad_header_name";
    case ParseStatus::bad_header_value: return "bad_header_value";
    case ParseStatus::duplicate_host: return "duplicate_host";
    case ParseStatus::bad_content_length: return "bad_content_length";
    case ParseStatus::multiple_content_length: return "multiple_content_length";
    case ParseStatus::content_length_with_transfer_encoding:
      return "content_length_with_transfer_encoding";
    case ParseStatus::unsupported_transfer_encoding: return "unsupported_transfer_encoding";
    case ParseStatus::transfer_encoding_in_http10: return "transfer_encoding_in_http10";
    case ParseStatus::bad_chunk_size: return "bad_chunk_size";
    case ParseStatus::chunk_size_overflow: return "chunk_size_overflow";
    case ParseStatus::bad_chunk_terminator: return "bad_chunk_terminator";
    case ParseStatus::truncated: return "truncated";
    case ParseStatus::connection_closed: return "connection_closed";
    case ParseStatus::read_failed: return "read_failed";
  }
  return "unknown";
}

std::string_view describe(ParseStatus s) {
  switch (s) {
    case ParseStatus::need_more: return "message incomplete";
    case ParseStatus::done: return "message complete";
    case ParseStatus::start_line_too_long: return "start line exceeds the start-line size limit";
    case ParseStatus::header_block_too_large:
      return "header block exceeds the header size limit";
    case ParseStatus::too_many_headers: return "more header fields than the header count limit";
    case ParseStatus::body_too_large: return "body exceeds the body size limit";
    case ParseStatus::chunk_line_too_long:
      return "chunk-size line exceeds the chunk line size limit";
    case ParseStatus::bare_lf: return "line ended by LF without CR";
    case ParseStatus::bad_request_line: return "malformed request line";
    case ParseStatus::bad_status_line: return "malformed status line";
    case ParseStatus::unsupported_version: return "HTTP version other than 1.0 or 1.1";
    case ParseStatus::obsolete_line_folding: return "obsolete header line folding";
    case ParseStatus::bad_header_name: return "malformed header field name";
    case ParseStatus::bad_header_value: return "control character in a header field value";
    case ParseStatus::duplicate_host: return "more than one Host header";
    case ParseStatus::bad_content_length: return "Content-Length is not a decimal number";
    case ParseStatus::multiple_content_length: return "more than one Content-Length header";
    case ParseStatus::content_length_with_transfer_encoding:
      return "both Content-Length and Transfer-Encoding";
    case ParseStatus::unsupported_transfer_encoding:
      return "Transfer-Encoding other than chunked";
    case ParseStatus::transfer_encoding_in_http10: return "Transfer-Encoding in an HTTP/1.0 message";
    case ParseStatus::bad_chunk_size: return "malformed chunk-size line";
    case ParseStatus::chunk_size_overflow: return "chunk size does not fit in 64 bits";
    case ParseStatus::bad_chunk_terminator: return "chunk data not followed by CRLF";
    case ParseStatus::truncated: return "connection closed inside a message";
    case ParseStatus::connection_closed: return "connection closed";
    case ParseStatus::read_failed: return "read from the connection failed";
  }
  return "unknown status";
}

bool is_error(ParseStatus s) {
  return s != ParseStatus::need_more && s != ParseStatus::done &&
         s != ParseStatus::connection_closed;
}

int status_for(ParseStatus s) {
  switch (s) {
    case ParseStatus::body_too_large: return 413;
    case ParseStatus::header_block_too_large:
    case ParseStatus::too_many_headers: return 431;
    case ParseStatus::start_line_too_long: return 414;
    case ParseStatus::unsupported_transfer_encoding: return 501;
    case ParseStatus::unsupported_version: return 505;
    default: return 400;
  }
}

MessageParser::MessageParser(MessageKind kind, ParserLimits limits)
    : kind_(kind), limits_(limits) {}

void MessageParser::expect_response_to(std::string_view method) { no_body_ = method == "HEAD"; }

bool MessageParser::idle() const { return state_ == State::start_line && line_.empty(); }

ParseStatus MessageParser::fail(ParseStatus s, std::string detail) {
  state_ = State::failed;
  status_ = s;
  error_ = std::string(describe(s));
  if (!detail.empty()) error_ += " (" + detail + ")";
  return s;
}

void MessageParser::clear_message() {
  line_.clear();
  block_bytes_ = 0;
  field_count_ = 0;
  remaining_ = 0;
  lines_seen_ = 0;
  no_body_ = false;
  keep_alive_ = true;
  minor_ = 1;
  method_.clear();
  target_.clear();
  reason_.clear();
  status_code_ = 0;
  headers_.clear();
  trailers_.clear();
  body_.clear();
}

void MessageParser::reset() {
  clear_message();
  state_ = State::start_line;
  status_ = ParseStatus::need_more;
  error_.clear();
}

void MessageParser::complete() {
  state_ = State::complete;
  status_ = ParseStatus::done;
}

HttpRequest MessageParser::take_request() {
  HttpRequest r;
  if (state_ == State::complete) {
    r.method = std::move(method_);
    r.target = std::move(target_);
    r.headers = std::move(headers_);
    r.body = std::move(body_);
  }
  reset();
  return r;
}

HttpResponse MessageParser::take_response() {
  HttpResponse r;
  if (state_ == State::complete) {
    r.status = status_code_;
    r.reason = std::move(reason_);
    r.headers = std::move(headers_);
    r.body = std::move(body_);
  }
  reset();
  return r;
}

MessageParser::LineResult MessageParser::take_line(const char* p, std::size_t n,
                                                   std::size_t& used, std::size_t limit) {
  const void* lf = std::memchr(p, '\n', n);
  if (lf == nullptr) {
    // The line still needs its LF, so it is at least one byte longer than what is here.
    if (line_.size() + n + 1 > limit) {
      used = n;
      return LineResult::too_long;
    }
    line_.append(p, n);
    used = n;
    return LineResult::more;
  }
  std::size_t i = static_cast<std::size_t>(static_cast<const char*>(lf) - p);
  used = i + 1;
  if (line_.size() + i + 1 > limit) return LineResult::too_long;
  line_.append(p, i);
  ++lines_seen_;
  if (line_.empty() || line_.back() != '\r') return LineResult::bare_lf;
  line_.pop_back();
  return LineResult::line;
}

ParseStatus MessageParser::on_start_line() {
  std::string_view line = line_;
  if (kind_ == MessageKind::request) {
    std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return fail(ParseStatus::bad_request_line, "no target");
    std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return fail(ParseStatus::bad_request_line, "no version");
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method)) return fail(ParseStatus::bad_request_line, "bad method");
    if (target.empty()) return fail(ParseStatus::bad_request_line, "empty target");
    for (char c : target) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f) return fail(ParseStatus::bad_request_line, "bad target byte");
    }
    int minor = parse_version(version);
    if (minor == -2) return fail(ParseStatus::unsupported_version);
    if (minor < 0) return fail(ParseStatus::bad_request_line, "bad version");
    minor_ = minor;
    method_ = method;
    target_ = target;
    return ParseStatus::need_more;
  }
  int minor = parse_version(line.substr(0, 8));
  if (minor == -2) return fail(ParseStatus::unsupported_version);
  if (minor < 0 || line.size() < 12 || line[8] != ' ')
    return fail(ParseStatus::bad_status_line, "bad version");
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return fail(ParseStatus::bad_status_line, "bad code");
    code = code * 10 + (line[i] - '0');
  }
  if (code < 100 || code > 599) return fail(ParseStatus::bad_status_line, "code out of range");
  std::string_view reason;
  if (line.size() > 12) {
    if (line[12] != ' ') return fail(ParseStatus::bad_status_line, "bad code");
    reason = line.substr(13);
  }
  for (char c : reason)
    if (!is_field_char(static_cast<unsigned char>(c)))
      return fail(ParseStatus::bad_status_line, "control character in reason");
  minor_ = minor;
  status_code_ = code;
  reason_ = reason;
  return ParseStatus::need_more;
}

ParseStatus MessageParser::on_header_line(std::vector<HttpHeader>& into, std::size_t& count) {
  std::string_view line = line_;
  std::string where = "line " + std::to_string(lines_seen_);
  if (is_ows(line.front())) return fail(ParseStatus::obsolete_line_folding, where);
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(ParseStatus::bad_header_name, where + ": no colon");
  std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return fail(ParseStatus::bad_header_name, where);
  std::string_view value = trim_ows(line.substr(colon + 1));
  for (char c : value)
    if (!is_field_char(static_cast<unsigned char>(c)))
      return fail(ParseStatus::bad_header_value, where);
  if (++count > limits_.max_headers)
    return fail(ParseStatus::too_many_headers, limit_text(limits_.max_headers, "fields"));
  into.push_back(HttpHeader{std::string(name), std::string(value)});
  return ParseStatus::need_more;
}

ParseStatus MessageParser::on_headers_complete() {
  std::size_t cl_count = 0, host_count = 0;
  std::string_view cl;
  bool te = false, te_chunked_only = true, close = false, ka = false;
  std::size_t codings = 0;
  for (const HttpHeader& h : headers_) {
    if (iequals(h.name, "content-length")) {
      ++cl_count;
      cl = h.value;
    } else if (iequals(h.name, "transfer-encoding")) {
      te = true;
      for_each_list_item(h.value, [&](std::string_view c) {
        ++codings;
        if (!iequals(c, "chunked")) te_chunked_only = false;
      });
    } else if (iequals(h.name, "connection")) {
      for_each_list_item(h.value, [&](std::string_view t) {
        if (iequals(t, "close")) close = true;
        if (iequals(t, "keep-alive")) ka = true;
      });
    } else if (iequals(h.name, "host")) {
      ++host_count;
    }
  }
  if (kind_ == MessageKind::request && host_count > 1) return fail(ParseStatus::duplicate_host);
  if (cl_count > 1) return fail(ParseStatus::multiple_content_length);
  if (te && cl_count > 0) return fail(ParseStatus::content_length_with_transfer_encoding);
  if (te && minor_ == 0) return fail(ParseStatus::transfer_encoding_in_http10);
  if (te && (codings != 1 || !te_chunked_only))
    return fail(ParseStatus::unsupported_transfer_encoding);
  std::uint64_t length = 0;
  if (cl_count == 1) {
    if (cl.empty()) return fail(ParseStatus::bad_content_length, "empty");
    for (char c : cl)
      if (c < '0' || c > '9') return fail(ParseStatus::bad_content_length);
    for (char c : cl) {
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
      // Checked every digit, so the product above never overflows (max_body is a size_t).
      if (length > limits_.max_body)
        return fail(ParseStatus::body_too_large, limit_text(limits_.max_body, "bytes"));
    }
  }
  keep_alive_ = minor_ >= 1 ? !close : (ka && !close);

  if (kind_ == MessageKind::response &&
      (no_body_ || status_code_ < 200 || status_code_ == 204 || status_code_ == 304)) {
    complete();
  } else if (te) {
    state_ = State::chunk_size;
  } else if (cl_count == 1) {
    remaining_ = length;
    if (remaining_ == 0) complete();
    else state_ = State::body_length;
  } else if (kind_ == MessageKind::request) {
    complete();
  } else {
    keep_alive_ = false;
    state_ = State::body_until_close;
  }
  return state_ == State::complete ? ParseStatus::done : ParseStatus::need_more;
}

ParseStatus MessageParser::on_chunk_size_line() {
  std::string_view line = line_;
  std::uint64_t size = 0;
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    int d = hex_value(line[i]);
    if (d < 0) break;
    if (size > (std::numeric_limits<std::uint64_t>::max() >> 4))
      return fail(ParseStatus::chunk_size_overflow);
    size = (size << 4) | static_cast<std::uint64_t>(d);
  }
  if (i == 0) return fail(ParseStatus::bad_chunk_size, "no hex digits");
  std::size_t j = i;
  while (j < line.size() && is_ows(line[j])) ++j;
  if (j < line.size()) {
    if (line[j] != ';') return fail(ParseStatus::bad_chunk_size, "junk after the size");
    for (; j < line.size(); ++j)
      if (!is_field_char(static_cast<unsigned char>(line[j])))
        return fail(ParseStatus::bad_chunk_size, "control character in an extension");
  } else if (j != i) {
    return fail(ParseStatus::bad_chunk_size, "whitespace without an extension");
  }
  if (size > limits_.max_body - body_.size())
    return fail(ParseStatus::body_too_large, limit_text(limits_.max_body, "bytes"));
  if (size == 0) {
    state_ = State::trailer_line;
    block_bytes_ = 0;
    field_count_ = 0;
  } else {
    remaining_ = size;
    state_ = State::chunk_data;
  }
  return ParseStatus::need_more;
}

ParseStatus MessageParser::feed(std::span<const char> data, std::size_t& consumed) {
  consumed = 0;
  if (state_ == State::failed) return status_;
  if (state_ == State::complete) return ParseStatus::done;
  const char* p = data.data();
  const std::size_t n = data.size();
  std::size_t off = 0;
  while (off < n) {
    std::size_t used = 0;
    switch (state_) {
      case State::start_line: {
        // Skipped empty lines count against the start-line limit too (block_bytes_).
        LineResult r = take_line(p + off, n - off, used, limits_.max_start_line - block_bytes_);
        off += used;
        if (r == LineResult::more) break;
        consumed = off;
        if (r == LineResult::too_long)
          return fail(ParseStatus::start_line_too_long, limit_text(limits_.max_start_line, "bytes"));
        if (r == LineResult::bare_lf) return fail(ParseStatus::bare_lf, "start line");
        if (line_.empty()) {  // an empty line before the start line
          block_bytes_ += 2;
          lines_seen_ = 0;
          break;
        }
        if (ParseStatus s = on_start_line(); is_error(s)) return s;
        line_.clear();
        block_bytes_ = 0;
        field_count_ = 0;
        state_ = State::header_line;
        break;
      }
      case State::header_line:
      case State::trailer_line: {
        LineResult r = take_line(p + off, n - off, used, limits_.max_header_bytes - block_bytes_);
        off += used;
        if (r == LineResult::more) break;
        consumed = off;
        if (r == LineResult::too_long)
          return fail(ParseStatus::header_block_too_large,
                      limit_text(limits_.max_header_bytes, "bytes"));
        if (r == LineResult::bare_lf)
          return fail(ParseStatus::bare_lf, "line " + std::to_string(lines_seen_));
        block_bytes_ += line_.size() + 2;
        const bool trailer = state_ == State::trailer_line;
        if (line_.empty()) {
          if (trailer) {
            complete();
            return ParseStatus::done;
          }
          ParseStatus s = on_headers_complete();
          line_.clear();
          if (s != ParseStatus::need_more) return s;  // done or an error
          break;
        }
        if (ParseStatus s = on_header_line(trailer ? trailers_ : headers_, field_count_);
            is_error(s))
          return s;
        line_.clear();
        break;
      }
      case State::body_length:
      case State::chunk_data: {
        std::size_t take = n - off;
        if (take > remaining_) take = static_cast<std::size_t>(remaining_);
        body_.append(p + off, take);
        off += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          if (state_ == State::chunk_data) {
            state_ = State::chunk_data_cr;
          } else {
            complete();
            consumed = off;
            return ParseStatus::done;
          }
        }
        break;
      }
      case State::chunk_data_cr:
      case State::chunk_data_lf: {
        const char want = state_ == State::chunk_data_cr ? '\r' : '\n';
        if (p[off] != want) {
          consumed = off + 1;
          return fail(ParseStatus::bad_chunk_terminator);
        }
        ++off;
        state_ = want == '\r' ? State::chunk_data_lf : State::chunk_size;
        break;
      }
      case State::chunk_size: {
        LineResult r = take_line(p + off, n - off, used, limits_.max_chunk_line);
        off += used;
        if (r == LineResult::more) break;
        consumed = off;
        if (r == LineResult::too_long)
          return fail(ParseStatus::chunk_line_too_long, limit_text(limits_.max_chunk_line, "bytes"));
        if (r == LineResult::bare_lf) return fail(ParseStatus::bare_lf, "chunk-size line");
        if (ParseStatus s = on_chunk_size_line(); is_error(s)) return s;
        line_.clear();
        break;
      }
      case State::body_until_close: {
        std::size_t take = n - off;
        if (take > limits_.max_body - body_.size()) {
          consumed = n;
          return fail(ParseStatus::body_too_large, limit_text(limits_.max_body, "bytes"));
        }
        body_.append(p + off, take);
        off += take;
        break;
      }
      case State::complete:
      case State::failed:
        consumed = off;
        return status_;
    }
  }
  consumed = off;
  return ParseStatus::need_more;
}

ParseStatus MessageParser::finish() {
  switch (state_) {
    case State::failed:
    case State::complete:
      return status_;
    case State::body_until_close:
      complete();
      return ParseStatus::done;
    default:
      if (idle()) return ParseStatus::connection_closed;
      return fail(ParseStatus::truncated);
  }
}

ParseStatus read_message(MessageParser& parser, std::string& pending, const ReadFn& read) {
  if (parser.done()) return ParseStatus::done;
  if (!pending.empty()) {
    std::size_t used = 0;
    ParseStatus s = parser.feed(pending, used);
    pending.erase(0, used);
    if (s != ParseStatus::need_more) return s;
  }
  std::array<char, 16 * 1024> buf;
  while (true) {
    long got = read(std::span<char>(buf));
    if (got < 0) return ParseStatus::read_failed;
    if (got == 0) return parser.finish();
    std::size_t n = static_cast<std::size_t>(got);
    if (n > buf.size()) return ParseStatus::read_failed;  // a broken reader, not the peer
    std::size_t used = 0;
    ParseStatus s = parser.feed(std::span<const char>(buf.data(), n), used);
    if (s == ParseStatus::done) pending.append(buf.data() + used, n - used);
    if (s != ParseStatus::need_more) return s;
  }
}

}  // namespace vigil::http
