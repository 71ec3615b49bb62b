// Spool: records as files, written temp + fsync + rename + directory fsync (see spool.h).
#include "control/spool/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace vigil::spool {

namespace {

constexpr char kMagic[8] = {'V', 'G', 'S', 'P', 'O', 'O', 'L', '1'};
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kCrcCoveredHeader = 48;  // header bytes before the two crcs
constexpr const char* kStateName = "spool.state";
constexpr const char* kStateTemp = "spool.state.tmp";
constexpr const char* kLockName = ".lock";
constexpr const char* kQuarantineDir = "quarantine";
constexpr std::size_t kSeqDigits = 20;

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { int f = fd_; fd_ = -1; return f; }
  void reset() { if (fd_ >= 0) ::close(fd_); fd_ = -1; }
 private:
  int fd_;
};

void put16(unsigned char* p, std::uint16_t v) { for (int i = 0; i < 2; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i)); }
void put32(unsigned char* p, std::uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i)); }
void put64(unsigned char* p, std::uint64_t v) { for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i)); }
std::uint64_t get_le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint32_t crc_update(std::uint32_t crc, const void* data, std::size_t n) {
  return static_cast<std::uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), n));
}

struct Header {
  std::uint16_t version = 0, kind = 0;
  std::uint32_t key_len = 0;
  std::uint64_t seq = 0, flow_id = 0, payload_len = 0, created_ns = 0;
  std::uint32_t header_crc = 0, record_crc = 0;
};

void encode_header(const Header& h, unsigned char* out) {
  std::memcpy(out, kMagic, 8);
  put16(out + 8, h.version);
  put16(out + 10, h.kind);
  put32(out + 12, h.key_len);
  put64(out + 16, h.seq);
  put64(out + 24, h.flow_id);
  put64(out + 32, h.payload_len);
  put64(out + 40, h.created_ns);
  put32(out + 48, h.header_crc);
  put32(out + 52, h.record_crc);
}

bool valid_kind(std::uint16_t k) { return k >= 1 && k <= kKindCount; }

// Checks the fixed header against the file name's sequence and the file size; `why` names the
// first problem.
bool decode_header(const unsigned char* p, std::uint64_t expect_seq, std::uint64_t file_size,
                   Header& h, std::string& why) {
  if (std::memcmp(p, kMagic, 8) != 0) { why = "bad magic"; return false; }
  h.version = static_cast<std::uint16_t>(get_le(p + 8, 2));
  h.kind = static_cast<std::uint16_t>(get_le(p + 10, 2));
  h.key_len = static_cast<std::uint32_t>(get_le(p + 12, 4));
  h.seq = get_le(p + 16, 8);
  h.flow_id = get_le(p + 24, 8);
  h.payload_len = get_le(p + 32, 8);
  h.created_ns = get_le(p + 40, 8);
  h.header_crc = static_cast<std::uint32_t>(get_le(p + 48, 4));
  h.record_crc = static_cast<std::uint32_t>(get_le(p + 52, 4));
  if (h.version != kVersion) { why = "unsupported format version " + std::to_string(h.version); return false; }
  if (!valid_kind(h.kind)) { why = "bad kind " + std::to_string(h.kind); return false; }
  if (h.key_len == 0 || h.key_len > kMaxKeyBytes) { why = "bad key length " + std::to_string(h.key_len); return false; }
  if (h.seq != expect_seq) { why = "sequence " + std::to_string(h.seq) + " does not match the file name"; return false; }
  if (h.payload_len > file_size) { why = "truncated (payload length beyond the file)"; return false; }
  if (file_size != kHeaderBytes + h.key_len + h.payload_len) {
    why = "size " + std::to_string(file_size) + " != header + key + payload " +
          std::to_string(kHeaderBytes + h.key_len + h.payload_len);
    return false;
  }
  return true;
}

// Reads `n` bytes at the current offset; false on error or early end of file.
bool read_exact(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool write_all(int fd, const void* buf, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(buf);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// "<20 digits>.rec" -> sequence.
std::optional<std::uint64_t> parse_record_name(std::string_view name) {
  if (name.size() != kSeqDigits + 4 || name.substr(kSeqDigits) != ".rec") return std::nullopt;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + kSeqDigits, v);
  if (ec != std::errc() || ptr != name.data() + kSeqDigits) return std::nullopt;
  return v;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string errno_text(int e) { return std::strerror(e); }

// The persisted counters, as "name value" lines followed by "crc <hex>" over the lines above.
struct PersistedField {
  const char* name;
  std::uint64_t SpoolCounters::*plain;
  std::size_t array_index;  // for dropped/evicted; ignored when plain is set
  bool evicted;
};

const PersistedField kFields[] = {
    {"quarantined", &SpoolCounters::quarantined, 0, false},
    {"rejected", &SpoolCounters::rejected, 0, false},
    {"missing", &SpoolCounters::missing, 0, false},
    {"write_errors", &SpoolCounters::write_errors, 0, false},
    {"dropped_alert", nullptr, 0, false},
    {"dropped_event", nullptr, 1, false},
    {"dropped_flow_pcap", nullptr, 2, false},
    {"evicted_alert", nullptr, 0, true},
    {"evicted_event", nullptr, 1, true},
    {"evicted_flow_pcap", nullptr, 2, true},
};

std::uint64_t& field_ref(SpoolCounters& c, const PersistedField& f) {
  if (f.plain) return c.*(f.plain);
  return f.evicted ? c.evicted[f.array_index] : c.dropped[f.array_index];
}

std::uint64_t now_unix_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

std::string_view kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::alert: return "alert";
    case RecordKind::event: return "event";
    case RecordKind::flow_pcap: return "flow_pcap";
  }
  return "unknown";
}

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  for (char ch : key) {
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == ':' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

std::uint64_t SpoolCounters::lost(RecordKind k) const {
  return dropped[kind_index(k)] + evicted[kind_index(k)];
}

std::string record_file_name(RecordId id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.rec", static_cast<unsigned long long>(id));
  return buf;
}

std::unique_ptr<Spool> Spool::open(const std::string& dir, const SpoolLimits& limits,
                                   std::string& error) {
  if (limits.max_bytes < kHeaderBytes + 1) {
    error = "spool: max_bytes " + std::to_string(limits.max_bytes) + " is too small";
    return nullptr;
  }
  std::unique_ptr<Spool> s(new Spool(dir, limits));
  if (!s->init(error)) return nullptr;
  return s;
}

bool Spool::init(std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) { error = "spool: cannot create " + dir_ + ": " + ec.message(); return false; }
  Fd dfd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) { error = "spool: cannot open " + dir_ + ": " + errno_text(errno); return false; }
  if (::mkdirat(dfd.get(), kQuarantineDir, 0750) != 0 && errno != EEXIST) {
    error = "spool: cannot create " + dir_ + "/quarantine: " + errno_text(errno);
    return false;
  }
  Fd qfd(::openat(dfd.get(), kQuarantineDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (qfd.get() < 0) { error = "spool: cannot open " + dir_ + "/quarantine: " + errno_text(errno); return false; }
  Fd lfd(::openat(dfd.get(), kLockName, O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (lfd.get() < 0) { error = "spool: cannot create " + dir_ + "/.lock: " + errno_text(errno); return false; }
  if (::flock(lfd.get(), LOCK_EX | LOCK_NB) != 0) {
    error = "spool: " + dir_ + " is in use by another process (" + errno_text(errno) + ")";
    return false;
  }
  dir_fd_ = dfd.release();
  quarantine_fd_ = qfd.release();
  lock_fd_ = lfd.release();

  std::lock_guard lk(mu_);
  std::string state_error;
  if (!load_state(state_error)) last_error_ = state_error;  // counters restart from zero
  scan_locked();
  return true;
}

Spool::~Spool() {
  {
    std::lock_guard lk(mu_);
    persist_state_locked();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  if (quarantine_fd_ >= 0) ::close(quarantine_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

bool Spool::load_state(std::string& error) {
  Fd fd(::openat(dir_fd_, kStateName, O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return true;  // a new spool
    error = "spool: cannot read spool.state: " + errno_text(errno);
    return false;
  }
  std::string text(4096, '\0');
  std::size_t len = 0;
  for (;;) {
    ssize_t r = ::read(fd.get(), text.data() + len, text.size() - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { error = "spool: cannot read spool.state: " + errno_text(errno); return false; }
    if (r == 0) break;
    len += static_cast<std::size_t>(r);
    if (len == text.size()) { error = "spool: spool.state is too large, ignored"; return false; }
  }
  text.resize(len);
  std::size_t crc_at = text.rfind("crc ");
  if (crc_at == std::string::npos || (crc_at > 0 && text[crc_at - 1] != '\n')) {
    error = "spool: spool.state has no checksum, ignored";
    return false;
  }
  unsigned long stored = std::strtoul(text.c_str() + crc_at + 4, nullptr, 16);
  if (crc_update(0, text.data(), crc_at) != stored) {
    error = "spool: spool.state checksum mismatch, ignored";
    return false;
  }
  SpoolCounters c{};
  std::uint64_t next = 1;
  std::string_view body(text.data(), crc_at);
  if (body.substr(0, 20) != "vigil-spool-state 1\n") {
    error = "spool: spool.state has an unknown format, ignored";
    return false;
  }
  body.remove_prefix(20);
  while (!body.empty()) {
    std::size_t nl = body.find('\n');
    if (nl == std::string_view::npos) break;
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    std::string_view name = line.substr(0, sp), value = line.substr(sp + 1);
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size()) continue;
    if (name == "next_seq") { next = v; continue; }
    for (const auto& f : kFields)
      if (name == f.name) field_ref(c, f) = v;
  }
  for (const auto& f : kFields) field_ref(c_, f) = field_ref(c, f);
  next_seq_ = std::max<std::uint64_t>(next, 1);
  return true;
}

void Spool::persist_state_locked() {
  std::string text = "vigil-spool-state 1\n";
  text += "next_seq " + std::to_string(next_seq_) + "\n";
  for (const auto& f : kFields) text += std::string(f.name) + " " + std::to_string(field_ref(c_, f)) + "\n";
  char crc[32];
  std::snprintf(crc, sizeof crc, "crc %08x\n", crc_update(0, text.data(), text.size()));
  text += crc;
  Fd fd(::openat(dir_fd_, kStateTemp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  bool ok = fd.get() >= 0 && write_all(fd.get(), text.data(), text.size()) &&
            (!limits_.sync || ::fsync(fd.get()) == 0);
  fd.reset();
  if (ok) ok = ::renameat(dir_fd_, kStateTemp, dir_fd_, kStateName) == 0;
  if (!ok) {
    last_error_ = "spool: cannot write spool.state: " + errno_text(errno);
    ::unlinkat(dir_fd_, kStateTemp, 0);
    return;
  }
  sync_dir_locked();
}

void Spool::sync_dir_locked() {
  if (limits_.sync) ::fsync(dir_fd_);
}

void Spool::index_locked(RecordId id, Entry e) {
  std::size_t k = kind_index(e.kind);
  c_.records += 1;
  c_.bytes += e.file_bytes;
  c_.records_by_kind[k] += 1;
  c_.bytes_by_kind[k] += e.file_bytes;
  by_kind_[k].insert(id);
  entries_.emplace(id, std::move(e));
}

void Spool::unindex_locked(std::map<RecordId, Entry>::iterator it) {
  std::size_t k = kind_index(it->second.kind);
  c_.records -= 1;
  c_.bytes -= it->second.file_bytes;
  c_.records_by_kind[k] -= 1;
  c_.bytes_by_kind[k] -= it->second.file_bytes;
  by_kind_[k].erase(it->first);
  entries_.erase(it);
}

void Spool::scan_locked() {
  // Quarantine contents first, so the bound applies to what is already there.
  {
    int qdup = ::dup(quarantine_fd_);
    DIR* qd = qdup >= 0 ? ::fdopendir(qdup) : nullptr;
    if (qd == nullptr && qdup >= 0) ::close(qdup);
    if (qd != nullptr) {
      ::rewinddir(qd);
      while (dirent* de = ::readdir(qd)) {
        std::string n = de->d_name;
        if (n != "." && n != "..") quarantine_names_.push_back(n);
      }
      ::closedir(qd);
    }
    std::sort(quarantine_names_.begin(), quarantine_names_.end());
  }

  int ddup = ::dup(dir_fd_);
  DIR* d = ddup >= 0 ? ::fdopendir(ddup) : nullptr;
  if (d == nullptr) {
    if (ddup >= 0) ::close(ddup);
    last_error_ = "spool: cannot list " + dir_ + ": " + errno_text(errno);
    return;
  }
  ::rewinddir(d);
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) names.emplace_back(de->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());

  bool changed = false;
  std::uint64_t max_seq = 0;
  for (const std::string& name : names) {
    if (name == "." || name == ".." || name == kLockName || name == kStateName ||
        name == kQuarantineDir)
      continue;
    struct stat st {};
    if (::fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (ends_with(name, ".tmp")) {
      // An append or state write cut short: never renamed into place, so never acknowledged.
      if (S_ISREG(st.st_mode) && ::unlinkat(dir_fd_, name.c_str(), 0) == 0) {
        c_.temp_cleaned += 1;
        changed = true;
      }
      continue;
    }
    if (S_ISDIR(st.st_mode)) continue;  // not ours; leave it
    auto seq = parse_record_name(name);
    if (!seq || !S_ISREG(st.st_mode)) {
      quarantine_file_locked(name, "unknown file " + name);
      changed = true;
      continue;
    }
    // Header and key only; the payload's crc is checked when the record is read.
    std::string why;
    Header h;
    Fd fd(::openat(dir_fd_, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    unsigned char head[kHeaderBytes + kMaxKeyBytes];
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    if (fd.get() < 0) {
      why = "cannot open: " + errno_text(errno);
    } else if (size < kHeaderBytes) {
      why = size == 0 ? "empty file" : "truncated header";
    } else if (!read_exact(fd.get(), head, kHeaderBytes)) {
      why = "cannot read the header";
    } else if (decode_header(head, *seq, size, h, why)) {
      if (!read_exact(fd.get(), head + kHeaderBytes, h.key_len)) {
        why = "cannot read the key";
      } else if (crc_update(crc_update(0, head, kCrcCoveredHeader), head + kHeaderBytes,
                            h.key_len) != h.header_crc) {
        why = "header checksum mismatch";
      } else {
        std::string key(reinterpret_cast<const char*>(head + kHeaderBytes), h.key_len);
        if (!valid_key(key)) {
          why = "bad key";
        } else {
          index_locked(*seq, Entry{static_cast<RecordKind>(h.kind), std::move(key), h.flow_id,
                                   h.payload_len, size});
          max_seq = std::max(max_seq, *seq);
          continue;
        }
      }
    }
    fd.reset();
    quarantine_file_locked(name, "record " + name + ": " + why);
    changed = true;
  }
  next_seq_ = std::max(next_seq_, max_seq + 1);
  if (changed) {
    sync_dir_locked();
    persist_state_locked();
  }
}

void Spool::quarantine_file_locked(const std::string& name, const std::string& reason) {
  std::string target = name;
  for (int i = 1; ::faccessat(quarantine_fd_, target.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0; ++i)
    target = name + "." + std::to_string(i);
  if (::renameat(dir_fd_, name.c_str(), quarantine_fd_, target.c_str()) == 0) {
    quarantine_names_.push_back(target);
  } else {
    ::unlinkat(dir_fd_, name.c_str(), 0);  // cannot keep it aside; it must not block the queue
  }
  c_.quarantined += 1;
  last_error_ = "spool: quarantined " + reason;
  trim_quarantine_locked();
}

void Spool::trim_quarantine_locked() {
  while (quarantine_names_.size() > limits_.max_quarantine_files) {
    ::unlinkat(quarantine_fd_, quarantine_names_.front().c_str(), 0);
    quarantine_names_.erase(quarantine_names_.begin());
  }
}

bool Spool::make_room_locked(RecordKind kind, std::uint64_t need, std::uint32_t& evicted) {
  if (c_.bytes + need <= limits_.max_bytes) return true;
  // Kinds this record may evict, lowest priority first: flow_pcap, event, alert, down to its own.
  std::vector<RecordKind> victims;
  for (RecordKind k : {RecordKind::flow_pcap, RecordKind::event, RecordKind::alert}) {
    victims.push_back(k);
    if (k == kind) break;
  }
  std::uint64_t reclaimable = 0;
  for (RecordKind k : victims) reclaimable += c_.bytes_by_kind[kind_index(k)];
  if (c_.bytes - reclaimable + need > limits_.max_bytes) return false;  // evict nothing in vain
  for (RecordKind k : victims) {
    auto& ids = by_kind_[kind_index(k)];
    while (c_.bytes + need > limits_.max_bytes && !ids.empty()) {
      auto it = entries_.find(*ids.begin());
      ::unlinkat(dir_fd_, record_file_name(it->first).c_str(), 0);
      unindex_locked(it);
      c_.evicted[kind_index(k)] += 1;
      evicted += 1;
    }
    if (c_.bytes + need <= limits_.max_bytes) break;
  }
  return true;
}

AppendResult Spool::append(RecordKind kind, std::string_view key, std::string_view payload,
                           std::uint64_t flow_id) {
  AppendResult res;
  const auto raw_kind = static_cast<std::uint16_t>(kind);
  if (!valid_kind(raw_kind)) {
    res.error = "spool: unknown record kind " + std::to_string(raw_kind);
    return res;  // no kind to count it under
  }
  const std::size_t k = kind_index(kind);
  if (!valid_key(key)) {
    std::lock_guard lk(mu_);
    c_.dropped[k] += 1;
    persist_state_locked();
    res.error = "spool: invalid idempotency key (1..128 chars of [A-Za-z0-9._:-])";
    return res;
  }
  const std::uint64_t file_bytes = kHeaderBytes + key.size() + payload.size();
  RecordId seq;
  {
    std::lock_guard lk(mu_);
    if (file_bytes > limits_.max_bytes) {
      c_.dropped[k] += 1;
      persist_state_locked();
      res.status = AppendStatus::dropped_too_big;
      res.error = "spool: " + std::string(kind_name(kind)) + " record of " +
                  std::to_string(file_bytes) + " bytes exceeds the spool size " +
                  std::to_string(limits_.max_bytes);
      return res;
    }
    seq = next_seq_++;
  }

  // Write the temp file outside the lock: the uploader keeps going meanwhile.
  Header h;
  h.version = kVersion;
  h.kind = raw_kind;
  h.key_len = static_cast<std::uint32_t>(key.size());
  h.seq = seq;
  h.flow_id = flow_id;
  h.payload_len = payload.size();
  h.created_ns = now_unix_ns();
  unsigned char head[kHeaderBytes];
  encode_header(h, head);
  std::uint32_t crc = crc_update(crc_update(0, head, kCrcCoveredHeader), key.data(), key.size());
  h.header_crc = crc;
  h.record_crc = crc_update(crc, payload.data(), payload.size());
  encode_header(h, head);

  const std::string name = record_file_name(seq);
  const std::string temp = name + ".tmp";
  bool ok;
  int saved_errno = 0;
  {
    Fd fd(::openat(dir_fd_, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    ok = fd.get() >= 0 && write_all(fd.get(), head, sizeof head) &&
         write_all(fd.get(), key.data(), key.size()) &&
         write_all(fd.get(), payload.data(), payload.size()) &&
         (!limits_.sync || ::fsync(fd.get()) == 0);
    if (!ok) saved_errno = errno;
  }

  std::lock_guard lk(mu_);
  if (!ok) {
    ::unlinkat(dir_fd_, temp.c_str(), 0);
    c_.write_errors += 1;
    c_.dropped[k] += 1;
    res.status = AppendStatus::dropped_io_error;
    res.error = last_error_ = "spool: cannot write " + dir_ + "/" + temp + ": " + errno_text(saved_errno);
    persist_state_locked();
    return res;
  }
  std::uint32_t evicted = 0;
  if (!make_room_locked(kind, file_bytes, evicted)) {
    ::unlinkat(dir_fd_, temp.c_str(), 0);
    c_.dropped[k] += 1;
    persist_state_locked();
    res.status = AppendStatus::dropped_full;
    res.error = "spool: full; no room for a " + std::string(kind_name(kind)) + " record of " +
                std::to_string(file_bytes) + " bytes";
    return res;
  }
  if (::renameat(dir_fd_, temp.c_str(), dir_fd_, name.c_str()) != 0) {
    saved_errno = errno;
    ::unlinkat(dir_fd_, temp.c_str(), 0);
    c_.write_errors += 1;
    c_.dropped[k] += 1;
    res.status = AppendStatus::dropped_io_error;
    res.error = last_error_ = "spool: cannot rename " + temp + ": " + errno_text(saved_errno);
    persist_state_locked();
    return res;
  }
  sync_dir_locked();  // makes the rename (and any eviction) durable before we say "stored"
  index_locked(seq, Entry{kind, std::string(key), flow_id, payload.size(), file_bytes});
  c_.appended += 1;
  if (evicted > 0) persist_state_locked();
  res.status = evicted > 0 ? AppendStatus::stored_after_evicting : AppendStatus::stored;
  res.id = seq;
  res.evicted = evicted;
  return res;
}

RecordInfo Spool::info_of(RecordId id, const Entry& e) const {
  return RecordInfo{id, e.kind, e.key, e.flow_id, e.payload_bytes, e.file_bytes};
}

std::optional<RecordInfo> Spool::oldest(std::initializer_list<RecordKind> kinds) const {
  std::lock_guard lk(mu_);
  std::optional<RecordId> best;
  for (RecordKind k : kinds) {
    if (!valid_kind(static_cast<std::uint16_t>(k))) continue;
    const auto& ids = by_kind_[kind_index(k)];
    if (!ids.empty() && (!best || *ids.begin() < *best)) best = *ids.begin();
  }
  if (!best) return std::nullopt;
  return info_of(*best, entries_.at(*best));
}

std::vector<RecordInfo> Spool::list() const {
  std::lock_guard lk(mu_);
  std::vector<RecordInfo> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) out.push_back(info_of(id, e));
  return out;
}

ReadStatus Spool::read(RecordId id, Record& out, std::string& error) {
  const std::string name = record_file_name(id);
  Entry e;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) { error = "spool: no record " + std::to_string(id); return ReadStatus::not_found; }
    e = it->second;
  }
  std::string why;
  std::string data;
  Fd fd(::openat(dir_fd_, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat st {};
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      std::lock_guard lk(mu_);
      auto it = entries_.find(id);
      if (it == entries_.end()) { error = "spool: no record " + std::to_string(id); return ReadStatus::not_found; }
      unindex_locked(it);  // gone behind our back
      c_.missing += 1;
      error = last_error_ = "spool: record file " + name + " vanished";
      persist_state_locked();
      return ReadStatus::not_found;
    }
    why = "cannot open: " + errno_text(errno);
  } else if (::fstat(fd.get(), &st) != 0) {
    why = "cannot stat: " + errno_text(errno);
  } else if (static_cast<std::uint64_t>(st.st_size) != e.file_bytes) {
    why = "size " + std::to_string(st.st_size) + " changed from " + std::to_string(e.file_bytes);
  } else {
    data.resize(e.file_bytes);
    Header h;
    errno = 0;
    if (!read_exact(fd.get(), data.data(), data.size())) {
      why = "cannot read: " + (errno ? errno_text(errno) : std::string("short read"));
    } else if (decode_header(reinterpret_cast<const unsigned char*>(data.data()), id, data.size(), h, why)) {
      const auto* p = reinterpret_cast<const unsigned char*>(data.data());
      std::uint32_t crc = crc_update(crc_update(0, p, kCrcCoveredHeader), p + kHeaderBytes, h.key_len);
      std::string_view key(data.data() + kHeaderBytes, h.key_len);
      if (crc != h.header_crc) {
        why = "header checksum mismatch";
      } else if (crc_update(crc, p + kHeaderBytes + h.key_len, h.payload_len) != h.record_crc) {
        why = "payload checksum mismatch";
      } else if (static_cast<RecordKind>(h.kind) != e.kind || key != e.key) {
        why = "header changed since the spool was opened";
      } else {
        out.info = info_of(id, e);
        out.payload.assign(data, kHeaderBytes + h.key_len, h.payload_len);
        return ReadStatus::ok;
      }
    }
  }
  fd.reset();
  std::lock_guard lk(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) { error = "spool: no record " + std::to_string(id); return ReadStatus::not_found; }
  unindex_locked(it);
  quarantine_file_locked(name, "record " + name + ": " + why);
  sync_dir_locked();
  persist_state_locked();
  error = last_error_;
  return ReadStatus::quarantined;
}

std::optional<Record> Spool::read_oldest(std::initializer_list<RecordKind> kinds) {
  // Each failed read removes its record from the index, so this ends.
  for (;;) {
    auto info = oldest(kinds);
    if (!info) return std::nullopt;
    Record r;
    std::string error;
    if (read(info->id, r, error) == ReadStatus::ok) return r;
  }
}

bool Spool::remove(RecordId id) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  ::unlinkat(dir_fd_, record_file_name(id).c_str(), 0);
  unindex_locked(it);
  c_.removed += 1;
  return true;
}

bool Spool::reject(RecordId id, std::string_view reason) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  const std::string name = record_file_name(id);
  unindex_locked(it);
  quarantine_file_locked(name, "record " + name + " rejected: " + std::string(reason));
  c_.quarantined -= 1;  // counted as rejected, not as a failed check
  c_.rejected += 1;
  sync_dir_locked();
  persist_state_locked();
  return true;
}

SpoolCounters Spool::counters() const {
  std::lock_guard lk(mu_);
  return c_;
}

std::string Spool::path_of(RecordId id) const { return dir_ + "/" + record_file_name(id); }

std::string Spool::last_error() const {
  std::lock_guard lk(mu_);
  return last_error_;
}

}  // namespace vigil::spool
