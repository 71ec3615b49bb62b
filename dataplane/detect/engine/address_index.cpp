#include "dataplane/detect/engine/address_index.h"

#include <algorithm>

namespace vigil::detect {

void AddressIndex::add(std::uint32_t rule, const AddressSet& set) {
  for (const auto& iv : set.v4) v4_.pending.push_back({iv.first, iv.last, rule});
  for (const auto& iv : set.v6) v6_.pending.push_back({iv.first, iv.last, rule});
}

void AddressIndex::build() {
  v4_.build();
  v6_.build();
}

// A sweep over every range's start and end: between two consecutive boundaries the set of rules
// covering the addresses does not change, so each elementary interval gets that set once.
template <typename K>
void AddressIndex::Table<K>::build() {
  using T = KeyTraits<K>;
  struct Event {
    K at;
    bool open;  // a range starts at `at`, or one ended just before it (at = last + 1)
    std::uint32_t rule;
  };
  std::vector<Event> events;
  events.reserve(pending.size() * 2);
  for (const Range& r : pending) {
    events.push_back({r.first, true, r.rule});
    if (!(r.last == T::max())) events.push_back({T::next(r.last), false, r.rule});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.at < b.at) return true;
    if (b.at < a.at) return false;
    return !a.open && b.open;  // closes first at the same key
  });
  std::vector<std::uint32_t> active;  // rule -> number of its ranges covering (usually 0/1)
  std::vector<std::uint32_t> count;
  std::uint32_t max_rule = 0;
  for (const Range& r : pending) max_rule = std::max(max_rule, r.rule);
  count.assign(pending.empty() ? 0 : max_rule + 1, 0);
  std::size_t i = 0;
  offsets.clear();
  starts.clear();
  list.clear();
  while (i < events.size()) {
    const K at = events[i].at;
    for (; i < events.size() && !(at < events[i].at) && !(events[i].at < at); ++i) {
      const Event& e = events[i];
      if (e.open) {
        if (count[e.rule]++ == 0) active.push_back(e.rule);
      } else if (--count[e.rule] == 0) {
        active.erase(std::find(active.begin(), active.end(), e.rule));
      }
    }
    starts.push_back(at);
    offsets.push_back(static_cast<std::uint32_t>(list.size()));
    std::vector<std::uint32_t> sorted = active;
    std::sort(sorted.begin(), sorted.end());
    list.insert(list.end(), sorted.begin(), sorted.end());
  }
  offsets.push_back(static_cast<std::uint32_t>(list.size()));
  pending.clear();
  pending.shrink_to_fit();
}

template <typename K>
std::span<const std::uint32_t> AddressIndex::Table<K>::lookup(const K& key) const {
  auto it = std::upper_bound(starts.begin(), starts.end(), key);
  if (it == starts.begin()) return {};
  const std::size_t idx = static_cast<std::size_t>(it - starts.begin()) - 1;
  return {list.data() + offsets[idx], offsets[idx + 1] - offsets[idx]};
}

std::span<const std::uint32_t> AddressIndex::lookup(IpFamily family, const IpAddress& addr) const {
  if (family == IpFamily::v4) return v4_.lookup(ipv4_key(addr));
  if (family == IpFamily::v6) return v6_.lookup(ipv6_key(addr));
  return {};
}

}  // namespace vigil::detect
