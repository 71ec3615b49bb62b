// payload_match(): the hot path. Recursive over the match list (depth at most the list length),
// no heap, no exceptions; the step budget bounds backtracking as Suricata's
// inspection-recursion-limit does. The outcomes follow Suricata 7's
// detect-engine-content-inspection.c: match, no match (an earlier keyword may retry), or
// discontinue (nothing earlier can change the outcome: the inspection ends).
#include <algorithm>
#include <array>
#include <cstring>

#include "dataplane/detect/payload/payload_match.h"

namespace vigil::detect {

bool UintCondition::matches(std::uint64_t v) const {
  switch (op) {
    case UintOp::eq: return v == a;
    case UintOp::ne: return v != a;
    case UintOp::lt: return v < a;
    case UintOp::le: return v <= a;
    case UintOp::gt: return v > a;
    case UintOp::ge: return v >= a;
    case UintOp::range: return v > a && v < b;
    case UintOp::not_range: return !(v > a && v < b);
  }
  return false;
}

namespace {

enum class Step : std::uint8_t { match, no_match, discontinue };

constexpr std::array<std::uint8_t, 256> make_lower() {
  std::array<std::uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i)
    t[static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(i >= 'A' && i <= 'Z' ? i + ('a' - 'A') : i);
  return t;
}
constexpr auto kLower = make_lower();

bool equal_at(const ContentMatch& c, const std::uint8_t* p) {
  const std::size_t n = c.pattern.size();
  if (!c.nocase) return std::memcmp(p, c.pattern.data(), n) == 0;
  for (std::size_t i = 0; i < n; ++i)
    if (kLower[p[i]] != c.pattern[i]) return false;
  return true;
}

// First position in [from, to - len] where the pattern starts, or -1.
std::int64_t find(const ContentMatch& c, std::span<const std::uint8_t> buf, std::int64_t from,
                  std::int64_t to) {
  const auto n = static_cast<std::int64_t>(c.pattern.size());
  const std::uint8_t first = c.pattern[0];
  for (std::int64_t p = from; p + n <= to; ++p) {
    const std::uint8_t b =
        c.nocase ? kLower[buf[static_cast<std::size_t>(p)]] : buf[static_cast<std::size_t>(p)];
    if (b == first && equal_at(c, buf.data() + p)) return p;
  }
  return -1;
}

std::int64_t value_of(const MatchValue& v, const PayloadScratch& s) {
  if (v.var < 0) return v.value;
  const std::uint64_t x = s.vars[static_cast<std::size_t>(v.var)];
  return x > static_cast<std::uint64_t>(INT32_MAX) ? INT32_MAX : static_cast<std::int64_t>(x);
}

// Reads the number a byte keyword names; false when it lies outside the buffer or is not a
// number. `end` gets the position after the bytes read.
bool read_number(const ByteRead& r, std::span<const std::uint8_t> buf, std::int64_t cur,
                 const PayloadScratch& s, std::uint64_t& out, std::int64_t& end) {
  const std::int64_t at = (r.relative ? cur : 0) + value_of(r.offset, s);
  const auto len = static_cast<std::int64_t>(buf.size());
  // nbytes 0 (byte_test with `string` only): the number runs to the end of the buffer.
  const std::int64_t nbytes = r.nbytes != 0 ? r.nbytes : len - at;
  if (at < 0 || nbytes <= 0 || at + nbytes > len) return false;
  const std::uint8_t* p = buf.data() + at;
  std::uint64_t v = 0;
  if (r.base == NumberBase::binary) {
    for (std::size_t i = 0; i < r.nbytes; ++i) {
      const std::size_t k = r.little_endian ? r.nbytes - 1 - i : i;
      v = (v << 8) | p[k];
    }
  } else {
    // strtoull-like: leading digits of the base, at least one, no overflow.
    const auto base = static_cast<std::uint64_t>(r.base);
    std::size_t digits = 0;
    for (; digits < static_cast<std::size_t>(nbytes); ++digits) {
      const std::uint8_t c = kLower[p[digits]];
      std::uint64_t d = 99;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      if (d >= base) break;
      if (v > (UINT64_MAX - d) / base) return false;
      v = v * base + d;
    }
    if (digits == 0) return false;
  }
  if (r.has_bitmask) {
    v &= r.bitmask;
    std::uint32_t m = r.bitmask;
    while ((m & 1) == 0) {
      m >>= 1;
      v >>= 1;
    }
  }
  out = v;
  end = at + nbytes;
  return true;
}

bool byte_test_holds(const ByteTestMatch& t, std::uint64_t v, std::uint64_t ref) {
  bool r = false;
  switch (t.op) {
    case ByteTestOp::lt: r = v < ref; break;
    case ByteTestOp::gt: r = v > ref; break;
    case ByteTestOp::eq: r = v == ref; break;
    case ByteTestOp::le: r = v <= ref; break;
    case ByteTestOp::ge: r = v >= ref; break;
    case ByteTestOp::band: r = (v & ref) != 0; break;
    case ByteTestOp::bxor: r = (v ^ ref) != 0; break;
  }
  return r != t.negated;
}

class Inspector {
 public:
  Inspector(const PayloadMatchList& list, std::span<const std::uint8_t> buf, PayloadScratch& s)
      : ms_(list.matches), buf_(buf), len_(static_cast<std::int64_t>(buf.size())), s_(s) {}

  Step run(std::size_t i, std::int64_t cur) {
    if (i == ms_.size()) return Step::match;
    if (s_.steps >= s_.recursion_limit) {
      s_.counters.add(PayloadCounter::recursion_limit);
      return Step::discontinue;
    }
    ++s_.steps;
    const PayloadMatch& m = ms_[i];
    switch (m.kind) {
      case MatchKind::content: return content(i, m.content, cur);
      case MatchKind::pcre: return pcre(i, m.pcre, cur);
      case MatchKind::isdataat: return isdataat(i, m.isdataat, cur);
      case MatchKind::bsize:
        if (!m.bsize.matches(buf_.size())) return Step::discontinue;
        return run(i + 1, cur);
      case MatchKind::urilen: {
        const std::uint64_t n = buf_.size() > 65535 ? 65535 : buf_.size();
        if (!m.bsize.matches(n)) return Step::discontinue;
        return run(i + 1, cur);
      }
      case MatchKind::byte_test: {
        std::uint64_t v = 0;
        std::int64_t end = 0;
        if (!read_number(m.byte_test.read, buf_, cur, s_, v, end)) return Step::no_match;
        const std::uint64_t ref = m.byte_test.value.var < 0
                                      ? static_cast<std::uint64_t>(m.byte_test.value.value)
                                      : s_.vars[static_cast<std::size_t>(m.byte_test.value.var)];
        if (!byte_test_holds(m.byte_test, v, ref)) return Step::no_match;
        return run(i + 1, cur);
      }
      case MatchKind::byte_jump: return byte_jump(i, m.byte_jump, cur);
      case MatchKind::byte_extract: {
        const ByteExtractMatch& e = m.byte_extract;
        std::uint64_t v = 0;
        std::int64_t end = 0;
        if (!read_number(e.read, buf_, cur, s_, v, end)) return Step::no_match;
        v *= e.multiplier;
        if (e.align != 0 && v % e.align != 0) v += e.align - v % e.align;
        s_.vars[e.slot] = v;
        return run(i + 1, end);
      }
    }
    return Step::no_match;
  }

 private:
  // Suricata: a failing isdataat with a constant gives up (a retry of an earlier keyword cannot
  // help in its view); with a byte_extract value it is an ordinary no match.
  Step isdataat(std::size_t i, const IsdataatMatch& d, std::int64_t cur) {
    const bool var = d.position.var >= 0;
    const std::int64_t n = value_of(d.position, s_);
    const bool data = d.relative ? cur + n <= len_ : n < len_;
    if (data == d.negated) {
      // relative and present but negated: no match; the rest: give up unless a variable
      if (d.relative && data) return Step::no_match;
      return var ? Step::no_match : Step::discontinue;
    }
    return run(i + 1, cur);
  }

  Step byte_jump(std::size_t i, const ByteJumpMatch& j, std::int64_t cur) {
    std::uint64_t raw = 0;
    std::int64_t end = 0;
    if (!read_number(j.read, buf_, cur, s_, raw, end)) return Step::no_match;
    if (raw > UINT32_MAX) return Step::no_match;  // no buffer is that long
    std::int64_t v = static_cast<std::int64_t>(raw) * j.multiplier;
    if (j.align && v % 4 != 0) v += 4 - v % 4;
    v += j.post_offset;
    std::int64_t target = j.from_beginning ? v : j.from_end ? len_ + v : end + v;
    if (target < 0) target = 0;
    if (target >= len_) return Step::no_match;  // Suricata: the target must be a byte
    return run(i + 1, target);
  }

  Step content(std::size_t i, const ContentMatch& c, std::int64_t cur) {
    const auto n = static_cast<std::int64_t>(c.pattern.size());
    std::int64_t from = 0, to = len_;
    if (c.relative()) {
      const std::int64_t distance = c.has_distance ? value_of(c.distance, s_) : 0;
      from = distance < 0 && -distance > cur ? 0 : cur + distance;
      if (c.has_within) {
        const std::int64_t limit = cur + distance + value_of(c.within, s_);
        if (to > limit) to = limit;
      }
    } else {
      if (c.has_offset) from = value_of(c.offset, s_);
      if (c.has_depth) to = from + value_of(c.depth, s_);
    }
    if (to > len_) to = len_;
    for (;;) {
      std::int64_t at = -1;
      if (from <= to && to > 0) {
        if (c.endswith) {
          if (to == len_ && len_ - n >= from && equal_at(c, buf_.data() + (len_ - n)))
            at = len_ - n;
        } else {
          at = find(c, buf_, from, to);
        }
      }
      if (at < 0) {
        if (c.negated) return run(i + 1, cur);
        // An absolute content that is absent: nothing earlier can bring it.
        return c.relative() ? Step::no_match : Step::discontinue;
      }
      if (c.negated) {
        const bool single = !c.relative() && !c.relative_next && !c.has_offset && !c.has_depth;
        return single ? Step::discontinue : Step::no_match;
      }
      const Step r = run(i + 1, at + n);
      if (r != Step::no_match) return r;
      // Suricata retries only when a later keyword's window depends on this match
      // (relative_next); otherwise a failure of the rest ends the inspection.
      if (!c.relative_next) return Step::discontinue;
      from = at + 1;  // the next occurrence, starting one byte after this one
    }
  }

  Step pcre(std::size_t i, const PcreMatch& p, std::int64_t cur) {
    // A relative pcre sees the buffer from the previous match end on (^ anchors there).
    const std::int64_t base = p.relative ? std::min(cur, len_) : 0;
    const auto subject = buf_.subspan(static_cast<std::size_t>(base));
    std::size_t start = 0;
    for (;;) {
      PcreFound f;
      const PcreStatus st = pcre_find(p, subject, start, s_.pcre, f);
      if (st == PcreStatus::error) {
        s_.counters.add(PayloadCounter::pcre_errors);
        return Step::no_match;  // Suricata: a matching error is no match, negated or not
      }
      if (p.negated) {
        if (st == PcreStatus::match) return Step::no_match;
        return run(i + 1, cur);  // nothing to retry: the position stays
      }
      if (st == PcreStatus::no_match) return Step::no_match;
      const Step r = run(i + 1, base + static_cast<std::int64_t>(f.end));
      if (r != Step::no_match || !p.retry_next) return r;
      start = f.start + 1;  // the next match starting after this one's start
    }
  }

  const std::vector<PayloadMatch>& ms_;
  std::span<const std::uint8_t> buf_;
  std::int64_t len_;
  PayloadScratch& s_;
};

}  // namespace

PayloadScratch make_payload_scratch() { return PayloadScratch{}; }

void begin_rule(PayloadScratch& scratch) noexcept { scratch.vars.fill(0); }

bool payload_match(const PayloadMatchList& list, std::span<const std::uint8_t> buffer,
                   PayloadScratch& scratch) noexcept {
  scratch.counters.add(PayloadCounter::inspections);
  scratch.steps = 0;
  scratch.discontinue = false;
  if (!list.transforms.empty()) {
    const std::uint64_t before = scratch.transforms.truncations;
    buffer = apply_transforms(list.transforms, buffer, scratch.transforms);
    if (scratch.transforms.truncations != before)
      scratch.counters.add(PayloadCounter::transform_truncated);
  }
  Inspector in(list, buffer, scratch);
  const Step r = in.run(0, 0);
  scratch.discontinue = r == Step::discontinue;
  return r == Step::match;
}

bool payload_program_match(const PayloadProgram& program, std::span<const std::uint8_t> payload,
                           PayloadScratch& scratch) noexcept {
  begin_rule(scratch);
  if (program.dsize && !program.dsize->matches(payload.size())) return false;
  for (const PayloadMatchList& l : program.lists) {
    if (l.buffer == kPayloadBufferId && !payload_match(l, payload, scratch)) return false;
  }
  return true;
}

}  // namespace vigil::detect
