// Health monitor: watches the workers' heartbeats and the control loop, fails open or closed when
// a worker stalls, and feeds the hardware watchdog only while everything is healthy.
//
// Heartbeats. The monitor allocates one WorkerHeartbeat per worker, each on its own cache line.
// A worker calls beat() once per iteration of its loop - a relaxed increment by its only writer:
// no syscall, no lock, no shared line with another worker. WORKERS MUST BEAT WHEN IDLE: a loop
// iteration whose rx_burst returned nothing still beats, otherwise a quiet link looks like a hung
// worker. A worker that blocks on purpose (clean shutdown, reconfiguration) calls park() first and
// unpark() when it loops again; a parked worker is never stalled.
//
// Stall. A worker whose counter the monitor saw unchanged for more than stall_ms is stalled. The
// monitor samples every check_interval_ms, so a stall is detected between stall_ms and
// stall_ms + 2 * check_interval_ms after the worker's last beat.
//
// Episode. The first stalled worker starts an episode, acted on per policy:
//   fail_open    engage the bypass relay (traffic passes uninspected through the relay). Without a
//                relay, or when engaging fails, set DataplaneFlags::software_bypass instead: the
//                other workers forward uninspected (the stalled worker's queues are lost either
//                way until it recovers; only the relay saves those). software_bypass_with_relay
//                sets the flag as well (the sim board, where the relay is not real).
//   fail_closed  set DataplaneFlags::stop_forwarding (nothing is forwarded) and leave the relay
//                open.
// The episode ends when every worker has been beating for recover_ms (each seen moving within
// the last two checks, continuously): the relay is released / the flags cleared. One event for the start (kind worker_stall, the first stalled worker) and one for
// the end (kind recovered) per episode, however many workers stall in between.
//
// Watchdog. Fed (at most every feed_interval_ms) only while no worker is stalled AND the control
// loop called control_beat() within control_stall_ms, so a hung control plane - or a hung monitor
// - stops feeding too and the hardware resets the appliance.
//
// Time comes from an injectable clock (NowMs), so tests drive check() without sleeping.
//
// Thread-safety: beat()/park()/unpark() by the heartbeat's worker only; control_beat() from any
// thread; flags() read by any worker (relaxed loads, once per burst is enough). check(), status(),
// events() and the setters are serialised by a mutex (control plane only); start()/stop() from one
// owning thread. After stop() the relay and the watchdog may be used directly through relay() /
// watchdog().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dataplane/common/counter_set.h"
#include "drivers/bypass/bypass.h"
#include "drivers/watchdog/watchdog.h"

namespace vigil::health {

inline constexpr std::size_t kCacheLine = 64;

// One worker's heartbeat, alone on its cache line so beats of neighbours never contend.
struct alignas(kCacheLine) WorkerHeartbeat {
  std::atomic<std::uint64_t> beats{0};
  std::atomic<bool> parked{false};

  // Once per loop iteration, packets or not. Single writer: load + store, no locked RMW needed.
  void beat() {
    beats.store(beats.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // Release/acquire: the monitor that sees parked == false also sees the beats before it.
  void park() { parked.store(true, std::memory_order_release); }
  void unpark() {
    beat();
    parked.store(false, std::memory_order_release);
  }
};
static_assert(sizeof(WorkerHeartbeat) == kCacheLine);

// What the forwarding code reads once per burst. Relaxed loads suffice: the flags publish no
// other data, and a burst or two of delay after a stall of stall_ms does not matter.
struct alignas(kCacheLine) DataplaneFlags {
  std::atomic<bool> software_bypass{false};  // fail-open without relay: forward uninspected
  std::atomic<bool> stop_forwarding{false};  // fail-closed: forward nothing

  bool bypass() const { return software_bypass.load(std::memory_order_relaxed); }
  bool stopped() const { return stop_forwarding.load(std::memory_order_relaxed); }
};

enum class FailPolicy { fail_open, fail_closed };
std::string_view policy_name(FailPolicy policy);                // "fail-open", "fail-closed"
bool parse_policy(std::string_view text, FailPolicy& out);      // the same names

using NowMs = watchdog::NowMs;  // monotonic milliseconds

struct HealthConfig {
  std::size_t workers = 1;               // 1..kMaxWorkers
  std::uint32_t check_interval_ms = 100; // the monitor thread's period
  std::uint32_t stall_ms = 1000;         // a worker silent for longer is stalled
  std::uint32_t recover_ms = 3000;       // all workers beating this long ends the episode
                                         // (0: at the first check where all beat)
  std::uint32_t control_stall_ms = 5000; // control loop silent for longer: stop feeding
  std::uint32_t feed_interval_ms = 1000; // the watchdog is fed at most this often
  FailPolicy policy = FailPolicy::fail_open;
  bool software_bypass_with_relay = false;  // fail-open: set the flag even when a relay engaged
  std::size_t max_events = 256;             // the event list keeps the newest ones
  bool log_to_stderr = true;                // one line per event on stderr
};
inline constexpr std::size_t kMaxWorkers = 1024;

// One line naming the first bad field, or "" when `config` is usable.
std::string validate(const HealthConfig& config);

// X(enumerator, "stats name")
#define VIGIL_HEALTH_COUNTERS(X)                           \
  X(checks, "health.checks")                               \
  X(worker_stalls, "health.worker_stalls")                 \
  X(episodes, "health.episodes")                           \
  X(recoveries, "health.recoveries")                       \
  X(relay_engages, "health.relay.engages")                 \
  X(relay_releases, "health.relay.releases")               \
  X(relay_errors, "health.relay.errors")                   \
  X(software_bypass_set, "health.software_bypass_set")     \
  X(forwarding_stops, "health.forwarding_stops")           \
  X(control_stalls, "health.control_stalls")               \
  X(watchdog_feeds, "health.watchdog.feeds")               \
  X(watchdog_feed_errors, "health.watchdog.feed_errors")   \
  X(watchdog_withheld, "health.watchdog.withheld")         \
  X(clock_backwards, "health.clock_backwards")             \
  X(events_dropped, "health.events_dropped")

enum class HealthCounter : std::uint8_t { VIGIL_HEALTH_COUNTERS(VIGIL_COUNTER_ENUM) count_ };
inline constexpr std::size_t kHealthCounterCount =
    static_cast<std::size_t>(HealthCounter::count_);
std::string_view health_counter_name(HealthCounter c);
using HealthCounters = CounterSet<HealthCounter, kHealthCounterCount>;

enum class EventKind {
  worker_stall,       // an episode starts
  recovered,          // the episode ends
  control_stall,      // the control loop went silent: the watchdog is no longer fed
  control_recovered,  // it checked in again
  relay_error,        // releasing the relay failed (retried every check; once per episode)
  watchdog_error,     // feeding failed (once until a feed succeeds again)
};
std::string_view event_kind_name(EventKind kind);

enum class Action {
  none,
  relay_engaged,
  software_bypass,     // flag set (no relay, or engaging it failed: see detail)
  relay_and_software_bypass,
  forwarding_stopped,
  relay_released,
  software_bypass_cleared,
  relay_released_and_software_bypass_cleared,
  forwarding_resumed,
  watchdog_withheld,
};
std::string_view action_name(Action action);

struct HealthEvent {
  EventKind kind = EventKind::worker_stall;
  std::uint64_t time_ms = 0;     // monitor clock
  std::uint64_t unix_ms = 0;     // wall clock, for logs
  int worker = -1;               // worker_stall: the first stalled worker; else -1
  std::uint64_t stalled_for_ms = 0;  // worker_stall / control_stall: silence so far;
                                     // recovered / control_recovered: length of the episode
  std::uint32_t stalled_workers = 0; // worker_stall: how many were stalled at detection
  Action action = Action::none;
  std::string detail;            // errors (relay engage/release), empty otherwise
};
// One line, e.g. "health: worker_stall worker=2 stalled_for_ms=1100 stalled_workers=1
// action=relay_engaged".
std::string format_event(const HealthEvent& event);

struct WorkerStatus {
  std::uint64_t beats = 0;
  std::uint64_t silent_ms = 0;  // since the monitor last saw the counter move
  bool stalled = false;
  bool parked = false;
  std::uint64_t stalls = 0;     // times this worker was found stalled
};

struct HealthStatus {
  FailPolicy policy = FailPolicy::fail_open;
  bool in_episode = false;          // failed open/closed right now
  bool control_stalled = false;
  bool software_bypass = false;
  bool stop_forwarding = false;
  bool relay_engaged_by_monitor = false;
  std::string relay;                // relay describe(), or "none"
  bypass::BypassState relay_state = bypass::BypassState::unknown;
  std::string watchdog;             // watchdog describe(), or "none"
  std::uint64_t last_feed_ms = 0;   // monitor clock; 0 = never fed
  std::vector<WorkerStatus> workers;
  HealthCounters counters;
};

class HealthMonitor {
 public:
  // `relay` and `dog` may be null (no relay: software bypass; no watchdog: nothing to feed).
  // Throws std::invalid_argument when validate(config) fails (configuration time only).
  HealthMonitor(const HealthConfig& config, std::unique_ptr<bypass::BypassRelay> relay,
                std::unique_ptr<watchdog::Watchdog> dog, NowMs now = {});
  ~HealthMonitor();  // stop()s the thread; leaves relay and watchdog as they are
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // The heartbeat of worker `i` (< config.workers); lives as long as the monitor.
  WorkerHeartbeat& heartbeat(std::size_t i) { return beats_[i]; }
  std::span<WorkerHeartbeat> heartbeats() { return {beats_.get(), config_.workers}; }
  // The flags the forwarding code reads; live as long as the monitor.
  const DataplaneFlags& flags() const { return flags_; }

  // The control loop checks in (call it from the loop at least every control_stall_ms / 2).
  void control_beat() { control_beats_.fetch_add(1, std::memory_order_relaxed); }

  // Called for every event, on the thread that ran check(), outside the monitor's lock (it may
  // call status()). Set it before start().
  void set_event_callback(std::function<void(const HealthEvent&)> callback);

  // One monitoring step at the clock's current time: the thread calls it every
  // check_interval_ms; tests call it directly.
  void check();

  // Starts / stops the monitor thread. start() twice is an error.
  bool start(std::string& err);
  void stop();

  HealthStatus status() const;
  std::vector<HealthEvent> events() const;  // oldest first, at most max_events
  const HealthConfig& config() const { return config_; }

  // Not synchronised with the thread: use after stop() (or without start()).
  bypass::BypassRelay* relay() { return relay_.get(); }
  watchdog::Watchdog* watchdog() { return dog_.get(); }

 private:
  struct Tracked {
    std::uint64_t seen = 0;        // last counter value seen
    std::uint64_t changed_ms = 0;  // monitor time it was seen to change
    bool stalled = false;
    bool parked = false;
    std::uint64_t stalls = 0;
  };

  void run();
  std::uint64_t now();
  void begin_episode(std::uint64_t t, int worker, std::uint64_t silent, std::uint32_t count,
                     std::vector<HealthEvent>& out);
  void try_end_episode(std::uint64_t t, std::vector<HealthEvent>& out);
  void record(HealthEvent e, std::vector<HealthEvent>& out);

  const HealthConfig config_;
  std::unique_ptr<bypass::BypassRelay> relay_;
  std::unique_ptr<watchdog::Watchdog> dog_;
  NowMs now_;
  std::unique_ptr<WorkerHeartbeat[]> beats_;
  DataplaneFlags flags_;
  alignas(kCacheLine) std::atomic<std::uint64_t> control_beats_{0};

  mutable std::mutex mu_;  // guards everything below, the relay and the watchdog
  std::function<void(const HealthEvent&)> callback_;
  std::vector<Tracked> tracked_;
  bool baseline_ = false;
  std::uint64_t last_now_ = 0;
  std::uint64_t control_seen_ = 0, control_changed_ms_ = 0;
  bool control_stalled_ = false;
  bool in_episode_ = false;
  std::uint64_t episode_start_ms_ = 0;
  std::uint64_t healthy_since_ms_ = 0;  // valid while healthy_
  bool healthy_ = false;                // in an episode: all workers beating since healthy_since
  bool relay_engaged_ = false;          // by this monitor, this episode
  bool release_error_reported_ = false;
  std::uint64_t last_feed_ms_ = 0;
  bool fed_ = false;
  bool feed_error_reported_ = false;
  std::deque<HealthEvent> events_;
  HealthCounters counters_;

  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stop_requested_ = false;
  std::thread thread_;
};

}  // namespace vigil::health
