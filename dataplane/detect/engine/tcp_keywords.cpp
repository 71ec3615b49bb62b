// flags, window, seq, ack.
#include <cctype>

#include "dataplane/detect/rules/rule_text.h"
#include "dataplane/detect/engine/header_keywords.h"

namespace vigil::detect {

namespace {

// Flag letters (Suricata's, plus the legacy 1/2 for CWR/ECE); 0 means "no flags".
bool flag_bits(std::string_view letters, std::uint8_t& out, std::string& why) {
  out = 0;
  for (char ch : letters) {
    switch (std::toupper(static_cast<unsigned char>(ch))) {
      case 'F': out |= tcpflag::fin; break;
      case 'S': out |= tcpflag::syn; break;
      case 'R': out |= tcpflag::rst; break;
      case 'P': out |= tcpflag::psh; break;
      case 'A': out |= tcpflag::ack; break;
      case 'U': out |= tcpflag::urg; break;
      case 'C': case '1': out |= tcpflag::cwr; break;
      case 'E': case '2': out |= tcpflag::ece; break;
      case '0': break;
      case ' ': break;
      default: why = std::string("unknown flag '") + ch + "'"; return false;
    }
  }
  return true;
}


}  // namespace

bool TcpFlagsCondition::matches(std::uint8_t packet_flags) const {
  const std::uint8_t f = packet_flags & static_cast<std::uint8_t>(~ignore);
  switch (mode) {
    case Mode::exact: return f == flags;
    case Mode::all: return (f & flags) == flags;
    case Mode::any: return flags == 0 ? f == 0 : (f & flags) != 0;
    case Mode::none: return (f & flags) != flags;  // Suricata: not all of these
  }
  return false;
}

HeaderKeywordStatus parse_tcp_keyword(std::string_view keyword, std::string_view value,
                                      HeaderConditions& out, std::string& error) {
  if (keyword == "flags" || keyword == "tcp.flags") {
    if (out.flags) {
      error = "flags: given twice";
      return HeaderKeywordStatus::error;
    }
    std::string_view v = trim(value);
    std::string_view ignore;
    if (const auto comma = v.find(','); comma != std::string_view::npos) {
      ignore = trim(v.substr(comma + 1));
      v = trim(v.substr(0, comma));
    }
    TcpFlagsCondition c;
    // The modifier may come before or after the letters (Snort allowed both).
    auto take_mod = [&](char m) {
      switch (m) {
        case '+': c.mode = TcpFlagsCondition::Mode::all; return true;
        case '*': c.mode = TcpFlagsCondition::Mode::any; return true;
        case '!': c.mode = TcpFlagsCondition::Mode::none; return true;
        default: return false;
      }
    };
    if (!v.empty() && take_mod(v.front())) {
      v.remove_prefix(1);
    } else if (!v.empty() && take_mod(v.back())) {
      v.remove_suffix(1);
    }
    std::string why;
    if (v.empty()) why = "no flags given";
    if (why.empty() && !flag_bits(v, c.flags, why)) {
    }
    if (why.empty() && !ignore.empty() && !flag_bits(ignore, c.ignore, why)) {
    }
    if (!why.empty()) {
      error = "flags: " + why + " (" + std::string(trim(value)) + ")";
      return HeaderKeywordStatus::error;
    }
    out.flags = c;
    return HeaderKeywordStatus::ok;
  }
  if (keyword == "window" || keyword == "tcp.window") {
    if (out.window) {
      error = "window: given twice";
      return HeaderKeywordStatus::error;
    }
    std::string_view v = trim(value);
    out.window_negated = !v.empty() && v[0] == '!';
    if (out.window_negated) v.remove_prefix(1);
    out.window = parse_num_condition(v, 65535, "window", error);
    if (out.window && out.window->op != NumOp::eq) {
      error = "window: only N or !N is allowed (" + std::string(trim(value)) + ")";
      out.window.reset();
    }
    return out.window ? HeaderKeywordStatus::ok : HeaderKeywordStatus::error;
  }
  if (keyword == "seq" || keyword == "tcp.seq" || keyword == "ack" || keyword == "tcp.ack") {
    const bool is_seq = keyword.ends_with("seq");
    auto& slot = is_seq ? out.seq : out.ack;
    if (slot) {
      error = std::string(keyword) + ": given twice";
      return HeaderKeywordStatus::error;
    }
    slot = parse_num_condition(value, 0xffffffffULL, keyword, error);
    if (slot && slot->op != NumOp::eq) {
      error = std::string(keyword) + ": only a number is allowed (" + std::string(trim(value)) + ")";
      slot.reset();
    }
    return slot ? HeaderKeywordStatus::ok : HeaderKeywordStatus::error;
  }
  return HeaderKeywordStatus::not_mine;
}

}  // namespace vigil::detect
