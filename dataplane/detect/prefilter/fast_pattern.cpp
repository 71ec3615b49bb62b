#include "dataplane/detect/prefilter/fast_pattern.h"

#include <algorithm>
#include <array>
#include <utility>

namespace vigil::detect {
namespace {

using NamePair = std::pair<std::string_view, std::string_view>;

// Sticky buffer keywords of Suricata 7 (rules/*-keywords), with the older underscore spellings
// that still load, mapped to one canonical name. `pkt_data` returns to the payload.
constexpr NamePair kStickyBuffers[] = {
    {"pkt_data", kPayloadBuffer},
    {"http.uri", "http.uri"},
    {"http.uri.raw", "http.uri.raw"},
    {"http.method", "http.method"},
    {"http.request_line", "http.request_line"},
    {"http_request_line", "http.request_line"},
    {"http.request_body", "http.request_body"},
    {"http.header", "http.header"},
    {"http.header.raw", "http.header.raw"},
    {"http.cookie", "http.cookie"},
    {"http.user_agent", "http.user_agent"},
    {"http.host", "http.host"},
    {"http.host.raw", "http.host.raw"},
    {"http.accept", "http.accept"},
    {"http.accept_enc", "http.accept_enc"},
    {"http.accept_lang", "http.accept_lang"},
    {"http.connection", "http.connection"},
    {"http.content_type", "http.content_type"},
    {"http.content_len", "http.content_len"},
    {"http.start", "http.start"},
    {"http.protocol", "http.protocol"},
    {"http.header_names", "http.header_names"},
    {"http.referer", "http.referer"},
    {"http.location", "http.location"},
    {"http.server", "http.server"},
    {"http.stat_msg", "http.stat_msg"},
    {"http.stat_code", "http.stat_code"},
    {"http.response_line", "http.response_line"},
    {"http_response_line", "http.response_line"},
    {"http.response_body", "http.response_body"},
    {"http.request_header", "http.request_header"},
    {"http.response_header", "http.response_header"},
    {"http2.header_name", "http2.header_name"},
    {"http2.header", "http2.header"},
    {"file.data", "file.data"},
    {"file_data", "file.data"},
    {"file.name", "file.name"},
    {"file.magic", "file.magic"},
    {"base64_data", "base64_data"},
    {"dns.query", "dns.query"},
    {"dns_query", "dns.query"},
    {"tls.sni", "tls.sni"},
    {"tls_sni", "tls.sni"},
    {"tls.cert_subject", "tls.cert_subject"},
    {"tls_cert_subject", "tls.cert_subject"},
    {"tls.cert_issuer", "tls.cert_issuer"},
    {"tls_cert_issuer", "tls.cert_issuer"},
    {"tls.cert_serial", "tls.cert_serial"},
    {"tls_cert_serial", "tls.cert_serial"},
    {"tls.cert_fingerprint", "tls.cert_fingerprint"},
    {"tls_cert_fingerprint", "tls.cert_fingerprint"},
    {"tls.certs", "tls.certs"},
    {"tls.subjectaltname", "tls.subjectaltname"},
    {"tls.random", "tls.random"},
    {"tls.random_time", "tls.random_time"},
    {"tls.random_bytes", "tls.random_bytes"},
    {"tls.alpn", "tls.alpn"},
    {"ja3.hash", "ja3.hash"},
    {"ja3_hash", "ja3.hash"},
    {"ja3.string", "ja3.string"},
    {"ja3_string", "ja3.string"},
    {"ja3s.hash", "ja3s.hash"},
    {"ja3s_hash", "ja3s.hash"},
    {"ja3s.string", "ja3s.string"},
    {"ja3s_string", "ja3s.string"},
    {"ja4.hash", "ja4.hash"},
    {"ssh.proto", "ssh.proto"},
    {"ssh_proto", "ssh.proto"},
    {"ssh.software", "ssh.software"},
    {"ssh_software", "ssh.software"},
    {"ssh.hassh", "ssh.hassh"},
    {"ssh.hassh.string", "ssh.hassh.string"},
    {"ssh.hassh.server", "ssh.hassh.server"},
    {"ssh.hassh.server.string", "ssh.hassh.server.string"},
    {"krb5.cname", "krb5.cname"},
    {"krb5_cname", "krb5.cname"},
    {"krb5.sname", "krb5.sname"},
    {"krb5_sname", "krb5.sname"},
    {"smb.named_pipe", "smb.named_pipe"},
    {"smb.share", "smb.share"},
    {"smb.ntlmssp_user", "smb.ntlmssp_user"},
    {"smb.ntlmssp_domain", "smb.ntlmssp_domain"},
    {"dce_stub_data", "dcerpc.stub_data"},
    {"dcerpc.stub_data", "dcerpc.stub_data"},
    {"dnp3_data", "dnp3.data"},
    {"dnp3.data", "dnp3.data"},
    {"sip.method", "sip.method"},
    {"sip.uri", "sip.uri"},
    {"sip.protocol", "sip.protocol"},
    {"sip.stat_code", "sip.stat_code"},
    {"sip.stat_msg", "sip.stat_msg"},
    {"sip.request_line", "sip.request_line"},
    {"sip.response_line", "sip.response_line"},
    {"snmp.community", "snmp.community"},
    {"snmp.usm", "snmp.usm"},
    {"rfb.name", "rfb.name"},
    {"quic.sni", "quic.sni"},
    {"quic.ua", "quic.ua"},
    {"quic.version", "quic.version"},
    {"quic.cyu.hash", "quic.cyu.hash"},
    {"quic.cyu.string", "quic.cyu.string"},
    {"mqtt.connect.clientid", "mqtt.connect.clientid"},
    {"mqtt.connect.username", "mqtt.connect.username"},
    {"mqtt.connect.password", "mqtt.connect.password"},
    {"mqtt.connect.willtopic", "mqtt.connect.willtopic"},
    {"mqtt.connect.willmessage", "mqtt.connect.willmessage"},
    {"mqtt.publish.topic", "mqtt.publish.topic"},
    {"mqtt.publish.message", "mqtt.publish.message"},
    {"mqtt.subscribe.topic", "mqtt.subscribe.topic"},
    {"mqtt.unsubscribe.topic", "mqtt.unsubscribe.topic"},
    {"ike.init_spi", "ike.init_spi"},
    {"ike.resp_spi", "ike.resp_spi"},
    {"ike.vendor", "ike.vendor"},
    {"ike.key_exchange_payload", "ike.key_exchange_payload"},
    {"ike.nonce_payload", "ike.nonce_payload"},
    {"smtp.helo", "smtp.helo"},
    {"smtp.mail_from", "smtp.mail_from"},
    {"smtp.rcpt_to", "smtp.rcpt_to"},
    {"ipv4.hdr", "ipv4.hdr"},
    {"ipv6.hdr", "ipv6.hdr"},
    {"tcp.hdr", "tcp.hdr"},
    {"udp.hdr", "udp.hdr"},
    {"icmpv4.hdr", "icmpv4.hdr"},
    {"icmpv6.hdr", "icmpv6.hdr"},
};

// Legacy content modifiers: they move the content written just before them.
constexpr NamePair kLegacyModifiers[] = {
    {"http_uri", "http.uri"},
    {"http_raw_uri", "http.uri.raw"},
    {"http_method", "http.method"},
    {"http_header", "http.header"},
    {"http_raw_header", "http.header.raw"},
    {"http_cookie", "http.cookie"},
    {"http_raw_cookie", "http.cookie"},
    {"http_user_agent", "http.user_agent"},
    {"http_host", "http.host"},
    {"http_raw_host", "http.host.raw"},
    {"http_client_body", "http.request_body"},
    {"http_server_body", "http.response_body"},
    {"http_stat_code", "http.stat_code"},
    {"http_stat_msg", "http.stat_msg"},
    {"http_header_names", "http.header_names"},
    {"http_accept", "http.accept"},
    {"http_accept_enc", "http.accept_enc"},
    {"http_accept_lang", "http.accept_lang"},
    {"http_connection", "http.connection"},
    {"http_content_type", "http.content_type"},
    {"http_content_len", "http.content_len"},
    {"http_start", "http.start"},
    {"http_protocol", "http.protocol"},
    {"http_referer", "http.referer"},
    {"http_location", "http.location"},
    {"http_server", "http.server"},
};

constexpr std::string_view kTransforms[] = {
    "to_lowercase",
    "to_uppercase",
    "compress_whitespace",
    "strip_whitespace",
    "dotprefix",
    "url_decode",
    "to_md5",
    "to_sha1",
    "to_sha256",
    "xor",
    "pcrexform",
    "header_lowercase",
    "strip_pseudo_headers",
    "from_base64",
};

std::optional<std::string_view> lookup(std::span<const NamePair> table, std::string_view key) {
  for (const auto& [name, canonical] : table)
    if (name == key) return canonical;
  return std::nullopt;
}

// `fast_pattern` value: empty, `only`, or `offset,length`.
std::optional<std::string> apply_fast_pattern(const RuleOption& o, RuleContent& c) {
  c.fast_pattern = true;
  if (!o.has_value || o.value.empty()) return std::nullopt;
  if (o.value == "only") {
    c.fast_pattern_only = true;
    return std::nullopt;
  }
  ValueList parts = split_value_list(o.value);
  if (parts.problem || parts.items.size() != 2)
    return "fast_pattern: expected `only` or `offset,length`, got `" + o.value + "`";
  RuleInteger off = parse_rule_integer(parts.items[0], 0, 65535, "fast_pattern offset");
  if (off.problem) return off.problem->message;
  RuleInteger len = parse_rule_integer(parts.items[1], 1, 65535, "fast_pattern length");
  if (len.problem) return len.problem->message;
  if (off.value + len.value > c.bytes.size())
    return "fast_pattern:" + o.value + " reaches past the content's " +
           std::to_string(c.bytes.size()) + " bytes";
  c.chop_offset = static_cast<std::uint16_t>(off.value);
  c.chop_length = static_cast<std::uint16_t>(len.value);
  return std::nullopt;
}

FastPattern make_pattern(const RuleContent& c, std::size_t index) {
  FastPattern p;
  p.buffer = c.buffer;
  p.nocase = c.nocase;
  p.only = c.fast_pattern_only;
  p.explicit_ = c.fast_pattern;
  p.content_index = index;
  if (c.chop_offset && c.chop_length) {
    auto first = c.bytes.begin() + *c.chop_offset;
    p.bytes.assign(first, first + *c.chop_length);
  } else {
    p.bytes = c.bytes;
  }
  return p;
}

}  // namespace

std::optional<std::string_view> sticky_buffer_name(std::string_view keyword) {
  return lookup(kStickyBuffers, keyword);
}

std::optional<std::string_view> legacy_modifier_buffer(std::string_view keyword) {
  return lookup(kLegacyModifiers, keyword);
}

bool is_transform(std::string_view keyword) {
  return std::find(std::begin(kTransforms), std::end(kTransforms), keyword) !=
         std::end(kTransforms);
}

RuleContents extract_contents(const ParsedRule& rule) {
  RuleContents out;
  std::string buffer(kPayloadBuffer);
  bool sticky = false;  // transforms only apply after a sticky buffer keyword
  for (std::size_t i = 0; i < rule.options.size(); ++i) {
    const RuleOption& o = rule.options[i];
    if (auto name = sticky_buffer_name(o.keyword)) {
      buffer.assign(*name);
      sticky = *name != kPayloadBuffer;
    } else if (sticky && is_transform(o.keyword)) {
      buffer += '+';
      buffer += o.keyword;
      if (o.has_value) buffer += ":" + o.raw;
    } else if (o.keyword == "content") {
      ContentBytes decoded = decode_content(o.raw);
      if (decoded.problem) {
        out.problem = "content " + o.raw + ": " + decoded.problem->message;
        return out;
      }
      RuleContent c;
      c.buffer = buffer;
      c.bytes = std::move(decoded.bytes);
      c.negated = decoded.negated;
      c.option_index = i;
      out.contents.push_back(std::move(c));
    } else if (!out.contents.empty()) {
      RuleContent& last = out.contents.back();
      if (o.keyword == "nocase") {
        last.nocase = true;
      } else if (o.keyword == "fast_pattern") {
        if (auto problem = apply_fast_pattern(o, last)) {
          out.problem = std::move(problem);
          return out;
        }
      } else if (auto moved = legacy_modifier_buffer(o.keyword)) {
        last.buffer.assign(*moved);
      }
    }
  }
  out.last_buffer = buffer;
  return out;
}

std::uint32_t pattern_strength(std::span<const std::uint8_t> bytes) {
  std::array<bool, 256> seen{};
  std::uint32_t score = 0;
  for (std::uint8_t b : bytes) {
    if (seen[b]) {
      score += 1;
      continue;
    }
    seen[b] = true;
    const bool alpha = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    const bool printable = b >= 0x20 && b < 0x7f;
    if (alpha)
      score += 3;
    else if (printable || b == 0x00 || b == 0x01 || b == 0xff)
      score += 4;
    else
      score += 6;
  }
  return score;
}

int buffer_priority(std::string_view buffer) {
  const std::string_view base = buffer.substr(0, buffer.find('+'));
  if (base == "http.method") return 2;
  if (base == kPayloadBuffer) return 1;
  return 0;
}

FastPatternSelection select_fast_pattern(const RuleContents& rc) {
  FastPatternSelection sel;
  if (rc.problem) {
    sel.problem = rc.problem;
    return sel;
  }
  // An explicit fast_pattern on a positive content wins (the first one, should there be several).
  for (std::size_t i = 0; i < rc.contents.size(); ++i) {
    const RuleContent& c = rc.contents[i];
    if (c.fast_pattern && !c.negated) {
      sel.pattern = make_pattern(c, i);
      sel.buffer = c.buffer;
      return sel;
    }
  }
  std::optional<std::size_t> best;
  int best_priority = 0;
  std::uint32_t best_strength = 0;
  for (std::size_t i = 0; i < rc.contents.size(); ++i) {
    const RuleContent& c = rc.contents[i];
    if (c.negated) continue;
    const int priority = buffer_priority(c.buffer);
    const std::uint32_t strength = pattern_strength(c.bytes);
    bool better = !best.has_value();
    if (!better) {
      const RuleContent& b = rc.contents[*best];
      if (priority != best_priority)
        better = priority < best_priority;
      else if (c.bytes.size() != b.bytes.size())
        better = c.bytes.size() > b.bytes.size();
      else
        better = strength > best_strength;
    }
    if (better) {
      best = i;
      best_priority = priority;
      best_strength = strength;
    }
  }
  if (best) {
    sel.pattern = make_pattern(rc.contents[*best], *best);
    sel.buffer = sel.pattern->buffer;
  } else {
    sel.buffer = rc.contents.empty() ? rc.last_buffer : rc.contents.front().buffer;
  }
  return sel;
}

FastPatternSelection select_fast_pattern(const ParsedRule& rule) {
  return select_fast_pattern(extract_contents(rule));
}

}  // namespace vigil::detect
