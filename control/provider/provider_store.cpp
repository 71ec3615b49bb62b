#include "control/provider/provider_store.h"

#include <mbedtls/sha256.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>

#include "control/provider/durable_file.h"
#include "control/provider/http_conditional.h"

namespace vigil::provider {
namespace fs = std::filesystem;
using http::HttpRequest;
using http::HttpResponse;
using Json = nlohmann::json;

struct ProviderStore::Counters {
#define VIGIL_PROVIDER_COUNTER(name) std::atomic<std::uint64_t> name{0};
  VIGIL_PROVIDER_COUNTER(requests)
  VIGIL_PROVIDER_COUNTER(batches_accepted)
  VIGIL_PROVIDER_COUNTER(events_accepted)
  VIGIL_PROVIDER_COUNTER(duplicates_dropped)
  VIGIL_PROVIDER_COUNTER(flows_created)
  VIGIL_PROVIDER_COUNTER(flows_replaced)
  VIGIL_PROVIDER_COUNTER(flows_unchanged)
  VIGIL_PROVIDER_COUNTER(flows_served)
  VIGIL_PROVIDER_COUNTER(heartbeats)
  VIGIL_PROVIDER_COUNTER(rules_served)
  VIGIL_PROVIDER_COUNTER(rules_not_modified)
  VIGIL_PROVIDER_COUNTER(firmware_served)
  VIGIL_PROVIDER_COUNTER(client_errors)
  VIGIL_PROVIDER_COUNTER(storage_errors)
  VIGIL_PROVIDER_COUNTER(batches_relinked)
  VIGIL_PROVIDER_COUNTER(temp_files_removed)
#undef VIGIL_PROVIDER_COUNTER
};

namespace {

constexpr std::size_t kSeqDigits = 12;
constexpr std::string_view kBatchSuffix = ".jsonl";

bool all_of_set(std::string_view s, std::size_t max_len, std::string_view extra) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, 0);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string seq_name(std::uint64_t seq) {
  std::string digits = std::to_string(seq);
  if (digits.size() < kSeqDigits) digits.insert(0, kSeqDigits - digits.size(), '0');
  return digits + std::string(kBatchSuffix);
}

// "000000000042.jsonl" → 42; false for any other name.
bool parse_seq_name(std::string_view name, std::uint64_t& seq) {
  if (name.size() <= kBatchSuffix.size() || !name.ends_with(kBatchSuffix)) return false;
  std::string_view digits = name.substr(0, name.size() - kBatchSuffix.size());
  if (digits.size() > 19) return false;
  seq = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    seq = seq * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

HttpResponse json_response(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body.dump();
  return r;
}

HttpResponse method_not_allowed(std::string_view allow) {
  HttpResponse r = error_response(405, "method not allowed; use " + std::string(allow));
  r.headers.push_back({"Allow", std::string(allow)});
  return r;
}

// Splits lines without copying; the last line may lack its '\n'.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool starts_as_object(std::string_view line) {
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    return c == '{';
  }
  return false;
}

// The validated JSON text is only accepted (SAX, no tree), so nesting depth costs no stack.
bool is_json_object(std::string_view text) {
  return starts_as_object(text) && Json::accept(text.begin(), text.end());
}

bool is_pcap(std::string_view body) {
  if (body.size() < 24) return false;  // the classic global header
  const auto* b = reinterpret_cast<const unsigned char*>(body.data());
  const std::uint32_t be = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                           (std::uint32_t{b[2]} << 8) | b[3];
  // Microsecond and nanosecond magics, either byte order.
  return be == 0xa1b2c3d4u || be == 0xd4c3b2a1u || be == 0xa1b23c4du || be == 0x4d3cb2a1u;
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::vector<std::string> out;
  std::string text, error;
  bool missing = false;
  if (!read_file(file, text, missing, error)) return out;
  for_each_line(text, [&](std::string_view line) {
    if (!line.empty()) out.emplace_back(line);
  });
  return out;
}

}  // namespace

bool valid_appliance_id(std::string_view id) {
  return all_of_set(id, 64, "._-") && id != "." && id != "..";
}

bool valid_idempotency_key(std::string_view key) { return all_of_set(key, 128, "._:-"); }

bool valid_flow_id(std::string_view id) {
  if (id.empty() || id.size() > 20) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_firmware_version(std::string_view version) {
  return all_of_set(version, 64, "._-") && version.front() != '.';
}

HttpResponse error_response(int status, std::string_view message) {
  return json_response(status, Json{{"error", std::string(message)}});
}

ProviderStore::ProviderStore(fs::path data_dir, ProviderLimits limits)
    : data_dir_(std::move(data_dir)), limits_(limits), counters_(std::make_unique<Counters>()) {
  std::string error;
  if (!make_dirs_durable(data_dir_ / "appliances", error))
    throw std::runtime_error("provider data folder: " + error);
}

ProviderStore::~ProviderStore() = default;

ProviderStats ProviderStore::stats() const {
  const Counters& c = *counters_;
  ProviderStats s;
  s.requests = c.requests;
  s.batches_accepted = c.batches_accepted;
  s.events_accepted = c.events_accepted;
  s.duplicates_dropped = c.duplicates_dropped;
  s.flows_created = c.flows_created;
  s.flows_replaced = c.flows_replaced;
  s.flows_unchanged = c.flows_unchanged;
  s.flows_served = c.flows_served;
  s.heartbeats = c.heartbeats;
  s.rules_served = c.rules_served;
  s.rules_not_modified = c.rules_not_modified;
  s.firmware_served = c.firmware_served;
  s.client_errors = c.client_errors;
  s.storage_errors = c.storage_errors;
  s.batches_relinked = c.batches_relinked;
  s.temp_files_removed = c.temp_files_removed;
  return s;
}

fs::path ProviderStore::appliance_dir(const std::string& id) const {
  return data_dir_ / "appliances" / id;  // id validated by every caller
}

ProviderStore::Appliance& ProviderStore::appliance(const std::string& id) {
  std::lock_guard lock(map_mu_);
  std::unique_ptr<Appliance>& slot = appliances_[id];
  if (!slot) slot = std::make_unique<Appliance>();
  return *slot;
}

// Under a.mu. Makes the folders, deletes leftover temporary files, finds the next sequence
// number and links batches a crash left out of events/.
bool ProviderStore::load(Appliance& a, const fs::path& dir, std::string& error) {
  if (a.loaded) return true;
  for (const char* sub : {"events", "idempotency", "flows"})
    if (!make_dirs_durable(dir / sub, error)) return false;
  for (const char* sub : {"events", "idempotency", "flows"})
    counters_->temp_files_removed += remove_temp_files(dir / sub);

  std::uint64_t max_seq = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir / "events", ec), end; !ec && it != end; it.increment(ec)) {
    std::uint64_t seq = 0;
    if (parse_seq_name(it->path().filename().string(), seq)) max_seq = std::max(max_seq, seq);
  }
  if (ec) {
    error = "list " + (dir / "events").string() + ": " + ec.message();
    return false;
  }
  a.next_seq = max_seq + 1;

  std::vector<std::string> unlinked;
  for (fs::directory_iterator it(dir / "idempotency", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    struct stat st {};
    if (name.rfind(kTempPrefix, 0) == 0 || ::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && st.st_nlink == 1) unlinked.push_back(name);
  }
  if (ec) {
    error = "list " + (dir / "idempotency").string() + ": " + ec.message();
    return false;
  }
  std::sort(unlinked.begin(), unlinked.end());
  for (const std::string& hash : unlinked) {
    if (!link_batch(a, dir, hash, error)) return false;
    ++counters_->batches_relinked;
  }
  a.loaded = true;
  return true;
}

// Under a.mu: events/<next seq>.jsonl := idempotency/<hash> (hard link), durably.
bool ProviderStore::link_batch(Appliance& a, const fs::path& dir, const std::string& hash,
                               std::string& error) {
  const fs::path src = dir / "idempotency" / hash;
  // A name already taken (e.g. put there by hand) is skipped, boundedly.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const fs::path dst = dir / "events" / seq_name(a.next_seq++);
    if (::link(src.c_str(), dst.c_str()) == 0) return fsync_dir(dir / "events", error);
    if (errno != EEXIST) {
      error = "link " + dst.string() + ": " + std::strerror(errno);
      return false;
    }
  }
  error = "no free batch sequence number in " + (dir / "events").string();
  return false;
}

HttpResponse ProviderStore::handle(std::string_view appliance_id, const HttpRequest& req) {
  ++counters_->requests;
  HttpResponse r;
  try {
    if (!valid_appliance_id(appliance_id))
      r = error_response(403, "appliance id from the client certificate is not valid");
    else
      r = dispatch(std::string(appliance_id), req);
  } catch (const std::exception& e) {
    r = error_response(500, std::string("internal error: ") + e.what());
  }
  if (r.status >= 500) ++counters_->storage_errors;
  else if (r.status >= 400) ++counters_->client_errors;
  return r;
}

HttpResponse ProviderStore::dispatch(const std::string& id, const HttpRequest& req) {
  // The query, if any, is not used by any endpoint.
  std::string_view path = req.target;
  path = path.substr(0, path.find('?'));
  const std::string& m = req.method;

  if (path == "/v1/events") return m == "POST" ? post_events(id, req) : method_not_allowed("POST");
  if (path == "/v1/heartbeat")
    return m == "POST" ? post_heartbeat(id, req) : method_not_allowed("POST");
  if (path == "/v1/rules") return m == "GET" ? get_rules(req) : method_not_allowed("GET");

  constexpr std::string_view flows = "/v1/flows/";
  if (path.starts_with(flows)) {
    std::string_view name = path.substr(flows.size());
    constexpr std::string_view ext = ".pcap";
    std::string_view flow_id =
        name.ends_with(ext) ? name.substr(0, name.size() - ext.size()) : std::string_view();
    if (!valid_flow_id(flow_id))
      return error_response(400, "flow path must be /v1/flows/<1-20 digits>.pcap");
    if (m == "PUT") return put_flow(id, flow_id, req);
    if (m == "GET") return get_flow(id, flow_id);
    return method_not_allowed("GET, PUT");
  }
  constexpr std::string_view firmware = "/v1/firmware/";
  if (path.starts_with(firmware)) {
    std::string_view version = path.substr(firmware.size());
    if (!valid_firmware_version(version))
      return error_response(400, "firmware version must be [A-Za-z0-9._-]{1,64}, not starting with '.'");
    return m == "GET" ? get_firmware(version, req) : method_not_allowed("GET");
  }
  return error_response(404, "no such endpoint");
}

HttpResponse ProviderStore::post_events(const std::string& id, const HttpRequest& req) {
  const std::string_view key = req.header("Idempotency-Key");
  if (key.empty()) return error_response(400, "Idempotency-Key header required");
  if (!valid_idempotency_key(key))
    return error_response(400, "Idempotency-Key must be 1-128 characters [A-Za-z0-9._:-]");
  if (req.body.size() > limits_.max_event_body)
    return error_response(413, "event batch exceeds " + std::to_string(limits_.max_event_body) +
                                   " bytes");
  std::size_t lines = 0;
  std::string bad;
  for_each_line(req.body, [&](std::string_view line) {
    ++lines;
    if (!bad.empty()) return;
    if (line.empty() || line == "\r")
      bad = "line " + std::to_string(lines) + " is empty";
    else if (!is_json_object(line))
      bad = "line " + std::to_string(lines) + " is not a JSON object";
  });
  if (!bad.empty()) return error_response(400, bad);
  if (lines == 0) return error_response(400, "no event lines");
  std::string_view batch = req.body;
  std::string terminated;
  if (batch.back() != '\n') {  // tolerate a last line without its '\n', store it terminated
    terminated = req.body + '\n';
    batch = terminated;
  }

  const fs::path dir = appliance_dir(id);
  const std::string hash = sha256_hex(key);
  Appliance& a = appliance(id);
  std::lock_guard lock(a.mu);
  std::string error;
  if (!load(a, dir, error)) return error_response(500, "storage: " + error);

  const fs::path record = dir / "idempotency" / hash;
  struct stat st {};
  if (::lstat(record.c_str(), &st) == 0) {
    // Seen before. A record a failure left unlinked is linked now, so it is never lost.
    if (st.st_nlink == 1) {
      if (!link_batch(a, dir, hash, error)) return error_response(500, "storage: " + error);
      ++counters_->batches_relinked;
    }
    ++counters_->duplicates_dropped;
    return json_response(200, Json{{"accepted", 0}, {"duplicate", true}});
  }
  if (errno != ENOENT) return error_response(500, "storage: stat " + record.string() + ": " +
                                                      std::strerror(errno));
  // The batch under its key's name: key record and batch become durable in one rename.
  if (!write_file_atomic(dir / "idempotency", hash, batch, error))
    return error_response(500, "storage: " + error);
  if (!link_batch(a, dir, hash, error)) return error_response(500, "storage: " + error);
  ++counters_->batches_accepted;
  counters_->events_accepted += lines;
  return json_response(200, Json{{"accepted", lines}});
}

HttpResponse ProviderStore::put_flow(const std::string& id, std::string_view flow_id,
                                     const HttpRequest& req) {
  const std::string_view key = req.header("Idempotency-Key");
  if (!key.empty() && !valid_idempotency_key(key))
    return error_response(400, "Idempotency-Key must be 1-128 characters [A-Za-z0-9._:-]");
  if (req.body.size() > limits_.max_flow_body)
    return error_response(413, "flow capture exceeds " + std::to_string(limits_.max_flow_body) +
                                   " bytes");
  if (!is_pcap(req.body))
    return error_response(400, "body is not a pcap file (no classic pcap header)");

  const fs::path dir = appliance_dir(id);
  const std::string name = std::string(flow_id) + ".pcap";
  Appliance& a = appliance(id);
  std::lock_guard lock(a.mu);
  std::string error;
  if (!load(a, dir, error)) return error_response(500, "storage: " + error);

  std::string existing;
  bool missing = false;
  const bool exists = read_file(dir / "flows" / name, existing, missing, error);
  if (!exists && !missing) return error_response(500, "storage: " + error);
  if (exists && existing == req.body) {
    ++counters_->flows_unchanged;
    return json_response(200, Json{{"stored", true}, {"unchanged", true}});
  }
  // PUT replaces: a different capture under the same id overwrites the old one atomically.
  if (!write_file_atomic(dir / "flows", name, req.body, error))
    return error_response(500, "storage: " + error);
  if (exists) {
    ++counters_->flows_replaced;
    return json_response(200, Json{{"stored", true}, {"replaced", true}});
  }
  ++counters_->flows_created;
  return json_response(201, Json{{"stored", true}});
}

HttpResponse ProviderStore::get_flow(const std::string& id, std::string_view flow_id) {
  // Only ever the caller's own folder: the path is built from the authenticated id.
  const fs::path file = appliance_dir(id) / "flows" / (std::string(flow_id) + ".pcap");
  HttpResponse r;
  std::string error;
  bool missing = false;
  if (!read_file(file, r.body, missing, error)) {
    if (missing) return error_response(404, "no such flow");
    return error_response(500, "storage: " + error);
  }
  r.status = 200;
  r.headers.push_back({"Content-Type", "application/vnd.tcpdump.pcap"});
  ++counters_->flows_served;
  return r;
}

HttpResponse ProviderStore::post_heartbeat(const std::string& id, const HttpRequest& req) {
  if (req.body.size() > limits_.max_heartbeat_body)
    return error_response(413, "heartbeat exceeds " +
                                   std::to_string(limits_.max_heartbeat_body) + " bytes");
  if (!is_json_object(req.body)) return error_response(400, "heartbeat is not a JSON object");
  // One line per heartbeat: in valid JSON CR and LF only occur as whitespace, so they can go.
  std::string line = req.body;
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  line += '\n';

  const fs::path dir = appliance_dir(id);
  Appliance& a = appliance(id);
  std::lock_guard lock(a.mu);
  std::string error;
  if (!load(a, dir, error) || !append_line_durable(dir / "heartbeats.jsonl", line, error))
    return error_response(500, "storage: " + error);
  ++counters_->heartbeats;
  return json_response(200, Json{{"commands", Json::array()}});
}

HttpResponse ProviderStore::get_rules(const HttpRequest& req) {
  HttpResponse r;
  std::string error;
  bool missing = false;
  if (!read_file(data_dir_ / "rules" / "bundle", r.body, missing, error)) {
    if (missing) return error_response(404, "no rule bundle");
    return error_response(500, "storage: " + error);
  }
  const std::string etag = "\"" + sha256_hex(r.body) + "\"";
  const std::string_view inm = req.header("If-None-Match");
  if (!inm.empty() && if_none_match_matches(inm, etag)) {
    ++counters_->rules_not_modified;
    HttpResponse nm;
    nm.status = 304;
    nm.headers.push_back({"ETag", etag});
    return nm;
  }
  r.status = 200;
  r.headers.push_back({"ETag", etag});
  r.headers.push_back({"Content-Type", "application/octet-stream"});
  ++counters_->rules_served;
  return r;
}

HttpResponse ProviderStore::get_firmware(std::string_view version, const HttpRequest& req) {
  const fs::path file = data_dir_ / "firmware" / std::string(version);
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return error_response(404, "no such firmware version");
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t first = 0, last = 0;
  const std::string_view range = req.header("Range");
  const RangeResult rr =
      range.empty() ? RangeResult::none : parse_byte_range(range, size, first, last);
  if (rr == RangeResult::unsatisfiable) {
    HttpResponse r = error_response(416, "range not satisfiable for " + std::to_string(size) +
                                             " bytes");
    r.headers.push_back({"Content-Range", "bytes */" + std::to_string(size)});
    return r;
  }
  if (rr == RangeResult::none) {
    first = 0;
    last = size == 0 ? 0 : size - 1;
  }
  const std::uint64_t length = size == 0 ? 0 : last - first + 1;
  HttpResponse r;
  std::string error;
  if (length > 0 && !read_file_range(file, first, static_cast<std::size_t>(length), r.body, error))
    return error_response(500, "storage: " + error);
  r.status = rr == RangeResult::satisfiable ? 206 : 200;
  r.headers.push_back({"Accept-Ranges", "bytes"});
  r.headers.push_back({"Content-Type", "application/octet-stream"});
  if (rr == RangeResult::satisfiable)
    r.headers.push_back({"Content-Range", "bytes " + std::to_string(first) + "-" +
                                              std::to_string(last) + "/" + std::to_string(size)});
  ++counters_->firmware_served;
  return r;
}

std::vector<std::string> ProviderStore::events(std::string_view appliance_id) {
  std::vector<std::string> out;
  if (!valid_appliance_id(appliance_id)) return out;
  const std::string id(appliance_id);
  const fs::path dir = appliance_dir(id) / "events";
  Appliance& a = appliance(id);
  std::lock_guard lock(a.mu);
  // Recovery first (it links batches a crash left out), but no folders for unknown appliances.
  std::string error;
  std::error_code ec;
  if (!a.loaded && fs::is_directory(appliance_dir(id), ec)) load(a, appliance_dir(id), error);
  std::vector<std::pair<std::uint64_t, fs::path>> batches;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::uint64_t seq = 0;
    if (parse_seq_name(it->path().filename().string(), seq)) batches.emplace_back(seq, it->path());
  }
  std::sort(batches.begin(), batches.end());
  for (const auto& [seq, path] : batches)
    for (std::string& line : read_lines(path)) out.push_back(std::move(line));
  return out;
}

std::vector<std::string> ProviderStore::heartbeats(std::string_view appliance_id) {
  if (!valid_appliance_id(appliance_id)) return {};
  const std::string id(appliance_id);
  Appliance& a = appliance(id);
  std::lock_guard lock(a.mu);
  return read_lines(appliance_dir(id) / "heartbeats.jsonl");
}

}  // namespace vigil::provider
