// AddressIndex: which rules an address can concern, for rules reached by address (IP-only rules).
// Built once from each rule's address set; answers "rules whose set holds this address" with one
// binary search over elementary intervals, instead of testing every rule (ET Open has over a
// thousand IP-only rules with long address lists). Immutable after build; shared by workers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/detect/rules/address_set.h"

namespace vigil::detect {

class AddressIndex {
 public:
  // Adds `rule` for every address of `set` (call before build()).
  void add(std::uint32_t rule, const AddressSet& set);
  void build();

  // Rules whose set holds `addr` (each at most once).
  std::span<const std::uint32_t> lookup(IpFamily family, const IpAddress& addr) const;
  bool empty() const { return v4_.starts.empty() && v6_.starts.empty(); }

 private:
  template <typename K>
  struct Table {
    struct Range {
      K first, last;
      std::uint32_t rule;
    };
    std::vector<Range> pending;
    std::vector<K> starts;               // elementary interval i is [starts[i], starts[i+1])
    std::vector<std::uint32_t> offsets;  // rules of interval i: list[offsets[i] .. offsets[i+1])
    std::vector<std::uint32_t> list;
    void build();
    std::span<const std::uint32_t> lookup(const K& key) const;
  };
  Table<std::uint32_t> v4_;
  Table<U128> v6_;
};

}  // namespace vigil::detect
