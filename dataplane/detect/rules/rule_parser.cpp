#include "dataplane/detect/rules/rule.h"

#include <array>
#include <cctype>
#include <limits>
#include <new>

#include "dataplane/detect/rules/syntax_error.h"

namespace vigil::detect {
namespace {

constexpr std::array<std::pair<std::string_view, RuleAction>, 7> kActions{{
    {"alert", RuleAction::alert},
    {"drop", RuleAction::drop},
    {"reject", RuleAction::reject},
    {"rejectsrc", RuleAction::rejectsrc},
    {"rejectdst", RuleAction::rejectdst},
    {"rejectboth", RuleAction::rejectboth},
    {"pass", RuleAction::pass},
}};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Header fields split on whitespace outside brackets: Suricata accepts `[1.2.3.4, 5.6.7.8]`.
std::vector<std::string_view> header_fields(std::string_view header) {
  std::vector<std::string_view> fields;
  int level = 0;
  std::size_t start = std::string_view::npos;
  for (std::size_t i = 0; i <= header.size(); ++i) {
    bool end = i == header.size();
    char c = end ? ' ' : header[i];
    if (c == '[') ++level;
    if (c == ']' && --level < 0)
      fail(RuleErrorReason::unbalanced_brackets, "header has a ']' without its '['");
    if (is_space(c) && (level == 0 || end)) {
      if (start != std::string_view::npos) fields.push_back(header.substr(start, i - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = i;
    }
  }
  if (level != 0) fail(RuleErrorReason::unbalanced_brackets, "header has a '[' without its ']'");
  return fields;
}

// The sid of a rule that failed to parse, read loosely so its error can still name it.
std::uint32_t guess_sid(std::string_view rule) {
  for (std::size_t at = rule.find("sid"); at != std::string_view::npos;
       at = rule.find("sid", at + 1)) {
    if (at > 0 && !(rule[at - 1] == ';' || rule[at - 1] == '(' || is_space(rule[at - 1]))) continue;
    std::size_t i = at + 3;
    while (i < rule.size() && is_space(rule[i])) ++i;
    if (i >= rule.size() || rule[i] != ':') continue;
    ++i;
    while (i < rule.size() && is_space(rule[i])) ++i;
    std::uint64_t v = 0;
    std::size_t digits = 0;
    while (i < rule.size() && rule[i] >= '0' && rule[i] <= '9' && digits < 10) {
      v = v * 10 + static_cast<std::uint64_t>(rule[i++] - '0');
      ++digits;
    }
    if (digits > 0 && v <= std::numeric_limits<std::uint32_t>::max())
      return static_cast<std::uint32_t>(v);
  }
  return 0;
}

void check(const std::optional<RuleProblem>& p) {
  if (p) throw RuleSyntaxError{*p};
}

std::uint32_t u32_option(const RuleOption& o, std::uint64_t min) {
  if (!o.has_value) fail(RuleErrorReason::bad_integer, "'" + o.keyword + "' needs a number");
  RuleInteger n =
      parse_rule_integer(o.value, min, std::numeric_limits<std::uint32_t>::max(), o.keyword);
  check(n.problem);
  return static_cast<std::uint32_t>(n.value);
}

ParsedRule parse_rule_or_throw(std::string_view text, const RuleVars& vars) {
  ParsedRule r;
  std::size_t open = text.find('(');
  if (open == std::string_view::npos)
    fail(RuleErrorReason::bad_header, "no '(' starting the rule's options");
  if (text.back() != ')') fail(RuleErrorReason::bad_options, "rule does not end with ')'");

  auto fields = header_fields(text.substr(0, open));
  if (fields.size() != 7)
    fail(RuleErrorReason::bad_header,
         "header has " + std::to_string(fields.size()) +
             " fields, expected: action protocol src_addr src_port direction dst_addr dst_port");

  bool known_action = false;
  for (const auto& [name, action] : kActions)
    if (fields[0] == name) {
      r.action = action;
      known_action = true;
    }
  if (!known_action) fail(RuleErrorReason::bad_action, "unknown action " + quoted(fields[0]));

  for (char c : fields[1]) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      fail(RuleErrorReason::bad_protocol, "bad protocol name " + quoted(fields[1]));
    r.protocol += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }

  if (fields[4] == "->")
    r.direction = RuleDirection::to_destination;
  else if (fields[4] == "<>")
    r.direction = RuleDirection::both;
  else
    fail(RuleErrorReason::bad_direction,
         "direction must be '->' or '<>', not " + quoted(fields[4]));

  auto src = parse_address_spec(fields[2], vars);
  check(src.problem);
  auto sport = parse_port_spec(fields[3], vars);
  check(sport.problem);
  auto dst = parse_address_spec(fields[5], vars);
  check(dst.problem);
  auto dport = parse_port_spec(fields[6], vars);
  check(dport.problem);
  r.src_addr = std::move(src.set);
  r.src_port = std::move(sport.set);
  r.dst_addr = std::move(dst.set);
  r.dst_port = std::move(dport.set);

  auto opts = parse_rule_options(text.substr(open + 1, text.size() - open - 2));
  check(opts.problem);
  r.options = std::move(opts.options);

  bool seen_sid = false, seen_gid = false, seen_rev = false, seen_msg = false;
  auto once = [](bool& seen, const RuleOption& o) {
    if (seen) fail(RuleErrorReason::duplicate_option, "'" + o.keyword + "' given twice");
    seen = true;
  };
  for (const auto& o : r.options) {
    if (o.keyword == "sid") {
      once(seen_sid, o);
      r.sid = u32_option(o, 1);
    } else if (o.keyword == "gid") {
      once(seen_gid, o);
      r.gid = u32_option(o, 0);
    } else if (o.keyword == "rev") {
      once(seen_rev, o);
      r.rev = u32_option(o, 0);
    } else if (o.keyword == "msg") {
      once(seen_msg, o);
      r.msg = o.value;
    }
  }
  if (!seen_sid) fail(RuleErrorReason::missing_sid, "rule has no sid");
  return r;
}

}  // namespace

std::string_view rule_action_name(RuleAction a) {
  for (const auto& [name, action] : kActions)
    if (action == a) return name;
  return "unknown";
}

std::vector<RuleText> split_rule_text(std::string_view text) {
  std::vector<RuleText> rules;
  RuleText current;
  bool in_rule = false;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!in_rule) {
      std::string_view t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      current = RuleText{{}, line_no};
      in_rule = true;
    }
    std::string_view body = line;
    while (!body.empty() && is_space(body.back())) body.remove_suffix(1);
    if (!body.empty() && body.back() == '\\') {
      current.text.append(body.substr(0, body.size() - 1));
      continue;
    }
    current.text.append(body);
    rules.push_back(std::move(current));
    in_rule = false;
  }
  if (in_rule) rules.push_back(std::move(current));
  return rules;
}

SingleRuleResult parse_rule(std::string_view rule, std::string_view source, std::size_t line,
                            const RuleVars& vars) {
  SingleRuleResult out;
  std::string_view text = trim(rule);
  auto error = [&](RuleErrorReason reason, std::string message) {
    out.error = RuleError{std::string(source), line, guess_sid(text), reason, std::move(message)};
  };
  try {
    ParsedRule r = parse_rule_or_throw(text, vars);
    r.source = std::string(source);
    r.line = line;
    out.rule = std::move(r);
  } catch (const RuleSyntaxError& e) {
    error(e.problem.reason, e.problem.message);
  } catch (const std::bad_alloc&) {
    error(RuleErrorReason::bad_header, "out of memory while parsing the rule");
  }
  return out;
}

RuleParseResult parse_rules(std::string_view text, std::string_view source, const RuleVars& vars) {
  RuleParseResult result;
  for (const RuleText& rt : split_rule_text(text)) {
    SingleRuleResult one = parse_rule(rt.text, source, rt.line, vars);
    if (one.rule) result.rules.push_back(std::move(*one.rule));
    if (one.error) result.errors.push_back(std::move(*one.error));
  }
  return result;
}

RuleErrorCounters count_errors(const std::vector<RuleError>& errors) {
  RuleErrorCounters c;
  for (const auto& e : errors) c.add(e.reason);
  return c;
}

}  // namespace vigil::detect
