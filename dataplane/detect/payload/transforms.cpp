// Transforms: parse at load time, apply on the hot path into the worker's scratch buffers.
#include "dataplane/detect/payload/transforms.h"

#include <mbedtls/md.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace vigil::detect {
namespace {

using Bytes = std::span<const std::uint8_t>;

bool is_space(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_upper(std::uint8_t c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(std::uint8_t c) { return c >= 'a' && c <= 'z'; }
std::uint8_t lower(std::uint8_t c) { return is_upper(c) ? static_cast<std::uint8_t>(c + 32) : c; }
std::uint8_t upper(std::uint8_t c) { return is_lower(c) ? static_cast<std::uint8_t>(c - 32) : c; }

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base64_value(std::uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Output writer bounded by the scratch buffer size; remembers whether it had to cut.
struct Out {
  std::uint8_t* data;
  std::size_t n = 0;
  bool cut = false;
  void put(std::uint8_t c) {
    if (n < kTransformBufferSize)
      data[n++] = c;
    else
      cut = true;
  }
};

// Appends the bytes one base64 quantum of `count` sextets (2..4, the rest zero) stands for.
void emit_quantum(const std::uint8_t q[4], std::size_t out_bytes, Out& out) {
  const std::uint8_t b[3] = {static_cast<std::uint8_t>((q[0] << 2) | (q[1] >> 4)),
                             static_cast<std::uint8_t>((q[1] << 4) | (q[2] >> 2)),
                             static_cast<std::uint8_t>((q[2] << 6) | q[3])};
  for (std::size_t i = 0; i < out_bytes; ++i) out.put(b[i]);
}

// Suricata's decoders: rfc2045 skips bytes outside the alphabet and drops a trailing partial
// quantum; rfc4648 stops at the first such byte and decodes a trailing partial quantum; strict
// yields nothing when it meets one. '=' counts as a zero sextet that shortens its quantum.
void decode_base64(Bytes in, Base64Mode mode, Out& out) {
  std::uint8_t q[4] = {0, 0, 0, 0};
  std::size_t k = 0, pad = 0;
  for (std::uint8_t c : in) {
    int v = base64_value(c);
    if (v < 0 && c != '=') {
      if (mode == Base64Mode::rfc2045) continue;
      if (mode == Base64Mode::strict) {
        out.n = 0;
        return;
      }
      break;
    }
    if (v < 0) {
      ++pad;
      v = 0;
    }
    q[k++] = static_cast<std::uint8_t>(v);
    if (k == 4) {
      emit_quantum(q, 3 - std::min<std::size_t>(pad, 3), out);
      k = pad = 0;
      std::memset(q, 0, sizeof q);
    }
  }
  if (k > 0 && mode != Base64Mode::rfc2045) {
    for (std::size_t i = k; i < 4; ++i) q[i] = 0;
    emit_quantum(q, k == 1 ? 1 : k - 1, out);
  }
}

bool digest(mbedtls_md_type_t type, Bytes in, Out& out) {
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(type);
  if (info == nullptr) return false;
  if (mbedtls_md(info, in.data(), in.size(), out.data) != 0) return false;
  out.n = mbedtls_md_get_size(info);
  return true;
}

// One transform: `in` to `out`; returns false when the buffer stays as it is.
bool apply_one(const Transform& t, Bytes in, Out& out) {
  switch (t.kind) {
    case TransformKind::dotprefix:
      if (in.empty()) return false;
      out.put('.');
      for (std::uint8_t c : in) out.put(c);
      return true;
    case TransformKind::to_lowercase:
      for (std::uint8_t c : in) out.put(lower(c));
      return true;
    case TransformKind::to_uppercase:
      for (std::uint8_t c : in) out.put(upper(c));
      return true;
    case TransformKind::strip_whitespace:
      for (std::uint8_t c : in)
        if (!is_space(c)) out.put(c);
      return true;
    case TransformKind::compress_whitespace:
      for (std::size_t i = 0; i < in.size(); ++i) {
        out.put(in[i]);
        if (is_space(in[i]))
          while (i + 1 < in.size() && is_space(in[i + 1])) ++i;
      }
      return true;
    case TransformKind::url_decode:
      for (std::size_t i = 0; i < in.size(); ++i) {
        const std::uint8_t c = in[i];
        if (c == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
            hex_value(in[i + 2]) >= 0) {
          out.put(static_cast<std::uint8_t>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
          i += 2;
        } else {
          out.put(c == '+' ? ' ' : c);
        }
      }
      return true;
    case TransformKind::xor_key:
      if (in.empty() || t.key.empty()) return false;
      for (std::size_t i = 0; i < in.size(); ++i) out.put(in[i] ^ t.key[i % t.key.size()]);
      return true;
    case TransformKind::header_lowercase: {
      bool value = false;
      for (std::uint8_t c : in) {
        if (!value) {
          if (c == ':') value = true;
          out.put(lower(c));
        } else {
          out.put(c);
          if (c == '\n') value = false;
        }
      }
      return true;
    }
    case TransformKind::strip_pseudo_headers: {
      std::size_t start = 0;
      while (start < in.size()) {
        std::size_t end = start;
        while (end < in.size() && in[end] != '\n') ++end;
        if (end < in.size()) ++end;  // the line keeps its '\n'
        if (in[start] != ':')
          for (std::size_t i = start; i < end; ++i) out.put(in[i]);
        start = end;
      }
      return true;
    }
    case TransformKind::from_base64: {
      if (t.b64_offset > in.size()) return false;
      Bytes part = in.subspan(t.b64_offset);
      if (t.b64_bytes != 0) {
        if (t.b64_bytes > part.size()) return false;
        part = part.first(t.b64_bytes);
      }
      decode_base64(part, t.b64_mode, out);
      return out.n > 0;  // Suricata keeps the buffer when nothing decodes
    }
    case TransformKind::to_md5: return digest(MBEDTLS_MD_MD5, in, out);
    case TransformKind::to_sha1: return digest(MBEDTLS_MD_SHA1, in, out);
    case TransformKind::to_sha256: return digest(MBEDTLS_MD_SHA256, in, out);
  }
  return false;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(static_cast<std::uint8_t>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_space(static_cast<std::uint8_t>(s.back()))) s.remove_suffix(1);
  return s;
}

bool parse_u16(std::string_view s, std::uint16_t& out) {
  s = trim(s);
  if (s.empty() || s.size() > 5) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

TransformParse parse_base64_options(const RuleOption& o) {
  TransformParse r;
  Transform t;
  t.kind = TransformKind::from_base64;
  const auto fail = [&](const std::string& why) {
    r.error = "from_base64: " + why;
    return r;
  };
  if (!o.has_value || trim(o.value).empty()) {
    r.transform = t;
    return r;
  }
  ValueList parts = split_value_list(o.value);
  if (parts.problem || parts.items.empty() || parts.items.size() > 3)
    return fail("expects up to three of `bytes N`, `offset N`, `mode M`, got " + quoted(o.raw));
  bool bytes = false, offset = false, mode = false;
  for (const std::string& item : parts.items) {
    const std::string_view it = trim(item);
    const std::size_t sp = it.find_first_of(" \t");
    const std::string_view name = it.substr(0, sp);
    const std::string_view val = sp == std::string_view::npos ? "" : trim(it.substr(sp));
    if (name == "bytes" || name == "offset") {
      bool& seen = name == "bytes" ? bytes : offset;
      if (seen) return fail(std::string(name) + " given twice");
      seen = true;
      std::uint16_t v = 0;
      if (!parse_u16(val, v))
        return fail(std::string(name) + " must be a number in 0..65535, got " + quoted(val));
      (name == "bytes" ? t.b64_bytes : t.b64_offset) = v;
    } else if (name == "mode") {
      if (mode) return fail("mode given twice");
      mode = true;
      if (val == "rfc4648")
        t.b64_mode = Base64Mode::rfc4648;
      else if (val == "rfc2045")
        t.b64_mode = Base64Mode::rfc2045;
      else if (val == "strict")
        t.b64_mode = Base64Mode::strict;
      else
        return fail("unknown mode " + quoted(val) + " (rfc4648, rfc2045 or strict)");
    } else {
      return fail("unknown option " + quoted(it));
    }
  }
  r.transform = t;
  return r;
}

}  // namespace

TransformScratch::TransformScratch()
    : a_(std::make_unique<std::uint8_t[]>(kTransformBufferSize)),
      b_(std::make_unique<std::uint8_t[]>(kTransformBufferSize)) {}

std::span<const std::uint8_t> apply_transforms(std::span<const Transform> transforms,
                                               std::span<const std::uint8_t> in,
                                               TransformScratch& scratch) noexcept {
  Bytes cur = in;
  std::size_t next = 0;
  for (const Transform& t : transforms) {
    Out out{scratch.buffer(next)};
    if (!apply_one(t, cur, out)) continue;
    if (out.cut) ++scratch.truncations;
    cur = Bytes(out.data, out.n);
    next ^= 1;
  }
  return cur;
}

TransformParse parse_transform(const RuleOption& o) {
  TransformParse r;
  const std::string& k = o.keyword;
  static constexpr std::pair<std::string_view, TransformKind> kNoValue[] = {
      {"dotprefix", TransformKind::dotprefix},
      {"to_lowercase", TransformKind::to_lowercase},
      {"to_uppercase", TransformKind::to_uppercase},
      {"strip_whitespace", TransformKind::strip_whitespace},
      {"compress_whitespace", TransformKind::compress_whitespace},
      {"url_decode", TransformKind::url_decode},
      {"header_lowercase", TransformKind::header_lowercase},
      {"strip_pseudo_headers", TransformKind::strip_pseudo_headers},
      {"to_md5", TransformKind::to_md5},
      {"to_sha1", TransformKind::to_sha1},
      {"to_sha256", TransformKind::to_sha256},
  };
  for (const auto& [name, kind] : kNoValue) {
    if (k != name) continue;
    if (o.has_value) {
      r.error = k + ": takes no value, got " + quoted(o.raw);
      return r;
    }
    Transform t;
    t.kind = kind;
    r.transform = t;
    return r;
  }
  if (k == "from_base64") return parse_base64_options(o);
  if (k == "xor") {
    const std::string_view raw = trim(o.raw);
    if (!o.has_value || raw.size() < 2 || raw.front() != '"' || raw.back() != '"') {
      r.error = "xor: needs a quoted hex key, got " + quoted(o.raw);
      return r;
    }
    const std::string_view hex = raw.substr(1, raw.size() - 2);
    if (hex.empty() || hex.size() % 2 != 0 || hex.size() / 2 > 255) {
      r.error = "xor: the key " + quoted(hex) + " must be 1..255 bytes as pairs of hex digits";
      return r;
    }
    Transform t;
    t.kind = TransformKind::xor_key;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const int hi = hex_value(static_cast<std::uint8_t>(hex[i]));
      const int lo = hex_value(static_cast<std::uint8_t>(hex[i + 1]));
      if (hi < 0 || lo < 0) {
        r.error = "xor: the key " + quoted(hex) + " has a non-hex character";
        return r;
      }
      t.key.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    r.transform = std::move(t);
    return r;
  }
  if (k == "pcrexform") {
    r.error = "pcrexform: not supported by the payload inspection module";
    return r;
  }
  r.error = k + ": not a transform";
  return r;
}

bool transform_allows_content(const Transform& t, std::span<const std::uint8_t> content) {
  switch (t.kind) {
    case TransformKind::to_lowercase:
      return std::none_of(content.begin(), content.end(), is_upper);
    case TransformKind::to_uppercase:
      return std::none_of(content.begin(), content.end(), is_lower);
    case TransformKind::strip_whitespace:
      return std::none_of(content.begin(), content.end(), is_space);
    case TransformKind::compress_whitespace:
      for (std::size_t i = 0; i + 1 < content.size(); ++i)
        if (is_space(content[i]) && is_space(content[i + 1])) return false;
      return true;
    default: return true;
  }
}

}  // namespace vigil::detect
