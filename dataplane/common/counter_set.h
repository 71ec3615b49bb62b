// CounterSet: a stage's named counters, one per enumerator of `Counter`, as plain integers.
// Each stage lists its counters once, as an X-macro of (enumerator, "stats name") pairs, and gets
// the enum, the name table and this set from it. A worker owns its stages and so their counter
// sets: no sharing, no atomics; sets of several workers are summed with +=.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil {

template <typename Counter, std::size_t N>
struct CounterSet {
  static constexpr std::size_t kSize = N;
  std::array<std::uint64_t, N> values{};

  void add(Counter c, std::uint64_t n = 1) { values[static_cast<std::size_t>(c)] += n; }
  std::uint64_t get(Counter c) const { return values[static_cast<std::size_t>(c)]; }
  std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (auto v : values) sum += v;
    return sum;
  }
  CounterSet& operator+=(const CounterSet& o) {
    for (std::size_t i = 0; i < N; ++i) values[i] += o.values[i];
    return *this;
  }
};

// The stats name of counter `i` in a name table built with VIGIL_COUNTER_NAME, or `fallback`
// for a value outside the table.
template <std::size_t N>
constexpr std::string_view counter_name(const std::string_view (&names)[N], std::size_t i,
                                        std::string_view fallback) {
  return i < N ? names[i] : fallback;
}

// Calls fn(name, value) for every counter of a set, names from name_of(Counter).
template <typename Counter, std::size_t N, typename NameOf, typename Fn>
void for_each_counter(const CounterSet<Counter, N>& set, NameOf name_of, Fn&& fn) {
  for (std::size_t i = 0; i < N; ++i) fn(name_of(static_cast<Counter>(i)), set.values[i]);
}

}  // namespace vigil

// X-macro helpers: VIGIL_FOO_COUNTERS(VIGIL_COUNTER_ENUM) lists the enumerators,
// VIGIL_FOO_COUNTERS(VIGIL_COUNTER_NAME) the names, in the same order.
#define VIGIL_COUNTER_ENUM(e, n) e,
#define VIGIL_COUNTER_NAME(e, n) n,
