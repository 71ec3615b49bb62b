// PortSet: the ports a rule header's port field stands for, as sorted positive ranges with
// negations, lists and variables resolved at load time. Built once by parse_port_spec();
// read-only afterwards, safe to share across workers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/detect/rules/interval_list.h"
#include "dataplane/detect/rules/rule_error.h"
#include "dataplane/detect/rules/rule_vars.h"

namespace vigil::detect {

struct PortSet {
  IntervalList<std::uint16_t> ranges;
};

bool matches(const PortSet& set, std::uint16_t port);

// True when the set holds all ports 0..65535 (what `any` gives).
bool is_any(const PortSet& set);

struct PortSpecResult {
  PortSet set;
  std::optional<RuleProblem> problem;  // set when the spec is invalid; `set` is then empty
};

// Parses a port field: `any`, a port, `a:b`, `a:`, `:b`, `$VAR`, `!` on any of them, and `[...]`
// lists of them, nested. Never throws.
PortSpecResult parse_port_spec(std::string_view text, const RuleVars& vars);

}  // namespace vigil::detect
