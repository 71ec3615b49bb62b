#include "control/capture/flow_pcap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace vigil::capture {

namespace {

constexpr std::uint32_t kMagicNs = 0xa1b23c4d;  // pcap with nanosecond timestamps
constexpr std::size_t kFileHeader = 24, kRecordHeader = 16;
constexpr std::uint32_t kSnaplen = 65535;

void put32(std::string& out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // host byte order: the magic tells readers which
  out.append(b, 4);
}
void put16(std::string& out, std::uint16_t v) {
  char b[2];
  std::memcpy(b, &v, 2);
  out.append(b, 2);
}
std::uint32_t get32(std::string_view s, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string pcap_header_bytes(LinkType link) {
  std::string h;
  put32(h, kMagicNs);
  put16(h, 2);
  put16(h, 4);
  put32(h, 0);  // thiszone
  put32(h, 0);  // sigfigs
  put32(h, kSnaplen);
  put32(h, static_cast<std::uint32_t>(link));
  return h;
}

void append_pcap_record(std::string& out, std::uint64_t ts_ns, std::uint32_t wire_len,
                        std::string_view bytes) {
  put32(out, static_cast<std::uint32_t>(ts_ns / 1'000'000'000u));
  put32(out, static_cast<std::uint32_t>(ts_ns % 1'000'000'000u));
  put32(out, static_cast<std::uint32_t>(bytes.size()));
  put32(out, std::max<std::uint32_t>(wire_len, static_cast<std::uint32_t>(bytes.size())));
  out.append(bytes);
}

std::size_t pcap_whole_prefix(std::string_view data) {
  if (data.size() < kFileHeader || get32(data, 0) != kMagicNs) return 0;
  std::size_t at = kFileHeader;
  while (data.size() - at >= kRecordHeader) {
    const std::uint32_t caplen = get32(data, at + 8);
    if (caplen > kSnaplen || data.size() - at - kRecordHeader < caplen) break;
    at += kRecordHeader + caplen;
  }
  return at;
}

FlowPcapAssembler::FlowPcapAssembler(std::filesystem::path staging, Deliver deliver,
                                     std::size_t flow_buffer_bytes,
                                     std::size_t total_buffer_bytes, bool sync)
    : staging_(std::move(staging)),
      deliver_(std::move(deliver)),
      flow_buffer_bytes_(flow_buffer_bytes),
      total_buffer_bytes_(total_buffer_bytes),
      sync_(sync) {
  std::error_code ec;
  std::filesystem::create_directories(staging_, ec);
  if (ec) {
    throw std::runtime_error("flow capture staging folder " + staging_.string() + ": " +
                             ec.message());
  }
  writer_ = std::thread([this] { writer_loop(); });
}

FlowPcapAssembler::~FlowPcapAssembler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

std::filesystem::path FlowPcapAssembler::part_path(std::uint64_t flow_id) const {
  return staging_ / (std::to_string(flow_id) + ".pcap.part");
}

std::string FlowPcapAssembler::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void FlowPcapAssembler::fail(const std::string& what) {
  const std::string text = what + ": " + std::strerror(errno);
  ++io_errors_;
  std::lock_guard lock(mu_);
  last_error_ = text;
}

void FlowPcapAssembler::hand_over(std::uint64_t flow_id, Open& o, bool complete) {
  Job job;
  job.flow_id = flow_id;
  job.bytes = std::move(o.buffer);
  job.complete = complete;
  job.summary = o.summary;
  buffered_ -= job.bytes.size();
  o.buffer.clear();
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void FlowPcapAssembler::add(const CaptureRecordHeader& h, std::string_view bytes) {
  auto it = open_.find(h.flow_id);
  if (h.type == CaptureRecordType::end) {
    if (it == open_.end()) return;  // every packet of it was lost: nothing to write
    Open& o = it->second;
    o.summary.lost_packets = h.lost_packets;
    o.summary.history_missed = h.history_missed;
    o.summary.capped = h.end == CaptureEnd::cap;
    hand_over(h.flow_id, o, true);
    open_.erase(it);
    return;
  }
  if (h.type != CaptureRecordType::packet) return;
  if (it == open_.end()) {
    Open o;
    o.link = h.link_type;
    o.summary.flow_id = h.flow_id;
    o.buffer = pcap_header_bytes(h.link_type);
    buffered_ += o.buffer.size();
    it = open_.emplace(h.flow_id, std::move(o)).first;
  }
  Open& o = it->second;
  if (h.link_type != o.link) {  // a pcap file has one link type
    ++o.summary.other_link;
    return;
  }
  const std::size_t before = o.buffer.size();
  append_pcap_record(o.buffer, h.ts_ns, h.wire_len, bytes);
  buffered_ += o.buffer.size() - before;
  ++o.summary.packets;
  if (o.buffer.size() >= flow_buffer_bytes_) hand_over(h.flow_id, o, false);
  if (buffered_ > total_buffer_bytes_) {
    for (auto& [id, other] : open_) {
      if (!other.buffer.empty()) hand_over(id, other, false);
    }
  }
}

void FlowPcapAssembler::finish_all() {
  for (auto& [id, o] : open_) {
    o.summary.complete = false;
    hand_over(id, o, true);
  }
  open_.clear();
  buffered_ = 0;
  wait_written();
}

void FlowPcapAssembler::wait_written() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return jobs_.empty() && !busy_; });
}

void FlowPcapAssembler::writer_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything written
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    const bool ok = job.bytes.empty() || append(job.flow_id, job.bytes);
    if (ok && job.complete) complete(job);
    lock.lock();
    busy_ = false;
    if (jobs_.empty()) cv_.notify_all();  // finish_all() may be waiting
  }
}

bool FlowPcapAssembler::append(std::uint64_t flow_id, const std::string& bytes) {
  const std::filesystem::path path = part_path(flow_id);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("open " + path.string());
    return false;
  }
  const bool ok = write_all(fd, bytes.data(), bytes.size());
  if (!ok) fail("write " + path.string());
  ::close(fd);
  return ok;
}

void FlowPcapAssembler::complete(const Job& job) {
  // A failure leaves the .part file: recover() completes it at the next start.
  const std::filesystem::path part = part_path(job.flow_id);
  const std::filesystem::path done = staging_ / (std::to_string(job.flow_id) + ".pcap");
  if (sync_) {
    const int fd = ::open(part.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      fail("fsync " + part.string());
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
  }
  if (::rename(part.c_str(), done.c_str()) != 0) {
    fail("rename " + part.string());
    return;
  }
  if (sync_) fsync_dir(staging_);
  if (deliver_(done, job.summary)) ++delivered_;
}

std::size_t FlowPcapAssembler::recover() {
  std::size_t n = 0;
  std::error_code ec;
  std::vector<std::filesystem::path> found;
  for (const auto& e : std::filesystem::directory_iterator(staging_, ec)) found.push_back(e.path());
  for (const std::filesystem::path& p : found) {
    const std::string name = p.filename().string();
    const bool part = name.ends_with(".pcap.part");
    if (!part && !name.ends_with(".pcap")) continue;
    const std::string id_text = name.substr(0, name.find('.'));
    if (id_text.empty() || id_text.size() > 20 ||
        id_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;  // not ours
    }
    FlowPcapSummary s;
    s.flow_id = std::stoull(id_text);
    s.complete = !part;
    // Read it back to trim a torn last record and count the packets.
    std::string data;
    {
      const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      char buf[65536];
      ssize_t r;
      while ((r = ::read(fd, buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(r));
      ::close(fd);
    }
    const std::size_t whole = pcap_whole_prefix(data);
    if (whole <= kFileHeader) {  // nothing usable: a header at most
      std::filesystem::remove(p, ec);
      continue;
    }
    for (std::size_t at = kFileHeader; at < whole; at += kRecordHeader + get32(data, at + 8)) {
      ++s.packets;
    }
    std::filesystem::path done = p;
    if (part) {
      done = staging_ / (id_text + ".pcap");
      if (whole < data.size() && ::truncate(p.c_str(), static_cast<off_t>(whole)) != 0) {
        fail("truncate " + p.string());
        continue;
      }
      const int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
      if (::rename(p.c_str(), done.c_str()) != 0) {
        fail("rename " + p.string());
        continue;
      }
      fsync_dir(staging_);
    }
    if (deliver_(done, s)) {
      ++delivered_;
      ++n;
    }
  }
  return n;
}

}  // namespace vigil::capture
