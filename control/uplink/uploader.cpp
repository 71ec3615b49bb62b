#include "control/uplink/uploader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace vigil::uplink {

namespace {

std::uint64_t real_unix_time_s() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch()).count());
}

// Errors come from the network: keep them printable, short and valid for JSON.
std::string printable(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 300)) out.push_back(ch >= 0x20 && ch < 0x7f ? ch : '?');
  return out;
}

std::uint64_t count_lines(std::string_view body) {
  return static_cast<std::uint64_t>(std::count(body.begin(), body.end(), '\n'));
}

}  // namespace

Uploader::Uploader(spool::Spool& spool, Transport& transport, UploaderConfig cfg, UploaderEnv env)
    : spool_(spool), transport_(transport), cfg_(cfg), env_(std::move(env)), backoff_(cfg.backoff) {
  if (!env_.now) env_.now = [] { return std::chrono::steady_clock::now(); };
  if (!env_.random_upto) env_.random_upto = default_random();
  if (!env_.unix_time_s) env_.unix_time_s = real_unix_time_s;
  if (cfg_.idle_poll.count() < 1) cfg_.idle_poll = std::chrono::milliseconds(1);
  next_heartbeat_ = env_.now();  // the first heartbeat goes out at start
}

void Uploader::set_heartbeat_source(std::function<HeartbeatInput()> source) {
  heartbeat_source_ = std::move(source);
}

void Uploader::set_error(const std::string& error) {
  std::lock_guard lk(mu_);
  counters_.last_error = printable(error);
}

UploadCounters Uploader::counters() const {
  std::lock_guard lk(mu_);
  return counters_;
}

Uploader::Verdict Uploader::deliver(const http::HttpRequest& req, http::HttpResponse& resp,
                                    std::string& error) {
  error.clear();
  if (!transport_.round_trip(req, resp, error)) {
    if (error.empty()) error = "transport error";
    std::lock_guard lk(mu_);
    counters_.transport_errors += 1;
    return Verdict::retry;
  }
  if (resp.status >= 200 && resp.status < 300) return Verdict::ok;
  error = "provider answered " + std::to_string(resp.status) + " " + resp.reason + " to " +
          req.method + " " + req.target;
  // 408 and 429 say "later"; other 4xx say this request will never be taken.
  if (resp.status >= 400 && resp.status < 500 && resp.status != 408 && resp.status != 429)
    return Verdict::permanent;
  return Verdict::retry;
}

StepResult Uploader::retry(const std::string& error) {
  set_error(error);
  {
    std::lock_guard lk(mu_);
    counters_.retries += 1;
  }
  return {StepOutcome::retry_later, backoff_.next(env_.random_upto)};
}

bool Uploader::heartbeat_due(std::chrono::steady_clock::time_point now) const {
  return cfg_.heartbeat_interval.count() > 0 && now >= next_heartbeat_;
}

bool Uploader::send_heartbeat() {
  return heartbeat_step().outcome == StepOutcome::sent;
}

StepResult Uploader::heartbeat_step() {
  HeartbeatInput in = heartbeat_source_ ? heartbeat_source_() : HeartbeatInput{};
  http::HttpRequest req;
  req.method = "POST";
  req.target = "/v1/heartbeat";
  req.headers.push_back({"Content-Type", "application/json"});
  req.body = heartbeat_document(in, spool_.counters(), spool_.limits().max_bytes, counters(),
                                env_.unix_time_s())
                 .dump();
  http::HttpResponse resp;
  std::string error;
  const Verdict v = deliver(req, resp, error);
  const auto now = env_.now();
  if (v == Verdict::ok) {
    backoff_.reset();
    next_heartbeat_ = now + cfg_.heartbeat_interval;
    std::lock_guard lk(mu_);
    counters_.heartbeats_sent += 1;
    counters_.sent_bytes += req.body.size();
    return {StepOutcome::sent, {}};
  }
  {
    std::lock_guard lk(mu_);
    counters_.heartbeat_failures += 1;
  }
  if (v == Verdict::permanent) {  // try again at the next interval, not sooner
    set_error(error);
    next_heartbeat_ = now + cfg_.heartbeat_interval;
    return {StepOutcome::rejected, {}};
  }
  StepResult r = retry(error);
  next_heartbeat_ = now + r.delay;  // with the same backoff as records
  return r;
}

StepResult Uploader::send_record(const spool::Record& rec) {
  http::HttpRequest req;
  const bool pcap = rec.info.kind == spool::RecordKind::flow_pcap;
  if (pcap) {
    req.method = "PUT";
    req.target = "/v1/flows/" + std::to_string(rec.info.flow_id) + ".pcap";
    req.headers.push_back({"Content-Type", "application/vnd.tcpdump.pcap"});
  } else {
    req.method = "POST";
    req.target = "/v1/events";
    req.headers.push_back({"Content-Type", "application/x-ndjson"});
  }
  if (!rec.info.key.empty()) req.headers.push_back({"Idempotency-Key", rec.info.key});
  req.body = rec.payload;

  http::HttpResponse resp;
  std::string error;
  switch (deliver(req, resp, error)) {
    case Verdict::ok: {
      spool_.remove(rec.info.id);  // false only if evicted meanwhile: it was delivered anyway
      backoff_.reset();
      bool duplicate = false;
      if (!pcap) {
        auto j = nlohmann::json::parse(resp.body, nullptr, false);
        duplicate = j.is_object() && j.contains("duplicate") && j["duplicate"] == true;
      }
      std::lock_guard lk(mu_);
      counters_.sent_bytes += req.body.size();
      if (pcap) {
        counters_.sent_pcaps += 1;
      } else {
        counters_.sent_batches += 1;
        counters_.sent_events += count_lines(req.body);
        if (duplicate) counters_.duplicates += 1;
      }
      return {StepOutcome::sent, {}};
    }
    case Verdict::permanent: {
      spool_.reject(rec.info.id, printable(error));
      backoff_.reset();  // the provider is up; the record was the problem
      set_error(error);
      std::lock_guard lk(mu_);
      counters_.permanent_failures += 1;
      return {StepOutcome::rejected, {}};
    }
    case Verdict::retry:
      break;
  }
  return retry(error);
}

StepResult Uploader::step() {
  if (heartbeat_due(env_.now())) return heartbeat_step();
  auto rec = spool_.read_oldest({spool::RecordKind::alert});
  if (!rec) rec = spool_.read_oldest({spool::RecordKind::event, spool::RecordKind::flow_pcap});
  if (!rec) return {StepOutcome::idle, {}};
  return send_record(*rec);
}

bool Uploader::stopping() const {
  std::lock_guard lk(mu_);
  return stop_;
}

void Uploader::wake() {
  {
    std::lock_guard lk(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Uploader::request_stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void Uploader::sleep_backoff(std::chrono::milliseconds d) {
  if (env_.sleep) return env_.sleep(d);
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, d, [this] { return stop_; });
}

void Uploader::wait_idle(std::chrono::milliseconds d) {
  if (env_.sleep) return env_.sleep(d);
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, d, [this] { return stop_ || woken_; });
  woken_ = false;
}

bool Uploader::drain(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (stopping()) return false;
    if (env_.now() >= deadline) return spool_.counters().records == 0;
    StepResult r = step();
    if (r.outcome == StepOutcome::idle) return true;
    if (r.outcome != StepOutcome::retry_later) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - env_.now());
    if (left.count() <= 0) return spool_.counters().records == 0;
    sleep_backoff(std::min(r.delay, left));
  }
}

void Uploader::run_until(const std::function<bool()>& stop) {
  while (!stopping() && !stop()) {
    StepResult r = step();
    switch (r.outcome) {
      case StepOutcome::sent:
      case StepOutcome::rejected:
        break;
      case StepOutcome::retry_later:
        sleep_backoff(r.delay);
        break;
      case StepOutcome::idle: {
        auto wait = cfg_.idle_poll;
        if (cfg_.heartbeat_interval.count() > 0) {
          auto until_hb = std::chrono::duration_cast<std::chrono::milliseconds>(next_heartbeat_ - env_.now());
          wait = std::clamp(until_hb, std::chrono::milliseconds(0), wait);
        }
        if (wait.count() > 0) wait_idle(wait);
        break;
      }
    }
  }
}

void Uploader::clear_stop() {
  std::lock_guard<std::mutex> lk(mu_);
  stop_ = false;
}

void Uploader::run(std::stop_token token) {
  std::stop_callback on_stop(token, [this] { request_stop(); });
  run_until([&token] { return token.stop_requested(); });
}

}  // namespace vigil::uplink
