// The heartbeat document (POST /v1/heartbeat): versions, uptime, ruleset hash, per-port and
// per-worker counters, spool depth, drops per kind and upload counters, as one JSON object.
// Plain data in, JSON out; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "control/spool/spool.h"

namespace vigil::uplink {

// The uploader's counters (since it was created).
struct UploadCounters {
  std::uint64_t sent_batches = 0;      // alert and event records acknowledged
  std::uint64_t sent_events = 0;       // EVE lines in them
  std::uint64_t sent_bytes = 0;        // request bodies acknowledged (batches, pcaps, heartbeats)
  std::uint64_t sent_pcaps = 0;
  std::uint64_t duplicates = 0;        // batches the provider had already (answer "duplicate")
  std::uint64_t retries = 0;           // failed attempts that will be retried (5xx/408/429/transport)
  std::uint64_t transport_errors = 0;  // of which the transport itself failed
  std::uint64_t permanent_failures = 0;  // records refused with a 4xx and quarantined
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t heartbeat_failures = 0;
  std::string last_error;              // one line; empty when none yet
};

using CounterMap = std::map<std::string, std::uint64_t>;

// What the caller knows about the appliance; the uploader adds spool and upload counters.
struct HeartbeatInput {
  std::map<std::string, std::string> versions;  // e.g. {"vigild": "0.1.0", "dpdk": "22.11.4"}
  std::uint64_t uptime_s = 0;
  std::string ruleset_hash;                     // empty: no ruleset loaded
  std::map<std::string, CounterMap> ports;      // port name -> counters
  std::map<std::string, CounterMap> workers;    // worker name -> counters
};

// {"type":"heartbeat","time_unix_s":..,"uptime_s":..,"versions":{..},"ruleset":{"hash":..},
//  "ports":{..},"workers":{..},
//  "spool":{"records":..,"bytes":..,"max_bytes":..,"by_kind":{"alert":{"records":..,"bytes":..},..},
//           "quarantined":..,"rejected":..,"missing":..,"write_errors":..},
//  "drops":{"alert":{"dropped":..,"evicted":..,"total":..},"event":{..},"flow_pcap":{..},"total":..},
//  "upload":{"sent_batches":..,..,"last_error":..}}
nlohmann::json heartbeat_document(const HeartbeatInput& in, const spool::SpoolCounters& spool,
                                  std::uint64_t spool_max_bytes, const UploadCounters& upload,
                                  std::uint64_t time_unix_s);

}  // namespace vigil::uplink
