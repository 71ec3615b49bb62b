// Flow pcaps: the capture records of flagged flows (dataplane/capture) become one standard pcap
// file per flow, named by flow id (docs/capture.md). Control plane only: files, allocation.
//
// Records of a flow are appended to `<staging>/<flow id>.pcap.part` (buffered, flushed when a
// flow's buffer or all buffers together grow large); the end record completes the file: it is
// fsync'd and renamed to `<flow id>.pcap`, then handed to the caller, who moves it into the spool
// or the output folder. A capture whose end record never came (the worker's queue was full, or
// the process stopped) is completed by finish_all(); files left by a crash are completed by
// recover(), trimmed to their last whole packet, so a kill -9 loses at most the packets not yet
// flushed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

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
  // Called with each completed file (`<staging>/<flow id>.pcap`); the callee takes the file
  // (moves or removes it). Returning false leaves it for recover() at the next start.
  using Deliver = std::function<bool(const std::filesystem::path& pcap, const FlowPcapSummary&)>;

  // Creates `staging` if needed. Throws std::runtime_error naming the folder if it cannot.
  FlowPcapAssembler(std::filesystem::path staging, Deliver deliver,
                    std::size_t flow_buffer_bytes = 256 * 1024,
                    std::size_t total_buffer_bytes = 32 * 1024 * 1024);
  FlowPcapAssembler(const FlowPcapAssembler&) = delete;
  FlowPcapAssembler& operator=(const FlowPcapAssembler&) = delete;

  // Completes the files a previous run left in the staging folder; returns how many.
  std::size_t recover();
  // One record popped from a worker's queue.
  void add(const CaptureRecordHeader& h, std::string_view bytes);
  // Completes every open capture (no end record came); at shutdown.
  void finish_all();

  std::size_t open_flows() const { return open_.size(); }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t io_errors() const { return io_errors_; }
  const std::string& last_error() const { return last_error_; }

 private:
  struct Open {
    LinkType link = LinkType::ethernet;
    std::string buffer;   // not yet appended to the .part file
    bool on_disk = false; // the .part file exists
    FlowPcapSummary summary;
  };
  std::filesystem::path part_path(std::uint64_t flow_id) const;
  bool flush(std::uint64_t flow_id, Open& o);
  void complete(std::uint64_t flow_id, Open& o);
  void fail(const std::string& what);

  std::filesystem::path staging_;
  Deliver deliver_;
  std::size_t flow_buffer_bytes_, total_buffer_bytes_;
  std::size_t buffered_ = 0;
  std::map<std::uint64_t, Open> open_;
  std::uint64_t delivered_ = 0, io_errors_ = 0;
  std::string last_error_;
};

}  // namespace vigil::capture
