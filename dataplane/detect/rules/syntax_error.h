// Internal to the rule parser: a rule's syntax error travels as an exception from where it is
// found to the entry point of the public API, which turns it into a RuleProblem. Parsing runs at
// rule-load time only, never on the packet path.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "dataplane/detect/rules/rule_error.h"

namespace vigil::detect {

struct RuleSyntaxError {
  RuleProblem problem;
};

[[noreturn]] inline void fail(RuleErrorReason reason, std::string message) {
  throw RuleSyntaxError{RuleProblem{reason, std::move(message)}};
}

std::string_view trim(std::string_view s);
bool equals_ignoring_case(std::string_view a, std::string_view b);
// Quotes a piece of rule text for a message, cut short when long.
std::string quoted(std::string_view s);

}  // namespace vigil::detect
