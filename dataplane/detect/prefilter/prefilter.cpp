#include "dataplane/detect/prefilter/prefilter.h"

#include <hs.h>

#include <climits>
#include <map>
#include <unordered_map>
#include <utility>

namespace vigil::detect {
namespace {

struct DatabaseDeleter {
  void operator()(hs_database_t* db) const noexcept { hs_free_database(db); }
};
using DatabasePtr = std::unique_ptr<hs_database_t, DatabaseDeleter>;

// One buffer while it is being built: patterns deduplicated by (bytes, nocase).
struct BufferPlan {
  std::string name;
  std::unordered_map<std::string, std::uint32_t> ids;  // key: nocase flag byte, then the bytes
  std::vector<const PrefilterPattern*> patterns;  // by pattern id
  std::vector<std::vector<std::uint32_t>> rules;  // by pattern id, ascending rule index
  std::vector<std::uint32_t> no_pattern;
};

}  // namespace

struct Prefilter::Buffer {
  std::string name;
  DatabasePtr db;                      // null when the buffer has no pattern
  std::vector<std::uint32_t> offsets;  // pattern id -> [offsets[id], offsets[id + 1]) in rules
  std::vector<std::uint32_t> rules;
  std::vector<std::uint32_t> no_pattern;
  std::size_t patterns = 0;
  std::size_t pattern_rules = 0;
  std::size_t database_bytes = 0;
};

namespace {

struct ScanContext {
  const std::uint32_t* offsets;
  const std::uint32_t* rules;
  CandidateSet* out;
  PrefilterCounters* counters;
};

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned int /*flags*/, void* context) {
  auto* c = static_cast<ScanContext*>(context);
  c->counters->add(PrefilterCounter::matches);
  for (std::uint32_t k = c->offsets[id]; k < c->offsets[id + 1]; ++k)
    if (c->out->add(c->rules[k])) c->counters->add(PrefilterCounter::candidates);
  return 0;  // go on scanning
}

std::string describe_pattern(const PrefilterPattern& p) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : p.bytes) {
    if (b >= 0x20 && b < 0x7f && b != '|') {
      s += static_cast<char>(b);
    } else {
      s += '|';
      s += kHex[b >> 4];
      s += kHex[b & 15];
      s += '|';
    }
  }
  return s;
}

}  // namespace

PrefilterScratch::PrefilterScratch(PrefilterScratch&& other) noexcept
    : counters(other.counters), scratch_(std::exchange(other.scratch_, nullptr)) {}

PrefilterScratch& PrefilterScratch::operator=(PrefilterScratch&& other) noexcept {
  if (this != &other) {
    if (scratch_) hs_free_scratch(scratch_);
    scratch_ = std::exchange(other.scratch_, nullptr);
    counters = other.counters;
  }
  return *this;
}

PrefilterScratch::~PrefilterScratch() {
  if (scratch_) hs_free_scratch(scratch_);
}

std::optional<PrefilterScratch> PrefilterScratch::clone() const {
  if (!scratch_) return PrefilterScratch(nullptr);
  hs_scratch_t* copy = nullptr;
  if (hs_clone_scratch(scratch_, &copy) != HS_SUCCESS) return std::nullopt;
  return PrefilterScratch(copy);
}

Prefilter::Prefilter() = default;
Prefilter::~Prefilter() = default;

namespace {

// Compiles one buffer's literals. A literal Hyperscan refuses is dropped and its rules become
// no-pattern rules of the buffer (they are still evaluated, never lost); an error that names no
// literal fails the build.
bool compile_buffer(BufferPlan& plan, const std::vector<PrefilterEntry>& entries, DatabasePtr& db,
                    std::vector<PrefilterError>& errors, std::string& failure) {
  std::vector<std::uint32_t> active(plan.patterns.size());
  for (std::uint32_t i = 0; i < active.size(); ++i) active[i] = i;
  while (!active.empty()) {
    std::vector<const char*> expressions;
    std::vector<unsigned int> flags, ids;
    std::vector<std::size_t> lengths;
    for (std::uint32_t id : active) {
      const PrefilterPattern& p = *plan.patterns[id];
      expressions.push_back(reinterpret_cast<const char*>(p.bytes.data()));
      lengths.push_back(p.bytes.size());
      flags.push_back(HS_FLAG_SINGLEMATCH | (p.nocase ? HS_FLAG_CASELESS : 0u));
      ids.push_back(id);
    }
    hs_database_t* raw = nullptr;
    hs_compile_error_t* error = nullptr;
    const hs_error_t rc = hs_compile_lit_multi(
        expressions.data(), flags.data(), ids.data(), lengths.data(),
        static_cast<unsigned int>(active.size()), HS_MODE_BLOCK, nullptr, &raw, &error);
    if (rc == HS_SUCCESS) {
      db.reset(raw);
      return true;
    }
    const std::string message = error && error->message ? error->message : "unknown error";
    const int index = error ? error->expression : -1;
    hs_free_compile_error(error);
    if (index < 0 || static_cast<std::size_t>(index) >= active.size()) {
      failure = "buffer " + plan.name + ": Hyperscan: " + message;
      return false;
    }
    const std::uint32_t bad = active[static_cast<std::size_t>(index)];
    for (std::uint32_t rule : plan.rules[bad]) {
      errors.push_back({rule, entries[rule].sid,
                        "buffer " + plan.name + ": pattern \"" +
                            describe_pattern(*plan.patterns[bad]) + "\" refused by Hyperscan (" +
                            message + "); the rule is evaluated without prefilter"});
      plan.no_pattern.push_back(rule);
    }
    plan.rules[bad].clear();
    active.erase(active.begin() + index);
  }
  return true;
}

}  // namespace

PrefilterBuildResult Prefilter::build(std::span<const ParsedRule> rules) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<PrefilterEntry> entries;
  std::vector<PrefilterError> errors;
  entries.reserve(rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    FastPatternSelection sel = select_fast_pattern(rules[i]);
    PrefilterEntry e;
    e.sid = rules[i].sid;
    e.buffer = std::move(sel.buffer);
    if (sel.problem) {
      e.rejected = true;
      errors.push_back({i, rules[i].sid, *sel.problem});
    } else if (sel.pattern) {
      e.pattern = PrefilterPattern{std::move(sel.pattern->bytes), sel.pattern->nocase};
    }
    entries.push_back(std::move(e));
  }
  return build_entries(entries, std::move(errors), start);
}

PrefilterBuildResult Prefilter::build(std::span<const PrefilterEntry> entries) {
  const auto start = std::chrono::steady_clock::now();
  return build_entries(std::vector<PrefilterEntry>(entries.begin(), entries.end()), {}, start);
}

PrefilterBuildResult Prefilter::build_entries(const std::vector<PrefilterEntry>& entries,
                                              std::vector<PrefilterError> errors,
                                              std::chrono::steady_clock::time_point start) {
  PrefilterBuildResult result;
  if (entries.size() >= UINT32_MAX) {
    result.failure = "too many rules";
    result.errors = std::move(errors);
    return result;
  }
  std::vector<BufferPlan> plans;
  std::map<std::string, std::size_t, std::less<>> plan_of;
  std::size_t rejected = 0;
  for (std::uint32_t i = 0; i < entries.size(); ++i) {
    const PrefilterEntry& e = entries[i];
    if (e.rejected) {
      ++rejected;
      continue;
    }
    auto [it, added] = plan_of.try_emplace(e.buffer, plans.size());
    if (added) plans.push_back(BufferPlan{.name = e.buffer});
    BufferPlan& plan = plans[it->second];
    if (!e.pattern) {
      plan.no_pattern.push_back(i);
      continue;
    }
    if (e.pattern->bytes.empty()) {  // Hyperscan does not take empty literals (it crashes)
      errors.push_back(
          {i, e.sid,
           "buffer " + e.buffer + ": empty pattern; the rule is evaluated without prefilter"});
      plan.no_pattern.push_back(i);
      continue;
    }
    std::string key(1, e.pattern->nocase ? '\1' : '\0');
    key.append(e.pattern->bytes.begin(), e.pattern->bytes.end());
    auto [pit, new_pattern] =
        plan.ids.try_emplace(std::move(key), static_cast<std::uint32_t>(plan.patterns.size()));
    if (new_pattern) {
      plan.patterns.push_back(&*e.pattern);
      plan.rules.emplace_back();
    }
    plan.rules[pit->second].push_back(i);
  }

  std::shared_ptr<Prefilter> pf(new Prefilter());
  pf->rule_count_ = entries.size();
  PrefilterStats& stats = pf->stats_;
  stats.rules = entries.size();
  stats.rejected_rules = rejected;
  for (BufferPlan& plan : plans) {
    Buffer b;
    b.name = plan.name;
    if (!plan.patterns.empty()) {
      std::string failure;
      if (!compile_buffer(plan, entries, b.db, errors, failure)) {
        result.failure = std::move(failure);
        result.errors = std::move(errors);
        return result;
      }
    }
    b.offsets.reserve(plan.rules.size() + 1);
    b.offsets.push_back(0);
    for (const auto& list : plan.rules) {
      b.rules.insert(b.rules.end(), list.begin(), list.end());
      b.offsets.push_back(static_cast<std::uint32_t>(b.rules.size()));
      if (!list.empty()) ++b.patterns;
    }
    b.pattern_rules = b.rules.size();
    b.no_pattern = std::move(plan.no_pattern);
    if (b.db) {
      std::size_t size = 0;
      if (hs_database_size(b.db.get(), &size) == HS_SUCCESS) b.database_bytes = size;
    }
    stats.pattern_rules += b.pattern_rules;
    stats.no_pattern_rules += b.no_pattern.size();
    stats.patterns += b.patterns;
    stats.database_bytes += b.database_bytes;
    pf->buffers_.push_back(std::move(b));
  }

  // One scratch for all databases, to know what each worker will need.
  std::optional<PrefilterScratch> scratch = pf->make_scratch();
  if (!scratch) {
    result.failure = "Hyperscan could not allocate a scratch";
    result.errors = std::move(errors);
    return result;
  }
  if (scratch->scratch_) {
    std::size_t size = 0;
    if (hs_scratch_size(scratch->scratch_, &size) == HS_SUCCESS) stats.scratch_bytes = size;
  }
  stats.build_time = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now() - start);
  result.prefilter = std::move(pf);
  result.errors = std::move(errors);
  return result;
}

std::size_t Prefilter::buffer_count() const { return buffers_.size(); }

std::optional<PrefilterBufferId> Prefilter::find_buffer(std::string_view name) const {
  for (std::size_t i = 0; i < buffers_.size(); ++i)
    if (buffers_[i].name == name) return static_cast<PrefilterBufferId>(i);
  return std::nullopt;
}

PrefilterBufferInfo Prefilter::buffer_info(PrefilterBufferId id) const {
  if (id >= buffers_.size()) return {};
  const Buffer& b = buffers_[id];
  return {.name = b.name,
          .patterns = b.patterns,
          .pattern_rules = b.pattern_rules,
          .no_pattern_rules = b.no_pattern.size(),
          .database_bytes = b.database_bytes};
}

std::optional<PrefilterScratch> Prefilter::make_scratch() const {
  hs_scratch_t* scratch = nullptr;
  for (const Buffer& b : buffers_) {
    if (!b.db) continue;
    if (hs_alloc_scratch(b.db.get(), &scratch) != HS_SUCCESS) {
      if (scratch) hs_free_scratch(scratch);
      return std::nullopt;
    }
  }
  return PrefilterScratch(scratch);
}

PrefilterScanStatus Prefilter::scan(PrefilterBufferId id, std::span<const std::uint8_t> data,
                                    PrefilterScratch& scratch, CandidateSet& out) const noexcept {
  if (id >= buffers_.size()) return PrefilterScanStatus::bad_buffer;
  if (out.capacity() < rule_count_) return PrefilterScanStatus::bad_candidate_set;
  if (data.size() > UINT_MAX) return PrefilterScanStatus::too_large;
  scratch.counters.add(PrefilterCounter::scans);
  const Buffer& b = buffers_[id];
  for (std::uint32_t rule : b.no_pattern)
    if (out.add(rule)) scratch.counters.add(PrefilterCounter::candidates);
  if (!b.db || data.empty()) return PrefilterScanStatus::ok;
  ScanContext context{b.offsets.data(), b.rules.data(), &out, &scratch.counters};
  const hs_error_t rc =
      hs_scan(b.db.get(), reinterpret_cast<const char*>(data.data()),
              static_cast<unsigned int>(data.size()), 0, scratch.scratch_, on_match, &context);
  if (rc != HS_SUCCESS) {
    scratch.counters.add(PrefilterCounter::errors);
    return PrefilterScanStatus::scan_error;
  }
  return PrefilterScanStatus::ok;
}

}  // namespace vigil::detect
