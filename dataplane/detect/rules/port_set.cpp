#include "dataplane/detect/rules/port_set.h"

#include <new>
#include <string>

#include "dataplane/detect/rules/set_expression.h"
#include "dataplane/detect/rules/syntax_error.h"

namespace vigil::detect {
namespace {

std::uint16_t parse_port(std::string_view text, std::string_view whole) {
  if (text.empty()) fail(RuleErrorReason::bad_port, "bad port " + quoted(whole));
  std::uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') fail(RuleErrorReason::bad_port, "bad port " + quoted(whole));
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
    if (v > 65535) fail(RuleErrorReason::bad_port, "port above 65535 in " + quoted(whole));
  }
  return static_cast<std::uint16_t>(v);
}

struct PortDomain {
  using Set = PortSet;
  static constexpr std::string_view kWhat = "port";
  static constexpr RuleErrorReason kBadReason = RuleErrorReason::bad_port;

  static std::optional<std::string_view> lookup(const RuleVars& v, std::string_view name) {
    return port_var(v, name);
  }
  static Set any() { return {everything<std::uint16_t>()}; }

  // `a`, `a:b`, `a:` (a to 65535) or `:b` (0 to b).
  static Set atom(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
      std::uint16_t p = parse_port(text, text);
      return {{{p, p}}};
    }
    std::string_view lo = trim(text.substr(0, colon)), hi = trim(text.substr(colon + 1));
    if (lo.empty() && hi.empty()) fail(RuleErrorReason::bad_port, "bad port range " + quoted(text));
    std::uint16_t first = lo.empty() ? 0 : parse_port(lo, text);
    std::uint16_t last = hi.empty() ? 65535 : parse_port(hi, text);
    if (last < first)
      fail(RuleErrorReason::reversed_range, "port range ends before it starts: " + quoted(text));
    return {{{first, last}}};
  }

  static void append(Set& a, const Set& b) {
    a.ranges.insert(a.ranges.end(), b.ranges.begin(), b.ranges.end());
  }
  static void normalize(Set& s) { detect::normalize(s.ranges); }
  static void subtract(Set& a, const Set& b) { detect::subtract(a.ranges, b.ranges); }
  static void fill_where_negated(Set& pos, const Set& neg) {
    if (pos.ranges.empty() && !neg.ranges.empty()) pos.ranges = everything<std::uint16_t>();
  }
  static bool covers_a_whole_family(const Set& s) { return covers_everything(s.ranges); }
  static bool empty(const Set& s) { return s.ranges.empty(); }
};

}  // namespace

bool matches(const PortSet& set, std::uint16_t port) { return contains(set.ranges, port); }

bool is_any(const PortSet& set) { return covers_everything(set.ranges); }

PortSpecResult parse_port_spec(std::string_view text, const RuleVars& vars) {
  PortSpecResult r;
  try {
    r.set = SpecEvaluator<PortDomain>(vars).list(text, 0);
  } catch (const RuleSyntaxError& e) {
    r.problem = e.problem;
  } catch (const std::bad_alloc&) {
    r.problem = RuleProblem{RuleErrorReason::bad_port, "out of memory"};
  }
  return r;
}

}  // namespace vigil::detect
