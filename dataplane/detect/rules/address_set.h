// AddressSet: the addresses a rule header's address field stands for, normalized for matching:
// negations, lists and variables are resolved at load time into sorted positive ranges per
// family. Built once by parse_address_spec(); read-only afterwards, safe to share across workers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/detect/rules/interval_list.h"
#include "dataplane/detect/rules/rule_error.h"
#include "dataplane/detect/rules/rule_vars.h"

namespace vigil::detect {

struct AddressSet {
  IntervalList<std::uint32_t> v4;  // IPv4 addresses as host-order numbers
  IntervalList<U128> v6;           // IPv6 addresses as 128-bit numbers
};

// An address as the number the sets are ordered by (IPv4 host order; IPv6 as 128 bits).
std::uint32_t ipv4_key(const IpAddress& addr);
U128 ipv6_key(const IpAddress& addr);

// True when `addr` of `family` is in the set (IpFamily::none never matches).
bool matches(const AddressSet& set, IpFamily family, const IpAddress& addr);

// True when the set holds every IPv4 and every IPv6 address (what `any` gives).
bool is_any(const AddressSet& set);

struct AddressSpecResult {
  AddressSet set;
  std::optional<RuleProblem> problem;  // set when the spec is invalid; `set` is then empty
};

// Parses an address field: `any`, an address, CIDR (prefix or IPv4 netmask), an `a-b` range,
// `$VAR`, `!` on any of them, and `[...]` lists of them, nested. Never throws.
AddressSpecResult parse_address_spec(std::string_view text, const RuleVars& vars);

}  // namespace vigil::detect
