#include "dataplane/detect/rules/rule_text.h"
#include "dataplane/detect/engine/threshold.h"

#include <cstring>
#include <limits>

#include "dataplane/detect/rules/rule_options.h"

// Suricata behaviour reproduced here, for whoever compares the two:
// - A window runs from the match that opened it to `seconds` later, end included
//   (`ts <= start + seconds`). It is not moved by later matches, nor by an alert: `threshold`
//   resets only its counter when it alerts. The first match after the window opens a new one
//   with a count of 1, which alerts for `limit`, for `both` with count 1, and never for
//   `threshold` or `detection_filter`.
// - limit alerts on matches 1..count of a window; threshold on every count-th match (count 1:
//   every match, without an entry); both on the count-th match only; detection_filter on
//   every match after the count-th. With unique_on, the count is of distinct ports, so the
//   alerts start with the (count+1)-th distinct port, and go on for every match of the window.
// - by_both is the unordered address pair (Suricata keys it on an IPPair, the same for both
//   directions); by_rule is one entry per rule; by_flow without a flow gives no alert.
// - limit past its count and both past its count are "silent" matches: no alert, but the rule
//   action (drop, reject) still applies; the other suppressed matches are dropped whole.
// - Where Suricata drops the alert when it cannot get a host/ippair (memcap), this table lets
//   it through and counts table_full: visibility first.
// - Suricata's state is shared by all its threads; a table here belongs to one worker, so the
//   matches of one key spread over several workers (by_rule, or by_src/by_dst across flows that
//   hash to different workers) are counted per worker.

namespace vigil::detect {
namespace {

constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
constexpr std::uint32_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }



// The parts of a threshold-style value, each `word value`, once each.
struct Parts {
  std::optional<std::string_view> type, track, count, seconds, unique_on;
};

struct Grammar {
  std::string_view keyword;  // "threshold" or "detection_filter"
  bool has_type;             // threshold: type; detection_filter: unique_on
  std::uint64_t min_count, min_seconds;
};

ThresholdSpecResult failure(const Grammar& g, std::string_view value, const std::string& why) {
  ThresholdSpecResult r;
  r.error = std::string(g.keyword) + ": " + why + " (" + std::string(trim(value)) + ")";
  return r;
}

std::optional<std::string_view>* slot_for(Parts& p, const Grammar& g, std::string_view word) {
  if (word == "track") return &p.track;
  if (word == "count") return &p.count;
  if (word == "seconds") return &p.seconds;
  if (g.has_type && word == "type") return &p.type;
  if (!g.has_type && word == "unique_on") return &p.unique_on;
  return nullptr;
}

std::optional<ThresholdTrack> track_named(std::string_view v) {
  if (v == "by_src") return ThresholdTrack::by_src;
  if (v == "by_dst") return ThresholdTrack::by_dst;
  if (v == "by_rule") return ThresholdTrack::by_rule;
  if (v == "by_both") return ThresholdTrack::by_both;
  if (v == "by_flow") return ThresholdTrack::by_flow;
  return std::nullopt;
}

ThresholdSpecResult parse_spec(std::string_view value, const Grammar& g) {
  auto fail = [&](const std::string& why) { return failure(g, value, why); };
  if (trim(value).empty()) return fail("empty value");
  ValueList list = split_value_list(value);
  if (list.problem) return fail(list.problem->message);

  Parts parts;
  for (const std::string& item : list.items) {
    std::string_view it = trim(item);
    if (it.empty()) return fail("empty part between commas");
    std::size_t sp = 0;
    while (sp < it.size() && !is_space(it[sp])) ++sp;
    std::string_view word = it.substr(0, sp);
    std::string_view arg = trim(it.substr(sp));
    std::optional<std::string_view>* slot = slot_for(parts, g, word);
    if (slot == nullptr) {
      if (g.has_type && word == "multiplier")
        return fail("multiplier (type backoff) is not supported");
      return fail("unknown option " + quoted(word));
    }
    if (*slot) return fail(std::string(word) + " given twice");
    if (arg.empty()) return fail(std::string(word) + " has no value");
    for (char c : arg)
      if (is_space(c)) return fail(std::string(word) + " takes one value, not " + quoted(arg));
    *slot = arg;
  }
  if (g.has_type && !parts.type) return fail("missing type");
  if (!parts.track) return fail("missing track");
  if (!parts.count) return fail("missing count");
  if (!parts.seconds) return fail("missing seconds");

  ThresholdSpec spec;
  if (g.has_type) {
    std::string_view t = *parts.type;
    if (t == "limit") {
      spec.type = ThresholdType::limit;
    } else if (t == "threshold") {
      spec.type = ThresholdType::threshold;
    } else if (t == "both") {
      spec.type = ThresholdType::both;
    } else if (t == "backoff") {
      return fail("type backoff is not supported");
    } else {
      return fail("unknown type " + quoted(t) + " (limit, threshold or both)");
    }
  } else {
    spec.type = ThresholdType::detection_filter;
  }

  std::optional<ThresholdTrack> track = track_named(*parts.track);
  if (!track) return fail("unknown track " + quoted(*parts.track));
  // Suricata's detection_filter tracks by_src, by_dst and by_flow only.
  if (!g.has_type && (*track == ThresholdTrack::by_rule || *track == ThresholdTrack::by_both))
    return fail("track " + std::string(*parts.track) +
                " is not supported by detection_filter (by_src, by_dst or by_flow)");
  spec.track = *track;

  RuleInteger count = parse_rule_integer(*parts.count, g.min_count, kMaxU32, "count");
  if (count.problem) return fail(count.problem->message);
  RuleInteger seconds = parse_rule_integer(*parts.seconds, g.min_seconds, kMaxU32, "seconds");
  if (seconds.problem) return fail(seconds.problem->message);
  spec.count = static_cast<std::uint32_t>(count.value);
  spec.seconds = static_cast<std::uint32_t>(seconds.value);

  if (parts.unique_on) {
    if (*parts.unique_on == "src_port") {
      spec.unique_on = ThresholdUnique::src_port;
    } else if (*parts.unique_on == "dst_port") {
      spec.unique_on = ThresholdUnique::dst_port;
    } else {
      return fail("unknown unique_on " + quoted(*parts.unique_on) + " (src_port or dst_port)");
    }
    if (spec.count > kThresholdMaxUniqueCount)
      return fail("unique_on keeps at most " + std::to_string(kThresholdMaxUniqueCount) +
                  " distinct ports: count " + std::to_string(spec.count) + " is above it");
  }
  ThresholdSpecResult r;
  r.spec = spec;
  return r;
}

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t hash_address(std::uint64_t h, const IpAddress& a) {
  std::uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, a.b.data(), 8);
  std::memcpy(&hi, a.b.data() + 8, 8);
  h = mix(h ^ lo);
  return mix(h ^ hi);
}

std::uint32_t saturating_inc(std::uint32_t v) { return v == kMaxU32 ? v : v + 1; }

std::uint64_t window_end(std::uint64_t start_ns, std::uint32_t seconds) {
  std::uint64_t span = static_cast<std::uint64_t>(seconds) * kNsPerSecond;
  return start_ns > std::numeric_limits<std::uint64_t>::max() - span
             ? std::numeric_limits<std::uint64_t>::max()
             : start_ns + span;
}

}  // namespace

ThresholdSpecResult parse_threshold(std::string_view value) {
  // Suricata accepts count 0 and seconds 0 for `threshold`.
  return parse_spec(value, Grammar{"threshold", true, 0, 0});
}

ThresholdSpecResult parse_detection_filter(std::string_view value) {
  return parse_spec(value, Grammar{"detection_filter", false, 1, 1});
}

ThresholdTable::ThresholdTable(std::size_t capacity) {
  std::size_t n = kMaxProbe;
  while (n < capacity) n <<= 1;
  slots_ = std::make_unique<Entry[]>(n);
  mask_ = n - 1;
}

ThresholdTable::~ThresholdTable() = default;

void ThresholdTable::clear() noexcept {
  for (std::size_t i = 0; i <= mask_; ++i) slots_[i] = Entry{};
}

// The entry for `key`, or a slot to hold it (never used, or holding an expired entry of
// another key; `found` false), or nullptr when every slot of its probe run is live. Slots are
// never emptied, only reused, so a lookup may stop at the first never-used slot.
ThresholdTable::Entry* ThresholdTable::find_or_claim(const Entry& key, std::uint64_t ts_ns,
                                                     bool& found) noexcept {
  Entry* claim = nullptr;
  for (std::size_t i = 0; i < kMaxProbe; ++i) {
    Entry& e = slots_[(key.hash + i) & mask_];
    if (e.hash == 0) {
      if (claim == nullptr) claim = &e;
      break;
    }
    if (e.hash == key.hash && e.rule_id == key.rule_id && e.track == key.track &&
        e.family == key.family && e.flow_id == key.flow_id && e.a == key.a && e.b == key.b) {
      found = true;
      return &e;
    }
    if (claim == nullptr && ts_ns > e.window_end_ns) claim = &e;
  }
  found = false;
  return claim;
}

ThresholdVerdict ThresholdTable::decide(const ThresholdSpec& spec, std::uint32_t rule_id,
                                        const ThresholdSubject& subject,
                                        std::uint64_t ts_ns) noexcept {
  auto verdict = [&](ThresholdVerdict v) {
    counters_.add(v == ThresholdVerdict::alert ? ThresholdCounter::allowed
                                               : ThresholdCounter::suppressed);
    return v;
  };
  auto alert_if = [&](bool emit, ThresholdVerdict otherwise) {
    return verdict(emit ? ThresholdVerdict::alert : otherwise);
  };
  constexpr ThresholdVerdict kDiscard = ThresholdVerdict::discard;
  constexpr ThresholdVerdict kSilent = ThresholdVerdict::silent;

  if (spec.track == ThresholdTrack::by_flow && subject.flow_id == 0) {
    counters_.add(ThresholdCounter::no_flow);
    return verdict(kDiscard);
  }
  // Suricata keeps no state for `threshold` with count 1: every match alerts.
  if (spec.type == ThresholdType::threshold && spec.count == 1)
    return verdict(ThresholdVerdict::alert);

  Entry key;
  key.rule_id = rule_id;
  key.track = spec.track;
  switch (spec.track) {
    case ThresholdTrack::by_src:
      key.family = subject.family;
      key.a = subject.src;
      break;
    case ThresholdTrack::by_dst:
      key.family = subject.family;
      key.a = subject.dst;
      break;
    case ThresholdTrack::by_both:
      key.family = subject.family;
      key.a = subject.src < subject.dst ? subject.src : subject.dst;
      key.b = subject.src < subject.dst ? subject.dst : subject.src;
      break;
    case ThresholdTrack::by_rule:
      break;
    case ThresholdTrack::by_flow:
      key.flow_id = subject.flow_id;
      break;
  }
  std::uint64_t h = mix(0x9e3779b97f4a7c15ULL ^ rule_id);
  h = mix(h ^
          (static_cast<std::uint64_t>(key.track) << 8 | static_cast<std::uint64_t>(key.family)));
  h = hash_address(h, key.a);
  h = hash_address(h, key.b);
  h = mix(h ^ key.flow_id);
  key.hash = h == 0 ? 1 : h;

  const bool unique =
      spec.type == ThresholdType::detection_filter && spec.unique_on != ThresholdUnique::none;
  const std::uint16_t port =
      spec.unique_on == ThresholdUnique::src_port ? subject.sport : subject.dport;

  bool found = false;
  Entry* e = find_or_claim(key, ts_ns, found);
  if (e == nullptr) {
    counters_.add(ThresholdCounter::table_full);
    return verdict(ThresholdVerdict::alert);
  }

  if (found && ts_ns <= e->window_end_ns) {
    switch (spec.type) {
      case ThresholdType::limit:
        e->count = saturating_inc(e->count);
        return alert_if(e->count <= spec.count, kSilent);
      case ThresholdType::threshold:
        e->count = saturating_inc(e->count);
        if (e->count >= spec.count) {
          e->count = 0;
          return verdict(ThresholdVerdict::alert);
        }
        return verdict(kDiscard);
      case ThresholdType::both:
        e->count = saturating_inc(e->count);
        return alert_if(e->count == spec.count, e->count > spec.count ? kSilent : kDiscard);
      case ThresholdType::detection_filter:
        if (!unique) {
          e->count = saturating_inc(e->count);
        } else if (e->count <= spec.count) {
          // Below the alerting point every distinct port is still kept (count <= the bound).
          bool seen = false;
          for (std::uint8_t i = 0; i < e->port_count; ++i) seen = seen || e->ports[i] == port;
          if (!seen) {
            if (e->port_count < e->ports.size()) e->ports[e->port_count++] = port;
            ++e->count;
          }
        }
        return alert_if(e->count > spec.count, kDiscard);
    }
    return verdict(ThresholdVerdict::alert);
  }

  // A new key, or a window that has ended: a new window opens with this match.
  if (!found) {
    counters_.add(e->hash == 0 ? ThresholdCounter::entries : ThresholdCounter::reused);
    *e = key;
  }
  e->window_end_ns = window_end(ts_ns, spec.seconds);
  e->count = 1;
  e->port_count = 0;
  if (unique) e->ports[e->port_count++] = port;
  switch (spec.type) {
    case ThresholdType::limit:
      return verdict(ThresholdVerdict::alert);
    case ThresholdType::threshold:
      return verdict(kDiscard);
    case ThresholdType::both:
      return alert_if(spec.count == 1, kDiscard);
    case ThresholdType::detection_filter:
      return verdict(kDiscard);
  }
  return verdict(ThresholdVerdict::alert);
}

}  // namespace vigil::detect
