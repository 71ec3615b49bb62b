// Internal: the list grammar shared by address and port fields, evaluated into a set.
//   spec := item (',' item)*      item := '!'* ( '[' spec ']' | '$' NAME | 'any' | atom )
// A list is the union of its plain items minus the union of its negated items; a list with only
// negated items (in one address family) starts from everything, as Suricata does. Errors mirror
// Suricata's: `!any` and negations covering a whole family, and lists that end up empty.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/rules/rule_vars.h"
#include "dataplane/detect/rules/syntax_error.h"

namespace vigil::detect {

// Deep enough for any real rule set, shallow enough that hostile nesting cannot exhaust the stack.
inline constexpr int kMaxSpecDepth = 32;

template <typename Domain>
class SpecEvaluator {
 public:
  using Set = typename Domain::Set;

  explicit SpecEvaluator(const RuleVars& vars) : vars_(vars) {}

  Set list(std::string_view text, int depth) {
    if (depth > kMaxSpecDepth)
      fail(RuleErrorReason::too_deep, std::string(Domain::kWhat) + " nested deeper than " +
                                          std::to_string(kMaxSpecDepth) + " levels");
    Set pos{}, neg{};
    bool has_neg = false;
    for (std::string_view part : split_top_level(text)) {
      bool negated = false;
      Set s = item(part, depth, negated);
      if (negated) {
        Domain::append(neg, s);
        has_neg = true;
      } else {
        Domain::append(pos, s);
      }
    }
    // Once per list, not per item: a list of n items costs one sort, not n.
    Domain::normalize(pos);
    Domain::normalize(neg);
    if (has_neg) {
      if (Domain::covers_a_whole_family(neg))
        fail(RuleErrorReason::negated_any, std::string(Domain::kWhat) + " " + quoted(text) +
                                               " negates every " + std::string(Domain::kWhat));
      Domain::fill_where_negated(pos, neg);
      Domain::subtract(pos, neg);
      if (Domain::empty(pos))
        fail(RuleErrorReason::contradiction, std::string(Domain::kWhat) + " " + quoted(text) +
                                                 " leaves nothing once its negations are removed");
    }
    return pos;
  }

 private:
  std::vector<std::string_view> split_top_level(std::string_view text) {
    std::vector<std::string_view> parts;
    int level = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '[') {
        ++level;
      } else if (c == ']') {
        if (--level < 0)
          fail(RuleErrorReason::unbalanced_brackets,
               std::string(Domain::kWhat) + " " + quoted(text) + " has a ']' without its '['");
      } else if (c == ',' && level == 0) {
        parts.push_back(text.substr(start, i - start));
        start = i + 1;
      }
    }
    if (level != 0)
      fail(RuleErrorReason::unbalanced_brackets,
           std::string(Domain::kWhat) + " " + quoted(text) + " has a '[' without its ']'");
    parts.push_back(text.substr(start));
    return parts;
  }

  Set item(std::string_view text, int depth, bool& negated) {
    std::string_view body = trim(text);
    while (!body.empty() && body.front() == '!') {
      negated = !negated;
      body = trim(body.substr(1));
    }
    if (body.empty())
      fail(Domain::kBadReason,
           std::string("empty item in ") + std::string(Domain::kWhat) + " " + quoted(text));
    if (body.front() == '[') {
      // split_top_level checked the balance, so a '[' item ends with its own ']' or has junk.
      if (body.back() != ']' || matching_bracket(body) != body.size() - 1)
        fail(Domain::kBadReason,
             std::string("text after ']' in ") + std::string(Domain::kWhat) + " " + quoted(body));
      return list(body.substr(1, body.size() - 2), depth + 1);
    }
    if (body.front() == '$') return variable(body.substr(1), depth);
    if (equals_ignoring_case(body, "any")) {
      if (negated)
        fail(RuleErrorReason::negated_any,
             std::string(Domain::kWhat) + " " + quoted(text) + " negates 'any'");
      return Domain::any();
    }
    return Domain::atom(body);
  }

  static std::size_t matching_bracket(std::string_view s) {
    int level = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '[') ++level;
      if (s[i] == ']' && --level == 0) return i;
    }
    return s.size();
  }

  Set variable(std::string_view name, int depth) {
    bool valid = !name.empty();
    for (char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) valid = false;
    if (!valid)
      fail(RuleErrorReason::unknown_variable,
           "bad " + std::string(Domain::kWhat) + " variable name " + quoted(name));
    auto value = Domain::lookup(vars_, name);
    if (!value)
      fail(RuleErrorReason::unknown_variable,
           "unknown " + std::string(Domain::kWhat) + " variable $" + std::string(name));
    for (auto active : resolving_)
      if (active == name)
        fail(RuleErrorReason::recursive_variable,
             std::string(Domain::kWhat) + " variable $" + std::string(name) + " refers to itself");
    resolving_.push_back(name);
    Set s = list(*value, depth + 1);
    resolving_.pop_back();
    return s;
  }

  const RuleVars& vars_;
  std::vector<std::string_view> resolving_;  // variables being expanded, outermost first
};

}  // namespace vigil::detect
