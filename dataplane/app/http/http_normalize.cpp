#include "dataplane/app/http/http_normalize.h"

#include <cstring>

namespace vigil::app::http {

namespace {

bool is_trim(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int hex(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Percent-decodes `in` into out[len..cap); invalid escapes stay as sent.
std::size_t percent_decode(Bytes in, std::uint8_t* out, std::size_t len, std::size_t cap) {
  for (std::size_t i = 0; i < in.size() && len < cap; ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h >= 0 && l >= 0) {
        out[len++] = static_cast<std::uint8_t>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out[len++] = in[i];
  }
  return len;
}

}  // namespace

Bytes trim(Bytes b) {
  std::size_t s = 0, e = b.size();
  while (s < e && is_trim(b[s])) ++s;
  while (e > s && is_trim(b[e - 1])) --e;
  return b.subspan(s, e - s);
}

bool iequals(Bytes a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(static_cast<std::uint8_t>(b[i]))) return false;
  return true;
}

bool istarts_with(Bytes a, std::string_view b) {
  return a.size() >= b.size() && iequals(a.subspan(0, b.size()), b);
}

std::size_t header_line_end(Bytes b, std::size_t from, bool lenient) {
  const std::size_t n = b.size();
  if (from >= n) return n;
  const std::uint8_t* p = b.data();
  // memchr finds the line feed; a lenient line may end earlier, at a stray CR (one followed by
  // neither LF nor CR, and not the line's first byte).
  const void* lf = std::memchr(p + from, '\n', n - from);
  const std::size_t nl = lf != nullptr ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - p) : n;
  if (lenient) {
    for (std::size_t i = from + 1; i < nl;) {
      const void* cr = std::memchr(p + i, '\r', nl - i);
      if (cr == nullptr) break;
      const std::size_t k = static_cast<std::size_t>(static_cast<const std::uint8_t*>(cr) - p);
      if (k + 1 >= n) return n;
      if (p[k + 1] != '\n' && p[k + 1] != '\r') return k + 1;  // stray CR
      i = k + 1;
    }
  }
  if (nl == n) return n;
  const bool bare = nl == from || p[nl - 1] != '\r';
  std::size_t i = nl + 1;
  if (lenient && bare && i < n && p[i] == '\r') ++i;  // LF CR: one line end
  return i;
}

bool header_name_is(Bytes name, std::string_view lower_name) {
  std::size_t s = 0, e = name.size();
  while (s < e && name[s] <= 0x20) ++s;
  while (e > s && name[e - 1] <= 0x20) --e;
  std::size_t k = 0;
  for (std::size_t i = s; i < e; ++i) {
    if (name[i] == 0) continue;
    if (k >= lower_name.size() || lower(name[i]) != static_cast<std::uint8_t>(lower_name[k])) return false;
    ++k;
  }
  return k == lower_name.size();
}

bool contains_token(Bytes hay, std::string_view needle) {
  if (needle.empty()) return true;
  for (std::size_t i = 0; i < hay.size(); ++i) {
    std::size_t k = 0, j = i;
    while (j < hay.size() && k < needle.size()) {
      if (hay[j] == 0 && k > 0) {  // NULs inside a match are skipped
        ++j;
        continue;
      }
      if (lower(hay[j]) != static_cast<std::uint8_t>(needle[k])) break;
      ++j;
      ++k;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

std::size_t append_bytes(Bytes b, std::uint8_t* out, std::size_t len, std::size_t cap) {
  std::size_t n = b.size() < cap - len ? b.size() : cap - len;
  if (n) std::memcpy(out + len, b.data(), n);
  return len + n;
}

std::size_t append_value(Bytes value, std::uint8_t* out, std::size_t len, std::size_t cap) {
  bool first = true;
  std::size_t i = 0;
  while (i <= value.size()) {
    std::size_t e = i;
    while (e < value.size() && value[e] != '\n') ++e;
    Bytes piece = trim(value.subspan(i, e - i));
    if (!piece.empty()) {
      if (!first && len < cap) out[len++] = ' ';
      len = append_bytes(piece, out, len, cap);
      first = false;
    }
    i = e + 1;
  }
  return len;
}

Bytes uri_authority(Bytes raw) {
  // scheme "://" authority; the scheme is letters, digits, '+', '-', '.'.
  std::size_t i = 0;
  while (i < raw.size() && i < 16) {
    std::uint8_t c = raw[i];
    bool ok = (lower(c) >= 'a' && lower(c) <= 'z') || (i > 0 && ((c >= '0' && c <= '9') ||
                                                                 c == '+' || c == '-' || c == '.'));
    if (!ok) break;
    ++i;
  }
  if (i == 0 || i + 3 > raw.size() || raw[i] != ':' || raw[i + 1] != '/' || raw[i + 2] != '/')
    return {};
  std::size_t s = i + 3, e = s;
  while (e < raw.size() && raw[e] != '/' && raw[e] != '?' && raw[e] != '#') ++e;
  Bytes auth = raw.subspan(s, e - s);
  // Drop userinfo.
  for (std::size_t k = auth.size(); k > 0; --k)
    if (auth[k - 1] == '@') return auth.subspan(k);
  return auth;
}

std::size_t normalize_uri(Bytes raw, std::uint8_t* out, std::size_t cap) {
  Bytes target = raw;
  Bytes auth = uri_authority(raw);
  if (!auth.empty()) {
    std::size_t off = static_cast<std::size_t>(auth.data() + auth.size() - raw.data());
    target = raw.subspan(off);
    if (target.empty() || target[0] != '/') {
      // "http://host" or "http://host?q": the path is "/".
      static const std::uint8_t slash = '/';
      std::size_t len = append_bytes(Bytes(&slash, 1), out, 0, cap);
      return percent_decode(target, out, len, cap);
    }
  }
  std::size_t q = 0;
  while (q < target.size() && target[q] != '?') ++q;
  Bytes path = target.subspan(0, q), query = target.subspan(q);

  // Decode the path first so that encoded dots and slashes are normalized too.
  std::size_t plen = percent_decode(path, out, 0, cap);
  if (plen == 0 || out[0] != '/') return percent_decode(query, out, plen, cap);

  // Resolve segments in place: `w` never passes `r`.
  std::size_t r = 0, w = 0;
  while (r < plen) {
    // Here out[r] == '/'.
    std::size_t s = r + 1, e = s;
    while (e < plen && out[e] != '/') ++e;
    std::size_t seg = e - s;
    bool last = e >= plen;
    if (seg == 0 || (seg == 1 && out[s] == '.')) {
      if (last) out[w++] = '/';  // "/a/." and "/a/" end with a slash
    } else if (seg == 2 && out[s] == '.' && out[s + 1] == '.') {
      while (w > 0 && out[w - 1] != '/') --w;  // drop the last segment's text
      if (w > 0) --w;                          // and its slash
      if (last) out[w++] = '/';
    } else {
      out[w++] = '/';
      std::memmove(out + w, out + s, seg);
      w += seg;
    }
    r = e;
  }
  if (w == 0) out[w++] = '/';
  return percent_decode(query, out, w, cap);
}

std::size_t normalize_host(Bytes raw, std::uint8_t* out, std::size_t cap) {
  Bytes h = trim(raw);
  std::size_t end = h.size();
  if (!h.empty() && h[0] == '[') {
    std::size_t k = 0;
    while (k < h.size() && h[k] != ']') ++k;
    end = k < h.size() ? k + 1 : h.size();
  } else {
    for (std::size_t k = 0; k < h.size(); ++k)
      if (h[k] == ':') {
        end = k;
        break;
      }
  }
  std::size_t len = 0;
  for (std::size_t k = 0; k < end && len < cap; ++k) out[len++] = lower(h[k]);
  return len;
}

}  // namespace vigil::app::http
