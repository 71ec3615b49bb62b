// Helpers shared by the prefilter unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/rules/rule.h"

namespace prefilter_test {

// Parses rule text (one rule a line); the tests only pass valid rules, and check the count.
inline std::vector<vigil::detect::ParsedRule> rules(std::string_view text) {
  return vigil::detect::parse_rules(text, "test", vigil::detect::RuleVars{}).rules;
}

// One rule with the given options around a fixed tcp header.
inline vigil::detect::ParsedRule rule(std::string_view options, std::uint32_t sid = 1) {
  std::string text = "alert tcp any any -> any any (";
  text += options;
  text += " sid:" + std::to_string(sid) + ";)";
  auto parsed = rules(text);
  return parsed.empty() ? vigil::detect::ParsedRule{} : parsed.front();
}

inline std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace prefilter_test
