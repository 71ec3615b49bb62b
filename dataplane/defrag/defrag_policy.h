// Overlap policies: which copy of a byte wins when fragments of one datagram overlap. Targets
// resolve overlaps differently, and an attacker who knows the target can send one payload to the
// sensor and another to the host; the policy makes the sensor rebuild what the target would.
// Pure constexpr functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil {

enum class DefragPolicy : std::uint8_t {
  first,  // the byte first received is kept
  last,   // the byte last received wins (Cisco IOS)
  bsd,    // a new fragment wins over held bytes only if it starts strictly before the fragment
          // those bytes came from (4.4BSD descendants; Suricata's default)
  // As bsd, but a new fragment also wins at an equal start (Linux before 4.19). Spelled with a
  // suffix because GNU dialects predefine `linux` as a macro; its configuration name is "linux".
  linux_classic,
};

// Whether a newly received fragment starting at `new_offset` replaces a held byte that came from
// a fragment that started at `held_origin`. Applied byte by byte in arrival order.
constexpr bool new_fragment_wins(DefragPolicy p, std::uint32_t new_offset,
                                 std::uint32_t held_origin) {
  switch (p) {
    case DefragPolicy::first:
      return false;
    case DefragPolicy::last:
      return true;
    case DefragPolicy::bsd:
      return new_offset < held_origin;
    case DefragPolicy::linux_classic:
      return new_offset <= held_origin;
  }
  return false;
}

// Whether the policy looks at where a byte came from (first and last only look at arrival order).
constexpr bool policy_uses_origin(DefragPolicy p) {
  return p == DefragPolicy::bsd || p == DefragPolicy::linux_classic;
}

constexpr std::string_view defrag_policy_name(DefragPolicy p) {
  switch (p) {
    case DefragPolicy::first:
      return "first";
    case DefragPolicy::last:
      return "last";
    case DefragPolicy::bsd:
      return "bsd";
    case DefragPolicy::linux_classic:
      return "linux";
  }
  return "unknown";
}

// For the configuration loader: "first", "last", "bsd" or "linux".
constexpr std::optional<DefragPolicy> parse_defrag_policy(std::string_view s) {
  for (auto p : {DefragPolicy::first, DefragPolicy::last, DefragPolicy::bsd,
                 DefragPolicy::linux_classic})
    if (defrag_policy_name(p) == s) return p;
  return std::nullopt;
}

}  // namespace vigil
