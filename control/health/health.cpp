// Health monitor: heartbeat sampling, the fail-open/closed episode, watchdog feeding.
#include "control/health/health.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace vigil::health {

namespace {
constexpr std::string_view kCounterNames[] = {VIGIL_HEALTH_COUNTERS(VIGIL_COUNTER_NAME)};

std::uint64_t unix_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}
}  // namespace

std::string_view health_counter_name(HealthCounter c) {
  return counter_name(kCounterNames, static_cast<std::size_t>(c), "health.unknown_counter");
}

std::string_view policy_name(FailPolicy policy) {
  return policy == FailPolicy::fail_closed ? "fail-closed" : "fail-open";
}

bool parse_policy(std::string_view text, FailPolicy& out) {
  if (text == "fail-open") {
    out = FailPolicy::fail_open;
    return true;
  }
  if (text == "fail-closed") {
    out = FailPolicy::fail_closed;
    return true;
  }
  return false;
}

std::string_view event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::worker_stall: return "worker_stall";
    case EventKind::recovered: return "recovered";
    case EventKind::control_stall: return "control_stall";
    case EventKind::control_recovered: return "control_recovered";
    case EventKind::relay_error: return "relay_error";
    case EventKind::watchdog_error: return "watchdog_error";
  }
  return "unknown";
}

std::string_view action_name(Action action) {
  switch (action) {
    case Action::none: return "none";
    case Action::relay_engaged: return "relay_engaged";
    case Action::software_bypass: return "software_bypass";
    case Action::relay_and_software_bypass: return "relay_and_software_bypass";
    case Action::forwarding_stopped: return "forwarding_stopped";
    case Action::relay_released: return "relay_released";
    case Action::software_bypass_cleared: return "software_bypass_cleared";
    case Action::relay_released_and_software_bypass_cleared:
      return "relay_released_and_software_bypass_cleared";
    case Action::forwarding_resumed: return "forwarding_resumed";
    case Action::watchdog_withheld: return "watchdog_withheld";
  }
  return "unknown";
}

std::string format_event(const HealthEvent& e) {
  std::string line = "health: ";
  line += event_kind_name(e.kind);
  if (e.worker >= 0) line += " worker=" + std::to_string(e.worker);
  line += " stalled_for_ms=" + std::to_string(e.stalled_for_ms);
  if (e.kind == EventKind::worker_stall)
    line += " stalled_workers=" + std::to_string(e.stalled_workers);
  line += " action=";
  line += action_name(e.action);
  if (!e.detail.empty()) line += " detail=\"" + e.detail + "\"";
  return line;
}

std::string validate(const HealthConfig& c) {
  if (c.workers == 0 || c.workers > kMaxWorkers)
    return "health.workers: must be 1.." + std::to_string(kMaxWorkers);
  if (c.check_interval_ms == 0 || c.check_interval_ms > 60000)
    return "health.check_interval_ms: must be 1..60000";
  if (c.stall_ms < c.check_interval_ms)
    return "health.stall_ms: must be at least check_interval_ms";
  if (c.control_stall_ms < c.check_interval_ms)
    return "health.control_stall_ms: must be at least check_interval_ms";
  if (c.max_events == 0 || c.max_events > 100000)
    return "health.max_events: must be 1..100000";
  return {};
}

HealthMonitor::HealthMonitor(const HealthConfig& config,
                             std::unique_ptr<bypass::BypassRelay> relay,
                             std::unique_ptr<watchdog::Watchdog> dog, NowMs now)
    : config_(config), relay_(std::move(relay)), dog_(std::move(dog)), now_(std::move(now)) {
  if (auto why = validate(config_); !why.empty()) throw std::invalid_argument(why);
  // A feed due every feed_interval, sampled every check_interval, must land inside the timeout.
  if (dog_ && std::uint64_t{config_.feed_interval_ms} + config_.check_interval_ms >=
                  dog_->timeout_ms())
    throw std::invalid_argument(
        "health.feed_interval_ms: feed_interval_ms + check_interval_ms must be below the "
        "watchdog timeout (" + std::to_string(dog_->timeout_ms()) + " ms)");
  if (!now_) now_ = watchdog::steady_now_ms;
  beats_ = std::make_unique<WorkerHeartbeat[]>(config_.workers);
  tracked_.resize(config_.workers);
}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::set_event_callback(std::function<void(const HealthEvent&)> callback) {
  std::lock_guard lk(mu_);
  callback_ = std::move(callback);
}

std::uint64_t HealthMonitor::now() {
  // A clock that goes back (a bad injected clock) must not make silences look huge or negative.
  std::uint64_t t = now_();
  if (t < last_now_) {
    counters_.add(HealthCounter::clock_backwards);
    t = last_now_;
  }
  last_now_ = t;
  return t;
}

void HealthMonitor::record(HealthEvent e, std::vector<HealthEvent>& out) {
  e.unix_ms = unix_now_ms();
  if (events_.size() >= config_.max_events) {
    events_.pop_front();
    counters_.add(HealthCounter::events_dropped);
  }
  events_.push_back(e);
  out.push_back(std::move(e));
}

void HealthMonitor::begin_episode(std::uint64_t t, int worker, std::uint64_t silent,
                                  std::uint32_t count, std::vector<HealthEvent>& out) {
  in_episode_ = true;
  healthy_ = false;
  episode_start_ms_ = t;
  release_error_reported_ = false;
  counters_.add(HealthCounter::episodes);
  HealthEvent e;
  e.kind = EventKind::worker_stall;
  e.time_ms = t;
  e.worker = worker;
  e.stalled_for_ms = silent;
  e.stalled_workers = count;
  if (config_.policy == FailPolicy::fail_open) {
    bool engaged = false;
    if (relay_) {
      std::string err;
      if (relay_->engage(err)) {
        engaged = true;
        relay_engaged_ = true;
        counters_.add(HealthCounter::relay_engages);
      } else {
        counters_.add(HealthCounter::relay_errors);
        e.detail = "relay engage failed: " + err;
      }
    }
    bool software = !engaged || config_.software_bypass_with_relay;
    if (software) {
      flags_.software_bypass.store(true, std::memory_order_relaxed);
      counters_.add(HealthCounter::software_bypass_set);
    }
    e.action = engaged ? (software ? Action::relay_and_software_bypass : Action::relay_engaged)
                       : Action::software_bypass;
  } else {
    // Fail-closed: the relay stays open, so nothing passes while nothing is forwarded.
    flags_.stop_forwarding.store(true, std::memory_order_relaxed);
    counters_.add(HealthCounter::forwarding_stops);
    e.action = Action::forwarding_stopped;
  }
  record(std::move(e), out);
}

void HealthMonitor::try_end_episode(std::uint64_t t, std::vector<HealthEvent>& out) {
  bool released = false;
  if (relay_engaged_) {
    std::string err;
    if (!relay_->release(err)) {
      // Stay in the episode (traffic still bypasses, which is safe) and retry next check.
      counters_.add(HealthCounter::relay_errors);
      if (!release_error_reported_) {
        release_error_reported_ = true;
        HealthEvent e;
        e.kind = EventKind::relay_error;
        e.time_ms = t;
        e.detail = "relay release failed: " + err;
        record(std::move(e), out);
      }
      return;
    }
    relay_engaged_ = false;
    released = true;
    counters_.add(HealthCounter::relay_releases);
  }
  bool cleared = flags_.software_bypass.exchange(false, std::memory_order_relaxed);
  bool resumed = flags_.stop_forwarding.exchange(false, std::memory_order_relaxed);
  in_episode_ = false;
  healthy_ = false;
  counters_.add(HealthCounter::recoveries);
  HealthEvent e;
  e.kind = EventKind::recovered;
  e.time_ms = t;
  e.stalled_for_ms = t - episode_start_ms_;
  e.action = released ? (cleared ? Action::relay_released_and_software_bypass_cleared
                                 : Action::relay_released)
             : cleared ? Action::software_bypass_cleared
             : resumed ? Action::forwarding_resumed
                       : Action::none;
  record(std::move(e), out);
}

void HealthMonitor::check() {
  std::vector<HealthEvent> out;
  std::function<void(const HealthEvent&)> callback;
  {
    std::lock_guard lk(mu_);
    const std::uint64_t t = now();
    counters_.add(HealthCounter::checks);
    if (!baseline_) {
      // First look: nothing can have been silent yet.
      for (std::size_t i = 0; i < tracked_.size(); ++i) {
        tracked_[i].seen = beats_[i].beats.load(std::memory_order_relaxed);
        tracked_[i].changed_ms = t;
      }
      control_seen_ = control_beats_.load(std::memory_order_relaxed);
      control_changed_ms_ = t;
      baseline_ = true;
    }

    // Workers.
    std::uint32_t stalled = 0;
    bool all_beating = true;  // every unparked worker moved within the last two checks
    int first = -1;
    std::uint64_t first_silent = 0;
    for (std::size_t i = 0; i < tracked_.size(); ++i) {
      Tracked& tr = tracked_[i];
      // Acquire pairs with park()/unpark(): a worker seen unparked has its beats visible.
      const bool parked = beats_[i].parked.load(std::memory_order_acquire);
      const std::uint64_t b = beats_[i].beats.load(std::memory_order_relaxed);
      if (parked || tr.parked || b != tr.seen) {
        // Moving, parked, or just unparked: its silence starts now.
        tr.parked = parked;
        tr.seen = b;
        tr.changed_ms = t;
        tr.stalled = false;
        continue;
      }
      const std::uint64_t silent = t - tr.changed_ms;
      if (silent > config_.check_interval_ms) all_beating = false;
      if (silent <= config_.stall_ms) continue;
      if (!tr.stalled) {
        tr.stalled = true;
        ++tr.stalls;
        counters_.add(HealthCounter::worker_stalls);
      }
      if (first < 0) {
        first = static_cast<int>(i);
        first_silent = silent;
      }
      ++stalled;
    }

    // The episode.
    if (stalled > 0) {
      healthy_ = false;
      if (!in_episode_) begin_episode(t, first, first_silent, stalled, out);
    } else if (in_episode_) {
      // Recovery needs every worker beating, not merely "not stalled yet": a worker that is
      // silent again restarts the window, so a flapping worker does not toggle the relay.
      if (!all_beating) healthy_ = false;
      if (!healthy_ && all_beating) {
        healthy_ = true;
        healthy_since_ms_ = t;
      }
      if (healthy_ && t - healthy_since_ms_ >= config_.recover_ms) try_end_episode(t, out);
    }

    // The control loop.
    const std::uint64_t c = control_beats_.load(std::memory_order_relaxed);
    if (c != control_seen_) {
      if (control_stalled_) {
        control_stalled_ = false;
        HealthEvent e;
        e.kind = EventKind::control_recovered;
        e.time_ms = t;
        e.stalled_for_ms = t - control_changed_ms_;
        record(std::move(e), out);
      }
      control_seen_ = c;
      control_changed_ms_ = t;
    } else if (!control_stalled_ && t - control_changed_ms_ > config_.control_stall_ms) {
      control_stalled_ = true;
      counters_.add(HealthCounter::control_stalls);
      HealthEvent e;
      e.kind = EventKind::control_stall;
      e.time_ms = t;
      e.stalled_for_ms = t - control_changed_ms_;
      e.action = dog_ ? Action::watchdog_withheld : Action::none;
      record(std::move(e), out);
    }

    // The watchdog: fed only while every worker and the control loop are alive.
    if (dog_ && (!fed_ || t - last_feed_ms_ >= config_.feed_interval_ms)) {
      if (stalled > 0 || control_stalled_) {
        counters_.add(HealthCounter::watchdog_withheld);
      } else {
        std::string err;
        if (dog_->feed(err)) {
          fed_ = true;
          last_feed_ms_ = t;
          feed_error_reported_ = false;
          counters_.add(HealthCounter::watchdog_feeds);
        } else {
          counters_.add(HealthCounter::watchdog_feed_errors);
          if (!feed_error_reported_) {
            feed_error_reported_ = true;
            HealthEvent e;
            e.kind = EventKind::watchdog_error;
            e.time_ms = t;
            e.detail = err;
            record(std::move(e), out);
          }
        }
      }
    }
    if (!out.empty()) callback = callback_;
  }
  for (const auto& e : out) {
    if (config_.log_to_stderr) std::fprintf(stderr, "%s\n", format_event(e).c_str());
    if (callback) callback(e);
  }
}

HealthStatus HealthMonitor::status() const {
  std::lock_guard lk(mu_);
  HealthStatus s;
  s.policy = config_.policy;
  s.in_episode = in_episode_;
  s.control_stalled = control_stalled_;
  s.software_bypass = flags_.bypass();
  s.stop_forwarding = flags_.stopped();
  s.relay_engaged_by_monitor = relay_engaged_;
  s.relay = relay_ ? relay_->describe() : std::string("none");
  s.relay_state = relay_ ? relay_->state() : bypass::BypassState::unknown;
  s.watchdog = dog_ ? dog_->describe() : std::string("none");
  s.last_feed_ms = fed_ ? last_feed_ms_ : 0;
  s.workers.reserve(tracked_.size());
  for (std::size_t i = 0; i < tracked_.size(); ++i) {
    const Tracked& tr = tracked_[i];
    WorkerStatus w;
    w.beats = beats_[i].beats.load(std::memory_order_relaxed);
    w.silent_ms = baseline_ && last_now_ >= tr.changed_ms ? last_now_ - tr.changed_ms : 0;
    w.stalled = tr.stalled;
    w.parked = beats_[i].parked.load(std::memory_order_relaxed);
    w.stalls = tr.stalls;
    s.workers.push_back(w);
  }
  s.counters = counters_;
  return s;
}

std::vector<HealthEvent> HealthMonitor::events() const {
  std::lock_guard lk(mu_);
  return {events_.begin(), events_.end()};
}

void HealthMonitor::run() {
  std::unique_lock lk(thread_mu_);
  while (!stop_requested_) {
    lk.unlock();
    check();
    lk.lock();
    thread_cv_.wait_for(lk, std::chrono::milliseconds(config_.check_interval_ms),
                        [this] { return stop_requested_; });
  }
}

bool HealthMonitor::start(std::string& err) {
  std::lock_guard lk(thread_mu_);
  if (thread_.joinable()) {
    err = "health monitor: already started";
    return false;
  }
  stop_requested_ = false;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    err = std::string("health monitor: cannot start thread: ") + e.what();
    return false;
  }
  return true;
}

void HealthMonitor::stop() {
  {
    std::lock_guard lk(thread_mu_);
    stop_requested_ = true;
  }
  thread_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::health
