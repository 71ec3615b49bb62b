// The reference provider's request handler and its on-disk store (docs: notes/uplink.md,
// "Provider protocol"), independent of TLS: the server authenticates the appliance (certificate
// CN), parses the request and calls handle(); handle() never throws and never sets Connection.
//
// Layout under the data folder:
//   appliances/<id>/idempotency/<sha256(key)>  one accepted event batch, named by its key's hash:
//                                              its existence IS the durable key record
//   appliances/<id>/events/<seq>.jsonl         a hard link to that batch (12-digit seq, in order)
//   appliances/<id>/flows/<flow_id>.pcap       flow captures
//   appliances/<id>/heartbeats.jsonl           one JSON object per line, appended, fsync'd
//   rules/bundle, firmware/<version>           served, provided by the operator
// Crash consistency: a batch is written temp + fsync + rename into idempotency/ + fsync of the
// folder before anything else, so the key and its batch appear together or not at all. Linking it
// into events/ comes second; a batch whose link is missing (link count 1) is linked at the next
// start or on the retry that finds its key, so a crash at any instant neither loses a batch nor
// stores it twice. Leftover ".tmp.*" files are deleted when an appliance is first used.
// (A copy of the data folder that does not keep hard links makes every batch look unlinked and
// they would be linked again: copy with `cp -a`/`rsync -H`.)
//
// Thread-safety: handle() and the readers may be called from many threads at once; requests of
// one appliance are serialized by a per-appliance mutex, different appliances run in parallel.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "control/http/http_message.h"

namespace vigil::provider {

struct ProviderLimits {
  std::size_t max_event_body = 16 * 1024 * 1024;   // POST /v1/events → 413 above
  std::size_t max_flow_body = 16 * 1024 * 1024;    // PUT /v1/flows/... → 413 above
  std::size_t max_heartbeat_body = 1024 * 1024;    // POST /v1/heartbeat → 413 above
};

// A snapshot of the counters.
struct ProviderStats {
  std::uint64_t requests = 0;
  std::uint64_t batches_accepted = 0;
  std::uint64_t events_accepted = 0;
  std::uint64_t duplicates_dropped = 0;   // event batches answered "duplicate"
  std::uint64_t flows_created = 0;
  std::uint64_t flows_replaced = 0;
  std::uint64_t flows_unchanged = 0;      // same content again
  std::uint64_t flows_served = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t rules_served = 0;
  std::uint64_t rules_not_modified = 0;
  std::uint64_t firmware_served = 0;      // 200 and 206
  std::uint64_t client_errors = 0;        // 4xx answers
  std::uint64_t storage_errors = 0;       // 500 answers
  std::uint64_t batches_relinked = 0;     // crash recovery: batches linked into events/ late
  std::uint64_t temp_files_removed = 0;   // crash recovery: leftover temporary files
};

// Appliance ids: [A-Za-z0-9._-]{1,64}, except "." and "..".
bool valid_appliance_id(std::string_view id);
// Idempotency-Key values: [A-Za-z0-9._:-]{1,128}.
bool valid_idempotency_key(std::string_view key);
// Flow ids: [0-9]{1,20}.
bool valid_flow_id(std::string_view id);
// Firmware versions: [A-Za-z0-9._-]{1,64}, not starting with '.'.
bool valid_firmware_version(std::string_view version);

// A response with the JSON body {"error": message} (Content-Type application/json). The server
// also uses it for parse errors: error_response(http::status_for(st), parser.error_message()).
http::HttpResponse error_response(int status, std::string_view message);

class ProviderStore {
 public:
  // Creates <data_dir>/appliances if needed; throws std::runtime_error when it cannot.
  explicit ProviderStore(std::filesystem::path data_dir, ProviderLimits limits = {});
  ~ProviderStore();
  ProviderStore(const ProviderStore&) = delete;
  ProviderStore& operator=(const ProviderStore&) = delete;

  // Answers one request of the authenticated appliance `appliance_id` (403 when the id is not
  // valid). Statuses: 200/201/206/304, 400 bad request (the body names the problem), 403, 404,
  // 405 (with Allow), 413, 416, 500 storage failure.
  http::HttpResponse handle(std::string_view appliance_id, const http::HttpRequest& req);

  // Readers for tests and tools. events(): every stored event line (without '\n') of the
  // appliance, batches in acceptance order; heartbeats(): the stored heartbeat lines. Empty for
  // unknown or invalid ids.
  std::vector<std::string> events(std::string_view appliance_id);
  std::vector<std::string> heartbeats(std::string_view appliance_id);
  ProviderStats stats() const;
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  struct Appliance {
    std::mutex mu;
    bool loaded = false;        // folders made and crash recovery done
    std::uint64_t next_seq = 1;
  };
  struct Counters;

  Appliance& appliance(const std::string& id);
  bool load(Appliance& a, const std::filesystem::path& dir, std::string& error);
  bool link_batch(Appliance& a, const std::filesystem::path& dir, const std::string& hash,
                  std::string& error);

  http::HttpResponse dispatch(const std::string& id, const http::HttpRequest& req);
  http::HttpResponse post_events(const std::string& id, const http::HttpRequest& req);
  http::HttpResponse put_flow(const std::string& id, std::string_view flow_id,
                              const http::HttpRequest& req);
  http::HttpResponse get_flow(const std::string& id, std::string_view flow_id);
  http::HttpResponse post_heartbeat(const std::string& id, const http::HttpRequest& req);
  http::HttpResponse get_rules(const http::HttpRequest& req);
  http::HttpResponse get_firmware(std::string_view version, const http::HttpRequest& req);
  std::filesystem::path appliance_dir(const std::string& id) const;

  std::filesystem::path data_dir_;
  ProviderLimits limits_;
  std::mutex map_mu_;
  std::unordered_map<std::string, std::unique_ptr<Appliance>> appliances_;
  std::unique_ptr<Counters> counters_;
};

}  // namespace vigil::provider
