#include "control/uplink/event_batcher.h"

#include <algorithm>
#include <cstdio>

namespace vigil::uplink {

namespace {

std::uint64_t fnv1a64(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : data) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool key_char(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
         ch == '.' || ch == '_' || ch == ':' || ch == '-';
}

}  // namespace

EventBatcher::EventBatcher(spool::Spool& spool, BatchLimits limits, std::string_view key_prefix)
    : spool_(spool), limits_(limits) {
  if (limits_.batch_events == 0) limits_.batch_events = 1;
  if (limits_.batch_bytes == 0) limits_.batch_bytes = 1;
  prefix_.assign(key_prefix.substr(0, kMaxKeyPrefix));
  for (char& ch : prefix_)
    if (!key_char(ch)) ch = '_';
  if (prefix_.empty()) prefix_ = "vigil";
}

EventBatcher::~EventBatcher() { flush(); }

bool EventBatcher::is_alert_line(std::string_view line) {
  return line.find("\"event_type\":\"alert\"") != std::string_view::npos;
}

std::string EventBatcher::make_key(std::string_view prefix, spool::RecordKind kind,
                                   std::uint64_t ordinal, std::string_view body) {
  char tail[64];
  std::snprintf(tail, sizeof tail, ":%c%llu:%016llx", kind == spool::RecordKind::alert ? 'a' : 'e',
                static_cast<unsigned long long>(ordinal),
                static_cast<unsigned long long>(fnv1a64(body)));
  return std::string(prefix) + tail;
}

bool EventBatcher::add(std::string_view line, bool is_alert) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.empty() || line.find('\n') != std::string_view::npos) {
    c_.invalid_lines += 1;
    return false;
  }
  Pending& p = is_alert ? alerts_ : events_;
  const auto kind = is_alert ? spool::RecordKind::alert : spool::RecordKind::event;
  // Close the batch first if this line would overflow it; a batch always holds >= 1 line.
  if (p.lines > 0 && p.body.size() + line.size() + 1 > limits_.batch_bytes) flush_one(p, kind);
  if (p.lines == 0) p.since = std::chrono::steady_clock::now();
  p.body.append(line);
  p.body.push_back('\n');
  p.lines += 1;
  c_.lines += 1;
  if (p.lines >= limits_.batch_events || p.body.size() >= limits_.batch_bytes) flush_one(p, kind);
  return true;
}

void EventBatcher::flush_one(Pending& p, spool::RecordKind kind) {
  if (p.lines == 0) return;
  const std::string key = make_key(prefix_, kind, p.next_ordinal, p.body);
  p.next_ordinal += 1;
  spool::AppendResult r = spool_.append(kind, key, p.body);
  c_.batches += 1;
  if (r.stored()) {
    c_.stored += 1;
  } else {
    c_.dropped += 1;
  }
  p.body.clear();
  p.lines = 0;
  if (r.stored() && on_stored_) on_stored_();
}

void EventBatcher::flush() {
  flush_one(alerts_, spool::RecordKind::alert);
  flush_one(events_, spool::RecordKind::event);
}

void EventBatcher::flush_if_older(std::chrono::milliseconds max_age,
                                  std::chrono::steady_clock::time_point now) {
  if (alerts_.lines > 0 && now - alerts_.since >= max_age) flush_one(alerts_, spool::RecordKind::alert);
  if (events_.lines > 0 && now - events_.since >= max_age) flush_one(events_, spool::RecordKind::event);
}

}  // namespace vigil::uplink
