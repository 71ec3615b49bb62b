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
// `lenient` splits lines the way response header blocks are read (see header_line_end) and
// lets a NUL start a continuation line too.
template <typename Fn>
void for_each_header(Bytes block, Fn&& fn, bool lenient = false);

// End (exclusive) of the physical line starting at `from`, line terminator included.
// Strict: a line ends at LF. Lenient (responses, as libhtp and browsers read them): a CR
// followed by anything but LF or CR also ends a line (a stray CR), except as the line's
// first byte; a CR right after a bare LF belongs to that line end (LF CR).
std::size_t header_line_end(Bytes block, std::size_t from, bool lenient);

// Header name matching as Suricata/libhtp do it: case-insensitive, NUL bytes ignored, and
// surrounding whitespace / control bytes (<= 0x20) not part of the name.
bool header_name_is(Bytes name, std::string_view lower_name);
// Case-insensitive search of `needle` in `hay`, NUL bytes of `hay` ignored ("chun\0ked").
bool contains_token(Bytes hay, std::string_view needle);

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
void for_each_header(Bytes block, Fn&& fn, bool lenient) {
  std::size_t i = 0;
  const std::size_t n = block.size();
  auto folds = [&](std::uint8_t c) { return is_ws(c) || (lenient && c == 0); };
  auto colon_in = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k)
      if (block[k] == ':') return true;
    return false;
  };
  while (i < n) {
    // One physical line [i, e); the next starts at e.
    std::size_t e = header_line_end(block, i, lenient);
    HeaderItem item;
    bool has_colon = colon_in(i, e);
    std::size_t end = e;
    // Continuation lines start with SP or HT (or NUL, lenient). In a lenient block, one that
    // itself has a colon, after a line that has one, is a new (indented) header: libhtp.
    while (end < n && folds(block[end])) {
      std::size_t e2 = header_line_end(block, end, lenient);
      const bool colon2 = colon_in(end, e2);
      if (lenient && has_colon && colon2) break;
      has_colon |= colon2;
      item.folded = true;
      end = e2;
    }
    // The name ends at the first colon of the whole (folded) header.
    std::size_t colon = i;
    while (colon < end && block[colon] != ':') ++colon;
    std::size_t value_begin;
    if (colon < end) {
      item.has_colon = true;
      Bytes raw_name = block.subspan(i, colon - i);
      item.name = trim(raw_name);
      item.name_ws = !raw_name.empty() && is_ws(raw_name.back());
      value_begin = colon + 1;
    } else {
      value_begin = i;
    }
    item.value = block.subspan(value_begin, end - value_begin);
    fn(static_cast<const HeaderItem&>(item));
    i = end;
  }
}

}  // namespace vigil::app::http
