// Flow pcaps: the capture records of flagged flows (dataplane/capture) become one standard pcap
// file per flow, named by flow id (docs/capture.md). Control plane only: files, allocation.
//
// Records of a flow are buffered in memory by add() (on the caller's event thread, no system
// call); a writer thread appends them to `<staging>/<flow id>.pcap.part` when a flow's buffer or
// all buffers together grow large, and the end record completes the file: it is renamed to
// `<flow id>.pcap` (fsync'd first when `sync` is set), then handed to the caller's Deliver (on the
// writer thread), which moves it into the spool or the output folder. The spool is where a pcap
// becomes durable (it fsyncs its own copy), so staging files are not fsync'd by default: after a
// power cut, recover() keeps the whole packets a file still holds. A capture whose end record never came (the worker's queue was full, or
// the process stopped) is completed by finish_all(); files left by a crash are completed by
// recover(), trimmed to their last whole packet, so a kill -9 loses at most the packets not yet
// flushed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "dataplane/capture/capture_record.h"

namespace vigil::capture {

struct FlowPcapSummary {
  std::uint64_t flow_id = 0;
  std::uint32_t packets = 0;         // in the file
  std::uint32_t lost_packets = 0;    // the worker could not queue (queue full)
  std::uint32_t history_missed = 0;  // wanted from before the alert but overwritten
  std::uint32_t other_link = 0;      // packets of another link type than the file's (not kept)
  bool capped = false;               // the per-flow cap ended it
  bool complete = true;              // false: no end record (stopped, or recovered after a crash)
};

// The pcap file header for `link` (nanosecond timestamps, snaplen 65535).
std::string pcap_header_bytes(LinkType link);
// One packet record.
void append_pcap_record(std::string& out, std::uint64_t ts_ns, std::uint32_t wire_len,
                        std::string_view bytes);
// The length of `data`'s longest prefix made of the file header and whole packet records;
// 0 when the header itself is missing or wrong.
std::size_t pcap_whole_prefix(std::string_view data);

class FlowPcapAssembler {
 public:
  // Called with each completed file (`<staging>/<flow id>.pcap`), on the writer thread (or the
  // caller's, from recover()); the callee takes the file (moves or removes it). Returning false
  // leaves it for recover() at the next start.
  using Deliver = std::function<bool(const std::filesystem::path& pcap, const FlowPcapSummary&)>;

  // Creates `staging` if needed. Throws std::runtime_error naming the folder if it cannot.
  FlowPcapAssembler(std::filesystem::path staging, Deliver deliver,
                    std::size_t flow_buffer_bytes = 256 * 1024,
                    std::size_t total_buffer_bytes = 32 * 1024 * 1024, bool sync = false);
  ~FlowPcapAssembler();  // writes what is queued, then stops the writer thread
  FlowPcapAssembler(const FlowPcapAssembler&) = delete;
  FlowPcapAssembler& operator=(const FlowPcapAssembler&) = delete;

  // Completes the files a previous run left in the staging folder; returns how many. Call
  // before the first add().
  std::size_t recover();
  // One record popped from a worker's queue. Event thread only.
  void add(const CaptureRecordHeader& h, std::string_view bytes);
  // Completes every open capture (no end record came) and waits until every file is written
  // and delivered; at shutdown.
  void finish_all();

  // Waits until everything handed to the writer is written (and completed files delivered).
  void wait_written();

  std::size_t open_flows() const { return open_.size(); }
  std::uint64_t delivered() const { return delivered_.load(); }
  std::uint64_t io_errors() const { return io_errors_.load(); }
  std::string last_error() const;

 private:
  struct Open {
    LinkType link = LinkType::ethernet;
    std::string buffer;   // not yet handed to the writer
    FlowPcapSummary summary;
  };
  struct Job {              // for the writer thread
    std::uint64_t flow_id = 0;
    std::string bytes;      // to append to the .part file
    bool complete = false;  // then fsync, rename, deliver
    FlowPcapSummary summary;
  };
  std::filesystem::path part_path(std::uint64_t flow_id) const;
  void hand_over(std::uint64_t flow_id, Open& o, bool complete);
  void writer_loop();
  bool append(std::uint64_t flow_id, const std::string& bytes);
  void complete(const Job& job);
  void fail(const std::string& what);

  std::filesystem::path staging_;
  Deliver deliver_;
  std::size_t flow_buffer_bytes_, total_buffer_bytes_;
  bool sync_;
  std::size_t buffered_ = 0;  // in open_ buffers (event thread)
  std::map<std::uint64_t, Open> open_;
  std::atomic<std::uint64_t> delivered_{0}, io_errors_{0};

  mutable std::mutex mu_;  // guards jobs_, stopping_, busy_, last_error_
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  bool busy_ = false;
  std::string last_error_;
  std::thread writer_;
};

}  // namespace vigil::capture
