// Pure helpers of the HTTP parser: header-block iteration and the normalizations rules see
// (uri, host, header values). Spans in, bytes written to a caller buffer of known size out; never
// more than `cap` bytes are written (a result that does not fit is cut).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::app::http {

using Bytes = std::span<const std::uint8_t>;

inline bool is_ws(std::uint8_t c) { return c == ' ' || c == '\t'; }
inline std::uint8_t lower(std::uint8_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
Bytes trim(Bytes b);  // SP, HT, CR at both ends
bool iequals(Bytes a, std::string_view b);
bool istarts_with(Bytes a, std::string_view b);

// One logical header of a block: a line plus its obs-fold continuation lines. `value` is the raw
// text after the colon up to the end of the last continuation line (line ends included).
struct HeaderItem {
  Bytes name;    // trimmed; empty for a line without a colon
  Bytes value;
  bool has_colon = false;
  bool name_ws = false;  // whitespace between the name and the colon
  bool folded = false;
};

// Calls fn(const HeaderItem&) for each header of `block` (header lines, LF or CRLF ended).
template <typename Fn>
void for_each_header(Bytes block, Fn&& fn);

// Appends the folded value (pieces trimmed, joined by one space) to out[len..cap); returns len.
std::size_t append_value(Bytes value, std::uint8_t* out, std::size_t len, std::size_t cap);
std::size_t append_bytes(Bytes b, std::uint8_t* out, std::size_t len, std::size_t cap);

// Suricata-style http.uri from the raw request target: absolute form reduced to its path,
// percent-decoding (invalid escapes kept), "//" collapsed, "/./" and "/../" resolved in the path;
// the query keeps its form but is percent-decoded. Returns the length written.
std::size_t normalize_uri(Bytes raw, std::uint8_t* out, std::size_t cap);
// The authority of an absolute-form target ("http://host:80/x" => "host:80"), or empty.
Bytes uri_authority(Bytes raw);
// http.host: lower-cased, port stripped (IPv6 literal brackets kept), trailing dot kept.
std::size_t normalize_host(Bytes raw, std::uint8_t* out, std::size_t cap);

// ---- template implementation

template <typename Fn>
void for_each_header(Bytes block, Fn&& fn) {
  std::size_t i = 0;
  const std::size_t n = block.size();
  while (i < n) {
    // One physical line [i, e) without its LF; next starts after the LF.
    auto line_end = [&](std::size_t from) {
      std::size_t e = from;
      while (e < n && block[e] != '\n') ++e;
      return e;
    };
    std::size_t e = line_end(i);
    HeaderItem item;
    Bytes line = block.subspan(i, e - i);
    std::size_t colon = 0;
    while (colon < line.size() && line[colon] != ':') ++colon;
    std::size_t value_begin;
    if (colon < line.size()) {
      item.has_colon = true;
      Bytes raw_name = line.subspan(0, colon);
      item.name = trim(raw_name);
      item.name_ws = !raw_name.empty() && is_ws(raw_name.back());
      value_begin = i + colon + 1;
    } else {
      value_begin = i;
    }
    std::size_t end = e < n ? e + 1 : n;
    // Continuation lines start with SP or HT.
    while (end < n && is_ws(block[end])) {
      item.folded = true;
      std::size_t e2 = line_end(end);
      end = e2 < n ? e2 + 1 : n;
    }
    item.value = block.subspan(value_begin, end - value_begin);
    fn(static_cast<const HeaderItem&>(item));
    i = end;
  }
}

}  // namespace vigil::app::http
