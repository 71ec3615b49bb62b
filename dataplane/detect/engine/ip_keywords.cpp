// ttl and ip_proto, the shared numeric-condition parser, and the header match.
#include <cctype>

#include "dataplane/detect/rules/rule_text.h"
#include "dataplane/detect/engine/header_keywords.h"
#include "dataplane/detect/payload/payload_values.h"

namespace vigil::detect {

namespace {



// IANA protocol names Suricata's ip_proto accepts besides numbers (the common ones).
std::optional<std::uint64_t> proto_by_name(std::string_view name) {
  struct Entry {
    std::string_view name;
    std::uint8_t proto;
  };
  static constexpr Entry kNames[] = {
      {"ip", 0},      {"hopopt", 0},   {"icmp", 1},   {"igmp", 2},    {"tcp", 6},
      {"udp", 17},    {"ipv6", 41},    {"ipv6-route", 43}, {"ipv6-frag", 44}, {"gre", 47},
      {"esp", 50},    {"ah", 51},      {"ipv6-icmp", 58}, {"icmpv6", 58}, {"ipv6-nonxt", 59},
      {"ipv6-opts", 60}, {"ospf", 89}, {"pim", 103}, {"vrrp", 112}, {"sctp", 132}};
  for (const auto& e : kNames) {
    if (e.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(name[i])) == e.name[i];
    }
    if (same) return e.proto;
  }
  return std::nullopt;
}

}  // namespace

std::optional<NumCondition> parse_num_condition(std::string_view value, std::uint64_t max,
                                                std::string_view keyword, std::string& error) {
  auto parsed = payload_detail::parse_uint_condition(value, max, keyword);
  if (!parsed.ok()) {
    error = std::move(parsed.error);
    return std::nullopt;
  }
  return parsed.value;
}

HeaderKeywordStatus parse_header_keyword(std::string_view keyword, std::string_view value,
                                         HeaderConditions& out, std::string& error) {
  if (keyword == "ttl") {
    if (out.ttl) {
      error = "ttl: given twice";
      return HeaderKeywordStatus::error;
    }
    out.ttl = parse_num_condition(value, 255, keyword, error);
    return out.ttl ? HeaderKeywordStatus::ok : HeaderKeywordStatus::error;
  }
  if (keyword == "ip_proto") {
    if (out.ip_proto) {
      error = "ip_proto: given twice";
      return HeaderKeywordStatus::error;
    }
    std::string_view v = trim(value);
    NumCondition c;
    std::string_view name = v;
    if (!v.empty() && (v[0] == '!' || v[0] == '<' || v[0] == '>')) name = trim(v.substr(1));
    if (auto p = proto_by_name(name)) {
      c.a = *p;
      c.op = v[0] == '!' ? NumOp::ne : v[0] == '<' ? NumOp::lt : v[0] == '>' ? NumOp::gt : NumOp::eq;
      out.ip_proto = c;
      return HeaderKeywordStatus::ok;
    }
    out.ip_proto = parse_num_condition(value, 255, keyword, error);
    return out.ip_proto ? HeaderKeywordStatus::ok : HeaderKeywordStatus::error;
  }
  if (const auto st = parse_icmp_keyword(keyword, value, out, error);
      st != HeaderKeywordStatus::not_mine) {
    return st;
  }
  return parse_tcp_keyword(keyword, value, out, error);
}

bool header_match(const HeaderConditions& c, const DecodedPacket& p) {
  if (c.ttl && !c.ttl->matches(p.ttl)) return false;
  if (c.ip_proto && !c.ip_proto->matches(p.ip_proto)) return false;
  if (c.itype || c.icode || c.icmp_id || c.icmp_seq) {
    const bool icmp = p.ip_proto == ipproto::icmp || p.ip_proto == ipproto::icmpv6;
    if (!icmp || p.l4.size() < 4) return false;
    if (c.itype && !c.itype->matches(p.icmp_type)) return false;
    if (c.icode && !c.icode->matches(p.icmp_code)) return false;
    if (c.icmp_id || c.icmp_seq) {
      // Only echo, timestamp, information and address-mask messages carry an id and sequence.
      const std::uint8_t t = p.icmp_type;
      const bool has_id = p.ip_proto == ipproto::icmp
                              ? (t == 0 || t == 8 || t == 13 || t == 14 || t == 15 || t == 16 ||
                                 t == 17 || t == 18)
                              : (t == 128 || t == 129);
      if (!has_id || p.l4.size() < 8) return false;
      if (c.icmp_id && !c.icmp_id->matches(p.icmp_id)) return false;
      if (c.icmp_seq && !c.icmp_seq->matches(p.icmp_seq)) return false;
    }
  }
  if (c.flags || c.window || c.seq || c.ack) {
    if (p.ip_proto != ipproto::tcp || p.tcp_header_len == 0) return false;
    if (c.flags && !c.flags->matches(p.tcp_flags)) return false;
    if (c.window && (c.window->matches(p.window) == c.window_negated)) return false;
    if (c.seq && !c.seq->matches(p.seq)) return false;
    if (c.ack && !c.ack->matches(p.ack)) return false;
  }
  return true;
}

}  // namespace vigil::detect
