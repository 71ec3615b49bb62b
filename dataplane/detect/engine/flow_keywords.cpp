// flow, flowbits, flowint and tag: load-time parsing.
#include "dataplane/detect/rules/rule_text.h"
#include "dataplane/detect/engine/flow_keywords.h"

#include <cctype>
#include <charconv>

#include "dataplane/detect/rules/rule_options.h"

namespace vigil::detect {

namespace {



bool valid_var_name(std::string_view n) {
  if (n.empty() || n.size() > 255) return false;
  for (char c : n) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';' || c == '"') return false;
  }
  return true;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  s = trim(s);
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::uint16_t FlowVarLayout::bit(std::string_view name) {
  const auto it = bits.find(name);
  if (it != bits.end()) return it->second;
  const auto id = static_cast<std::uint16_t>(bits.size());
  bits.emplace(std::string(name), id);
  return id;
}

std::uint16_t FlowVarLayout::integer(std::string_view name) {
  const auto it = ints.find(name);
  if (it != ints.end()) return it->second;
  const auto id = static_cast<std::uint16_t>(ints.size());
  ints.emplace(std::string(name), id);
  return id;
}

bool parse_flow_keyword(std::string_view value, FlowCondition& out, std::string& error) {
  const ValueList list = split_value_list(value);
  if (list.problem || list.items.empty()) {
    error = "flow: expected a comma list of options (" + std::string(trim(value)) + ")";
    return false;
  }
  for (const std::string& item : list.items) {
    const std::string w = lower_ascii(item);
    std::uint16_t f = 0;
    if (w == "to_server" || w == "from_client") {
      f = flowcond::to_server;
    } else if (w == "to_client" || w == "from_server") {
      f = flowcond::to_client;
    } else if (w == "established") {
      f = flowcond::established;
    } else if (w == "not_established") {
      f = flowcond::not_established;
    } else if (w == "stateless") {
      f = flowcond::stateless;
    } else if (w == "only_stream") {
      f = flowcond::only_stream;
    } else if (w == "no_stream") {
      f = flowcond::no_stream;
    } else if (w == "only_frag") {
      f = flowcond::only_frag;
    } else if (w == "no_frag") {
      f = flowcond::no_frag;
    } else {
      error = "flow: unknown option '" + item + "'";
      return false;
    }
    if (out.flags & f) {
      error = "flow: '" + item + "' given twice";
      return false;
    }
    out.flags |= f;
  }
  auto both = [&](std::uint16_t a, std::uint16_t b) { return (out.flags & a) && (out.flags & b); };
  if (both(flowcond::to_server, flowcond::to_client) ||
      both(flowcond::established, flowcond::not_established) ||
      both(flowcond::only_stream, flowcond::no_stream) ||
      both(flowcond::only_frag, flowcond::no_frag) ||
      both(flowcond::stateless, flowcond::established)) {
    error = "flow: contradictory options (" + std::string(trim(value)) + ")";
    return false;
  }
  return true;
}

bool parse_flowbits(std::string_view value, FlowVarLayout& layout, FlowVarKeywords& out,
                    std::string& error) {
  const std::string_view v = trim(value);
  const auto comma = v.find(',');
  const std::string op = lower_ascii(trim(v.substr(0, comma)));
  const std::string_view names =
      comma == std::string_view::npos ? std::string_view{} : trim(v.substr(comma + 1));
  if (op == "noalert") {
    if (!names.empty()) {
      error = "flowbits: noalert takes no name (" + std::string(v) + ")";
      return false;
    }
    out.noalert = true;
    return true;
  }
  FlowbitAction a;
  if (op == "set") {
    a.op = FlowbitOp::set;
  } else if (op == "unset") {
    a.op = FlowbitOp::unset;
  } else if (op == "toggle") {
    a.op = FlowbitOp::toggle;
  } else if (op == "isset") {
    a.op = FlowbitOp::isset;
  } else if (op == "isnotset") {
    a.op = FlowbitOp::isnotset;
  } else {
    error = "flowbits: unknown operation '" + op + "' (" + std::string(v) + ")";
    return false;
  }
  if (names.empty()) {
    error = "flowbits: " + op + " needs a flowbit name";
    return false;
  }
  // `a|b` (any of) or `a&b` (all of); set/unset/toggle take `&`-less lists as Suricata 7 does.
  const bool has_or = names.find('|') != std::string_view::npos;
  const bool has_and = names.find('&') != std::string_view::npos;
  if (has_or && has_and) {
    error = "flowbits: cannot mix '|' and '&' (" + std::string(v) + ")";
    return false;
  }
  if (has_or && (a.op == FlowbitOp::set || a.op == FlowbitOp::unset || a.op == FlowbitOp::toggle)) {
    error = "flowbits: '|' is only allowed with isset/isnotset (" + std::string(v) + ")";
    return false;
  }
  a.any_of = has_or;
  a.all_of = has_and;
  const char sep = has_or ? '|' : '&';
  std::string_view rest = names;
  while (true) {
    const auto p = rest.find(sep);
    const std::string_view name = trim(rest.substr(0, p));
    if (!valid_var_name(name)) {
      error = "flowbits: bad flowbit name '" + std::string(name) + "'";
      return false;
    }
    a.bits.push_back(layout.bit(name));
    if (a.bits.size() > 16) {
      error = "flowbits: more than 16 names in one keyword";
      return false;
    }
    if (p == std::string_view::npos) break;
    rest.remove_prefix(p + 1);
  }
  if (a.op == FlowbitOp::isset || a.op == FlowbitOp::isnotset) {
    out.bit_conditions.push_back(std::move(a));
  } else {
    out.bit_actions.push_back(std::move(a));
  }
  return true;
}

bool parse_flowint(std::string_view value, FlowVarLayout& layout, FlowVarKeywords& out,
                   std::string& error) {
  const ValueList list = split_value_list(value);
  const std::string v(trim(value));
  if (list.problem || list.items.size() < 2 || list.items.size() > 3) {
    error = "flowint: expected name, operator[, value] (" + v + ")";
    return false;
  }
  if (!valid_var_name(list.items[0])) {
    error = "flowint: bad variable name '" + list.items[0] + "'";
    return false;
  }
  FlowintAction a;
  const std::string op = lower_ascii(list.items[1]);
  struct OpName {
    std::string_view name;
    FlowintOp op;
  };
  static constexpr OpName kOps[] = {{"=", FlowintOp::set},  {"+", FlowintOp::add},
                                    {"-", FlowintOp::sub},  {"==", FlowintOp::eq},
                                    {"!=", FlowintOp::ne},  {"<", FlowintOp::lt},
                                    {"<=", FlowintOp::le},  {">", FlowintOp::gt},
                                    {">=", FlowintOp::ge},  {"isset", FlowintOp::isset},
                                    {"notset", FlowintOp::notset}, {"isnotset", FlowintOp::notset}};
  bool known = false;
  for (const auto& o : kOps) {
    if (o.name == op) {
      a.op = o.op;
      known = true;
    }
  }
  if (!known) {
    error = "flowint: unknown operator '" + list.items[1] + "' (" + v + ")";
    return false;
  }
  const bool needs_value = a.op != FlowintOp::isset && a.op != FlowintOp::notset;
  if (needs_value != (list.items.size() == 3)) {
    error = needs_value ? "flowint: operator '" + op + "' needs a value (" + v + ")"
                        : "flowint: operator '" + op + "' takes no value (" + v + ")";
    return false;
  }
  a.var = layout.integer(list.items[0]);
  if (needs_value) {
    const std::string& val = list.items[2];
    if (!parse_u32(val, a.value)) {
      if (!valid_var_name(val) || std::isdigit(static_cast<unsigned char>(val[0]))) {
        error = "flowint: bad value '" + val + "' (a number 0..4294967295 or a flowint name)";
        return false;
      }
      a.value_is_var = true;
      a.value_var = layout.integer(val);
    }
  }
  if (a.is_condition()) {
    out.int_conditions.push_back(a);
  } else {
    out.int_actions.push_back(a);
  }
  return true;
}

bool parse_tag(std::string_view value, TagSpec& out, std::string& error) {
  const ValueList list = split_value_list(value);
  const std::string v(trim(value));
  if (list.problem || list.items.empty() || list.items.size() > 4) {
    error = "tag: expected session|host[, count, metric][, src|dst] (" + v + ")";
    return false;
  }
  const std::string kind = lower_ascii(list.items[0]);
  if (kind == "session") {
    out.kind = TagSpec::Kind::session;
  } else if (kind == "host") {
    out.kind = TagSpec::Kind::host;
  } else {
    error = "tag: unknown type '" + list.items[0] + "' (session or host)";
    return false;
  }
  std::size_t i = 1;
  if (list.items.size() >= 3) {
    if (!parse_u32(list.items[1], out.count) || out.count == 0) {
      error = "tag: bad count '" + list.items[1] + "'";
      return false;
    }
    const std::string metric = lower_ascii(list.items[2]);
    if (metric == "packets") {
      out.metric = TagSpec::Metric::packets;
    } else if (metric == "bytes") {
      out.metric = TagSpec::Metric::bytes;
    } else if (metric == "seconds") {
      out.metric = TagSpec::Metric::seconds;
    } else {
      error = "tag: unknown metric '" + list.items[2] + "' (packets, bytes or seconds)";
      return false;
    }
    i = 3;
  } else if (list.items.size() == 2 && out.kind == TagSpec::Kind::session) {
    error = "tag: expected count and metric after session (" + v + ")";
    return false;
  }
  if (i < list.items.size()) {
    const std::string dir = lower_ascii(list.items[i]);
    if (out.kind != TagSpec::Kind::host || (dir != "src" && dir != "dst")) {
      error = "tag: unexpected '" + list.items[i] + "' (src or dst, host tags only)";
      return false;
    }
    out.dst = dir == "dst";
  }
  return true;
}

}  // namespace vigil::detect
