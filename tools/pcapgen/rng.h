// Deterministic pseudo-random numbers for the capture generator.
// xoshiro256** seeded through splitmix64, with our own integer and real mappings: the standard
// library's distributions differ between implementations, and every capture must be the same
// bytes on every machine and every run.
#pragma once

#include <cstdint>
#include <span>

namespace vigil::pcapgen {

struct Rng {
  std::uint64_t s[4];
};

Rng rng_seeded(std::uint64_t seed);
std::uint64_t next_u64(Rng& r);
// Uniform in [lo, hi] (inclusive).
std::uint32_t uniform(Rng& r, std::uint32_t lo, std::uint32_t hi);
// Uniform in [0, 1).
double unit(Rng& r);
bool chance(Rng& r, double p);
// Pareto with scale xmin and shape alpha: the heavy tail of flow sizes.
double pareto(Rng& r, double xmin, double alpha);
double exponential(Rng& r, double mean);
void fill_random(Rng& r, std::span<std::uint8_t> out);
// An independent stream for a sub-generator, so adding draws in one flow never shifts another.
Rng rng_fork(Rng& r);

}  // namespace vigil::pcapgen
