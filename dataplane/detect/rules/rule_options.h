// The option part of a rule, `(key: value; key; ...)`, and the helpers the engine's keywords use
// on option values: content strings with |hex| sections, comma lists, bounded integers.
// All functions are pure and thread-safe; none throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/rules/rule_error.h"

namespace vigil::detect {

struct RuleOption {
  std::string keyword;  // lower-cased: Suricata's keywords are case-insensitive
  std::string raw;      // the value as written, trimmed, escapes and quotes kept
  std::string value;    // surrounding quotes removed and \; \" \\ \: resolved; other backslash
                        // pairs are kept whole, so a pcre keeps its regex escapes
  bool has_value = false;
};

struct RuleOptionsResult {
  std::vector<RuleOption> options;  // in rule order: content modifiers depend on it
  std::optional<RuleProblem> problem;
};

// Parses the text between a rule's parentheses. Every option ends with ';' (an escaped `\;`
// does not end it); quotes do not protect a ';', as in Suricata.
RuleOptionsResult parse_rule_options(std::string_view text);

struct ContentBytes {
  std::vector<std::uint8_t> bytes;
  bool negated = false;  // written `!"..."`
  std::optional<RuleProblem> problem;
};

// Decodes a content-style value as written (`"GET |20|/"`, `!"|0d 0a|"`): quotes required,
// |..| sections of hex byte pairs (spaces allowed between them), escapes \" \; \: \\ \|.
ContentBytes decode_content(std::string_view raw);

struct ValueList {
  std::vector<std::string> items;  // trimmed
  std::optional<RuleProblem> problem;
};

// Splits a comma list (`flowbits:set,name`, `byte_test:4,>,1,0,relative`) outside double quotes.
ValueList split_value_list(std::string_view value);

struct RuleInteger {
  std::uint64_t value = 0;
  std::optional<RuleProblem> problem;
};

// A decimal integer in [min, max], surrounding spaces allowed, nothing else.
RuleInteger parse_rule_integer(std::string_view text, std::uint64_t min, std::uint64_t max,
                               std::string_view what);

}  // namespace vigil::detect
