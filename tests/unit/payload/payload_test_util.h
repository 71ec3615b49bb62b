// Helpers shared by the payload unit tests: a rule's options in, a compiled program out.
#pragma once

#include <CppUTest/TestHarness.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dataplane/detect/payload/payload_match.h"
#include "dataplane/detect/rules/rule.h"

namespace payload_test {

// Compiles `alert tcp any any -> any any (<options> sid:1;)`; result as compile_payload gives it.
inline vigil::detect::PayloadCompileResult compile(std::string_view options) {
  const std::string text = "alert tcp any any -> any any (" + std::string(options) + " sid:1;)";
  auto parsed = vigil::detect::parse_rules(text, "test", {});
  if (parsed.rules.size() != 1) {
    FAIL(("rule did not parse: " + text +
          (parsed.errors.empty() ? std::string() : ": " + parsed.errors[0].message))
             .c_str());
  }
  return vigil::detect::compile_payload(parsed.rules[0]);
}

// The program of rule options that must compile.
inline vigil::detect::PayloadProgram program(std::string_view options) {
  auto r = compile(options);
  if (!r.program) FAIL(("compile failed: " + std::string(options) + ": " + r.error).c_str());
  return *r.program;
}

// The compile error of rule options that must not compile.
inline std::string error_of(std::string_view options) {
  auto r = compile(options);
  if (r.program) FAIL(("compiled but should not have: " + std::string(options)).c_str());
  return r.error;
}

inline std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Does the rule match `payload` (dsize and the payload list)?
inline bool matches(std::string_view options, std::string_view payload) {
  const auto p = program(options);
  vigil::detect::PayloadScratch scratch;
  return vigil::detect::payload_program_match(p, bytes(payload), scratch);
}

// The list of `p` the prefilter calls `name` ("http.uri", "dns.query+dotprefix"); fails the test
// when there is none.
inline const vigil::detect::PayloadMatchList& list_named(const vigil::detect::PayloadProgram& p,
                                                         std::string_view name) {
  const auto* l = p.list_for(name);
  if (l == nullptr) FAIL(("no list named " + std::string(name)).c_str());
  return *l;
}

// Does the rule's only list match `buffer` (whatever buffer the list names)?
inline bool list_matches(std::string_view options, std::string_view buffer) {
  const auto p = program(options);
  if (p.lists.size() != 1) FAIL(("expected one list: " + std::string(options)).c_str());
  vigil::detect::PayloadScratch scratch;
  return vigil::detect::payload_match(p.lists[0], bytes(buffer), scratch);
}

}  // namespace payload_test
