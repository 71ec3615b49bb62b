// libFuzzer target for the rule syntax layer: arbitrary bytes as a rule file, as an address or
// port field, and as option values, with default and caller-given (partly recursive) variables.
// Every result is exercised so bad normalized sets show up as sanitizer reports.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/detect/rules/rule.h"

using namespace vigil;
using namespace vigil::detect;

namespace {

const RuleVars& fuzz_vars() {
  static const RuleVars vars = [] {
    RuleVars v;
    v.addresses["HOME_NET"] = "[10.0.0.0/8,2001:db8::/32,!10.1.0.0/16]";
    v.addresses["LOOP"] = "[1.2.3.4,$LOOP]";
    v.addresses["DEEP"] = "[[[[$HOME_NET]]]]";
    v.ports["HTTP_PORTS"] = "[80,8000:8080,!8001]";
    v.ports["PLOOP"] = "!$PLOOP";
    return v;
  }();
  return vars;
}

void probe(const AddressSet& s, std::uint8_t seed) {
  IpAddress a;
  for (auto& b : a.b) b = seed++;
  (void)matches(s, IpFamily::v4, a);
  (void)matches(s, IpFamily::v6, a);
  (void)is_any(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const RuleVars defaults;
  const RuleVars& vars = (size > 0 && (data[0] & 1)) ? fuzz_vars() : defaults;

  RuleParseResult r = parse_rules(text, "fuzz", vars);
  for (const auto& rule : r.rules) {
    probe(rule.src_addr, static_cast<std::uint8_t>(rule.sid));
    probe(rule.dst_addr, static_cast<std::uint8_t>(rule.line));
    (void)matches(rule.src_port, static_cast<std::uint16_t>(rule.sid));
    (void)matches(rule.dst_port, static_cast<std::uint16_t>(rule.rev));
    for (const auto& o : rule.options) {
      (void)decode_content(o.raw);
      (void)split_value_list(o.value);
      (void)parse_rule_integer(o.value, 0, 65535, o.keyword);
    }
  }
  (void)count_errors(r.errors);
  for (const auto& e : r.errors) (void)format_rule_error(e);

  // The same bytes as single fields, which reach deeper than a whole rule usually does.
  if (size < 4096) {
    auto a = parse_address_spec(text, vars);
    probe(a.set, size > 1 ? data[1] : 0);
    auto p = parse_port_spec(text, vars);
    (void)matches(p.set, static_cast<std::uint16_t>(size));
    (void)decode_content(text);
    (void)parse_rule_options(text);
  }
  return 0;
}
