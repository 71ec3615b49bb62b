// RuleSet::build: parse every rule file, compile each rule, order the signatures, build the
// prefilter and the groups of rules reached without a pattern.
#include "dataplane/detect/rules/rule_text.h"
#include "dataplane/detect/engine/rule_set.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "dataplane/detect/engine/detect_context.h"
#include "dataplane/detect/prefilter/fast_pattern.h"
#include <malloc.h>
#include <mbedtls/sha256.h>

namespace vigil::detect {

namespace {

using Clock = std::chrono::steady_clock;


template <std::size_t N>
bool in(const std::string_view (&table)[N], std::string_view s) {
  return std::find(std::begin(table), std::end(table), s) != std::end(table);
}

// Keywords that only describe the rule.
constexpr std::string_view kMetaKeywords[] = {"msg",      "sid",       "rev",     "gid",
                                              "classtype", "priority", "reference", "metadata",
                                              "target"};

// Keywords compile_payload() owns (besides sticky buffers, legacy modifiers and transforms).
constexpr std::string_view kPayloadKeywords[] = {
    "content",  "nocase",      "rawbytes",  "startswith", "endswith",   "offset",
    "depth",    "distance",    "within",    "fast_pattern", "isdataat", "dsize",
    "bsize",    "byte_test",   "byte_jump", "byte_extract", "pkt_data", "pcre",
    "uricontent", "urilen"};

bool is_payload_keyword(std::string_view kw) {
  return in(kPayloadKeywords, kw) || sticky_buffer_name(kw).has_value() ||
         legacy_modifier_buffer(kw).has_value() || is_transform(kw);
}

// Application-layer protocols a rule header may name, and the transports they run over.
struct AppProtoInfo {
  std::string_view name;
  bool tcp, udp;
};
constexpr AppProtoInfo kAppProtos[] = {
    {"http", true, false},   {"http1", true, false},  {"http2", true, false},
    {"dns", true, true},     {"tls", true, false},    {"ssh", true, false},
    {"smtp", true, false},   {"ftp", true, false},    {"ftp-data", true, false},
    {"smb", true, false},    {"dcerpc", true, true},  {"dhcp", false, true},
    {"ntp", false, true},    {"snmp", false, true},   {"sip", true, true},
    {"rdp", true, false},    {"krb5", true, true},    {"ikev2", false, true},
    {"nfs", true, true},     {"tftp", false, true},   {"imap", true, false},
    {"pop3", true, false},   {"mqtt", true, false},   {"modbus", true, false},
    {"dnp3", true, false},   {"enip", true, true},    {"rfb", true, false},
    {"pgsql", true, false},  {"quic", false, true},   {"telnet", true, false},
    {"bittorrent-dht", false, true}, {"irc", true, false}, {"ldap", true, true}};

constexpr std::uint8_t bit(ProtoClass c) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c)); }

// Fills the header part of `s` from the rule's protocol; false for an unknown protocol.
bool set_protocol(const ParsedRule& r, Signature& s) {
  const std::string& p = r.protocol;
  if (p == "ip" || p == "ipv4" || p == "ipv6" || p == "pkthdr") {
    s.proto_any = true;
    s.proto_mask = 0x0f;
    if (p == "ipv4") s.family_only = IpFamily::v4;
    if (p == "ipv6") s.family_only = IpFamily::v6;
  } else if (p == "tcp" || p == "tcp-pkt" || p == "tcp-stream") {
    s.proto_mask = bit(ProtoClass::tcp);
    if (p == "tcp-pkt") s.flow.flags |= flowcond::no_stream;
    if (p == "tcp-stream") s.flow.flags |= flowcond::only_stream;
  } else if (p == "udp") {
    s.proto_mask = bit(ProtoClass::udp);
  } else if (p == "icmp" || p == "icmpv4" || p == "icmpv6") {
    s.proto_mask = bit(ProtoClass::icmp);
    if (p != "icmp") s.exact_proto = p == "icmpv4" ? 1 : 58;
  } else if (p == "sctp") {
    s.proto_mask = bit(ProtoClass::other);
    s.exact_proto = 132;
  } else {
    for (const auto& a : kAppProtos) {
      if (a.name == p) {
        s.app_proto = p;
        s.proto_mask = static_cast<std::uint8_t>((a.tcp ? bit(ProtoClass::tcp) : 0) |
                                                 (a.udp ? bit(ProtoClass::udp) : 0));
        return true;
      }
    }
    return false;
  }
  return true;
}

// Anything in the payload lists that fixes an absolute position in the buffer: such a rule can
// only be matched against a stream window that starts where the stream starts.
bool list_anchored(const PayloadMatchList& list) {
  for (const PayloadMatch& m : list.matches) {
    switch (m.kind) {
      case MatchKind::content:
        if (!m.content.relative() &&
            (m.content.has_offset || m.content.has_depth || m.content.startswith)) {
          return true;
        }
        break;
      case MatchKind::isdataat:
        if (!m.isdataat.relative) return true;
        break;
      case MatchKind::byte_test:
        if (!m.byte_test.read.relative) return true;
        break;
      case MatchKind::byte_jump:
        if (!m.byte_jump.read.relative) return true;
        break;
      case MatchKind::byte_extract:
        if (!m.byte_extract.read.relative) return true;
        break;
      case MatchKind::bsize:
        return true;
      default:
        break;
    }
  }
  return false;
}

bool anchored(const PayloadProgram& prog) {
  const PayloadMatchList* list = prog.list_for(kPayloadBufferId);
  return list != nullptr && list_anchored(*list);
}

// `app-layer-protocol:[!]name[,direction]`. The direction forms are accepted and read as the
// flow's protocol (Vigil names one protocol per flow).
bool parse_app_layer_protocol(std::string_view value, Signature& s, std::string& error) {
  std::string_view v = trim(value);
  Signature::AppLayerProtocol c;
  if (!v.empty() && v.front() == '!') {
    c.negated = true;
    v = trim(v.substr(1));
  }
  const auto comma = v.find(',');
  const std::string_view name = trim(v.substr(0, comma));
  if (comma != std::string_view::npos) {
    const std::string_view dir = trim(v.substr(comma + 1));
    if (dir != "to_server" && dir != "to_client" && dir != "either" && dir != "final" &&
        dir != "original" && dir != "direction") {
      error = "app-layer-protocol: unknown direction '" + std::string(dir) + "'";
      return false;
    }
  }
  const std::optional<app::AppProto> p = app::app_proto_from_name(name);
  if (!p) {
    error = "app-layer-protocol: protocol '" + std::string(name) + "' is not detected by Vigil";
    return false;
  }
  c.proto = *p;
  s.app_layer_protocol.push_back(c);
  return true;
}

void parse_metadata(std::string_view value, Signature& s) {
  const ValueList list = split_value_list(value);
  for (const std::string& item : list.items) {
    const std::string_view it = trim(item);
    if (it.empty()) continue;
    const auto sp = it.find(' ');
    if (sp == std::string_view::npos) {
      s.metadata.emplace_back(std::string(it), std::string());
    } else {
      s.metadata.emplace_back(std::string(it.substr(0, sp)), std::string(trim(it.substr(sp + 1))));
    }
  }
}

std::size_t port_count(const PortSet& ps);

// A literal whose bytes are mostly one value ("AAAA...", runs of |00|) makes the literal matcher
// crawl over data made of that byte (zero-filled segments, padding): one such pattern slows the
// scan of every packet by two orders of magnitude. The prefilter is only a filter, so such a
// pattern is replaced by the rule's longest other content in the same buffer, or dropped (the rule
// is then reached without a pattern); the rule itself is evaluated unchanged.
bool degenerate(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 2) return false;
  std::array<std::uint16_t, 256> count{};
  std::uint16_t most = 0;
  for (std::uint8_t b : bytes) most = std::max<std::uint16_t>(most, ++count[b]);
  return std::size_t{most} * 4 >= bytes.size() * 3;
}

// The prefilter database of a transaction rule's pattern on `buffer`: the header-like buffers of
// one protocol and side (requests, responses, both) share one, scanned once over all of them
// (one Hyperscan call per header block instead of one per buffer); bodies, which arrive window by
// window, and transformed buffers keep their own.
std::string app_db_name(std::string_view buffer) {
  if (buffer.find('+') != std::string_view::npos) return std::string(buffer);
  const std::optional<app::AppBuffer> b = app::app_buffer_from_name(buffer);
  if (!b || app::AppTxView::streaming(*b)) return std::string(buffer);
  const std::optional<FlowDirection> d = app::app_buffer_direction(*b);
  const char* side = !d ? "both" : *d == FlowDirection::to_server ? "request" : "response";
  return "app/" + std::string(app::app_proto_name(app::app_buffer_proto(*b))) + "/" + side;
}

// A body buffer: its windows may be long runs of one byte (zero-filled files), which a pattern of
// one repeated byte would crawl through.
bool body_buffer(std::string_view buffer) {
  const std::string_view base = buffer.substr(0, buffer.find('+'));
  return base == kPayloadBuffer || base == "file.data" || base == "http.request_body" ||
         base == "http.response_body";
}

// The rule's pattern in `sel` becomes content `i` of `rc`.
void use_content(const RuleContents& rc, std::size_t i, FastPatternSelection& sel) {
  const RuleContent& c = rc.contents[i];
  FastPattern fp;
  fp.buffer = c.buffer;
  fp.bytes = c.bytes;
  fp.nocase = c.nocase;
  fp.content_index = i;
  sel.buffer = c.buffer;
  sel.pattern = std::move(fp);
}

// The longest positive content for which `usable(content)` holds, preferring one that is not one
// repeated byte.
template <typename Usable>
std::optional<std::size_t> best_content(const RuleContents& rc, Usable usable) {
  std::optional<std::size_t> best;
  bool best_degenerate = true;
  for (std::size_t i = 0; i < rc.contents.size(); ++i) {
    const RuleContent& c = rc.contents[i];
    if (c.negated || c.bytes.empty() || !usable(c)) continue;
    const bool d = degenerate(c.bytes);
    if (!best || (best_degenerate && !d) ||
        (d == best_degenerate && c.bytes.size() > rc.contents[*best].bytes.size())) {
      best = i;
      best_degenerate = d;
    }
  }
  return best;
}

FastPatternSelection choose_fast_pattern_uncapped(const ParsedRule& r, bool tx_rule, bool& replaced);

// Payload and body patterns are at most kMaxStreamPattern bytes: the last ones of a longer
// content, since a match the new bytes of a stream or body complete ends in them, and those are
// scanned from that many bytes before their new ones (DetectContext).
FastPatternSelection choose_fast_pattern(const ParsedRule& r, bool tx_rule, bool& replaced) {
  FastPatternSelection sel = choose_fast_pattern_uncapped(r, tx_rule, replaced);
  if (sel.pattern && body_buffer(sel.buffer) &&
      sel.pattern->bytes.size() > DetectContext::kMaxStreamPattern) {
    auto& b = sel.pattern->bytes;
    b.erase(b.begin(), b.end() - static_cast<std::ptrdiff_t>(DetectContext::kMaxStreamPattern));
  }
  return sel;
}

FastPatternSelection choose_fast_pattern_uncapped(const ParsedRule& r, bool tx_rule, bool& replaced) {
  const RuleContents rc = extract_contents(r);
  FastPatternSelection sel = select_fast_pattern(rc);
  replaced = false;
  if (sel.problem) return sel;
  // A transaction rule is reached when its transaction's buffers are scanned: a pattern on the
  // packet payload would never make it a candidate, so one of its app-layer contents is used.
  if (tx_rule && sel.pattern && sel.buffer == kPayloadBuffer) {
    const auto i = best_content(rc, [](const RuleContent& c) { return c.buffer != kPayloadBuffer; });
    if (i) {
      use_content(rc, *i, sel);
      replaced = true;
    } else {
      sel.pattern.reset();
    }
  }
  if (!sel.pattern || !degenerate(sel.pattern->bytes)) return sel;
  // One repeated byte is harmless in a header, a URI or a name; only payloads and bodies crawl.
  if (tx_rule && !body_buffer(sel.buffer)) return sel;
  replaced = true;
  const std::string buffer = sel.buffer;
  const std::size_t current = sel.pattern->content_index;
  const auto i = best_content(rc, [&](const RuleContent& c) {
    return c.buffer == buffer && !degenerate(c.bytes) && &c != &rc.contents[current];
  });
  if (i) {
    use_content(rc, *i, sel);
    return sel;
  }
  // No other content: a part of this one that is not one repeated byte still filters ("TVqQ" of
  // "TVqQAAMAAAAEAAAA...", "0x10" of "0x1000000"); the rule still checks the whole content.
  const std::vector<std::uint8_t>& b = sel.pattern->bytes;
  constexpr std::size_t kMinPart = 4, kMaxPart = 16;
  std::size_t best_at = 0, best_len = 0, best_distinct = 0;
  for (std::size_t len = std::min(b.size(), kMaxPart); len >= kMinPart && best_len == 0; --len) {
    for (std::size_t at = 0; at + len <= b.size(); ++at) {
      const std::span<const std::uint8_t> part(b.data() + at, len);
      if (degenerate(part)) continue;
      std::array<bool, 256> seen{};
      std::size_t distinct = 0;
      for (std::uint8_t x : part) distinct += !std::exchange(seen[x], true);
      if (distinct > best_distinct) {
        best_at = at;
        best_len = len;
        best_distinct = distinct;
      }
    }
  }
  if (best_len == 0) {
    sel.pattern.reset();
    return sel;
  }
  sel.pattern->bytes = std::vector<std::uint8_t>(b.begin() + static_cast<std::ptrdiff_t>(best_at),
                                                 b.begin() + static_cast<std::ptrdiff_t>(best_at + best_len));
  return sel;
}

// The prefilter database of a rule's payload pattern: per transport, and for rules with a small
// port set per group of rules sharing that set; "" when it has none to go to.
// Payload fast patterns this short are not worth a database entry when the rule names its ports.
constexpr std::size_t kWeakPatternBytes = 3;

std::string payload_db_name(const Signature& s, const PortSet** ports_out) {
  *ports_out = nullptr;
  int classes = 0, cls = 0;
  for (int c = 0; c < static_cast<int>(kProtoClasses); ++c) {
    if (s.proto_mask & (1u << c)) {
      ++classes;
      cls = c;
    }
  }
  if (classes != 1) return "payload/multi";  // split per transport by the caller
  static constexpr const char* kNames[] = {"tcp", "udp", "icmp", "other"};
  std::string name = std::string("payload/") + kNames[cls];
  if (cls > 1) return name;
  const PortSet* ports = nullptr;
  if (!s.dport_any && port_count(s.dport) <= 64) {
    ports = &s.dport;
  } else if (!s.sport_any && port_count(s.sport) <= 64) {
    ports = &s.sport;
  }
  if (ports == nullptr) return name;
  *ports_out = ports;
  name += "/ports";
  for (const auto& r : ports->ranges) name += ":" + std::to_string(r.first) + "-" + std::to_string(r.last);
  return name;
}

// Suricata orders rules that set flowbits before those that read them, so a setter and a reader
// matching the same packet see each other's effect in a predictable order.
int flowbits_rank(const Signature& s) {
  const bool sets = !s.vars.bit_actions.empty();
  const bool reads = !s.vars.bit_conditions.empty();
  if (sets && !reads) return 0;
  if (sets && reads) return 1;
  if (reads) return 2;
  return 3;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// What identifies a rule's behaviour — ids, action, protocol, direction, the normalised address
// and port sets and every option as written — hashed, for the rule set's fingerprint.
std::array<unsigned char, 32> rule_digest(const ParsedRule& r) {
  std::string text = std::to_string(r.gid) + ":" + std::to_string(r.sid) + ":" +
                     std::to_string(r.rev) + " " + std::string(rule_action_name(r.action)) + " " +
                     r.protocol + (r.direction == RuleDirection::both ? " <>" : " ->");
  auto add_addresses = [&](const AddressSet& a) {
    for (const auto& iv : a.v4) text += " " + std::to_string(iv.first) + "-" + std::to_string(iv.last);
    for (const auto& iv : a.v6) {
      text += " " + std::to_string(iv.first.hi) + "." + std::to_string(iv.first.lo) + "-" +
              std::to_string(iv.last.hi) + "." + std::to_string(iv.last.lo);
    }
    text += " |";
  };
  auto add_ports = [&](const PortSet& ps) {
    for (const auto& iv : ps.ranges) text += " " + std::to_string(iv.first) + "-" + std::to_string(iv.last);
    text += " |";
  };
  add_addresses(r.src_addr);
  add_ports(r.src_port);
  add_addresses(r.dst_addr);
  add_ports(r.dst_port);
  for (const RuleOption& o : r.options) text += " " + o.keyword + ":" + o.raw + ";";
  std::array<unsigned char, 32> digest{};
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data(), 0);
  return digest;
}

int action_rank(RuleAction a, const std::vector<RuleAction>& order) {
  RuleAction base = a;
  if (a == RuleAction::rejectsrc || a == RuleAction::rejectdst || a == RuleAction::rejectboth) {
    base = RuleAction::reject;
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == base) return static_cast<int>(i);
  }
  return static_cast<int>(order.size());
}

// How many addresses a set names (IPv6 scaled down so that the comparison stays meaningful).
double address_count(const AddressSet& a) {
  double n = 0;
  for (const auto& iv : a.v4) n += static_cast<double>(iv.last - iv.first) + 1;
  for (const auto& iv : a.v6) {
    n += static_cast<double>(iv.last.hi - iv.first.hi) * 18446744073709551616.0 +
         (static_cast<double>(iv.last.lo) - static_cast<double>(iv.first.lo)) + 1;
  }
  return n;
}

std::size_t port_count(const PortSet& ps) {
  std::size_t n = 0;
  for (const auto& r : ps.ranges) n += static_cast<std::size_t>(r.last - r.first) + 1;
  return n;
}

}  // namespace

std::string format_rule_load_error(const RuleLoadError& e) {
  std::string out = e.source + ":" + std::to_string(e.line) + ": ";
  if (e.sid != 0) out += "sid " + std::to_string(e.sid) + ": ";
  return out + e.reason + ": " + e.message;
}

SignatureCompileResult compile_signature(const ParsedRule& r, const ClassificationTable& classes,
                                         FlowVarLayout& layout) {
  SignatureCompileResult res;
  Signature s;
  auto fail = [&](std::string_view reason, std::string message) {
    res.reason = std::string(reason);
    res.message = std::move(message);
    return res;
  };
  s.sid = r.sid;
  s.gid = r.gid;
  s.rev = r.rev;
  s.action = r.action;
  s.msg = r.msg;
  s.source = r.source;
  s.line = r.line;
  s.src = r.src_addr;
  s.dst = r.dst_addr;
  s.sport = r.src_port;
  s.dport = r.dst_port;
  s.bidirectional = r.direction == RuleDirection::both;
  s.src_any = is_any(s.src);
  s.dst_any = is_any(s.dst);
  s.sport_any = is_any(s.sport);
  s.dport_any = is_any(s.dport);
  if (!set_protocol(r, s)) {
    return fail("unsupported_protocol", "protocol '" + r.protocol + "' is not supported");
  }

  bool flow_seen = false, threshold_seen = false, priority_set = false;
  std::string error;
  for (const RuleOption& o : r.options) {
    const std::string_view kw = o.keyword;
    const std::string_view value = o.value;
    if (in(kMetaKeywords, kw)) {
      if (kw == "classtype") {
        const ClassType* ct = classes.find(trim(value));
        if (ct == nullptr) {
          return fail("unknown_classtype",
                      "classtype: '" + std::string(trim(value)) + "' is not in the classification table");
        }
        s.classtype = ct->name;
        s.category = ct->description;
        if (!priority_set) s.priority = ct->priority;
      } else if (kw == "priority") {
        const RuleInteger p = parse_rule_integer(value, 1, 255, "priority");
        if (p.problem) return fail("bad_value", "priority: " + p.problem->message);
        s.priority = static_cast<std::uint8_t>(p.value);
        priority_set = true;
      } else if (kw == "metadata") {
        parse_metadata(value, s);
      } else if (kw == "target") {
        const std::string_view t = trim(value);
        if (t != "src_ip" && t != "dest_ip") {
          return fail("bad_value", "target: expected src_ip or dest_ip (" + std::string(t) + ")");
        }
        s.target = std::string(t);
      }
      continue;
    }
    if (is_payload_keyword(kw)) continue;  // compile_payload() below
    switch (parse_header_keyword(kw, value, s.header, error)) {
      case HeaderKeywordStatus::ok: continue;
      case HeaderKeywordStatus::error: return fail("bad_value", error);
      case HeaderKeywordStatus::not_mine: break;
    }
    if (kw == "flow") {
      if (flow_seen) return fail("bad_value", "flow: given twice");
      flow_seen = true;
      if (!parse_flow_keyword(value, s.flow, error)) return fail("bad_value", error);
    } else if (kw == "flowbits") {
      if (!parse_flowbits(value, layout, s.vars, error)) return fail("bad_value", error);
    } else if (kw == "flowint") {
      if (!parse_flowint(value, layout, s.vars, error)) return fail("bad_value", error);
    } else if (kw == "noalert") {
      s.noalert = true;
    } else if (kw == "threshold" || kw == "detection_filter") {
      if (threshold_seen) {
        return fail("bad_value", std::string(kw) + ": only one threshold or detection_filter per rule");
      }
      threshold_seen = true;
      ThresholdSpecResult t =
          kw == "threshold" ? parse_threshold(value) : parse_detection_filter(value);
      if (!t.spec) return fail("bad_value", t.error);
      s.threshold = t.spec;
    } else if (kw == "app-layer-protocol") {
      if (!parse_app_layer_protocol(value, s, error)) return fail("unsupported_protocol", error);
    } else if (kw == "tag") {
      TagSpec t;
      if (!parse_tag(value, t, error)) return fail("bad_value", error);
      s.tag = t;
    } else {
      return fail("unsupported_keyword", "keyword '" + std::string(kw) + "' is not supported");
    }
  }
  s.noalert = s.noalert || s.vars.noalert;

  PayloadCompileResult payload = compile_payload(r);
  if (!payload.program) return fail("payload", payload.error);
  s.payload = std::move(*payload.program);
  s.payload_anchored = anchored(s.payload);
  // Lists on application-layer buffers make a transaction rule, whose protocol the buffers name.
  std::optional<app::AppProto> buffers_proto;
  for (const PayloadMatchList& l : s.payload.lists) {
    s.list_anchored.push_back(list_anchored(l) ? 1 : 0);
    if (l.buffer == kPayloadBufferId) {
      s.list_app.push_back(Signature::kListOnPayload);
      continue;
    }
    const std::string_view name = buffer_name(l.buffer);
    const std::optional<app::AppBuffer> b = app::app_buffer_from_name(name);
    if (!b) {
      return fail("unsupported_keyword",
                  "buffer '" + std::string(name) + "' is not filled by Vigil's app layer");
    }
    const app::AppProto bp = app::app_buffer_proto(*b);
    if (buffers_proto && *buffers_proto != bp) {
      return fail("bad_value", "buffers of two application protocols in one rule");
    }
    buffers_proto = bp;
    s.list_app.push_back(static_cast<std::uint8_t>(*b));
    s.tx_rule = true;
  }
  if (!s.app_proto.empty()) {
    const std::optional<app::AppProto> hp = app::app_proto_from_name(s.app_proto);
    s.app = hp.value_or(app::AppProto::unknown);
    const bool file_data_only =
        std::all_of(s.list_app.begin(), s.list_app.end(), [](std::uint8_t b) {
          return b == Signature::kListOnPayload ||
                 b == static_cast<std::uint8_t>(app::AppBuffer::file_data);
        });
    if (buffers_proto && (!hp || *hp != *buffers_proto) && file_data_only) {
      // file.data belongs to whichever protocol carries files; Vigil fills it from HTTP only.
      return fail("unsupported_keyword", "buffer 'file.data' of protocol " + s.app_proto +
                                             " is not filled by Vigil's app layer (HTTP only)");
    }
    if (buffers_proto && (!hp || *hp != *buffers_proto)) {
      return fail("bad_value", "protocol '" + s.app_proto + "' with buffers of protocol '" +
                                   std::string(app::app_proto_name(*buffers_proto)) + "'");
    }
  } else if (buffers_proto) {
    s.app = *buffers_proto;
    s.app_proto = std::string(app::app_proto_name(*buffers_proto));
  }
  s.has_payload = !s.payload.lists.empty() || s.payload.dsize.has_value();
  // dsize is about one packet, so such a rule never looks at the stream (as in Suricata).
  if (s.payload.dsize) s.flow.flags |= flowcond::no_stream;
  if (const PayloadMatchList* list = s.payload.list_for(kPayloadBufferId);
      list != nullptr && !(s.flow.flags & flowcond::no_stream)) {
    for (const PayloadMatch& m : list->matches) {
      s.stream_capable = s.stream_capable || (m.kind == MatchKind::content && !m.content.negated);
    }
    s.stream_multi = s.stream_capable && list->matches.size() > 1;
  }
  if ((s.flow.flags & flowcond::only_stream) && !(s.proto_mask & bit(ProtoClass::tcp))) {
    return fail("bad_value", "flow: only_stream on a rule that cannot see TCP");
  }

  const bool iponly = !s.has_payload && !s.header.any() &&
                      (s.flow.flags & ~flowcond::stateless) == 0 &&
                      s.vars.bit_conditions.empty() && s.vars.int_conditions.empty() &&
                      s.vars.int_actions.empty() && s.sport_any && s.dport_any &&
                      s.app_proto.empty() && s.app_layer_protocol.empty() && !s.exact_proto;
  s.kind = iponly ? SigKind::iponly : SigKind::packet;
  s.flow_scope = !s.has_payload && !s.header.any() && s.vars.bit_conditions.empty() &&
                 s.vars.int_conditions.empty() && s.app_proto.empty() &&
                 s.app_layer_protocol.empty();
  res.sig = std::move(s);
  return res;
}

std::size_t RuleSet::payload_scans(ProtoClass c, std::uint16_t sport, std::uint16_t dport,
                                  std::span<PrefilterBufferId, kMaxPayloadScans> out) const {
  std::size_t n = 0;
  const PayloadDbs& dbs = payload_dbs_[static_cast<std::size_t>(c)];
  if (dbs.any_port) out[n++] = *dbs.any_port;
  if (!dbs.port_offsets.empty()) {
    auto add_port = [&](std::uint16_t port) {
      for (std::uint32_t i = dbs.port_offsets[port]; i < dbs.port_offsets[port + 1u]; ++i) {
        const PrefilterBufferId id = dbs.port_groups[i];
        bool seen = false;
        for (std::size_t k = 0; k < n && !seen; ++k) seen = out[k] == id;
        if (!seen && n < out.size()) out[n++] = id;
      }
    };
    add_port(dport);
    if (sport != dport) add_port(sport);
  }
  return n;
}

std::span<const std::uint32_t> RuleSet::port_rules(ProtoClass c, std::uint16_t port) const {
  const Group& g = groups_[static_cast<std::size_t>(c)];
  if (g.port_offsets.empty()) return {};
  const std::uint32_t b = g.port_offsets[port], e = g.port_offsets[port + 1u];
  return {g.port_list.data() + b, e - b};
}

RuleSetBuildResult RuleSet::build(std::span<const RuleFile> files, const RuleSetConfig& config) {
  RuleSetBuildResult out;
  const auto start = Clock::now();
  std::shared_ptr<RuleSet> set(new RuleSet());
  RuleSetStats& st = set->stats_;
  const ClassificationTable& classes =
      config.classification ? *config.classification : default_classification();

  // Parse and compile one file at a time, releasing each parsed rule once compiled: the parsed
  // form of a large set is several times the size of the compiled one, so this keeps the peak
  // memory of a build near the compiled set's size. A gid:sid seen twice keeps the higher rev.
  struct Compiled {
    Signature sig;
    FastPatternSelection fp;
    std::array<unsigned char, 32> digest;  // of the rule's ids, action, header and options
  };
  std::vector<Compiled> compiled;
  std::unordered_map<std::uint64_t, std::size_t> by_id;
  std::size_t parsed_count = 0;
  std::chrono::nanoseconds parse_time{0}, compile_time{0};

  auto compile_one = [&](ParsedRule r) {
    SignatureCompileResult c = compile_signature(r, classes, set->layout_);
    if (!c.sig) {
      out.errors.push_back({r.source, r.line, r.sid, c.reason, c.message});
      return;
    }
    bool replaced = false;
    FastPatternSelection sel = choose_fast_pattern(r, c.sig->tx_rule, replaced);
    st.fast_patterns_replaced += replaced;
    if (sel.problem) {
      out.errors.push_back({r.source, r.line, r.sid, "prefilter", *sel.problem});
      return;
    }
    const std::array<unsigned char, 32> digest = rule_digest(r);
    const std::uint64_t id = (std::uint64_t{r.gid} << 32) | r.sid;
    const auto it = by_id.find(id);
    if (it != by_id.end()) {
      Compiled& old = compiled[it->second];
      const bool replace = c.sig->rev > old.sig.rev;
      const Signature& loser = replace ? old.sig : *c.sig;
      out.errors.push_back({loser.source, loser.line, loser.sid, "duplicate_sid",
                            "gid " + std::to_string(r.gid) + " sid " + std::to_string(r.sid) +
                                " rev " + std::to_string(loser.rev) + " is also at " +
                                (replace ? r.source + ":" + std::to_string(r.line)
                                         : old.sig.source + ":" + std::to_string(old.sig.line)) +
                                "; the higher revision is kept"});
      if (replace) old = Compiled{std::move(*c.sig), std::move(sel), digest};
      return;
    }
    by_id.emplace(id, compiled.size());
    compiled.push_back(Compiled{std::move(*c.sig), std::move(sel), digest});
  };

  for (const RuleFile& f : files) {
    const auto file_start = Clock::now();
    RuleParseResult pr = parse_rules(f.text, f.source, config.vars);
    for (RuleError& e : pr.errors) {
      out.errors.push_back({e.source, e.line, e.sid,
                            "syntax." + std::string(rule_error_reason_name(e.reason)),
                            std::move(e.message)});
    }
    parsed_count += pr.rules.size();
    const auto file_parsed = Clock::now();
    parse_time += file_parsed - file_start;
    for (ParsedRule& r : pr.rules) compile_one(std::move(r));
    compile_time += Clock::now() - file_parsed;
  }
  st.parse_time = parse_time;

  const auto order_start = Clock::now();
  // Evaluation order: action order, flowbits setters before readers, priority, then load order.
  std::vector<std::size_t> order(compiled.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Signature& x = compiled[a].sig;
    const Signature& y = compiled[b].sig;
    const int ax = action_rank(x.action, config.action_order);
    const int ay = action_rank(y.action, config.action_order);
    if (ax != ay) return ax < ay;
    const int fx = flowbits_rank(x), fy = flowbits_rank(y);
    if (fx != fy) return fx < fy;
    return x.priority < y.priority;
  });

  std::vector<PrefilterEntry> entries;
  entries.reserve(order.size());
  set->sigs_.reserve(order.size());
  std::string fingerprint_text;
  std::unordered_map<std::string, std::size_t> group_rules;  // payload database -> rules
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    Compiled& c = compiled[order[pos]];
    const FastPatternSelection& sel = c.fp;
    Signature& s = set->sigs_.emplace_back(std::move(c.sig));
    PrefilterEntry e;
    e.sid = s.sid;
    e.buffer = sel.buffer;
    if (s.tx_rule) {
      // A transaction rule is a candidate when a buffer of its transaction is scanned: through
      // its fast pattern when that is on an app-layer buffer, else on every scan of its first
      // app-layer list's buffer.
      ++st.transaction;
      if (sel.pattern && sel.buffer != kPayloadBuffer) {
        e.buffer = app_db_name(sel.buffer);
        e.pattern = PrefilterPattern{sel.pattern->bytes, sel.pattern->nocase};
        s.has_fast_pattern = true;
        ++st.pattern;
      } else {
        for (std::size_t li = 0; li < s.payload.lists.size(); ++li) {
          if (s.list_app[li] == Signature::kListOnPayload) continue;
          e.buffer = app_db_name(s.payload.lists[li].prefilter_name);
          break;
        }
        ++st.no_pattern;
      }
      entries.push_back(std::move(e));
      fingerprint_text.append(reinterpret_cast<const char*>(c.digest.data()), c.digest.size());
      continue;
    }
    bool weak_pattern = false;
    if (sel.pattern && sel.buffer == kPayloadBuffer) {
      const PortSet* ports = nullptr;
      e.buffer = payload_db_name(s, &ports);
      // A pattern of a byte or two occurs in nearly every binary payload and slows the whole
      // database's scan: a rule that names its ports is cheaper to reach by port alone.
      weak_pattern = ports != nullptr && sel.pattern->bytes.size() <= kWeakPatternBytes;
      if (!weak_pattern) ++group_rules[e.buffer];
    }
    if (s.kind == SigKind::packet && sel.pattern && !weak_pattern) {
      e.pattern = PrefilterPattern{sel.pattern->bytes, sel.pattern->nocase};
      s.has_fast_pattern = true;
      ++st.pattern;
    } else {
      e.rejected = true;  // reached through the groups below
      if (s.kind == SigKind::iponly) {
        ++st.iponly;
      } else {
        ++st.no_pattern;
      }
    }
    entries.push_back(std::move(e));
    fingerprint_text.append(reinterpret_cast<const char*>(c.digest.data()), c.digest.size());
  }
  compiled = {};
  // A rule on several transports (`ip`) goes into each transport's database: its first entry
  // keeps the rule's index, the others are appended and mapped back (entry_rule()).
  {
    static constexpr const char* kNames[] = {"payload/tcp", "payload/udp", "payload/icmp", "payload/other"};
    const std::size_t primary = entries.size();
    for (std::size_t i = 0; i < primary; ++i) {
      if (entries[i].buffer != "payload/multi") continue;
      const std::uint8_t mask = set->sigs_[i].proto_mask;
      bool first = true;
      for (std::size_t c = 0; c < kProtoClasses; ++c) {
        if (!(mask & (1u << c))) continue;
        if (first) {
          entries[i].buffer = kNames[c];
          first = false;
          continue;
        }
        PrefilterEntry extra = entries[i];
        extra.buffer = kNames[c];
        entries.push_back(std::move(extra));
        set->entry_rule_.push_back(static_cast<std::uint32_t>(i));
      }
    }
  }
  // A port group of a few rules costs a database compile and a scan for little gain: below
  // kMinGroupRules its rules join their transport's any-port database.
  constexpr std::size_t kMinGroupRules = 32;
  for (PrefilterEntry& e : entries) {
    const auto it = group_rules.find(e.buffer);
    if (it != group_rules.end() && it->second < kMinGroupRules && e.buffer.find("/ports:") != std::string::npos) {
      e.buffer = e.buffer.substr(0, e.buffer.find("/ports:"));
    }
  }
  const auto compiled_at = Clock::now();
  st.compile_time = compile_time + (compiled_at - order_start);

  PrefilterBuildResult pf = Prefilter::build(std::span<const PrefilterEntry>(entries));
  if (!pf.prefilter) {
    out.failure = pf.failure.value_or("the prefilter could not be built");
    return out;
  }
  for (const PrefilterError& e : pf.errors) {
    // A pattern Hyperscan refused leaves the rule without a pattern: move it to the groups.
    if (e.rule_index < set->sigs_.size() && set->sigs_[e.rule_index].has_fast_pattern) {
      set->sigs_[e.rule_index].has_fast_pattern = false;
      --st.pattern;
      ++st.no_pattern;
    }
  }
  set->prefilter_ = pf.prefilter;
  // Payload databases: per transport, the any-port one and the port groups, indexed by port.
  {
    static constexpr const char* kNames[] = {"tcp", "udp", "icmp", "other"};
    std::array<std::vector<std::vector<PrefilterBufferId>>, 2> by_port;
    for (PrefilterBufferId id = 0; id < set->prefilter_->buffer_count(); ++id) {
      const std::string_view name = set->prefilter_->buffer_info(id).name;
      if (!name.starts_with("payload/")) continue;
      ++st.payload_databases;
      for (std::size_t c = 0; c < kProtoClasses; ++c) {
        const std::string base = std::string("payload/") + kNames[c];
        if (name == base) set->payload_dbs_[c].any_port = id;
        if (c < 2 && name.starts_with(base + "/ports:")) {
          auto& ports = by_port[c];
          if (ports.empty()) ports.resize(65536);
          // The name lists the group's ranges: "payload/tcp/ports:80-80:8080-8081".
          std::string_view rest = name.substr(base.size() + 6);
          while (!rest.empty()) {
            rest.remove_prefix(1);  // ':'
            const auto dash = rest.find('-');
            const auto next = rest.find(':');
            const unsigned lo = static_cast<unsigned>(std::stoul(std::string(rest.substr(0, dash))));
            const unsigned hi = static_cast<unsigned>(
                std::stoul(std::string(rest.substr(dash + 1, next == std::string_view::npos ? next : next - dash - 1))));
            for (unsigned p = lo; p <= hi && p < 65536; ++p) ports[p].push_back(id);
            rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next);
          }
        }
      }
    }
    for (std::size_t c = 0; c < 2; ++c) {
      if (by_port[c].empty()) continue;
      PayloadDbs& dbs = set->payload_dbs_[c];
      dbs.port_offsets.resize(65537);
      for (std::size_t p = 0; p < 65536; ++p) {
        dbs.port_offsets[p] = static_cast<std::uint32_t>(dbs.port_groups.size());
        // At most 16 groups per port are scanned; more would need a bigger scan list.
        const auto& g = by_port[c][p];
        dbs.port_groups.insert(dbs.port_groups.end(), g.begin(),
                               g.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(g.size(), 16)));
      }
      dbs.port_offsets[65536] = static_cast<std::uint32_t>(dbs.port_groups.size());
    }
  }
  // Prefilter buffers of transaction rules: the lists that named them give the transforms.
  if (set->prefilter_) {
    for (const Signature& s : set->sigs_) {
      if (!s.tx_rule) continue;
      for (std::size_t li = 0; li < s.payload.lists.size(); ++li) {
        if (s.list_app[li] == Signature::kListOnPayload) continue;
        const PayloadMatchList& l = s.payload.lists[li];
        const std::string db = app_db_name(l.prefilter_name);
        const std::optional<PrefilterBufferId> id = set->prefilter_->find_buffer(db);
        if (!id) continue;
        const bool known = std::any_of(set->app_scans_.begin(), set->app_scans_.end(),
                                       [&](const AppScan& a) { return a.id == *id; });
        if (known) continue;
        AppScan scan{*id, static_cast<app::AppBuffer>(s.list_app[li]), l.transforms, {}};
        if (db != l.prefilter_name) {
          // A shared database: every buffer that goes to it is scanned with it.
          for (std::size_t b = 0; b < static_cast<std::size_t>(app::AppBuffer::count_); ++b) {
            const auto ab = static_cast<app::AppBuffer>(b);
            if (app_db_name(app::app_buffer_name(ab)) == db) scan.members.push_back(ab);
          }
          scan.buffer = scan.members.front();
        }
        set->app_scans_.push_back(std::move(scan));
      }
    }
  }
  st.prefilter_time = Clock::now() - compiled_at;
  st.prefilter = set->prefilter_->stats();

  // Groups of rules reached without a pattern: IP-only, by port, or on every packet.
  constexpr std::size_t kMaxIndexedPorts = 64;
  for (std::size_t c = 0; c < kProtoClasses; ++c) {
    Group& g = set->groups_[c];
    std::vector<std::vector<std::uint32_t>> by_port;
    for (std::uint32_t i = 0; i < set->sigs_.size(); ++i) {
      const Signature& s = set->sigs_[i];
      if (!(s.proto_mask & (1u << c)) || s.has_fast_pattern || s.tx_rule) continue;
      if (s.kind == SigKind::iponly) {
        g.iponly.push_back(i);
        continue;
      }
      const bool ports = c == static_cast<std::size_t>(ProtoClass::tcp) ||
                         c == static_cast<std::size_t>(ProtoClass::udp);
      const PortSet* indexed = nullptr;
      if (ports && !s.dport_any && port_count(s.dport) <= kMaxIndexedPorts) {
        indexed = &s.dport;
      } else if (ports && !s.sport_any && port_count(s.sport) <= kMaxIndexedPorts) {
        indexed = &s.sport;
      }
      if (indexed == nullptr) {
        g.any_port.push_back(i);
        continue;
      }
      if (by_port.empty()) by_port.resize(65536);
      for (const auto& r : indexed->ranges) {
        for (std::uint32_t p = r.first; p <= r.last; ++p) by_port[p].push_back(i);
      }
    }
    if (!by_port.empty()) {
      g.port_offsets.resize(65537);
      for (std::size_t p = 0; p < 65536; ++p) {
        g.port_offsets[p] = static_cast<std::uint32_t>(g.port_list.size());
        g.port_list.insert(g.port_list.end(), by_port[p].begin(), by_port[p].end());
      }
      g.port_offsets[65536] = static_cast<std::uint32_t>(g.port_list.size());
    }
  }

  // IP-only rules by address, on the side that names fewer addresses.
  for (std::uint32_t i = 0; i < set->sigs_.size(); ++i) {
    const Signature& s = set->sigs_[i];
    if (s.kind != SigKind::iponly) continue;
    if (s.src_any && s.dst_any) {
      set->iponly_any_address_.push_back(i);
      continue;
    }
    const bool by_src = !s.src_any && (s.dst_any || address_count(s.src) <= address_count(s.dst));
    const AddressSet& side = by_src ? s.src : s.dst;
    // Forward: the packet's source (destination) is in the side; `<>` also the other way round.
    (by_src ? set->iponly_by_src_ : set->iponly_by_dst_).add(i, side);
    if (s.bidirectional) (by_src ? set->iponly_by_dst_ : set->iponly_by_src_).add(i, side);
  }
  set->iponly_by_src_.build();
  set->iponly_by_dst_.build();

  st.rules = parsed_count + [&] {
    std::size_t syntax = 0;
    for (const RuleLoadError& e : out.errors) syntax += e.reason.starts_with("syntax.");
    return syntax;
  }();
  // Errors in file order (the syntax layer reports a file's errors before compilation does).
  {
    std::unordered_map<std::string, std::size_t> file_index;
    for (std::size_t i = 0; i < files.size(); ++i) file_index.emplace(files[i].source, i);
    std::stable_sort(out.errors.begin(), out.errors.end(),
                     [&](const RuleLoadError& a, const RuleLoadError& b) {
                       const std::size_t fa = file_index[a.source], fb = file_index[b.source];
                       return fa != fb ? fa < fb : a.line < b.line;
                     });
  }
  st.loaded = set->sigs_.size();
  st.skipped = out.errors.size();
  for (const RuleLoadError& e : out.errors) ++st.skipped_by_reason[e.reason];
  st.total_time = Clock::now() - start;
  set->fingerprint_ = sha256_hex(fingerprint_text);
  out.rules = std::move(set);
  // Give the parse and compile buffers back to the system: a rule set is built rarely and lives
  // long, and without this the process keeps the build's peak as resident memory.
  malloc_trim(0);
  return out;
}

}  // namespace vigil::detect
