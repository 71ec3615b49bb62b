// Flow-state keywords: `flow` (direction and state), `flowbits`, `flowint`, `noalert`'s
// `flowbits:noalert` form and `tag`. Parsed at load time; flowbit and flowint names become dense
// indices into the per-flow variable block (FlowVarLayout), so the hot path never sees a string.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::detect {

namespace flowcond {
inline constexpr std::uint16_t to_server = 0x01;
inline constexpr std::uint16_t to_client = 0x02;
inline constexpr std::uint16_t established = 0x04;
inline constexpr std::uint16_t not_established = 0x08;
inline constexpr std::uint16_t stateless = 0x10;
inline constexpr std::uint16_t only_stream = 0x20;
inline constexpr std::uint16_t no_stream = 0x40;
inline constexpr std::uint16_t only_frag = 0x80;
inline constexpr std::uint16_t no_frag = 0x100;
}  // namespace flowcond

struct FlowCondition {
  std::uint16_t flags = 0;  // flowcond::*
};

// `flow: to_server, established` and friends. Contradictions (to_server with to_client,
// established with not_established, only_stream with no_stream) are errors, as in Suricata.
bool parse_flow_keyword(std::string_view value, FlowCondition& out, std::string& error);

// Name -> dense index, for flowbits and flowints separately, shared by the whole rule set.
struct FlowVarLayout {
  std::map<std::string, std::uint16_t, std::less<>> bits, ints;
  std::uint16_t bit(std::string_view name);  // adds the name when new
  std::uint16_t integer(std::string_view name);
};

enum class FlowbitOp : std::uint8_t { set, unset, toggle, isset, isnotset };

struct FlowbitAction {
  FlowbitOp op = FlowbitOp::set;
  std::vector<std::uint16_t> bits;  // `a|b` for isset/isnotset means any (isset) / all (isnotset)
  bool any_of = false;              // written with '|' (isset: one of them; isnotset: not all)
  bool all_of = false;              // written with '&' (all of them)
};

enum class FlowintOp : std::uint8_t { set, add, sub, eq, ne, lt, le, gt, ge, isset, notset };

struct FlowintAction {
  FlowintOp op = FlowintOp::set;
  std::uint16_t var = 0;
  bool value_is_var = false;
  std::uint16_t value_var = 0;
  std::uint32_t value = 0;
  bool is_condition() const { return op >= FlowintOp::eq; }
};

struct FlowVarKeywords {
  std::vector<FlowbitAction> bit_conditions;  // isset / isnotset, checked before a match
  std::vector<FlowbitAction> bit_actions;     // set / unset / toggle, applied after a match
  std::vector<FlowintAction> int_conditions;
  std::vector<FlowintAction> int_actions;
  bool noalert = false;  // flowbits:noalert
};

// `flowbits: op[, name]` and `flowint: name, op[, value]`; names go into `layout`.
bool parse_flowbits(std::string_view value, FlowVarLayout& layout, FlowVarKeywords& out,
                    std::string& error);
bool parse_flowint(std::string_view value, FlowVarLayout& layout, FlowVarKeywords& out,
                   std::string& error);

// `tag: session|host[, count, packets|bytes|seconds][, src|dst]`.
struct TagSpec {
  enum class Kind : std::uint8_t { session, host } kind = Kind::session;
  // Suricata's defaults: 256 packets, and for host tags the destination host.
  enum class Metric : std::uint8_t { packets, bytes, seconds } metric = Metric::packets;
  std::uint32_t count = 256;
  bool dst = true;  // host tags: the destination host, or the source with `src`
};
bool parse_tag(std::string_view value, TagSpec& out, std::string& error);

}  // namespace vigil::detect
