// compile_payload(): a ParsedRule's options in rule order to per-buffer match lists.
#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "dataplane/detect/payload/payload_match.h"
#include "dataplane/detect/payload/payload_values.h"

namespace vigil::detect {

using payload_detail::parse_hex;
using payload_detail::parse_match_value;
using payload_detail::parse_number;
using payload_detail::parse_signed;
using payload_detail::parse_uint_condition;
using payload_detail::quote;

namespace {

constexpr std::int64_t kMaxContentValue = 65535;  // offset, depth, distance, within, byte offsets

// Keywords that move later contents to a buffer this module does not have yet, or that need a
// facility it does not offer. They reject the rule rather than let it match the wrong bytes.
constexpr std::array<std::string_view, 24> kLegacyStickyBuffers = {"file_data",
                                                                   "dns_query",
                                                                   "tls_sni",
                                                                   "tls_cert_subject",
                                                                   "tls_cert_issuer",
                                                                   "tls_cert_serial",
                                                                   "tls_cert_fingerprint",
                                                                   "ja3_hash",
                                                                   "ja3_string",
                                                                   "ja3s_hash",
                                                                   "ja3s_string",
                                                                   "ssh_proto",
                                                                   "ssh_software",
                                                                   "base64_data",
                                                                   "krb5_cname",
                                                                   "krb5_sname",
                                                                   "smb_named_pipe",
                                                                   "smb_share",
                                                                   "sip_method",
                                                                   "sip_uri",
                                                                   "tls_subject",
                                                                   "tls_issuer",
                                                                   "dnp3_data",
                                                                   "http_request_line"};

constexpr std::array<std::string_view, 18> kUnsupported = {
    "pcre",         "uricontent", "urilen",  "byte_math", "base64_decode", "replace",
    "lua",          "luajit",     "dataset", "datarep",   "entropy",       "to_lowercase",
    "to_uppercase", "to_md5",     "to_sha1", "to_sha256", "url_decode",    "compress_whitespace"};

constexpr std::array<std::string_view, 7> kMoreTransforms = {
    "strip_whitespace", "dotprefix",           "xor", "pcrexform", "header_lowercase",
    "from_base64",      "strip_pseudo_headers"};

// A content for messages: printable ASCII as is, other bytes as |xx|, quoted.
std::string printable(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::uint8_t b : bytes) {
    if (b >= 0x20 && b < 0x7f && b != '"' && b != '|') {
      out.push_back(static_cast<char>(b));
    } else {
      out += '|';
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
      out += '|';
    }
  }
  return out + "\"";
}

template <std::size_t N>
bool in(const std::array<std::string_view, N>& table, std::string_view s) {
  return std::find(table.begin(), table.end(), s) != table.end();
}

// Dotted keywords without a value are sticky buffers (http.uri, file.data, tls.sni, ...), but for
// these postmatch or flag keywords.
constexpr std::array<std::string_view, 1> kDottedNonBuffers = {"tls.store"};

class Compiler {
 public:
  explicit Compiler(const ParsedRule& rule) : rule_(rule) {}

  PayloadCompileResult run() {
    PayloadCompileResult result;
    for (const RuleOption& o : rule_.options) {
      if (!option(o)) {
        result.error = error_;
        return result;
      }
    }
    for (PayloadMatch& m : list_.matches) {
      if (m.kind == MatchKind::content && !finish_content(m.content)) {
        result.error = error_;
        return result;
      }
    }
    mark_relative_next();
    if (!check_bsize()) {
      result.error = error_;
      return result;
    }
    if (!list_.matches.empty()) program_.lists.push_back(std::move(list_));
    program_.variables = vars_.size();
    result.program = std::move(program_);
    return result;
  }

 private:
  bool fail(std::string_view keyword, const std::string& why) {
    error_ = std::string(keyword) + ": " + why;
    return false;
  }

  bool option(const RuleOption& o) {
    const std::string& k = o.keyword;
    if (k == "content") return content(o);
    if (k == "nocase" || k == "rawbytes" || k == "offset" || k == "depth" || k == "distance" ||
        k == "within" || k == "startswith" || k == "endswith" || k == "fast_pattern")
      return modifier(o);
    if (k == "isdataat") return isdataat(o);
    if (k == "dsize") return dsize(o);
    if (k == "bsize") return bsize(o);
    if (k == "byte_test") return byte_test(o);
    if (k == "byte_jump") return byte_jump(o);
    if (k == "byte_extract") return byte_extract(o);
    if (k == "pkt_data") return no_value(o);  // back to the payload, where every match is today
    if (in(kUnsupported, k) || in(kMoreTransforms, k))
      return fail(k, "not supported by the payload inspection module");
    if (!o.has_value && (k.starts_with("http_") || in(kLegacyStickyBuffers, k)))
      return fail(k, "buffer not supported yet (only the packet payload / stream is)");
    if (!o.has_value && k.find('.') != std::string::npos && !in(kDottedNonBuffers, k))
      return fail(k, "sticky buffer not supported yet (only the packet payload / stream is)");
    return true;  // another module's keyword
  }

  bool no_value(const RuleOption& o) {
    if (o.has_value) return fail(o.keyword, "takes no value, got " + quote(o.raw));
    return true;
  }

  bool add(PayloadMatch m) {
    if (list_.matches.size() >= kMaxMatchesPerList)
      return fail(m.kind == MatchKind::content ? "content" : "payload",
                  "more than " + std::to_string(kMaxMatchesPerList) + " payload keywords");
    m.buffer = list_.buffer;
    list_.matches.push_back(std::move(m));
    return true;
  }

  bool content(const RuleOption& o) {
    if (!o.has_value) return fail("content", "needs a value");
    ContentBytes b = decode_content(o.raw);
    if (b.problem) return fail("content", b.problem->message);
    if (b.bytes.size() > static_cast<std::size_t>(kMaxContentValue))
      return fail("content", "longer than " + std::to_string(kMaxContentValue) + " bytes");
    PayloadMatch m;
    m.kind = MatchKind::content;
    m.content.pattern = std::move(b.bytes);
    m.content.negated = b.negated;
    if (!add(std::move(m))) return false;
    last_content_ = list_.matches.size() - 1;
    return true;
  }

  bool modifier(const RuleOption& o) {
    const std::string& k = o.keyword;
    if (!last_content_) return fail(k, "needs a preceding content");
    ContentMatch& c = list_.matches[*last_content_].content;
    auto value = [&](std::int64_t min, std::int64_t max, MatchValue& out, bool& flag) {
      if (!o.has_value) return fail(k, "needs a value");
      if (flag) return fail(k, "given twice for the same content");
      auto v = parse_match_value(o.value, min, max, vars_, k);
      if (!v.ok()) return fail(k, v.error);
      out = v.value;
      flag = true;
      return true;
    };
    if (k == "offset") return value(0, kMaxContentValue, c.offset, c.has_offset);
    if (k == "depth") return value(1, kMaxContentValue, c.depth, c.has_depth);
    if (k == "distance")
      return value(-kMaxContentValue, kMaxContentValue, c.distance, c.has_distance);
    if (k == "within") return value(1, kMaxContentValue, c.within, c.has_within);
    if (k == "fast_pattern") return fast_pattern(o, c);
    if (!no_value(o)) return false;
    bool* flag = k == "nocase"       ? &c.nocase
                 : k == "rawbytes"   ? &c.rawbytes
                 : k == "startswith" ? &c.startswith
                                     : &c.endswith;
    if (*flag) return fail(k, "given twice for the same content");
    *flag = true;
    return true;
  }

  bool fast_pattern(const RuleOption& o, ContentMatch& c) {
    if (fast_pattern_seen_) return fail("fast_pattern", "only one content of a rule may have it");
    fast_pattern_seen_ = true;
    c.fast_pattern = true;
    if (!o.has_value) return true;
    if (o.value == "only") {
      c.fast_pattern_only = true;
      return true;
    }
    auto parts = split_value_list(o.value);
    if (parts.problem || parts.items.size() != 2)
      return fail("fast_pattern", "expects `only` or `offset,length`, got " + quote(o.raw));
    auto off = parse_signed(parts.items[0], 0, kMaxContentValue, "fast_pattern offset");
    if (!off.ok()) return fail("fast_pattern", off.error);
    auto len = parse_signed(parts.items[1], 1, kMaxContentValue, "fast_pattern length");
    if (!len.ok()) return fail("fast_pattern", len.error);
    c.fast_pattern_chop = true;
    c.fast_pattern_offset = static_cast<std::uint16_t>(off.value);
    c.fast_pattern_length = static_cast<std::uint16_t>(len.value);
    return true;
  }

  // Checks that need all of a content's modifiers; turns startswith into offset 0, depth len.
  bool finish_content(ContentMatch& c) {
    const auto len = static_cast<std::int64_t>(c.pattern.size());
    const std::string shown = printable(c.pattern);
    if ((c.has_offset || c.has_depth) && c.relative())
      return fail("content", shown +
                                 ": offset/depth (absolute) cannot be mixed with "
                                 "distance/within (relative) on one content");
    if (c.startswith && (c.has_offset || c.has_depth || c.relative()))
      return fail("startswith", shown + ": cannot be mixed with offset, depth, distance or within");
    if (c.has_depth && c.depth.var < 0 && c.depth.value < len)
      return fail("depth", std::to_string(c.depth.value) + " is smaller than the content length " +
                               std::to_string(len) + " of " + shown);
    if (c.has_within && c.within.var < 0 && c.within.value < len)
      return fail("within", std::to_string(c.within.value) +
                                " is smaller than the content length " + std::to_string(len) +
                                " of " + shown);
    if (c.fast_pattern_only &&
        (c.negated || c.has_offset || c.has_depth || c.relative() || c.startswith || c.endswith))
      return fail("fast_pattern", shown +
                                      ": `only` cannot be used on a negated content or with "
                                      "offset, depth, distance, within, startswith, endswith");
    if (c.fast_pattern && c.negated && (c.has_offset || c.has_depth || c.relative()))
      return fail("fast_pattern", shown +
                                      ": cannot be used on a negated content with offset, depth, "
                                      "distance or within");
    if (c.fast_pattern_chop && c.fast_pattern_offset + c.fast_pattern_length > len)
      return fail("fast_pattern", shown + ": " + std::to_string(c.fast_pattern_offset) + "," +
                                      std::to_string(c.fast_pattern_length) +
                                      " runs past the content length " + std::to_string(len));
    if (c.startswith) {
      c.has_offset = c.has_depth = true;
      c.offset = MatchValue{0, -1};
      c.depth = MatchValue{len, -1};
    }
    if (c.nocase)
      for (auto& b : c.pattern) b = static_cast<std::uint8_t>(std::tolower(b));
    return true;
  }

  static bool is_relative(const PayloadMatch& m) {
    switch (m.kind) {
      case MatchKind::content: return m.content.relative();
      case MatchKind::isdataat: return m.isdataat.relative;
      case MatchKind::byte_test: return m.byte_test.read.relative;
      case MatchKind::byte_jump: return m.byte_jump.read.relative;
      case MatchKind::byte_extract: return m.byte_extract.read.relative;
      case MatchKind::bsize: return false;
    }
    return false;
  }

  // A content backtracks when a keyword after it, up to and including the next content, is
  // relative: moving this match can change that keyword's outcome.
  void mark_relative_next() {
    auto& ms = list_.matches;
    for (std::size_t i = 0; i < ms.size(); ++i) {
      if (ms[i].kind != MatchKind::content || ms[i].content.negated) continue;
      for (std::size_t j = i + 1; j < ms.size(); ++j) {
        if (is_relative(ms[j])) {
          ms[i].content.relative_next = true;
          break;
        }
        if (ms[j].kind == MatchKind::content) break;
      }
    }
  }

  bool check_bsize() {
    for (const PayloadMatch& b : list_.matches) {
      if (b.kind != MatchKind::bsize) continue;
      std::uint64_t max = 0;
      switch (b.bsize.op) {
        case UintOp::eq: max = b.bsize.a; break;
        case UintOp::le: max = b.bsize.a; break;
        case UintOp::lt: max = b.bsize.a - 1; break;
        case UintOp::range: max = b.bsize.b - 1; break;
        default: continue;
      }
      for (const PayloadMatch& m : list_.matches) {
        if (m.kind == MatchKind::content && !m.content.negated && m.content.pattern.size() > max)
          return fail("bsize", "no buffer of at most " + std::to_string(max) +
                                   " bytes holds a content of " +
                                   std::to_string(m.content.pattern.size()) + " bytes");
      }
    }
    return true;
  }

  bool isdataat(const RuleOption& o) {
    if (!o.has_value) return fail("isdataat", "needs a value");
    auto parts = split_value_list(o.value);
    if (parts.problem || parts.items.empty()) return fail("isdataat", "bad value " + quote(o.raw));
    PayloadMatch m;
    m.kind = MatchKind::isdataat;
    std::string_view first = parts.items[0];
    if (first.starts_with("!")) {
      m.isdataat.negated = true;
      first.remove_prefix(1);
    }
    auto v = parse_match_value(first, 0, kMaxContentValue, vars_, "isdataat");
    if (!v.ok()) return fail("isdataat", v.error);
    m.isdataat.position = v.value;
    for (std::size_t i = 1; i < parts.items.size(); ++i) {
      const std::string& it = parts.items[i];
      if (it == "relative" && !m.isdataat.relative)
        m.isdataat.relative = true;
      else if (it != "rawbytes")
        return fail("isdataat", "unknown or repeated option " + quote(it) + " in " + quote(o.raw));
    }
    return add(std::move(m));
  }

  bool dsize(const RuleOption& o) {
    if (!o.has_value) return fail("dsize", "needs a value");
    if (program_.dsize) return fail("dsize", "given twice");
    auto c = parse_uint_condition(o.value, 65535, "dsize");
    if (!c.ok()) return fail("dsize", c.error);
    program_.dsize = c.value;
    return true;
  }

  bool bsize(const RuleOption& o) {
    if (!o.has_value) return fail("bsize", "needs a value");
    if (bsize_seen_) return fail("bsize", "given twice for one buffer");
    bsize_seen_ = true;
    auto c = parse_uint_condition(o.value, UINT64_MAX, "bsize");
    if (!c.ok()) return fail("bsize", c.error);
    PayloadMatch m;
    m.kind = MatchKind::bsize;
    m.bsize = c.value;
    return add(std::move(m));
  }

  // The options byte_test, byte_jump and byte_extract share. Returns false after fail() for a
  // bad one, sets `handled` when `item` was one of them.
  bool byte_read_option(std::string_view kw, const std::string& item, ByteRead& r, bool& string,
                        bool& handled) {
    handled = true;
    if (item == "relative") {
      if (r.relative) return fail(kw, "`relative` given twice");
      r.relative = true;
    } else if (item == "big" || item == "little") {
      if (endian_seen_) return fail(kw, "endianness given twice");
      endian_seen_ = true;
      r.little_endian = item == "little";
    } else if (item == "string") {
      if (string) return fail(kw, "`string` given twice");
      string = true;
    } else if (item == "hex" || item == "dec" || item == "oct") {
      if (r.base != NumberBase::binary) return fail(kw, "number type given twice");
      r.base = item == "hex" ? NumberBase::hex : item == "dec" ? NumberBase::dec : NumberBase::oct;
    } else if (item == "dce") {
      return fail(kw, "`dce` is not supported (no DCE/RPC parser yet)");
    } else if (item.starts_with("bitmask")) {
      if (r.has_bitmask) return fail(kw, "`bitmask` given twice");
      auto v =
          parse_hex(std::string_view(item).substr(7), UINT32_MAX, std::string(kw) + " bitmask");
      if (!v.ok()) return fail(kw, v.error);
      r.has_bitmask = true;
      r.bitmask = static_cast<std::uint32_t>(v.value);
    } else {
      handled = false;
    }
    return true;
  }

  // nbytes and the string/base consistency, once all options are read.
  // Suricata's limits: 8 bytes binary; with `string`, 23 for byte_test and byte_jump, and per
  // base (hex 14, dec 20, oct 23) for byte_extract.
  bool byte_read_finish(std::string_view kw, const std::string& nbytes_text, ByteRead& r,
                        bool string, bool per_base_limit) {
    if (!string && r.base != NumberBase::binary) return fail(kw, "hex/dec/oct need `string`");
    if (string && r.base == NumberBase::binary) r.base = NumberBase::dec;
    if (string && endian_seen_) return fail(kw, "big/little make no sense with `string`");
    const std::int64_t max = !string                     ? 8
                             : !per_base_limit           ? 23
                             : r.base == NumberBase::hex ? 14
                             : r.base == NumberBase::dec ? 20
                                                         : 23;
    auto n = parse_signed(nbytes_text, 1, max, std::string(kw) + " byte count");
    if (!n.ok()) return fail(kw, n.error);
    r.nbytes = static_cast<std::uint8_t>(n.value);
    return true;
  }

  bool byte_offset(std::string_view kw, const std::string& text, ByteRead& r) {
    auto v = parse_match_value(text, -kMaxContentValue, kMaxContentValue, vars_,
                               std::string(kw) + " offset");
    if (!v.ok()) return fail(kw, v.error);
    r.offset = v.value;
    return true;
  }

  bool multiplier_option(std::string_view kw, const std::string& item, std::uint32_t& out,
                         bool& seen) {
    if (seen) return fail(kw, "`multiplier` given twice");
    seen = true;
    auto v =
        parse_signed(std::string_view(item).substr(10), 1, 65535, std::string(kw) + " multiplier");
    if (!v.ok()) return fail(kw, v.error);
    out = static_cast<std::uint32_t>(v.value);
    return true;
  }

  bool byte_test(const RuleOption& o) {
    constexpr std::string_view kw = "byte_test";
    if (!o.has_value) return fail(kw, "needs a value");
    auto parts = split_value_list(o.value);
    if (parts.problem || parts.items.size() < 4)
      return fail(kw, "expects bytes, operator, value, offset[, options], got " + quote(o.raw));
    endian_seen_ = false;
    PayloadMatch m;
    m.kind = MatchKind::byte_test;
    ByteTestMatch& t = m.byte_test;
    std::string_view op = parts.items[1];
    if (op.starts_with("!")) {
      t.negated = true;
      op.remove_prefix(1);
      if (op.empty()) op = "=";
    }
    if (op == "<")
      t.op = ByteTestOp::lt;
    else if (op == ">")
      t.op = ByteTestOp::gt;
    else if (op == "=")
      t.op = ByteTestOp::eq;
    else if (op == "<=")
      t.op = ByteTestOp::le;
    else if (op == ">=")
      t.op = ByteTestOp::ge;
    else if (op == "&")
      t.op = ByteTestOp::band;
    else if (op == "^")
      t.op = ByteTestOp::bxor;
    else
      return fail(kw, "unknown operator " + quote(parts.items[1]));
    const std::string& value_text = parts.items[2];
    if (!value_text.empty() &&
        (std::isalpha(static_cast<unsigned char>(value_text[0])) || value_text[0] == '_')) {
      auto v = parse_match_value(value_text, 0, 0, vars_, "byte_test value");
      if (!v.ok()) return fail(kw, v.error);
      t.value = v.value;
    } else {
      auto v = parse_number(value_text, UINT64_MAX, "byte_test value");
      if (!v.ok()) return fail(kw, v.error);
      t.value.value = static_cast<std::int64_t>(v.value);
    }
    if (!byte_offset(kw, parts.items[3], t.read)) return false;
    bool string = false;
    for (std::size_t i = 4; i < parts.items.size(); ++i) {
      bool handled = false;
      if (!byte_read_option(kw, parts.items[i], t.read, string, handled)) return false;
      if (!handled) return fail(kw, "unknown option " + quote(parts.items[i]));
    }
    if (!byte_read_finish(kw, parts.items[0], t.read, string, false)) return false;
    return add(std::move(m));
  }

  bool byte_jump(const RuleOption& o) {
    constexpr std::string_view kw = "byte_jump";
    if (!o.has_value) return fail(kw, "needs a value");
    auto parts = split_value_list(o.value);
    if (parts.problem || parts.items.size() < 2)
      return fail(kw, "expects bytes, offset[, options], got " + quote(o.raw));
    endian_seen_ = false;
    PayloadMatch m;
    m.kind = MatchKind::byte_jump;
    ByteJumpMatch& j = m.byte_jump;
    if (!byte_offset(kw, parts.items[1], j.read)) return false;
    bool string = false, multiplier = false, post_offset = false;
    for (std::size_t i = 2; i < parts.items.size(); ++i) {
      const std::string& it = parts.items[i];
      bool handled = false;
      if (!byte_read_option(kw, it, j.read, string, handled)) return false;
      if (handled) continue;
      if (it.starts_with("multiplier ")) {
        if (!multiplier_option(kw, it, j.multiplier, multiplier)) return false;
      } else if (it == "align") {
        if (j.align) return fail(kw, "`align` given twice");
        j.align = true;
      } else if (it == "from_beginning") {
        if (j.from_beginning || j.from_end)
          return fail(kw, "from_beginning/from_end given twice or together");
        j.from_beginning = true;
      } else if (it == "from_end") {
        if (j.from_beginning || j.from_end)
          return fail(kw, "from_beginning/from_end given twice or together");
        j.from_end = true;
      } else if (it.starts_with("post_offset ")) {
        if (post_offset) return fail(kw, "`post_offset` given twice");
        post_offset = true;
        auto v = parse_signed(std::string_view(it).substr(12), -kMaxContentValue, kMaxContentValue,
                              "byte_jump post_offset");
        if (!v.ok()) return fail(kw, v.error);
        j.post_offset = static_cast<std::int32_t>(v.value);
      } else {
        return fail(kw, "unknown option " + quote(it));
      }
    }
    if (!byte_read_finish(kw, parts.items[0], j.read, string, false)) return false;
    return add(std::move(m));
  }

  bool byte_extract(const RuleOption& o) {
    constexpr std::string_view kw = "byte_extract";
    if (!o.has_value) return fail(kw, "needs a value");
    auto parts = split_value_list(o.value);
    if (parts.problem || parts.items.size() < 3)
      return fail(kw, "expects bytes, offset, name[, options], got " + quote(o.raw));
    endian_seen_ = false;
    PayloadMatch m;
    m.kind = MatchKind::byte_extract;
    ByteExtractMatch& e = m.byte_extract;
    if (!byte_offset(kw, parts.items[1], e.read)) return false;
    const std::string& name = parts.items[2];
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') ||
        !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        }))
      return fail(kw, "bad variable name " + quote(name));
    if (std::find(vars_.begin(), vars_.end(), name) != vars_.end())
      return fail(kw, "variable " + quote(name) + " declared twice");
    if (vars_.size() >= kMaxByteVariables)
      return fail(kw, "more than " + std::to_string(kMaxByteVariables) + " variables");
    bool string = false, multiplier = false;
    for (std::size_t i = 3; i < parts.items.size(); ++i) {
      const std::string& it = parts.items[i];
      bool handled = false;
      if (!byte_read_option(kw, it, e.read, string, handled)) return false;
      if (handled) continue;
      if (it.starts_with("multiplier ")) {
        if (!multiplier_option(kw, it, e.multiplier, multiplier)) return false;
      } else if (it.starts_with("align ")) {
        if (e.align) return fail(kw, "`align` given twice");
        auto v = parse_signed(std::string_view(it).substr(6), 2, 4, "byte_extract align");
        if (!v.ok() || v.value == 3) return fail(kw, "align must be 2 or 4, got " + quote(it));
        e.align = static_cast<std::uint8_t>(v.value);
      } else {
        return fail(kw, "unknown option " + quote(it));
      }
    }
    if (!byte_read_finish(kw, parts.items[0], e.read, string, true)) return false;
    e.name = name;
    e.slot = static_cast<std::uint8_t>(vars_.size());
    vars_.push_back(name);
    return add(std::move(m));
  }

  const ParsedRule& rule_;
  PayloadProgram program_;
  PayloadMatchList list_;
  std::vector<std::string> vars_;
  std::optional<std::size_t> last_content_;
  bool fast_pattern_seen_ = false;
  bool bsize_seen_ = false;
  bool endian_seen_ = false;
  std::string error_;
};

}  // namespace

const PayloadMatchList* PayloadProgram::list_for(BufferId id) const {
  for (const auto& l : lists)
    if (l.buffer == id) return &l;
  return nullptr;
}

PayloadCompileResult compile_payload(const ParsedRule& rule) { return Compiler(rule).run(); }

}  // namespace vigil::detect
