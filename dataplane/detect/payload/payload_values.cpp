#include "dataplane/detect/payload/payload_values.h"

#include <cctype>
#include <limits>

namespace vigil::detect::payload_detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

Parsed<std::int64_t> parse_signed(std::string_view text, std::int64_t min, std::int64_t max,
                                  std::string_view what) {
  Parsed<std::int64_t> r;
  std::string_view t = trim(text);
  bool negative = false;
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
    negative = t.front() == '-';
    t.remove_prefix(1);
  }
  const std::string w(what);
  if (t.empty()) {
    r.error = w + " has no number";
    return r;
  }
  std::uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') {
      r.error = w + " is not a number: " + quote(trim(text));
      return r;
    }
    if (v > 1'000'000'000'000ULL) {
      r.error = w + " " + quote(trim(text)) + " is out of range";
      return r;
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  const auto sv = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  if (sv < min || sv > max) {
    r.error = w + " " + quote(trim(text)) + " is outside " + std::to_string(min) + ".." +
              std::to_string(max);
    return r;
  }
  r.value = sv;
  return r;
}

namespace {

Parsed<std::uint64_t> parse_base(std::string_view digits, unsigned base, std::uint64_t max,
                                 std::string_view what, std::string_view whole) {
  Parsed<std::uint64_t> r;
  const std::string w(what);
  if (digits.empty()) {
    r.error = w + " has no number";
    return r;
  }
  std::uint64_t v = 0;
  for (char c : digits) {
    unsigned d = 0;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      d = 99;
    if (d >= base) {
      r.error = w + " is not a number: " + quote(whole);
      return r;
    }
    if (v > (max - d) / base) {
      r.error = w + " " + quote(whole) + " is above " + std::to_string(max);
      return r;
    }
    v = v * base + d;
  }
  r.value = v;
  return r;
}

}  // namespace

Parsed<std::uint64_t> parse_number(std::string_view text, std::uint64_t max,
                                   std::string_view what) {
  std::string_view t = trim(text);
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
    return parse_base(t.substr(2), 16, max, what, t);
  return parse_base(t, 10, max, what, t);
}

Parsed<std::uint64_t> parse_hex(std::string_view text, std::uint64_t max, std::string_view what) {
  std::string_view t = trim(text);
  std::string_view digits = t;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
    digits.remove_prefix(2);
  auto r = parse_base(digits, 16, max, what, t);
  if (r.ok() && r.value == 0) r.error = std::string(what) + " " + quote(t) + " is zero";
  return r;
}

Parsed<MatchValue> parse_match_value(std::string_view text, std::int64_t min, std::int64_t max,
                                     const std::vector<std::string>& vars, std::string_view what) {
  Parsed<MatchValue> r;
  std::string_view t = trim(text);
  if (!t.empty() && is_name_start(t.front())) {
    for (std::size_t i = 0; i < vars.size(); ++i) {
      if (vars[i] == t) {
        r.value.var = static_cast<std::int8_t>(i);
        return r;
      }
    }
    r.error = std::string(what) + " names no earlier byte_extract variable: " + quote(t);
    return r;
  }
  auto n = parse_signed(t, min, max, what);
  if (!n.ok()) {
    r.error = n.error;
    return r;
  }
  r.value.value = n.value;
  return r;
}

Parsed<UintCondition> parse_uint_condition(std::string_view text, std::uint64_t max,
                                           std::string_view what) {
  Parsed<UintCondition> r;
  std::string_view t = trim(text);
  const std::string w(what);
  auto number = [&](std::string_view s, std::uint64_t& out) {
    auto n = parse_number(s, max, what);
    if (!n.ok()) r.error = n.error;
    out = n.value;
    return n.ok();
  };
  bool negated = false;
  if (!t.empty() && t.front() == '!') {
    negated = true;
    t = trim(t.substr(1));
  }
  if (t.empty()) {
    r.error = w + " has no value";
    return r;
  }
  UintCondition& c = r.value;
  std::size_t sep = t.find("<>");
  std::size_t sep_len = 2;
  if (sep == std::string_view::npos && t.front() != '<' && t.front() != '>') {
    sep = t.find('-');
    sep_len = 1;
  }
  if (sep != std::string_view::npos && sep > 0) {
    if (!number(t.substr(0, sep), c.a) || !number(t.substr(sep + sep_len), c.b)) return r;
    if (c.a >= c.b) {
      r.error = w + " range " + quote(text) + " needs its first value below its second (the lower bound first)";
      return r;
    }
    if (c.b - c.a < 2) {
      r.error = w + " range " + quote(text) + " holds no value (both ends are excluded)";
      return r;
    }
    c.op = negated ? UintOp::not_range : UintOp::range;
    return r;
  }
  std::string_view rest = t;
  if (rest.starts_with("<=")) {
    c.op = UintOp::le;
    rest.remove_prefix(2);
  } else if (rest.starts_with(">=")) {
    c.op = UintOp::ge;
    rest.remove_prefix(2);
  } else if (rest.starts_with("<")) {
    c.op = UintOp::lt;
    rest.remove_prefix(1);
  } else if (rest.starts_with(">")) {
    c.op = UintOp::gt;
    rest.remove_prefix(1);
  } else if (rest.starts_with("=")) {
    c.op = UintOp::eq;
    rest.remove_prefix(1);
  }
  if (negated && c.op != UintOp::eq) {
    r.error = w + " " + quote(text) + ": '!' only goes with a value or a range";
    return r;
  }
  if (!number(rest, c.a)) return r;
  if (negated) c.op = UintOp::ne;
  if ((c.op == UintOp::lt && c.a == 0) || (c.op == UintOp::gt && c.a == max)) {
    r.error = w + " " + quote(text) + " can never match";
    return r;
  }
  return r;
}

}  // namespace vigil::detect::payload_detail
