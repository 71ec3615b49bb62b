// Spool: the appliance's on-disk queue of events and flow pcaps, the only place they live until the
// provider acknowledged them (docs/uplink.md). Control plane only.
//
// On disk, in `dir`:
//   <seq, 20 decimal digits>.rec   one record: a 56-byte header, the idempotency key, the payload
//   <seq>.rec.tmp                  a record being written (garbage after a crash; deleted by open)
//   spool.state, spool.state.tmp   persisted counters (drops, evictions, quarantine), next sequence
//   .lock                          flock()ed while a Spool has the directory open
//   quarantine/                    records that failed their checks or that the provider rejected
//
// Record header (little-endian): magic "VGSPOOL1" | u16 version | u16 kind | u32 key length |
// u64 sequence | u64 flow id | u64 payload length | u64 creation time (unix ns, informational) |
// u32 header crc (CRC-32 of the 48 bytes before it + key) | u32 record crc (CRC-32 of the 48 bytes +
// key + payload). The file size must equal 56 + key length + payload length.
//
// Invariants (kill -9 or power loss at any instant):
// - A name "<seq>.rec" appears only by rename() of a temp file whose bytes were written and
//   fsync'd before; the directory is fsync'd after the rename, before append() returns. So a
//   record append() reported stored survives power loss, and a "<seq>.rec" file is either complete
//   or (disk damage, foreign writes) fails its checks and is quarantined - never half-believed.
// - Temp files are never read; open() deletes them.
// - remove() unlinks without a directory fsync: after power loss a removed record may come back
//   and be sent again. Delivery is at-least-once; the provider drops repeats by Idempotency-Key.
// - Creation order is the sequence number in the name (and in the header; a mismatch is corrupt).
//   Sequences grow across restarts (max of the names found and the persisted next sequence).
// - A bad record (bad header, bad crc, truncated, unreadable) is moved to quarantine/ and counted;
//   the records behind it are served as usual. quarantine/ is bounded (oldest deleted first).
// - The total size of the record files stays <= max_bytes: room is made by evicting the lowest
//   priority kinds first (flow_pcap, then event, then alert; oldest first within a kind). A
//   record never evicts one of a higher priority kind; what cannot fit is dropped and counted.
// - Drop, eviction and quarantine counters are persisted (atomically: temp, fsync, rename) each
//   time they change, so the heartbeat keeps reporting them after a restart.
//
// Thread-safety: all members may be called concurrently (one producer, one uploader); a mutex
// guards the index, and file writes and reads of record bodies run outside it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::spool {

// Priority grows with the value: flow_pcap records are evicted first, alerts last.
enum class RecordKind : std::uint16_t { alert = 1, event = 2, flow_pcap = 3 };
inline constexpr std::size_t kKindCount = 3;
std::string_view kind_name(RecordKind kind);

inline constexpr std::size_t kHeaderBytes = 56;
inline constexpr std::size_t kMaxKeyBytes = 128;

// True for a valid Idempotency-Key of the provider protocol: 1..128 chars of [A-Za-z0-9._:-].
bool valid_key(std::string_view key);

struct SpoolLimits {
  std::uint64_t max_bytes = 256ull << 20;  // all record files together, headers included
  std::uint32_t max_quarantine_files = 256;
  bool sync = true;                        // fsync files and directory; off only for benchmarks
};

using RecordId = std::uint64_t;  // the creation sequence

struct RecordInfo {
  RecordId id = 0;
  RecordKind kind = RecordKind::event;
  std::string key;
  std::uint64_t flow_id = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t file_bytes = 0;
};

struct Record {
  RecordInfo info;
  std::string payload;
};

enum class AppendStatus {
  stored,                // written, nothing evicted
  stored_after_evicting, // written after evicting `evicted` lower- or same-priority records
  dropped_invalid,       // bad kind or key; counted as a drop of its kind
  dropped_too_big,       // larger than max_bytes on its own
  dropped_full,          // no room even after evicting everything it may evict
  dropped_io_error,      // write, fsync or rename failed (disk full, I/O error); see error
};

struct AppendResult {
  AppendStatus status = AppendStatus::dropped_invalid;
  RecordId id = 0;             // valid when stored
  std::uint32_t evicted = 0;
  std::string error;           // one line when dropped
  bool stored() const {
    return status == AppendStatus::stored || status == AppendStatus::stored_after_evicting;
  }
};

enum class ReadStatus {
  ok,
  not_found,    // no such record (removed, evicted, or its file vanished)
  quarantined,  // failed its checks or could not be read: moved to quarantine/, counted
};

// Gauges (records, bytes, per kind) describe the spool now; appended and removed count since
// open(); the others are persisted across restarts.
struct SpoolCounters {
  std::uint64_t records = 0, bytes = 0;
  std::uint64_t records_by_kind[kKindCount] = {};  // index: kind_index()
  std::uint64_t bytes_by_kind[kKindCount] = {};
  std::uint64_t appended = 0, removed = 0;
  std::uint64_t quarantined = 0;  // failed checks (corrupt, truncated, unreadable, unknown file)
  std::uint64_t rejected = 0;     // quarantined because the provider refused them (quarantine())
  std::uint64_t missing = 0;      // indexed records whose file vanished
  std::uint64_t write_errors = 0;
  std::uint64_t temp_cleaned = 0; // temp files of an interrupted append deleted by open()
  std::uint64_t dropped[kKindCount] = {};  // refused at append (too big, full, invalid, I/O)
  std::uint64_t evicted[kKindCount] = {};  // stored, then evicted to make room
  std::uint64_t lost(RecordKind k) const;  // dropped + evicted of a kind
};

// 0 for alert, 1 for event, 2 for flow_pcap.
constexpr std::size_t kind_index(RecordKind k) { return static_cast<std::size_t>(k) - 1; }

class Spool {
 public:
  // Creates `dir` (and quarantine/) when missing, takes the lock, rescans. On failure returns
  // nullptr and sets error to one line.
  static std::unique_ptr<Spool> open(const std::string& dir, const SpoolLimits& limits,
                                     std::string& error);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Stores one record durably (see the invariants). `key` is the Idempotency-Key the uploader
  // will send; `flow_id` is meaningful for flow_pcap records.
  AppendResult append(RecordKind kind, std::string_view key, std::string_view payload,
                      std::uint64_t flow_id = 0);

  // The oldest record among `kinds`, or nothing.
  std::optional<RecordInfo> oldest(std::initializer_list<RecordKind> kinds) const;
  // All records, in creation order.
  std::vector<RecordInfo> list() const;

  // Reads and verifies one record. A bad one is quarantined (error says why).
  ReadStatus read(RecordId id, Record& out, std::string& error);
  // The oldest valid record among `kinds`: bad ones on the way are quarantined and skipped.
  std::optional<Record> read_oldest(std::initializer_list<RecordKind> kinds);

  // Deletes an acknowledged record. False when it was not there (e.g. evicted meanwhile).
  bool remove(RecordId id);
  // Moves a record the provider refused for good to quarantine/ and counts it as rejected.
  bool reject(RecordId id, std::string_view reason);

  SpoolCounters counters() const;
  const SpoolLimits& limits() const { return limits_; }
  const std::string& dir() const { return dir_; }
  // The record's file path (tests corrupt files through it).
  std::string path_of(RecordId id) const;
  // The last quarantine or I/O problem, one line; empty when none since open().
  std::string last_error() const;

 private:
  struct Entry {
    RecordKind kind;
    std::string key;
    std::uint64_t flow_id;
    std::uint64_t payload_bytes;
    std::uint64_t file_bytes;
  };
  Spool(std::string dir, const SpoolLimits& limits) : dir_(std::move(dir)), limits_(limits) {}
  bool init(std::string& error);
  void scan_locked();
  bool load_state(std::string& error);
  void persist_state_locked();
  void index_locked(RecordId id, Entry e);
  void unindex_locked(std::map<RecordId, Entry>::iterator it);
  bool make_room_locked(RecordKind kind, std::uint64_t need, std::uint32_t& evicted);
  void quarantine_file_locked(const std::string& name, const std::string& reason);
  void trim_quarantine_locked();
  void sync_dir_locked();
  RecordInfo info_of(RecordId id, const Entry& e) const;

  std::string dir_;
  SpoolLimits limits_;
  int dir_fd_ = -1;
  int quarantine_fd_ = -1;
  int lock_fd_ = -1;

  mutable std::mutex mu_;
  std::map<RecordId, Entry> entries_;
  std::set<RecordId> by_kind_[kKindCount];
  std::vector<std::string> quarantine_names_;  // oldest first
  std::uint64_t next_seq_ = 1;
  SpoolCounters c_;
  std::string last_error_;
};

// File name of a record ("00000000000000000042.rec").
std::string record_file_name(RecordId id);

}  // namespace vigil::spool
