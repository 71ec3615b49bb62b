// Prefilter: the multi-pattern stage of detection. At load time each rule's fast pattern
// (fast_pattern.h) goes into one Hyperscan literal database per inspection buffer; at run time a
// scan of a buffer yields the rules whose pattern occurs in it, plus the buffer's rules without a
// pattern, as candidates for full evaluation.
//
// Thread-safety and ownership: a built Prefilter is immutable and shared by all workers
// (shared_ptr<const Prefilter>). scan() is const, allocation-free, lock-free and noexcept; it is
// safe from any number of threads at once provided each passes its own PrefilterScratch and
// CandidateSet (made at worker setup with make_scratch()/make_candidate_set()).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/common/counter_set.h"
#include "dataplane/detect/prefilter/candidate_set.h"
#include "dataplane/detect/prefilter/fast_pattern.h"
#include "dataplane/detect/rules/rule.h"

struct hs_database;
struct hs_scratch;

namespace vigil::detect {

// What the builder needs of one rule: its sid (for messages), the buffer it is inspected in and
// its literal, if any. build(span<const ParsedRule>) derives these with select_fast_pattern().
struct PrefilterPattern {
  std::vector<std::uint8_t> bytes;
  bool nocase = false;
};

struct PrefilterEntry {
  std::uint32_t sid = 0;
  std::string buffer;
  std::optional<PrefilterPattern> pattern;  // none: evaluated whenever `buffer` is scanned
  bool rejected = false;                    // never a candidate (its rule cannot be loaded)
};

// A rule the prefilter could not take as written: a bad content or fast_pattern (the rule is
// never a candidate), or a pattern Hyperscan refused (the rule becomes a no-pattern rule).
struct PrefilterError {
  std::size_t rule_index = 0;
  std::uint32_t sid = 0;
  std::string message;
};

using PrefilterBufferId = std::uint32_t;

struct PrefilterBufferInfo {
  std::string_view name;
  std::size_t patterns = 0;          // distinct literals (bytes + nocase)
  std::size_t pattern_rules = 0;     // rules with their fast pattern in this buffer
  std::size_t no_pattern_rules = 0;  // rules added to every scan of this buffer
  std::size_t database_bytes = 0;    // hs_database_size(), 0 without patterns
};

struct PrefilterStats {
  std::chrono::nanoseconds build_time{0};  // selection + compilation, whole build
  std::size_t rules = 0;
  std::size_t pattern_rules = 0;
  std::size_t no_pattern_rules = 0;
  std::size_t rejected_rules = 0;
  std::size_t patterns = 0;
  std::size_t database_bytes = 0;  // sum over buffers
  std::size_t scratch_bytes = 0;   // one worker's scratch (hs_scratch_size)
};

// Per-worker counters, kept in the worker's PrefilterScratch.
#define VIGIL_PREFILTER_COUNTERS(X)                                                \
  X(scans, "detect.prefilter.scans")           /* scan() calls */                  \
  X(matches, "detect.prefilter.matches")       /* patterns found (one per scan) */ \
  X(candidates, "detect.prefilter.candidates") /* rules newly added to the set */  \
  X(errors, "detect.prefilter.errors")         /* scans Hyperscan refused */

enum class PrefilterCounter : std::uint8_t { VIGIL_PREFILTER_COUNTERS(VIGIL_COUNTER_ENUM) };
inline constexpr std::string_view kPrefilterCounterNames[] = {
    VIGIL_PREFILTER_COUNTERS(VIGIL_COUNTER_NAME)};
using PrefilterCounters = CounterSet<PrefilterCounter, std::size(kPrefilterCounterNames)>;
constexpr std::string_view prefilter_counter_name(PrefilterCounter c) {
  return counter_name(kPrefilterCounterNames, static_cast<std::size_t>(c), "detect.prefilter.?");
}

// One worker's Hyperscan scratch, large enough for every database of the prefilter that made it.
// Move-only; used by one thread at a time.
class PrefilterScratch {
 public:
  PrefilterScratch(PrefilterScratch&& other) noexcept;
  PrefilterScratch& operator=(PrefilterScratch&& other) noexcept;
  PrefilterScratch(const PrefilterScratch&) = delete;
  PrefilterScratch& operator=(const PrefilterScratch&) = delete;
  ~PrefilterScratch();

  // Another scratch for another worker (hs_clone_scratch); nullopt if Hyperscan fails.
  std::optional<PrefilterScratch> clone() const;

  PrefilterCounters counters;

 private:
  friend class Prefilter;
  explicit PrefilterScratch(hs_scratch* s) : scratch_(s) {}
  hs_scratch* scratch_ = nullptr;  // null when the prefilter has no database at all
};

enum class PrefilterScanStatus : std::uint8_t {
  ok,
  bad_buffer,         // buffer id not from this prefilter
  bad_candidate_set,  // set made for fewer rules than the prefilter has
  too_large,          // more than 4 GiB: Hyperscan's length is 32 bits
  scan_error,  // Hyperscan refused (a scratch used by two threads, or not for this prefilter)
};

class Prefilter;

struct PrefilterBuildResult {
  std::shared_ptr<const Prefilter> prefilter;  // null only when Hyperscan failed as a whole
  std::vector<PrefilterError> errors;
  std::optional<std::string> failure;  // why prefilter is null
};

class Prefilter {
 public:
  // Rule index i is rules[i] / entries[i]: candidates are reported as these indices.
  static PrefilterBuildResult build(std::span<const ParsedRule> rules);
  static PrefilterBuildResult build(std::span<const PrefilterEntry> entries);

  Prefilter(const Prefilter&) = delete;
  Prefilter& operator=(const Prefilter&) = delete;
  ~Prefilter();

  // Buffer ids are resolved once at setup; a buffer no rule uses has none (nothing to scan).
  std::optional<PrefilterBufferId> find_buffer(std::string_view name) const;
  std::size_t buffer_count() const;
  PrefilterBufferInfo buffer_info(PrefilterBufferId id) const;
  std::size_t rule_count() const { return rule_count_; }
  const PrefilterStats& stats() const { return stats_; }

  // Setup, once per worker. nullopt if Hyperscan cannot allocate the scratch.
  std::optional<PrefilterScratch> make_scratch() const;
  CandidateSet make_candidate_set() const { return CandidateSet(rule_count_); }

  // Adds to `out` every rule whose fast pattern occurs in `data` (buffer `id`) and the buffer's
  // no-pattern rules; `out` is not cleared, so several buffers of one packet accumulate (the
  // caller clears it per packet). Empty data adds the no-pattern rules only.
  PrefilterScanStatus scan(PrefilterBufferId id, std::span<const std::uint8_t> data,
                           PrefilterScratch& scratch, CandidateSet& out) const noexcept;

 private:
  struct Buffer;
  Prefilter();
  static PrefilterBuildResult build_entries(const std::vector<PrefilterEntry>& entries,
                                            std::vector<PrefilterError> errors,
                                            std::chrono::steady_clock::time_point start);

  std::vector<Buffer> buffers_;
  std::size_t rule_count_ = 0;
  PrefilterStats stats_;
};

}  // namespace vigil::detect
