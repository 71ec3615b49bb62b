// Uploader: drains the spool to the provider through a Transport (docs/uplink.md).
//   alert / event record -> POST /v1/events, Idempotency-Key = the record's key, body = EVE lines
//   flow_pcap record     -> PUT /v1/flows/<flow_id>.pcap (Idempotency-Key when the record has one)
//   heartbeat            -> POST /v1/heartbeat every heartbeat_interval (not spooled)
// Alerts go before other records when both wait; otherwise creation order. A record is removed
// only after a 2xx. A 4xx other than 408/429 is a permanent refusal: the record is quarantined
// (spool counter "rejected") and the queue goes on. 5xx, 408, 429 and transport errors are retried
// with capped exponential backoff and full jitter. Nothing is kept in memory between attempts:
// after a restart a new Uploader on the same spool resumes with what is left there.
//
// Threads: step/drain/run_until/run belong to one thread (the uploader's); wake(), request_stop()
// and counters() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>

#include "control/spool/spool.h"
#include "control/uplink/backoff.h"
#include "control/uplink/heartbeat.h"
#include "control/uplink/transport.h"

namespace vigil::uplink {

struct UploaderConfig {
  BackoffConfig backoff;                              // upload.backoff_initial_ms / backoff_max_ms
  std::chrono::milliseconds heartbeat_interval{60000};  // 0: no heartbeats
  std::chrono::milliseconds idle_poll{1000};            // run(): look at the spool this often
};

// Injectable time and randomness; empty members take the real ones.
struct UploaderEnv {
  std::function<std::chrono::steady_clock::time_point()> now;
  // Waits; the default wait ends early on request_stop() (and, when idle, on wake()).
  std::function<void(std::chrono::milliseconds)> sleep;
  RandomUpTo random_upto;
  std::function<std::uint64_t()> unix_time_s;  // the heartbeat's timestamp
};

enum class StepOutcome {
  idle,         // nothing to send (and no heartbeat due)
  sent,         // a record or heartbeat was acknowledged
  rejected,     // a record was refused for good and quarantined (or a heartbeat refused)
  retry_later,  // failed; wait `delay` before the next step
};

struct StepResult {
  StepOutcome outcome = StepOutcome::idle;
  std::chrono::milliseconds delay{0};
};

class Uploader {
 public:
  Uploader(spool::Spool& spool, Transport& transport, UploaderConfig cfg, UploaderEnv env = {});
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Supplies versions, uptime, ruleset hash and port/worker counters for each heartbeat.
  void set_heartbeat_source(std::function<HeartbeatInput()> source);

  // One unit of work: the heartbeat when due, else the next record. Never sleeps.
  StepResult step();
  // Sends one heartbeat now. True when acknowledged.
  bool send_heartbeat();
  // Uploads until the spool is empty (true) or `deadline` passes or a stop is requested (false),
  // sleeping out backoffs (never past the deadline).
  bool drain(std::chrono::steady_clock::time_point deadline);
  // Uploads until stop() is true, waiting idle_poll when idle. A backoff or idle wait is not cut
  // short by the predicate: call wake() or request_stop() after making it true.
  void run_until(const std::function<bool()>& stop);
  // The appliance's uploader thread: run_until the token is stopped (which also ends waits).
  void run(std::stop_token token);

  // New work in the spool: ends an idle wait early (not a backoff).
  void wake();
  // Ends waits and makes drain/run_until return.
  void request_stop();
  // Clears a stop request once the thread that was stopped has returned, so the same uploader
  // (its counters and backoff) can go on, e.g. drain() on another thread.
  void clear_stop();

  UploadCounters counters() const;
  const UploaderConfig& config() const { return cfg_; }

 private:
  enum class Verdict { ok, permanent, retry };
  Verdict deliver(const http::HttpRequest& req, http::HttpResponse& resp, std::string& error);
  StepResult send_record(const spool::Record& rec);
  StepResult heartbeat_step();
  StepResult retry(const std::string& error);
  void set_error(const std::string& error);
  bool heartbeat_due(std::chrono::steady_clock::time_point now) const;
  void sleep_backoff(std::chrono::milliseconds d);
  void wait_idle(std::chrono::milliseconds d);
  bool stopping() const;

  spool::Spool& spool_;
  Transport& transport_;
  UploaderConfig cfg_;
  UploaderEnv env_;
  Backoff backoff_;
  std::function<HeartbeatInput()> heartbeat_source_;
  std::chrono::steady_clock::time_point next_heartbeat_;

  mutable std::mutex mu_;  // guards counters_, woken_, stop_
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  UploadCounters counters_;
};

}  // namespace vigil::uplink
