// Alert thresholding: the `threshold:` and `detection_filter:` rule keywords, and the per-worker
// table that decides, each time such a rule matches, whether its alert is emitted.
//
// The parsers are pure and thread-safe. A ThresholdTable belongs to one worker: everything is
// allocated by its constructor, allow() takes no lock, allocates nothing and never throws.
// Semantics follow Suricata 7/8; the points worth knowing are noted in threshold.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/common/counter_set.h"
#include "dataplane/decode/decoded_packet.h"

namespace vigil::detect {

enum class ThresholdType : std::uint8_t { limit, threshold, both, detection_filter };
enum class ThresholdTrack : std::uint8_t { by_src, by_dst, by_rule, by_both, by_flow };
enum class ThresholdUnique : std::uint8_t { none, src_port, dst_port };

// The largest `count` a detection_filter with `unique_on` may have: each tracking entry keeps
// up to this many distinct ports inline (the count-plus-first distinct port is what alerts).
inline constexpr std::uint32_t kThresholdMaxUniqueCount = 32;

struct ThresholdSpec {
  ThresholdType type = ThresholdType::limit;
  ThresholdTrack track = ThresholdTrack::by_src;
  std::uint32_t count = 0;
  std::uint32_t seconds = 0;
  ThresholdUnique unique_on = ThresholdUnique::none;  // detection_filter only
};

struct ThresholdSpecResult {
  std::optional<ThresholdSpec> spec;
  std::string error;  // "threshold: why (value)" or "detection_filter: why (value)"
};

// `threshold: type limit|threshold|both, track by_src|by_dst|by_rule|by_both|by_flow,
// count N, seconds T` — the four parts once each, in any order, comma separated.
ThresholdSpecResult parse_threshold(std::string_view value);

// `detection_filter: track by_src|by_dst|by_flow, count N, seconds T`, optionally followed by
// `unique_on src_port|dst_port`. count and seconds at least 1; with unique_on, count at most
// kThresholdMaxUniqueCount (Suricata also requires a tcp, udp or sctp rule: the rule loader's
// check, as the protocol is not known here).
ThresholdSpecResult parse_detection_filter(std::string_view value);

// What a thresholded match is keyed on. flow_id 0 means the packet has no flow.
struct ThresholdSubject {
  IpFamily family = IpFamily::none;
  IpAddress src{}, dst{};
  std::uint16_t sport = 0, dport = 0;
  std::uint64_t flow_id = 0;
};

#define VIGIL_THRESHOLD_COUNTERS(X)                                                         \
  X(entries, "detect.threshold.entries")       /* slots taken by a tracking entry */        \
  X(reused, "detect.threshold.reused")         /* expired entries given to a new key */     \
  X(table_full, "detect.threshold.table_full") /* no slot: alert allowed untracked */       \
  X(no_flow, "detect.threshold.no_flow")       /* by_flow match without a flow: no alert */ \
  X(allowed, "detect.threshold.allowed")       /* verdict alert */                          \
  X(suppressed, "detect.threshold.suppressed") /* verdict discard or silent */

enum class ThresholdCounter : std::uint8_t { VIGIL_THRESHOLD_COUNTERS(VIGIL_COUNTER_ENUM) };

inline constexpr std::string_view kThresholdCounterNames[] = {
    VIGIL_THRESHOLD_COUNTERS(VIGIL_COUNTER_NAME)};

inline constexpr std::size_t kThresholdCounterCount = std::size(kThresholdCounterNames);

constexpr std::string_view threshold_counter_name(ThresholdCounter c) {
  return counter_name(kThresholdCounterNames, static_cast<std::size_t>(c), "unknown");
}

using ThresholdCounters = CounterSet<ThresholdCounter, kThresholdCounterCount>;

// What becomes of a thresholded match. Suricata tells apart a match whose alert is suppressed
// but whose rule action (drop, reject) still applies — limit past its count, both past its
// count — from one that is dropped entirely (threshold and both below their count,
// detection_filter up to its count, by_flow without a flow).
enum class ThresholdVerdict : std::uint8_t {
  discard,  // no alert, no action
  alert,    // alert and action
  silent,   // action only (IPS: the drop still happens), no alert
};

class ThresholdTable {
 public:
  // Probes per lookup: a key lives within this many slots of its home slot.
  static constexpr std::size_t kMaxProbe = 16;

  // `capacity` tracking entries (rounded up to a power of two, at least kMaxProbe).
  explicit ThresholdTable(std::size_t capacity);
  ~ThresholdTable();
  ThresholdTable(const ThresholdTable&) = delete;
  ThresholdTable& operator=(const ThresholdTable&) = delete;

  // Rule `rule_id` (a dense index) matched a packet at ts_ns: true when the alert is to be
  // emitted. The same rule_id must always come with the same spec.
  bool allow(const ThresholdSpec& spec, std::uint32_t rule_id, const ThresholdSubject& subject,
             std::uint64_t ts_ns) noexcept {
    return decide(spec, rule_id, subject, ts_ns) == ThresholdVerdict::alert;
  }

  // The same decision, telling a silent match (action without alert) from a discarded one.
  ThresholdVerdict decide(const ThresholdSpec& spec, std::uint32_t rule_id,
                          const ThresholdSubject& subject, std::uint64_t ts_ns) noexcept;

  // Forgets every entry (a new rule set); counters are kept.
  void clear() noexcept;

  std::size_t capacity() const noexcept { return mask_ + 1; }
  const ThresholdCounters& counters() const noexcept { return counters_; }

 private:
  struct Entry {
    std::uint64_t hash = 0;  // 0: the slot was never used
    std::uint64_t flow_id = 0;
    IpAddress a{}, b{};
    std::uint32_t rule_id = 0;
    ThresholdTrack track = ThresholdTrack::by_src;
    IpFamily family = IpFamily::none;
    std::uint8_t port_count = 0;      // distinct ports kept in `ports` (unique_on)
    std::uint64_t window_end_ns = 0;  // inclusive, as Suricata's `ts <= tv1 + seconds`
    std::uint32_t count = 0;          // matches (or distinct ports) in this window
    std::array<std::uint16_t, kThresholdMaxUniqueCount> ports{};
  };

  Entry* find_or_claim(const Entry& key, std::uint64_t ts_ns, bool& found) noexcept;

  std::unique_ptr<Entry[]> slots_;
  std::size_t mask_ = 0;
  ThresholdCounters counters_{};
};

}  // namespace vigil::detect
