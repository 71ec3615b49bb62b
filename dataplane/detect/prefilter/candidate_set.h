// CandidateSet: the rules a prefilter scan found worth a full evaluation, deduplicated. A bitmap
// of all rules answers "already there?" and a dense list keeps them in the order found; both are
// allocated once, at worker setup, for the prefilter's rule count, so add() and clear() never
// allocate. clear() only touches the bitmap words of the rules in the dense list, so it costs the
// number of candidates, not the number of rules. One set per worker: not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vigil::detect {

class CandidateSet {
 public:
  explicit CandidateSet(std::size_t rule_count)
      : bits_((rule_count + 63) / 64, 0), dense_(rule_count, 0) {}

  // Adds rule index `rule`; false when it was already there or is outside the set.
  bool add(std::uint32_t rule) noexcept {
    if (rule >= dense_.size()) return false;
    std::uint64_t& word = bits_[rule >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (rule & 63);
    if (word & bit) return false;
    word |= bit;
    dense_[count_++] = rule;
    return true;
  }

  bool contains(std::uint32_t rule) const noexcept {
    return rule < dense_.size() && ((bits_[rule >> 6] >> (rule & 63)) & 1) != 0;
  }

  // The candidates in the order they were added.
  std::span<const std::uint32_t> rules() const noexcept { return {dense_.data(), count_}; }
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // The number of rules the set was made for.
  std::size_t capacity() const noexcept { return dense_.size(); }

  void clear() noexcept {
    for (std::size_t i = 0; i < count_; ++i) bits_[dense_[i] >> 6] = 0;
    count_ = 0;
  }

 private:
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint32_t> dense_;
  std::size_t count_ = 0;
};

}  // namespace vigil::detect
