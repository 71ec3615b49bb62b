// EventBatcher: the producer side of the uplink. Packs EVE lines into spool records of at most
// batch_events lines / batch_bytes bytes, alerts and other events in separate records (so alerts
// go out first), and names each record with a deterministic Idempotency-Key:
//   <prefix>:<a|e><ordinal>:<16 hex digits of FNV-1a-64 over the record's body>
// The same lines in the same order with the same prefix and limits give the same keys, so a
// replay run twice is stored once by the provider; different content never reuses a key.
// Used by one producer thread; not thread-safe. Owns no file: records go to the Spool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "control/spool/spool.h"

namespace vigil::uplink {

struct BatchLimits {
  std::size_t batch_events = 500;
  std::size_t batch_bytes = 1u << 20;  // body bytes; a longer single line goes alone
};

struct BatcherCounters {
  std::uint64_t lines = 0;          // accepted lines
  std::uint64_t invalid_lines = 0;  // empty, or with a newline inside
  std::uint64_t batches = 0;        // records handed to the spool
  std::uint64_t stored = 0;         // of which stored
  std::uint64_t dropped = 0;        // of which the spool dropped (counted there by kind too)
};

inline constexpr std::size_t kMaxKeyPrefix = 88;  // 128 minus ":a<20 digits>:<16 hex>"

class EventBatcher {
 public:
  // `key_prefix` (e.g. "<job id>" or "<appliance>:<boot id>") is cut to kMaxKeyPrefix chars and
  // characters outside [A-Za-z0-9._:-] become '_'.
  EventBatcher(spool::Spool& spool, BatchLimits limits, std::string_view key_prefix);
  ~EventBatcher();  // flushes what is pending
  EventBatcher(const EventBatcher&) = delete;
  EventBatcher& operator=(const EventBatcher&) = delete;

  // One EVE JSON line; a trailing '\n' is optional. False when the line was refused (counted).
  bool add(std::string_view line, bool is_alert);
  // Same, alert or not decided from the line's "event_type":"alert".
  bool add(std::string_view line) { return add(line, is_alert_line(line)); }
  // Writes the pending alert and event batches to the spool.
  void flush();
  // Flushes when the oldest pending line is older than `max_age`.
  void flush_if_older(std::chrono::milliseconds max_age,
                      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // Called after each stored record (e.g. the uploader's wake()).
  void set_on_stored(std::function<void()> fn) { on_stored_ = std::move(fn); }

  std::size_t pending_lines() const { return alerts_.lines + events_.lines; }
  const BatcherCounters& counters() const { return c_; }
  const std::string& key_prefix() const { return prefix_; }

  static bool is_alert_line(std::string_view line);
  // The key of a record: exposed for tests and for tools that re-create keys.
  static std::string make_key(std::string_view prefix, spool::RecordKind kind,
                              std::uint64_t ordinal, std::string_view body);

 private:
  struct Pending {
    std::string body;
    std::size_t lines = 0;
    std::uint64_t next_ordinal = 0;
    std::chrono::steady_clock::time_point since{};
  };
  void flush_one(Pending& p, spool::RecordKind kind);

  spool::Spool& spool_;
  BatchLimits limits_;
  std::string prefix_;
  Pending alerts_, events_;
  BatcherCounters c_;
  std::function<void()> on_stored_;
};

}  // namespace vigil::uplink
