// UploadPipeline: what `vigild replay --upload` (and `vigild upload`) runs beside the dataplane.
// The event thread hands it EVE lines and completed flow pcaps and goes on at once; a spooler
// thread packs lines into spool records and moves pcaps into the spool (fsync'd before anything
// else happens to them); an uploader thread sends the spool to the provider over mutual TLS.
// Nothing is removed from the spool before the provider acknowledged it, so a kill -9 at any
// instant loses nothing: the next run resumes from the spool (docs/uplink.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/channel/provider_client.h"
#include "control/channel/uplink_config.h"
#include "control/spool/spool.h"
#include "control/uplink/event_batcher.h"
#include "control/uplink/heartbeat.h"
#include "control/uplink/uploader.h"

namespace vigil {

struct UploadReport {
  bool drained = false;             // the spool was empty at the end
  std::uint64_t left_records = 0;   // still in the spool (sent by the next run)
  std::uint64_t left_bytes = 0;
  uplink::UploadCounters upload;
  spool::SpoolCounters spool;
  uplink::BatcherCounters batcher;
  std::uint64_t handshakes = 0, resumed_handshakes = 0, connections = 0;
  std::uint64_t pcaps_spooled = 0, pcap_errors = 0;
  bool heartbeat_sent = false;
  std::string last_error;
};

class UploadPipeline {
 public:
  // Reads the upload config, opens the spool and the provider client, starts both threads.
  // `key_prefix` names this job's event batches (same input, same keys: see EventBatcher).
  // `timed_batches`: live traffic — a batch also closes when its first line is a second old, and
  // a heartbeat goes out every minute; off for a replay, whose batches must fall the same way on
  // every run of the same job (one heartbeat at its end).
  static std::unique_ptr<UploadPipeline> start(const std::string& config_path,
                                               const std::string& key_prefix, bool timed_batches,
                                               std::string& err);
  ~UploadPipeline();
  UploadPipeline(const UploadPipeline&) = delete;
  UploadPipeline& operator=(const UploadPipeline&) = delete;

  // Event thread: one EVE line. Never blocks on disk or network: lines are handed to the
  // spooler in groups (every 256 lines or 100 ms, and by hand_over()).
  void add_line(const std::string& line, bool alert);
  // Event thread: hands the lines gathered so far to the spooler now.
  void hand_over();
  // Event thread: a completed flow pcap in staging_dir(); the pipeline takes the file.
  void add_pcap(const std::filesystem::path& pcap, std::uint64_t flow_id);
  // Where flow pcaps are assembled before they enter the spool (beside the spool folder).
  std::filesystem::path staging_dir() const;
  // Called on the uploader's thread: the source must be safe to call from there. Set it before
  // the first heartbeat is due (a minute after start in live mode).
  void set_heartbeat_source(std::function<uplink::HeartbeatInput()> source);

  // Spools what is queued, then uploads until the spool is empty or `timeout` passes, sends a
  // heartbeat, and stops the threads.
  UploadReport finish(std::chrono::milliseconds timeout);

  const channel::UplinkConfig& config() const { return cfg_; }

 private:
  UploadPipeline() = default;
  // Lines travel in groups: one buffer of text and its line boundaries, so the event thread
  // makes one allocation per group and the spooler frees one (not one per line).
  struct LineRef {
    std::uint32_t offset, length;
    bool alert;
  };
  struct Item {
    std::string text;              // a group's lines, back to back
    std::vector<LineRef> lines;
    std::filesystem::path pcap;    // or a pcap
    std::uint64_t flow_id = 0;
  };
  void spooler_loop();
  void spool_pcap(const Item& item);

  channel::UplinkConfig cfg_;
  std::unique_ptr<spool::Spool> spool_;
  std::unique_ptr<channel::ProviderClient> client_;
  std::unique_ptr<uplink::EventBatcher> batcher_;
  std::unique_ptr<uplink::Uploader> uploader_;
  std::mutex heartbeat_mu_;  // guards heartbeat_source_ (set by the caller, read by the uploader)
  std::function<uplink::HeartbeatInput()> heartbeat_source_;

  Item gathered_;  // event thread only
  std::chrono::steady_clock::time_point last_hand_over_{};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool closing_ = false;
  bool timed_batches_ = true;
  std::uint64_t pcaps_spooled_ = 0, pcap_errors_ = 0;  // spooler thread, read after join
  std::string pcap_error_;
  std::thread spooler_;
  std::jthread uploader_thread_;
};

}  // namespace vigil
