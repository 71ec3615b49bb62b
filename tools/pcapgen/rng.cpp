#include "tools/pcapgen/rng.h"

#include <cmath>

namespace vigil::pcapgen {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng rng_seeded(std::uint64_t seed) {
  Rng r{};
  for (auto& word : r.s) word = splitmix64(seed);
  return r;
}

std::uint64_t next_u64(Rng& r) {
  const std::uint64_t result = rotl(r.s[1] * 5, 7) * 9;
  const std::uint64_t t = r.s[1] << 17;
  r.s[2] ^= r.s[0];
  r.s[3] ^= r.s[1];
  r.s[1] ^= r.s[2];
  r.s[0] ^= r.s[3];
  r.s[2] ^= t;
  r.s[3] = rotl(r.s[3], 45);
  return result;
}

std::uint32_t uniform(Rng& r, std::uint32_t lo, std::uint32_t hi) {
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - lo + 1;
  // Multiply-shift mapping: the bias (< 2^-32) is irrelevant here and it needs no rejection loop.
  const std::uint64_t x = next_u64(r) >> 32;
  return lo + static_cast<std::uint32_t>((x * span) >> 32);
}

double unit(Rng& r) { return static_cast<double>(next_u64(r) >> 11) * 0x1.0p-53; }

bool chance(Rng& r, double p) { return unit(r) < p; }

double pareto(Rng& r, double xmin, double alpha) {
  return xmin / std::pow(1.0 - unit(r), 1.0 / alpha);
}

double exponential(Rng& r, double mean) { return -mean * std::log(1.0 - unit(r)); }

void fill_random(Rng& r, std::span<std::uint8_t> out) {
  std::size_t i = 0;
  while (i < out.size()) {
    std::uint64_t v = next_u64(r);
    for (int k = 0; k < 8 && i < out.size(); ++k, ++i) {
      out[i] = static_cast<std::uint8_t>(v);
      v >>= 8;
    }
  }
}

Rng rng_fork(Rng& r) { return rng_seeded(next_u64(r)); }

}  // namespace vigil::pcapgen
