#include "control/uplink/backoff.h"

#include <algorithm>
#include <memory>
#include <random>

namespace vigil::uplink {

Backoff::Backoff(BackoffConfig cfg) : cfg_(cfg) {
  if (cfg_.initial.count() < 1) cfg_.initial = std::chrono::milliseconds(1);
  if (cfg_.max < cfg_.initial) cfg_.max = cfg_.initial;
}

std::chrono::milliseconds Backoff::ceiling() const {
  // Doubling stops once past max, so the shift never overflows.
  std::int64_t c = cfg_.initial.count();
  for (std::uint32_t i = 0; i < failures_ && c < cfg_.max.count(); ++i) c *= 2;
  return std::chrono::milliseconds(std::min<std::int64_t>(c, cfg_.max.count()));
}

std::chrono::milliseconds Backoff::next(const RandomUpTo& random_upto) {
  const auto bound = static_cast<std::uint64_t>(ceiling().count());
  if (failures_ < 64) ++failures_;
  const std::uint64_t r = random_upto ? random_upto(bound) : bound;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(r, bound)));
}

RandomUpTo default_random() {
  auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [gen](std::uint64_t bound) {
    return std::uniform_int_distribution<std::uint64_t>(0, bound)(*gen);
  };
}

}  // namespace vigil::uplink
