// EveWriter: appends EVE JSON lines (Suricata's event format) to a file. Used off the packet path
// by the control plane's single event thread; not thread-safe. Owns its FILE.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/app/app_record.h"
#include "dataplane/detect/engine/alert.h"
#include "dataplane/flow/flow_record.h"

namespace vigil::eve {

// A stats event's counters: dotted names ("decoder.pkts", "ipv4.trunc_pkt") become nested
// objects, as in Suricata's stats event.
using CounterList = std::vector<std::pair<std::string, std::uint64_t>>;

class EveWriter {
 public:
  // Opens (creating or truncating) `path`. On failure returns nullptr and sets err to one line.
  static std::unique_ptr<EveWriter> open(const std::string& path, std::string& err);
  ~EveWriter();
  EveWriter(const EveWriter&) = delete;
  EveWriter& operator=(const EveWriter&) = delete;

  void write_flow(const FlowRecord& record);
  // The record's signature must still be alive (its RuleSet held by the caller).
  void write_alert(const detect::AlertRecord& alert);
  // An app-layer event (http, dns, tls): the record's header and its protocol object's JSON.
  void write_app_record(const app::AppRecordHeader& h, std::string_view object_json);
  void write_stats(std::uint64_t ts_ns, std::uint64_t uptime_s, const CounterList& counters);

  // Hands what is buffered to the kernel (a live appliance's eve.json is read while it runs).
  void flush();

  // Flushes and fsyncs. Returns false and sets err when any write failed (disk full, I/O error).
  bool close(std::string& err);

  std::uint64_t events() const { return events_; }
  const std::string& path() const { return path_; }

  // Also hands every alert, flow and app-layer line (not stats) to `sink`, e.g. the uplink;
  // `alert` tells alert events apart.
  using LineSink = std::function<void(const std::string& line, bool alert)>;
  void set_line_sink(LineSink sink) { sink_ = std::move(sink); }
  // Any other event line (e.g. the appliance's health events), also handed to the sink.
  void write_event(const std::string& line, bool alert);

 private:
  EveWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  void write_line(const std::string& line);

  LineSink sink_;
  std::string path_;
  std::FILE* file_;
  std::uint64_t events_ = 0;
  bool failed_ = false;
};

// The JSON text of a flow event (one line, no newline); exposed for tests.
std::string flow_event_json(const FlowRecord& record);
// The JSON text of an alert event, with Suricata's field names (alert{action, gid, signature_id,
// rev, signature, category, severity, metadata}, the packet's addresses, the flow's counters).
std::string alert_event_json(const detect::AlertRecord& alert);
// The JSON text of an app-layer event: Suricata's envelope with the protocol object inside.
std::string app_event_json(const app::AppRecordHeader& h, std::string_view object_json);

}  // namespace vigil::eve
