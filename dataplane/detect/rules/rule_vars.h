// RuleVars: the address and port variables ($HOME_NET, $HTTP_PORTS, ...) that rule headers refer
// to, as the caller's configuration gives them. A variable the caller leaves unset takes
// Suricata's default from its stock suricata.yaml. Values are written in rule syntax, without
// the YAML quotes. Plain data: read-only while rules parse, so one table can serve many parses.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::detect {

struct RuleVars {
  std::map<std::string, std::string, std::less<>> addresses;  // name without '$' -> value
  std::map<std::string, std::string, std::less<>> ports;
};

// The value of an address / port variable: the caller's, else Suricata's default, else nothing.
std::optional<std::string_view> address_var(const RuleVars& vars, std::string_view name);
std::optional<std::string_view> port_var(const RuleVars& vars, std::string_view name);

}  // namespace vigil::detect
