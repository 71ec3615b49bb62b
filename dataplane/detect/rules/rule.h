// The syntax layer of the Suricata rule language: rule text in, ParsedRules and RuleErrors out.
// dataplane/ knows nothing of files: the caller reads a rule file and passes its text with a
// source name used in messages. parse_rules() is meant for load time (it allocates freely); it
// never throws, and one bad rule never stops the others. The result is plain data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/rules/address_set.h"
#include "dataplane/detect/rules/port_set.h"
#include "dataplane/detect/rules/rule_error.h"
#include "dataplane/detect/rules/rule_options.h"
#include "dataplane/detect/rules/rule_vars.h"

namespace vigil::detect {

enum class RuleAction : std::uint8_t {
  alert,
  drop,
  reject,
  rejectsrc,
  rejectdst,
  rejectboth,
  pass
};

std::string_view rule_action_name(RuleAction a);

enum class RuleDirection : std::uint8_t {
  to_destination,  // ->
  both,            // <> : source and destination may be swapped
};

struct ParsedRule {
  RuleAction action = RuleAction::alert;
  std::string protocol;  // lower-cased name as written (tcp, http, tcp-pkt, ...): the engine
                         // decides which ones it supports
  AddressSet src_addr, dst_addr;
  PortSet src_port, dst_port;
  RuleDirection direction = RuleDirection::to_destination;
  std::vector<RuleOption> options;  // in rule order, duplicates kept for the engine to judge
  std::uint32_t sid = 0;            // required, at least 1
  std::uint32_t gid = 1;
  std::uint32_t rev = 0;
  std::string msg;  // unescaped, empty when the rule has none
  std::string source;
  std::size_t line = 0;  // 1-based line where the rule starts
};

struct RuleParseResult {
  std::vector<ParsedRule> rules;
  std::vector<RuleError> errors;
};

// One rule of a rule file: continuation lines joined, and the line it starts on.
struct RuleText {
  std::string text;
  std::size_t line = 0;
};

// Splits rule-file text into rules: '#' lines (including disabled rules such as "# alert ...")
// and blank lines are skipped; a line ending in '\' continues on the next line.
std::vector<RuleText> split_rule_text(std::string_view text);

// Parses one rule (no comment handling); the error's source and line come from the arguments.
struct SingleRuleResult {
  std::optional<ParsedRule> rule;  // set, or else `error` is
  std::optional<RuleError> error;
};
SingleRuleResult parse_rule(std::string_view rule, std::string_view source, std::size_t line,
                            const RuleVars& vars);

// Splits `text` into rules and parses each; `source` names the text in every error.
RuleParseResult parse_rules(std::string_view text, std::string_view source, const RuleVars& vars);

// Counts errors by reason, for stats.
RuleErrorCounters count_errors(const std::vector<RuleError>& errors);

}  // namespace vigil::detect
