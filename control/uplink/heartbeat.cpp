#include "control/uplink/heartbeat.h"

namespace vigil::uplink {

nlohmann::json heartbeat_document(const HeartbeatInput& in, const spool::SpoolCounters& s,
                                  std::uint64_t spool_max_bytes, const UploadCounters& u,
                                  std::uint64_t time_unix_s) {
  using nlohmann::json;
  using spool::RecordKind;
  json doc = json::object();
  doc["type"] = "heartbeat";
  doc["time_unix_s"] = time_unix_s;
  doc["uptime_s"] = in.uptime_s;
  doc["versions"] = json::object();
  for (const auto& [name, version] : in.versions) doc["versions"][name] = version;
  doc["ruleset"] = {{"hash", in.ruleset_hash}};
  auto counter_groups = [](const std::map<std::string, CounterMap>& groups) {
    json out = json::object();
    for (const auto& [name, counters] : groups) {
      json c = json::object();
      for (const auto& [k, v] : counters) c[k] = v;
      out[name] = std::move(c);
    }
    return out;
  };
  doc["ports"] = counter_groups(in.ports);
  doc["workers"] = counter_groups(in.workers);

  const RecordKind kinds[] = {RecordKind::alert, RecordKind::event, RecordKind::flow_pcap};
  json by_kind = json::object();
  json drops = json::object();
  std::uint64_t total_lost = 0;
  for (RecordKind k : kinds) {
    const std::size_t i = spool::kind_index(k);
    const std::string name(spool::kind_name(k));
    by_kind[name] = {{"records", s.records_by_kind[i]}, {"bytes", s.bytes_by_kind[i]}};
    drops[name] = {{"dropped", s.dropped[i]}, {"evicted", s.evicted[i]}, {"total", s.lost(k)}};
    total_lost += s.lost(k);
  }
  drops["total"] = total_lost;
  doc["spool"] = {{"records", s.records},         {"bytes", s.bytes},
                  {"max_bytes", spool_max_bytes}, {"by_kind", by_kind},
                  {"quarantined", s.quarantined}, {"rejected", s.rejected},
                  {"missing", s.missing},         {"write_errors", s.write_errors}};
  doc["drops"] = drops;
  doc["upload"] = {{"sent_batches", u.sent_batches},
                   {"sent_events", u.sent_events},
                   {"sent_bytes", u.sent_bytes},
                   {"sent_pcaps", u.sent_pcaps},
                   {"duplicates", u.duplicates},
                   {"retries", u.retries},
                   {"transport_errors", u.transport_errors},
                   {"permanent_failures", u.permanent_failures},
                   {"heartbeats_sent", u.heartbeats_sent},
                   {"heartbeat_failures", u.heartbeat_failures},
                   {"last_error", u.last_error}};
  return doc;
}

}  // namespace vigil::uplink
