// Internal to the rule parser: a rule's syntax error travels as an exception from where it is
// found to the entry point of the public API, which turns it into a RuleProblem. Parsing runs at
// rule-load time only, never on the packet path.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "dataplane/detect/rules/rule_error.h"
#include "dataplane/detect/rules/rule_text.h"

namespace vigil::detect {

struct RuleSyntaxError {
  RuleProblem problem;
};

[[noreturn]] inline void fail(RuleErrorReason reason, std::string message) {
  throw RuleSyntaxError{RuleProblem{reason, std::move(message)}};
}


}  // namespace vigil::detect
