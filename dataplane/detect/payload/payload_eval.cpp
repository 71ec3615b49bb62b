// payload_match(): the hot path. Recursive over the match list (depth at most the list length),
// no heap, no exceptions; the step budget bounds backtracking as Suricata's
// inspection-recursion-limit does.
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

enum class Step : std::uint8_t { match, no_match, abort };

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
  if (at < 0 || at + r.nbytes > len) return false;
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
    for (; digits < r.nbytes; ++digits) {
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
  end = at + r.nbytes;
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
      s_.discontinue = true;
      s_.counters.add(PayloadCounter::recursion_limit);
      return Step::abort;
    }
    ++s_.steps;
    const PayloadMatch& m = ms_[i];
    switch (m.kind) {
      case MatchKind::content: return content(i, m.content, cur);
      case MatchKind::isdataat: {
        const std::int64_t n = value_of(m.isdataat.position, s_);
        const bool data = m.isdataat.relative ? cur + n <= len_ : n < len_;
        if (data == m.isdataat.negated) return Step::no_match;
        return run(i + 1, cur);
      }
      case MatchKind::bsize:
        if (!m.bsize.matches(buf_.size())) return Step::no_match;
        return run(i + 1, cur);
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
    const bool uses_var =
        c.offset.var >= 0 || c.depth.var >= 0 || c.distance.var >= 0 || c.within.var >= 0;
    const bool independent = !c.relative() && !uses_var;
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
        if (independent) s_.discontinue = true;
        return Step::no_match;
      }
      if (c.negated) {
        if (independent) s_.discontinue = true;
        return Step::no_match;
      }
      const Step r = run(i + 1, at + n);
      if (r != Step::no_match || !c.relative_next || s_.discontinue || c.endswith) {
        return r == Step::abort || (r == Step::no_match && s_.discontinue) ? Step::no_match : r;
      }
      from = at + 1;  // try the next occurrence
    }
  }

  const std::vector<PayloadMatch>& ms_;
  std::span<const std::uint8_t> buf_;
  std::int64_t len_;
  PayloadScratch& s_;
};

}  // namespace

bool payload_match(const PayloadMatchList& list, std::span<const std::uint8_t> buffer,
                   PayloadScratch& scratch) {
  scratch.counters.add(PayloadCounter::inspections);
  scratch.steps = 0;
  scratch.discontinue = false;
  Inspector in(list, buffer, scratch);
  return in.run(0, 0) == Step::match;
}

bool payload_program_match(const PayloadProgram& program, std::span<const std::uint8_t> payload,
                           PayloadScratch& scratch) {
  if (program.dsize && !program.dsize->matches(payload.size())) return false;
  for (const PayloadMatchList& l : program.lists) {
    if (l.buffer == BufferId::payload && !payload_match(l, payload, scratch)) return false;
  }
  return true;
}

}  // namespace vigil::detect
