// compile_payload(): a ParsedRule's options in rule order to per-buffer match lists.
#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "dataplane/detect/payload/payload_match.h"
#include "dataplane/detect/payload/payload_values.h"
#include "dataplane/detect/prefilter/fast_pattern.h"

namespace vigil::detect {

using payload_detail::parse_hex;
using payload_detail::parse_match_value;
using payload_detail::parse_number;
using payload_detail::parse_signed;
using payload_detail::parse_uint_condition;
using payload_detail::quote;

namespace {

constexpr std::int64_t kMaxContentValue = 65535;  // offset, depth, distance, within, byte offsets

// Payload keywords this module cannot honour: they reject the rule rather than let it match on a
// weaker condition than its author wrote.
constexpr std::array<std::string_view, 9> kUnsupported = {
    "byte_math", "base64_decode", "replace", "lua", "luajit",
    "dataset",   "datarep",       "entropy", "pcrexform"};

constexpr std::size_t kMaxTransforms = 16;  // per buffer, as Suricata's DETECT_TRANSFORMS_MAX

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

// Where keywords go: a base buffer plus the transforms after its sticky keyword, named as the
// prefilter names it ("dns.query+dotprefix").
struct ListKey {
  BufferId buffer = kPayloadBufferId;
  std::vector<Transform> transforms;
  std::string name;
};

class Compiler {
 public:
  explicit Compiler(const ParsedRule& rule) : rule_(rule) { current_.name = kPayloadBuffer; }

  PayloadCompileResult run() {
    PayloadCompileResult result;
    if (!compile()) {
      result.error = error_;
      return result;
    }
    program_.variables = vars_.size();
    result.program = std::move(program_);
    return result;
  }

 private:
  struct Item {
    PayloadMatch m;
    std::size_t slot = 0;
  };

  bool compile() {
    for (const RuleOption& o : rule_.options)
      if (!option(o)) return false;
    for (Item& it : items_) {
      if (it.m.kind != MatchKind::content) continue;
      if (!finish_content(it.m.content)) return false;
      for (const Transform& t : slots_[it.slot].transforms)
        if (!transform_allows_content(t, it.m.content.pattern))
          return fail("content", printable(it.m.content.pattern) + " can never match after the " +
                                     "transforms of " + slots_[it.slot].name);
    }
    return build_lists();
  }

  bool fail(std::string_view keyword, const std::string& why) {
    error_ = std::string(keyword) + ": " + why;
    return false;
  }

  bool option(const RuleOption& o) {
    const std::string& k = o.keyword;
    if (k == "content") return content(o);
    if (k == "uricontent") return uricontent(o);
    if (k == "nocase" || k == "rawbytes" || k == "offset" || k == "depth" || k == "distance" ||
        k == "within" || k == "startswith" || k == "endswith" || k == "fast_pattern")
      return modifier(o);
    if (k == "isdataat") return isdataat(o);
    if (k == "dsize") return dsize(o);
    if (k == "bsize") return bsize(o);
    if (k == "urilen") return urilen(o);
    if (k == "pcre") return pcre(o);
    if (k == "byte_test") return byte_test(o);
    if (k == "byte_jump") return byte_jump(o);
    if (k == "byte_extract") return byte_extract(o);
    if (in(kUnsupported, k)) return fail(k, "not supported by the payload inspection module");
    if (is_transform(k)) return transform(o);
    if (auto name = sticky_buffer_name(k)) return no_value(o) && sticky(k, *name);
    if (auto name = legacy_modifier_buffer(k)) return no_value(o) && legacy_modifier(k, *name);
    if (!o.has_value) {
      if (k.starts_with("http_"))
        return fail(k, "buffer not supported (no such sticky buffer or content modifier)");
      if (k.find('.') != std::string::npos && !in(kDottedNonBuffers, k))
        return fail(k, "sticky buffer not supported (unknown buffer)");
    }
    return true;  // another module's keyword
  }

  bool sticky(std::string_view keyword, std::string_view name) {
    auto id = buffer_id(name);
    if (!id) return fail(keyword, "buffer " + quote(name) + " has no payload buffer id");
    current_ = ListKey{*id, {}, std::string(name)};
    sticky_ = *id != kPayloadBufferId;
    return true;
  }

  bool transform(const RuleOption& o) {
    if (!sticky_)
      return fail(o.keyword, "a transform must follow a sticky buffer (http.uri, dns.query, ...)");
    if (current_.transforms.size() >= kMaxTransforms)
      return fail(o.keyword, "more than " + std::to_string(kMaxTransforms) + " transforms");
    TransformParse t = parse_transform(o);
    if (!t.transform) {
      error_ = t.error;
      return false;
    }
    current_.transforms.push_back(std::move(*t.transform));
    current_.name += '+';
    current_.name += o.keyword;
    if (o.has_value) current_.name += ":" + o.raw;
    return true;
  }

  bool legacy_modifier(std::string_view keyword, std::string_view name) {
    if (!last_content_) return fail(keyword, "needs a preceding content");
    if (sticky_)
      return fail(keyword, "content modifier after the sticky buffer " + quote(current_.name) +
                               " is not supported (reset it with pkt_data first)");
    Item& it = items_[*last_content_];
    if (slots_[it.slot].buffer != kPayloadBufferId)
      return fail(keyword, "the content " + printable(it.m.content.pattern) +
                               " is already in buffer " + quote(slots_[it.slot].name));
    auto id = buffer_id(name);
    if (!id) return fail(keyword, "buffer " + quote(name) + " has no payload buffer id");
    it.slot = slot_for(ListKey{*id, {}, std::string(name)});
    return true;
  }

  std::size_t slot_for(const ListKey& key) {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].name == key.name) return i;
    slots_.push_back(key);
    return slots_.size() - 1;
  }

  bool add(PayloadMatch m) { return add_to(std::move(m), slot_for(current_)); }

  bool add_to(PayloadMatch m, std::size_t slot) {
    items_.push_back(Item{std::move(m), slot});
    return true;
  }

  bool no_value(const RuleOption& o) {
    if (o.has_value) return fail(o.keyword, "takes no value, got " + quote(o.raw));
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
    last_content_ = items_.size() - 1;
    return true;
  }

  // uricontent:"x" is content:"x" in http.uri.
  bool uricontent(const RuleOption& o) {
    RuleOption c = o;
    c.keyword = "content";
    if (!content(c)) {
      error_ = "uricontent" + error_.substr(std::string_view("content").size());
      return false;
    }
    items_.back().slot = slot_for(ListKey{*buffer_id("http.uri"), {}, "http.uri"});
    return true;
  }

  // urilen: N, <N, >N, A<>B (and the other dsize forms), optional `,norm` / `,raw`: a condition
  // on the length of http.uri (http.uri.raw with raw).
  bool urilen(const RuleOption& o) {
    if (!o.has_value) return fail("urilen", "needs a value");
    auto parts = split_value_list(o.value);
    if (parts.problem || parts.items.empty() || parts.items.size() > 2)
      return fail("urilen", "expects N, <N, >N or A<>B with an optional ,norm or ,raw, got " +
                                quote(o.raw));
    bool raw = false;
    if (parts.items.size() == 2) {
      if (parts.items[1] == "raw")
        raw = true;
      else if (parts.items[1] != "norm")
        return fail("urilen", "unknown option " + quote(parts.items[1]) + " (norm or raw)");
    }
    auto c = parse_uint_condition(parts.items[0], 65535, "urilen");
    if (!c.ok()) return fail("urilen", c.error);
    PayloadMatch m;
    m.kind = MatchKind::urilen;
    m.bsize = c.value;
    const std::string name = raw ? "http.uri.raw" : "http.uri";
    return add_to(std::move(m), slot_for(ListKey{*buffer_id(name), {}, name}));
  }

  bool pcre(const RuleOption& o) {
    if (!o.has_value) return fail("pcre", "needs a value");
    PcreCompileResult r = compile_pcre(o.raw);
    if (!r.match) {
      error_ = r.error;
      return false;
    }
    std::size_t slot = 0;
    if (r.buffer.empty()) {
      slot = slot_for(current_);
    } else if (sticky_) {
      // Suricata's Q selects file_data: accept it under file.data as well.
      const std::string_view base = buffer_name(current_.buffer);
      if (r.buffer != base && !(r.buffer == "http.response_body" && base == "file.data"))
        return fail("pcre", "a buffer flag of " + r.match->text + " names " + quote(r.buffer) +
                                " but the sticky buffer " + quote(current_.name) +
                                " is in force (reset it with pkt_data first)");
      slot = slot_for(current_);
    } else {
      slot = slot_for(ListKey{*buffer_id(r.buffer), {}, r.buffer});
    }
    if (r.match->relative && !sticky_) {
      const bool anchor = std::any_of(items_.begin(), items_.end(), [&](const Item& it) {
        return it.slot == slot && (it.m.kind == MatchKind::content || it.m.kind == MatchKind::pcre);
      });
      if (!anchor)
        return fail("pcre", r.match->text + ": R (relative) needs a preceding content or pcre " +
                                "in the same buffer");
    }
    PayloadMatch m;
    m.kind = MatchKind::pcre;
    m.pcre = std::move(*r.match);
    return add_to(std::move(m), slot);
  }

  bool modifier(const RuleOption& o) {
    const std::string& k = o.keyword;
    if (!last_content_) return fail(k, "needs a preceding content");
    ContentMatch& c = items_[*last_content_].m.content;
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

  // Suricata's retry rule (detect-within.c, detect-distance.c, detect-isdataat.c, detect-pcre.c,
  // detect-byte*.c): a keyword marks the nearest content or pcre before it in its buffer when
  // it is a content with `within`, a negated content with `distance`, or a relative isdataat,
  // byte_test, byte_jump, byte_extract or pcre; a positive content with only `distance` marks
  // the content before it for nothing (a later occurrence there only narrows its window) but
  // still marks a pcre. Only marked keywords retry their next occurrence when the rest fails.
  static void mark_relative_next(std::vector<PayloadMatch>& ms) {
    std::optional<std::size_t> prev;
    for (std::size_t j = 0; j < ms.size(); ++j) {
      const PayloadMatch& k = ms[j];
      bool marks = false, marks_pcre_only = false;
      switch (k.kind) {
        case MatchKind::content:
          if (k.content.has_within || (k.content.has_distance && k.content.negated))
            marks = true;
          else if (k.content.has_distance)
            marks_pcre_only = true;
          break;
        case MatchKind::isdataat: marks = k.isdataat.relative; break;
        case MatchKind::byte_test: marks = k.byte_test.read.relative; break;
        case MatchKind::byte_jump: marks = k.byte_jump.read.relative; break;
        case MatchKind::byte_extract: marks = k.byte_extract.read.relative; break;
        case MatchKind::pcre: marks = k.pcre.relative; break;
        case MatchKind::bsize:
        case MatchKind::urilen: break;
      }
      if (prev && (marks || marks_pcre_only)) {
        PayloadMatch& p = ms[*prev];
        if (p.kind == MatchKind::pcre)
          p.pcre.retry_next = true;
        else if (marks)
          p.content.relative_next = true;
      }
      if (k.kind == MatchKind::content || k.kind == MatchKind::pcre) prev = j;
    }
  }

  bool check_bsize(const std::vector<PayloadMatch>& ms) {
    for (const PayloadMatch& b : ms) {
      if (b.kind != MatchKind::bsize) continue;
      std::uint64_t max = 0;
      switch (b.bsize.op) {
        case UintOp::eq: max = b.bsize.a; break;
        case UintOp::le: max = b.bsize.a; break;
        case UintOp::lt: max = b.bsize.a - 1; break;
        case UintOp::range: max = b.bsize.b - 1; break;
        default: continue;
      }
      for (const PayloadMatch& m : ms) {
        if (m.kind == MatchKind::content && !m.content.negated && m.content.pattern.size() > max)
          return fail("bsize", "no buffer of at most " + std::to_string(max) +
                                   " bytes holds a content of " +
                                   std::to_string(m.content.pattern.size()) + " bytes");
      }
    }
    return true;
  }

  // The byte_extract slots a keyword reads.
  static void uses(const PayloadMatch& m, std::vector<std::int8_t>& out) {
    auto v = [&](const MatchValue& x) {
      if (x.var >= 0) out.push_back(x.var);
    };
    switch (m.kind) {
      case MatchKind::content:
        v(m.content.offset), v(m.content.depth), v(m.content.distance), v(m.content.within);
        break;
      case MatchKind::isdataat: v(m.isdataat.position); break;
      case MatchKind::byte_test: v(m.byte_test.read.offset), v(m.byte_test.value); break;
      case MatchKind::byte_jump: v(m.byte_jump.read.offset); break;
      case MatchKind::byte_extract: v(m.byte_extract.read.offset); break;
      default: break;
    }
  }

  // Items to lists, ordered by their first keyword in the rule (the order the engine inspects
  // them in, so byte_extract values flow forward); retry flags and per-list checks.
  bool build_lists() {
    std::vector<std::size_t> order(slots_.size(), SIZE_MAX);  // slot -> list index
    for (const Item& it : items_) {
      if (order[it.slot] != SIZE_MAX) continue;
      order[it.slot] = program_.lists.size();
      PayloadMatchList l;
      l.buffer = slots_[it.slot].buffer;
      l.transforms = slots_[it.slot].transforms;
      l.prefilter_name = slots_[it.slot].name;
      program_.lists.push_back(std::move(l));
    }
    std::vector<std::size_t> declared_in(vars_.size(), 0);
    std::vector<std::int8_t> used;
    for (Item& it : items_) {
      PayloadMatchList& l = program_.lists[order[it.slot]];
      used.clear();
      uses(it.m, used);
      for (std::int8_t var : used)
        if (declared_in[static_cast<std::size_t>(var)] > order[it.slot])
          return fail("byte_extract", "variable " + quote(vars_[static_cast<std::size_t>(var)]) +
                                          " is used in buffer " + quote(l.prefilter_name) +
                                          ", which is inspected before the buffer that sets it");
      if (it.m.kind == MatchKind::byte_extract)
        declared_in[it.m.byte_extract.slot] = order[it.slot];
      if (l.matches.size() >= kMaxMatchesPerList)
        return fail(it.m.kind == MatchKind::content ? "content" : "payload",
                    "more than " + std::to_string(kMaxMatchesPerList) + " payload keywords in " +
                        quote(l.prefilter_name));
      it.m.buffer = l.buffer;
      l.matches.push_back(std::move(it.m));
    }
    for (PayloadMatchList& l : program_.lists) {
      mark_relative_next(l.matches);
      if (!check_bsize(l.matches)) return false;
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
    const std::size_t slot = slot_for(current_);
    if (std::find(bsize_slots_.begin(), bsize_slots_.end(), slot) != bsize_slots_.end())
      return fail("bsize", "given twice for one buffer");
    bsize_slots_.push_back(slot);
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
    // byte_test:0,...,string reads the whole rest of the buffer (Suricata's documented form for
    // http.content_len and http.stat_code).
    const std::int64_t min = string && kw == "byte_test" ? 0 : 1;
    auto n = parse_signed(nbytes_text, min, max, std::string(kw) + " byte count");
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
  ListKey current_;      // where the next keyword goes (sticky buffer and its transforms)
  bool sticky_ = false;  // a sticky buffer other than pkt_data is in force
  std::vector<ListKey> slots_;
  std::vector<Item> items_;  // every payload keyword in rule order, with its list
  std::vector<std::size_t> bsize_slots_;
  std::vector<std::string> vars_;
  std::optional<std::size_t> last_content_;
  bool fast_pattern_seen_ = false;
  bool endian_seen_ = false;
  std::string error_;
};

}  // namespace

const PayloadMatchList* PayloadProgram::list_for(BufferId id) const {
  for (const auto& l : lists)
    if (l.buffer == id) return &l;
  return nullptr;
}

const PayloadMatchList* PayloadProgram::list_for(std::string_view prefilter_name) const {
  for (const auto& l : lists)
    if (l.prefilter_name == prefilter_name) return &l;
  return nullptr;
}

PayloadCompileResult compile_payload(const ParsedRule& rule) { return Compiler(rule).run(); }

}  // namespace vigil::detect
