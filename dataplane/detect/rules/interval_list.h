// Sorted, disjoint, non-adjacent inclusive intervals over an unsigned key (a port, an IPv4
// address as a 32-bit number, an IPv6 address as a 128-bit pair). Used while address and port
// specs are evaluated at rule-load time; the results are copied into AddressSet / PortSet.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <limits>
#include <vector>

namespace vigil::detect {

// A 128-bit unsigned number for IPv6 keys (hi first, so the default ordering is numeric).
struct U128 {
  std::uint64_t hi = 0, lo = 0;
  auto operator<=>(const U128&) const = default;
};

template <typename K>
struct KeyTraits {
  static constexpr K min() { return 0; }
  static constexpr K max() { return std::numeric_limits<K>::max(); }
  static constexpr K next(K k) { return static_cast<K>(k + 1); }
  static constexpr K prev(K k) { return static_cast<K>(k - 1); }
};

template <>
struct KeyTraits<U128> {
  static constexpr U128 min() { return {}; }
  static constexpr U128 max() { return {~0ULL, ~0ULL}; }
  static constexpr U128 next(U128 k) {
    return k.lo == ~0ULL ? U128{k.hi + 1, 0} : U128{k.hi, k.lo + 1};
  }
  static constexpr U128 prev(U128 k) {
    return k.lo == 0 ? U128{k.hi - 1, ~0ULL} : U128{k.hi, k.lo - 1};
  }
};

template <typename K>
struct Interval {
  K first{}, last{};
};

template <typename K>
using IntervalList = std::vector<Interval<K>>;

// Sorts and merges overlapping and touching intervals, so that equal sets compare equal.
template <typename K>
void normalize(IntervalList<K>& list) {
  using T = KeyTraits<K>;
  std::sort(list.begin(), list.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  IntervalList<K> out;
  for (const auto& iv : list) {
    if (!out.empty()) {
      auto& back = out.back();
      // Touching counts as overlapping; the max check keeps next() from wrapping.
      if (back.last == T::max() || !(T::next(back.last) < iv.first)) {
        if (back.last < iv.last) back.last = iv.last;
        continue;
      }
    }
    out.push_back(iv);
  }
  list = std::move(out);
}

// a minus b; both normalized. One merge-like pass: both lists are sorted.
template <typename K>
void subtract(IntervalList<K>& a, const IntervalList<K>& b) {
  using T = KeyTraits<K>;
  IntervalList<K> out;
  std::size_t j = 0;
  for (auto iv : a) {
    while (j < b.size() && b[j].last < iv.first) ++j;  // cuts wholly before this interval
    bool gone = false;
    for (std::size_t k = j; k < b.size(); ++k) {
      const auto& cut = b[k];
      if (iv.last < cut.first) break;
      if (iv.first < cut.first) out.push_back({iv.first, T::prev(cut.first)});
      if (cut.last < iv.last) {
        iv.first = T::next(cut.last);
      } else {
        gone = true;
        break;
      }
    }
    if (!gone) out.push_back(iv);
  }
  a = std::move(out);
}

template <typename K>
bool covers_everything(const IntervalList<K>& list) {
  using T = KeyTraits<K>;
  return list.size() == 1 && list[0].first == T::min() && list[0].last == T::max();
}

template <typename K>
IntervalList<K> everything() {
  return {{KeyTraits<K>::min(), KeyTraits<K>::max()}};
}

// Binary search in a normalized list.
template <typename K>
bool contains(const IntervalList<K>& list, const K& k) {
  auto it = std::upper_bound(list.begin(), list.end(), k,
                             [](const K& key, const Interval<K>& iv) { return key < iv.first; });
  if (it == list.begin()) return false;
  --it;
  return !(it->last < k);
}

}  // namespace vigil::detect
