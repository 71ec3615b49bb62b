// Backoff: capped exponential backoff with full jitter for the uploader's retries. The n-th
// consecutive failure waits a uniform random time in [0, min(max, initial * 2^(n-1))]; a success
// resets it. The random source is injected (tests pass one returning its bound). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace vigil::uplink {

struct BackoffConfig {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{30000};
};

// Returns a uniform value in [0, bound].
using RandomUpTo = std::function<std::uint64_t(std::uint64_t bound)>;

class Backoff {
 public:
  explicit Backoff(BackoffConfig cfg);
  // The upper bound of the next delay.
  std::chrono::milliseconds ceiling() const;
  // Counts one more failure and returns its delay.
  std::chrono::milliseconds next(const RandomUpTo& random_upto);
  void reset() { failures_ = 0; }
  std::uint32_t failures() const { return failures_; }

 private:
  BackoffConfig cfg_;
  std::uint32_t failures_ = 0;
};

// A RandomUpTo over a std::mt19937_64 seeded from std::random_device.
RandomUpTo default_random();

}  // namespace vigil::uplink
