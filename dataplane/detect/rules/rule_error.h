// RuleError: why one rule of a rule file was not loaded. Every reason has a short stats-style
// name so a loader can count rejected rules by reason (RuleErrorCounters) and print one line per
// rule (format_rule_error). Plain data; the text functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/common/counter_set.h"

#define VIGIL_RULE_ERROR_REASONS(X)                                                     \
  X(bad_header, "bad_header") /* not action proto addr port dir addr port (...) */      \
  X(bad_action, "bad_action")                                                           \
  X(bad_protocol, "bad_protocol")                                                       \
  X(bad_direction, "bad_direction")                                                     \
  X(unbalanced_brackets, "unbalanced_brackets")                                         \
  X(bad_address, "bad_address")                                                         \
  X(bad_cidr, "bad_cidr")                                                               \
  X(bad_port, "bad_port")                                                               \
  X(reversed_range, "reversed_range")                                                   \
  X(unknown_variable, "unknown_variable")                                               \
  X(recursive_variable, "recursive_variable")                                           \
  X(negated_any, "negated_any")     /* !any, or a negation covering a whole family */   \
  X(contradiction, "contradiction") /* nothing left once negations are removed */       \
  X(too_deep, "too_deep")           /* list or variable nesting past the limit */       \
  X(bad_options, "bad_options")                                                         \
  X(unterminated_option, "unterminated_option") /* an option without its closing ';' */ \
  X(missing_sid, "missing_sid")                                                         \
  X(bad_integer, "bad_integer")                                                         \
  X(duplicate_option, "duplicate_option") /* sid, gid, rev or msg given twice */        \
  X(bad_content, "bad_content")

namespace vigil::detect {

enum class RuleErrorReason : std::uint8_t { VIGIL_RULE_ERROR_REASONS(VIGIL_COUNTER_ENUM) };

inline constexpr std::string_view kRuleErrorReasonNames[] = {
    VIGIL_RULE_ERROR_REASONS(VIGIL_COUNTER_NAME)};

inline constexpr std::size_t kRuleErrorReasonCount = std::size(kRuleErrorReasonNames);

constexpr std::string_view rule_error_reason_name(RuleErrorReason r) {
  return counter_name(kRuleErrorReasonNames, static_cast<std::size_t>(r), "unknown");
}

using RuleErrorCounters = CounterSet<RuleErrorReason, kRuleErrorReasonCount>;

// What is wrong with a piece of rule text, before it is tied to a file and line.
struct RuleProblem {
  RuleErrorReason reason = RuleErrorReason::bad_header;
  std::string message;
};

struct RuleError {
  std::string source;     // the name the caller gave the text (a file name, "inline", ...)
  std::size_t line = 0;   // 1-based line where the rule starts
  std::uint32_t sid = 0;  // 0 when the rule's sid could not be read
  RuleErrorReason reason = RuleErrorReason::bad_header;
  std::string message;
};

// "source:line: sid N: reason: message" (the sid part only when known).
std::string format_rule_error(const RuleError& e);

}  // namespace vigil::detect
