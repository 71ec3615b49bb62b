// Health monitor: stall detection, fail-open / fail-closed, recovery, one event pair per episode,
// watchdog feeding gated on workers and control loop, idle workers, parking. Driven by a fake
// clock through check(); one test runs the real thread with short timings.
#include <CppUTest/TestHarness.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "control/health/health.h"

using namespace vigil::health;
using vigil::bypass::BypassState;
using vigil::bypass::SimBypassRelay;
using vigil::watchdog::SimWatchdog;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct FakeClock {
  std::shared_ptr<std::uint64_t> t = std::make_shared<std::uint64_t>(10000);
  NowMs fn() const {
    auto p = t;
    return [p] { return *p; };
  }
};

HealthConfig test_config() {
  HealthConfig c;
  c.workers = 2;
  c.check_interval_ms = 10;
  c.stall_ms = 100;
  c.recover_ms = 200;
  c.control_stall_ms = 300;
  c.feed_interval_ms = 50;
  c.log_to_stderr = false;
  return c;
}

constexpr unsigned kAll = ~0u;

// A monitor with a sim relay and a sim watchdog on a fake clock; step() plays the worker loops,
// the control loop and the monitor thread 10 ms at a time.
struct Rig {
  FakeClock clock;
  SimBypassRelay* relay = nullptr;
  SimWatchdog* dog = nullptr;
  std::unique_ptr<HealthMonitor> mon;
  std::vector<HealthEvent> seen;
  bool control_alive = true;

  explicit Rig(HealthConfig c = test_config(), bool with_relay = true, bool with_dog = true) {
    std::unique_ptr<vigil::bypass::BypassRelay> r;
    std::unique_ptr<vigil::watchdog::Watchdog> d;
    std::string err;
    if (with_relay) {
      auto sim = SimBypassRelay::open("", err);
      relay = sim.get();
      r = std::move(sim);
    }
    if (with_dog) {
      auto sim = std::make_unique<SimWatchdog>(500, std::string(), clock.fn());
      dog = sim.get();
      d = std::move(sim);
    }
    mon = std::make_unique<HealthMonitor>(c, std::move(r), std::move(d), clock.fn());
    mon->set_event_callback([this](const HealthEvent& e) { seen.push_back(e); });
  }

  std::uint64_t now() const { return *clock.t; }

  // `ms` of time in 10 ms iterations; workers whose bit is set in `beating` beat each iteration.
  void step(std::uint64_t ms, unsigned beating = kAll) {
    for (std::uint64_t done = 0; done < ms; done += 10) {
      *clock.t += 10;
      for (std::size_t i = 0; i < mon->config().workers; ++i)
        if (beating & (1u << i)) mon->heartbeat(i).beat();
      if (control_alive) mon->control_beat();
      mon->check();
    }
  }

  std::size_t count(EventKind kind) const {
    std::size_t n = 0;
    for (const auto& e : seen) n += e.kind == kind ? 1 : 0;
    return n;
  }
  std::uint64_t counter(HealthCounter c) const { return mon->status().counters.get(c); }
};

}  // namespace

TEST_GROUP(HealthHeartbeat){};

TEST(HealthHeartbeat, OneCacheLineEach) {
  Rig rig;
  CHECK(alignof(WorkerHeartbeat) == kCacheLine);
  auto a = reinterpret_cast<std::uintptr_t>(&rig.mon->heartbeat(0));
  auto b = reinterpret_cast<std::uintptr_t>(&rig.mon->heartbeat(1));
  UNSIGNED_LONGS_EQUAL(0, a % kCacheLine);
  UNSIGNED_LONGS_EQUAL(kCacheLine, b - a);
  UNSIGNED_LONGS_EQUAL(2, rig.mon->heartbeats().size());
  rig.mon->heartbeat(1).beat();
  rig.mon->heartbeat(1).beat();
  UNSIGNED_LONGS_EQUAL(2, rig.mon->heartbeat(1).beats.load());
}

TEST_GROUP(HealthStall){};

TEST(HealthStall, IdleLoopingWorkersNeverStall) {
  // No packets at all for a minute: the workers still beat every loop iteration.
  Rig rig;
  rig.step(60000);
  CHECK(rig.seen.empty());
  UNSIGNED_LONGS_EQUAL(0, rig.counter(HealthCounter::worker_stalls));
  CHECK(rig.relay->state() == BypassState::inspecting);
  CHECK_FALSE(rig.dog->expired());
  CHECK(rig.dog->feed_count() >= 60000 / 50 - 1);
}

TEST(HealthStall, DetectedWithinStallMs) {
  Rig rig;
  rig.step(500);
  const std::uint64_t last_beat = rig.now();
  rig.step(100, 0b01);  // worker 1 silent for exactly stall_ms: not yet
  CHECK(rig.seen.empty());
  rig.step(10, 0b01);
  UNSIGNED_LONGS_EQUAL(1, rig.seen.size());
  const HealthEvent& e = rig.seen[0];
  CHECK(e.kind == EventKind::worker_stall);
  LONGS_EQUAL(1, e.worker);
  UNSIGNED_LONGS_EQUAL(110, e.stalled_for_ms);
  UNSIGNED_LONGS_EQUAL(1, e.stalled_workers);
  CHECK(e.time_ms - last_beat <= 100 + 2 * 10);
  CHECK(e.unix_ms > 0);
  CHECK(rig.mon->status().workers[1].stalled);
  CHECK_FALSE(rig.mon->status().workers[0].stalled);
}

TEST(HealthStall, FailOpenEngagesRelay) {
  Rig rig;
  rig.step(200);
  rig.step(200, 0b10);
  UNSIGNED_LONGS_EQUAL(1, rig.seen.size());
  CHECK(rig.seen[0].action == Action::relay_engaged);
  CHECK(rig.relay->state() == BypassState::bypassed);
  CHECK_FALSE(rig.mon->flags().bypass());
  CHECK_FALSE(rig.mon->flags().stopped());
  auto s = rig.mon->status();
  CHECK(s.in_episode);
  CHECK(s.relay_engaged_by_monitor);
  CHECK(s.relay_state == BypassState::bypassed);
  UNSIGNED_LONGS_EQUAL(1, s.counters.get(HealthCounter::relay_engages));
}

TEST(HealthStall, FailOpenWithoutRelaySetsSoftwareBypass) {
  Rig rig(test_config(), /*with_relay=*/false);
  rig.step(200);
  rig.step(200, 0b10);
  UNSIGNED_LONGS_EQUAL(1, rig.seen.size());
  CHECK(rig.seen[0].action == Action::software_bypass);
  CHECK(rig.mon->flags().bypass());
  CHECK_FALSE(rig.mon->flags().stopped());
  STRCMP_EQUAL("none", rig.mon->status().relay.c_str());
}

TEST(HealthStall, FailOpenFallsBackToSoftwareWhenRelayFails) {
  Rig rig;
  rig.relay->set_fail(true);
  rig.step(200);
  rig.step(200, 0b10);
  UNSIGNED_LONGS_EQUAL(1, rig.seen.size());
  CHECK(rig.seen[0].action == Action::software_bypass);
  CHECK_TEXT(contains(rig.seen[0].detail, "relay engage failed"), rig.seen[0].detail.c_str());
  CHECK(rig.mon->flags().bypass());
  CHECK(rig.relay->state() == BypassState::inspecting);
  UNSIGNED_LONGS_EQUAL(1, rig.counter(HealthCounter::relay_errors));
  // Recovery clears the flag; the relay was never engaged, so it is not touched.
  rig.relay->set_fail(false);
  rig.step(300);
  UNSIGNED_LONGS_EQUAL(2, rig.seen.size());
  CHECK(rig.seen[1].action == Action::software_bypass_cleared);
  CHECK_FALSE(rig.mon->flags().bypass());
  UNSIGNED_LONGS_EQUAL(0, rig.relay->release_count());
}

TEST(HealthStall, SoftwareBypassWithRelay) {
  auto c = test_config();
  c.software_bypass_with_relay = true;
  Rig rig(c);
  rig.step(200);
  rig.step(200, 0b10);
  CHECK(rig.seen[0].action == Action::relay_and_software_bypass);
  CHECK(rig.mon->flags().bypass());
  CHECK(rig.relay->state() == BypassState::bypassed);
  rig.step(300);
  CHECK(rig.seen.back().action == Action::relay_released_and_software_bypass_cleared);
  CHECK_FALSE(rig.mon->flags().bypass());
  CHECK(rig.relay->state() == BypassState::inspecting);
}

TEST(HealthStall, FailClosedStopsForwardingAndLeavesRelayOpen) {
  auto c = test_config();
  c.policy = FailPolicy::fail_closed;
  Rig rig(c);
  rig.step(200);
  rig.step(200, 0b01);
  UNSIGNED_LONGS_EQUAL(1, rig.seen.size());
  CHECK(rig.seen[0].action == Action::forwarding_stopped);
  CHECK(rig.mon->flags().stopped());
  CHECK_FALSE(rig.mon->flags().bypass());
  CHECK(rig.relay->state() == BypassState::inspecting);
  UNSIGNED_LONGS_EQUAL(0, rig.relay->engage_count());
  rig.step(300);
  UNSIGNED_LONGS_EQUAL(2, rig.seen.size());
  CHECK(rig.seen[1].kind == EventKind::recovered);
  CHECK(rig.seen[1].action == Action::forwarding_resumed);
  CHECK_FALSE(rig.mon->flags().stopped());
}

TEST_GROUP(HealthRecovery){};

TEST(HealthRecovery, ReleasesAfterRecoverMs) {
  Rig rig;
  rig.step(200);
  rig.step(300, 0b01);
  const std::uint64_t resumed = rig.now();
  rig.step(190);  // both beat again, but not for recover_ms yet
  UNSIGNED_LONGS_EQUAL(1, rig.seen.size());
  CHECK(rig.relay->state() == BypassState::bypassed);
  rig.step(20);
  UNSIGNED_LONGS_EQUAL(2, rig.seen.size());
  const HealthEvent& e = rig.seen[1];
  CHECK(e.kind == EventKind::recovered);
  CHECK(e.action == Action::relay_released);
  CHECK(e.time_ms - resumed >= 200);
  CHECK(e.time_ms - resumed <= 200 + 2 * 10);
  CHECK(rig.relay->state() == BypassState::inspecting);
  auto s = rig.mon->status();
  CHECK_FALSE(s.in_episode);
  CHECK_FALSE(s.workers[1].stalled);
  UNSIGNED_LONGS_EQUAL(1, s.counters.get(HealthCounter::recoveries));
  UNSIGNED_LONGS_EQUAL(1, s.counters.get(HealthCounter::relay_releases));
}

TEST(HealthRecovery, EventsOncePerEpisode) {
  Rig rig;
  rig.step(200);
  rig.step(1000, 0b01);  // worker 1 stalled for a long time...
  rig.step(1000, 0b00);  // ...then worker 0 as well
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::worker_stall));
  UNSIGNED_LONGS_EQUAL(1, rig.relay->engage_count());
  auto s = rig.mon->status();
  UNSIGNED_LONGS_EQUAL(1, s.workers[0].stalls);
  UNSIGNED_LONGS_EQUAL(1, s.workers[1].stalls);
  UNSIGNED_LONGS_EQUAL(2, s.counters.get(HealthCounter::worker_stalls));
  UNSIGNED_LONGS_EQUAL(1, s.counters.get(HealthCounter::episodes));
  rig.step(1000);
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::recovered));
  // A second episode gets its own pair.
  rig.step(500, 0b10);
  rig.step(1000);
  UNSIGNED_LONGS_EQUAL(2, rig.count(EventKind::worker_stall));
  UNSIGNED_LONGS_EQUAL(2, rig.count(EventKind::recovered));
  LONGS_EQUAL(0, rig.seen[2].worker);
  UNSIGNED_LONGS_EQUAL(4, rig.mon->events().size());  // the list matches the callback
  UNSIGNED_LONGS_EQUAL(2, rig.relay->engage_count());
  UNSIGNED_LONGS_EQUAL(2, rig.relay->release_count());
}

TEST(HealthRecovery, FlappingWorkerRestartsTheRecoveryWindow) {
  Rig rig;
  rig.step(200);
  rig.step(200, 0b01);
  rig.step(150);        // healthy, but not for recover_ms
  rig.step(200, 0b01);  // stalls again: same episode
  rig.step(150);
  UNSIGNED_LONGS_EQUAL(1, rig.seen.size());
  CHECK(rig.relay->state() == BypassState::bypassed);
  UNSIGNED_LONGS_EQUAL(2, rig.mon->status().workers[1].stalls);
  rig.step(100);
  UNSIGNED_LONGS_EQUAL(2, rig.seen.size());
  CHECK(rig.seen[1].kind == EventKind::recovered);
}

TEST(HealthRecovery, RelayReleaseFailureIsRetried) {
  Rig rig;
  rig.step(200);
  rig.step(200, 0b01);
  rig.relay->set_fail(true);
  rig.step(1000);
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::relay_error));  // reported once, retried each check
  UNSIGNED_LONGS_EQUAL(0, rig.count(EventKind::recovered));
  CHECK(rig.mon->status().in_episode);
  CHECK(rig.relay->state() == BypassState::bypassed);
  CHECK(rig.counter(HealthCounter::relay_errors) > 10);
  rig.relay->set_fail(false);
  rig.step(10);
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::recovered));
  CHECK(rig.relay->state() == BypassState::inspecting);
}

TEST(HealthRecovery, ParkedWorkerNeverStalls) {
  Rig rig;
  rig.step(200);
  rig.mon->heartbeat(1).park();
  rig.step(5000, 0b01);
  CHECK(rig.seen.empty());
  CHECK(rig.mon->status().workers[1].parked);
  rig.mon->heartbeat(1).unpark();
  rig.step(100, 0b01);  // unparked: its silence counts from the unpark
  CHECK(rig.seen.empty());
  rig.step(20, 0b01);
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::worker_stall));
}

TEST_GROUP(HealthWatchdog){};

TEST(HealthWatchdog, NotFedWhileAWorkerIsStalled) {
  Rig rig;
  rig.step(200);
  CHECK(rig.dog->feed_count() > 0);
  rig.step(100, 0b01);
  const auto fed_before_stall = rig.dog->feed_count();
  rig.step(600, 0b01);  // stalled from t+110 on
  CHECK(rig.dog->feed_count() <= fed_before_stall + 1);
  CHECK(rig.dog->expired());
  CHECK(rig.counter(HealthCounter::watchdog_withheld) > 0);
  // Workers beating again: fed again at once (the episode's recovery window does not matter).
  rig.step(20);
  CHECK_FALSE(rig.dog->expired());
  CHECK(rig.mon->status().in_episode);
}

TEST(HealthWatchdog, NotFedWhileControlLoopSilent) {
  Rig rig;
  rig.step(200);
  rig.control_alive = false;
  rig.step(300);
  UNSIGNED_LONGS_EQUAL(0, rig.count(EventKind::control_stall));
  const auto fed = rig.dog->feed_count();
  rig.step(2000);  // long silence: one event, no feeds, the dog bites
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::control_stall));
  CHECK(rig.seen[0].action == Action::watchdog_withheld);
  CHECK(rig.seen[0].stalled_for_ms > 300);
  CHECK(rig.dog->feed_count() <= fed + 1);
  CHECK(rig.dog->expired());
  CHECK(rig.mon->status().control_stalled);
  // Workers were fine throughout: no fail-open for a control-plane stall.
  UNSIGNED_LONGS_EQUAL(0, rig.count(EventKind::worker_stall));
  CHECK(rig.relay->state() == BypassState::inspecting);
  rig.control_alive = true;
  rig.step(10);
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::control_recovered));
  CHECK_FALSE(rig.dog->expired());
  CHECK_FALSE(rig.mon->status().control_stalled);
}

TEST(HealthWatchdog, FeedsAtMostEveryFeedInterval) {
  Rig rig;
  rig.step(1000);
  // Fed at the first check and then every 50 ms: 1000 ms -> 20 or 21 feeds.
  CHECK(rig.dog->feed_count() >= 20);
  CHECK(rig.dog->feed_count() <= 21);
  UNSIGNED_LONGS_EQUAL(rig.dog->feed_count(), rig.counter(HealthCounter::watchdog_feeds));
}

TEST(HealthWatchdog, FeedErrorReportedOnce) {
  Rig rig;
  rig.dog->set_fail(true);
  rig.step(1000);
  UNSIGNED_LONGS_EQUAL(1, rig.count(EventKind::watchdog_error));
  CHECK(rig.counter(HealthCounter::watchdog_feed_errors) > 1);
  rig.dog->set_fail(false);
  rig.step(100);
  CHECK(rig.dog->feed_count() > 0);
}

TEST_GROUP(HealthConfigChecks){};

TEST(HealthConfigChecks, BadFieldsNamed) {
  auto c = test_config();
  CHECK(validate(c).empty());
  c.workers = 0;
  CHECK(contains(validate(c), "health.workers"));
  c = test_config();
  c.check_interval_ms = 0;
  CHECK(contains(validate(c), "health.check_interval_ms"));
  c = test_config();
  c.stall_ms = 5;
  CHECK(contains(validate(c), "health.stall_ms"));
  c = test_config();
  c.control_stall_ms = 1;
  CHECK(contains(validate(c), "health.control_stall_ms"));
  c = test_config();
  c.max_events = 0;
  CHECK(contains(validate(c), "health.max_events"));
  c.workers = 0;
  CHECK_THROWS(std::invalid_argument, HealthMonitor(c, nullptr, nullptr));
}

TEST(HealthConfigChecks, FeedIntervalMustFitTheWatchdogTimeout) {
  auto c = test_config();
  c.feed_interval_ms = 495;  // + check_interval 10 >= 500 ms timeout
  CHECK_THROWS(std::invalid_argument, Rig(c));
}

TEST(HealthConfigChecks, PolicyNames) {
  FailPolicy p = FailPolicy::fail_open;
  CHECK(parse_policy("fail-closed", p));
  CHECK(p == FailPolicy::fail_closed);
  CHECK(parse_policy(policy_name(FailPolicy::fail_open), p));
  CHECK(p == FailPolicy::fail_open);
  CHECK_FALSE(parse_policy("open", p));
}

TEST(HealthConfigChecks, EventListBoundedAndCounted) {
  auto c = test_config();
  c.max_events = 3;
  Rig rig(c);
  rig.step(200);
  for (int i = 0; i < 3; ++i) {
    rig.step(200, 0b01);
    rig.step(300);
  }
  UNSIGNED_LONGS_EQUAL(6, rig.seen.size());
  UNSIGNED_LONGS_EQUAL(3, rig.mon->events().size());
  UNSIGNED_LONGS_EQUAL(3, rig.counter(HealthCounter::events_dropped));
  CHECK(rig.mon->events().back().kind == EventKind::recovered);
}

TEST(HealthConfigChecks, ClockGoingBackIsCountedNotAStall) {
  Rig rig;
  rig.step(200);
  *rig.clock.t -= 5000;
  rig.step(50);
  CHECK(rig.seen.empty());
  CHECK(rig.counter(HealthCounter::clock_backwards) > 0);
}

TEST(HealthConfigChecks, FormatEvent) {
  HealthEvent e;
  e.kind = EventKind::worker_stall;
  e.worker = 2;
  e.stalled_for_ms = 1100;
  e.stalled_workers = 1;
  e.action = Action::relay_engaged;
  STRCMP_EQUAL("health: worker_stall worker=2 stalled_for_ms=1100 stalled_workers=1 "
               "action=relay_engaged",
               format_event(e).c_str());
  for (std::size_t i = 0; i < kHealthCounterCount; ++i)
    CHECK(health_counter_name(static_cast<HealthCounter>(i)).starts_with("health."));
}

TEST(HealthConfigChecks, StartTwiceRefused) {
  Rig rig;
  std::string err;
  CHECK(rig.mon->start(err));
  CHECK_FALSE(rig.mon->start(err));
  CHECK(contains(err, "already started"));
  rig.mon->stop();
  rig.mon->stop();
}

TEST_GROUP(HealthThread){};

TEST(HealthThread, RealThreadsFailOpenAndRecover) {
  HealthConfig c;
  c.workers = 2;
  c.check_interval_ms = 5;
  c.stall_ms = 80;
  c.recover_ms = 80;
  c.control_stall_ms = 400;
  c.feed_interval_ms = 20;
  c.log_to_stderr = false;
  std::string err;
  auto relay_owned = SimBypassRelay::open("", err);
  SimBypassRelay* relay = relay_owned.get();
  HealthMonitor mon(c, std::move(relay_owned),
                    std::make_unique<SimWatchdog>(1000, std::string()));
  std::atomic<bool> quit{false}, hold1{false};
  auto worker = [&](std::size_t i) {
    WorkerHeartbeat& hb = mon.heartbeat(i);
    while (!quit.load(std::memory_order_relaxed)) {
      if (!(i == 1 && hold1.load(std::memory_order_relaxed))) hb.beat();  // idle loop: still beats
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::thread w0(worker, 0), w1(worker, 1);
  auto wait_for = [&](EventKind kind) {
    for (int i = 0; i < 300; ++i) {
      mon.control_beat();
      for (const auto& e : mon.events())
        if (e.kind == kind) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  };
  CHECK(mon.start(err));
  for (int i = 0; i < 50; ++i) {  // 100 ms of normal running
    mon.control_beat();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(mon.events().empty());
  hold1 = true;
  CHECK(wait_for(EventKind::worker_stall));
  CHECK(relay->state() == BypassState::bypassed);
  hold1 = false;
  CHECK(wait_for(EventKind::recovered));
  mon.stop();
  quit = true;
  w0.join();
  w1.join();
  CHECK(relay->state() == BypassState::inspecting);
  auto events = mon.events();
  UNSIGNED_LONGS_EQUAL(2, events.size());
  LONGS_EQUAL(1, events[0].worker);
  CHECK(mon.status().counters.get(HealthCounter::watchdog_feeds) > 0);
}
