#include "control/vigild/upload_pipeline.h"

#include <fstream>
#include <sstream>
#include <system_error>

namespace vigil {

std::unique_ptr<UploadPipeline> UploadPipeline::start(const std::string& config_path,
                                                      const std::string& key_prefix,
                                                      bool timed_batches, std::string& err) {
  std::unique_ptr<UploadPipeline> p(new UploadPipeline());
  p->timed_batches_ = timed_batches;
  if (!channel::load_uplink_config(config_path, p->cfg_, err)) return nullptr;
  spool::SpoolLimits limits;
  limits.max_bytes = p->cfg_.spool.max_bytes;
  p->spool_ = spool::Spool::open(p->cfg_.spool.dir, limits, err);
  if (!p->spool_) return nullptr;
  p->client_ = channel::ProviderClient::create(channel::provider_client_options(p->cfg_), err);
  if (!p->client_) return nullptr;
  uplink::BatchLimits batch;
  batch.batch_events = p->cfg_.upload.batch_events;
  batch.batch_bytes = p->cfg_.upload.batch_bytes;
  p->batcher_ = std::make_unique<uplink::EventBatcher>(*p->spool_, batch, key_prefix);
  uplink::UploaderConfig ucfg;
  ucfg.backoff.initial = std::chrono::milliseconds(p->cfg_.upload.backoff_initial_ms);
  ucfg.backoff.max = std::chrono::milliseconds(p->cfg_.upload.backoff_max_ms);
  // A replay sends one heartbeat at the end of its job; a live appliance one a minute.
  ucfg.heartbeat_interval = std::chrono::milliseconds(timed_batches ? 60000 : 0);
  ucfg.idle_poll = std::chrono::milliseconds(200);
  p->uploader_ = std::make_unique<uplink::Uploader>(*p->spool_, *p->client_, ucfg);
  // The uploader's thread asks for heartbeat contents; the caller may set their source later.
  p->uploader_->set_heartbeat_source([raw = p.get()] {
    std::lock_guard lock(raw->heartbeat_mu_);
    return raw->heartbeat_source_ ? raw->heartbeat_source_() : uplink::HeartbeatInput{};
  });
  p->batcher_->set_on_stored([raw = p->uploader_.get()] { raw->wake(); });
  std::error_code ec;
  std::filesystem::create_directories(p->staging_dir(), ec);
  if (ec) {
    err = "flow pcap staging folder " + p->staging_dir().string() + ": " + ec.message();
    return nullptr;
  }
  p->spooler_ = std::thread([raw = p.get()] { raw->spooler_loop(); });
  p->uploader_thread_ = std::jthread([raw = p.get()](std::stop_token t) { raw->uploader_->run(t); });
  return p;
}

UploadPipeline::~UploadPipeline() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (spooler_.joinable()) spooler_.join();
  if (uploader_thread_.joinable()) {
    uploader_thread_.request_stop();
    uploader_->request_stop();
    uploader_thread_.join();
  }
}

std::filesystem::path UploadPipeline::staging_dir() const {
  std::filesystem::path dir = cfg_.spool.dir;
  if (!dir.has_filename()) dir = dir.parent_path();  // "spool/" -> "spool"
  return dir.parent_path() / (dir.filename().string() + ".capture");
}

void UploadPipeline::set_heartbeat_source(std::function<uplink::HeartbeatInput()> source) {
  std::lock_guard lock(heartbeat_mu_);
  heartbeat_source_ = std::move(source);
}

void UploadPipeline::add_line(const std::string& line, bool alert) {
  if (gathered_.lines.empty()) {
    gathered_.text.reserve(256 * 1024);
    gathered_.lines.reserve(256);
  }
  gathered_.lines.push_back(LineRef{static_cast<std::uint32_t>(gathered_.text.size()),
                                    static_cast<std::uint32_t>(line.size()), alert});
  gathered_.text += line;
  // One wake-up of the spooler per group, not per line.
  if (gathered_.lines.size() >= 256 || gathered_.text.size() >= 1024 * 1024 ||
      std::chrono::steady_clock::now() - last_hand_over_ > std::chrono::milliseconds(100)) {
    hand_over();
  }
}

void UploadPipeline::hand_over() {
  last_hand_over_ = std::chrono::steady_clock::now();
  if (gathered_.lines.empty()) return;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(gathered_));
  }
  gathered_ = Item{};
  cv_.notify_one();
}

void UploadPipeline::add_pcap(const std::filesystem::path& pcap, std::uint64_t flow_id) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Item{{}, {}, pcap, flow_id});
  }
  cv_.notify_one();
}

void UploadPipeline::spool_pcap(const Item& item) {
  std::ifstream in(item.pcap, std::ios::binary);
  std::ostringstream data;
  data << in.rdbuf();
  if (!in) {
    ++pcap_errors_;
    pcap_error_ = "cannot read " + item.pcap.string();
    return;
  }
  // The flow id names the file at the provider too: a re-run sends the same PUT again.
  const spool::AppendResult r = spool_->append(spool::RecordKind::flow_pcap,
                                               "flow:" + std::to_string(item.flow_id), data.str(),
                                               item.flow_id);
  if (!r.stored()) {
    ++pcap_errors_;  // counted by the spool as a dropped flow_pcap, reported in the heartbeat
    pcap_error_ = r.error;
  } else {
    ++pcaps_spooled_;
    uploader_->wake();
  }
  // Spooled (or dropped and counted): the staging copy has done its job.
  std::error_code ec;
  std::filesystem::remove(item.pcap, ec);
}

void UploadPipeline::spooler_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return closing_ || !queue_.empty(); });
    std::deque<Item> work;
    work.swap(queue_);
    const bool closing = closing_;
    lock.unlock();
    for (const Item& item : work) {
      if (!item.pcap.empty()) {
        spool_pcap(item);
        continue;
      }
      const std::string_view text = item.text;
      for (const LineRef& l : item.lines) batcher_->add(text.substr(l.offset, l.length), l.alert);
    }
    // Lines do not wait long for a full batch: a quiet appliance still reports within a second.
    if (timed_batches_) batcher_->flush_if_older(std::chrono::milliseconds(1000));
    if (closing) {
      batcher_->flush();
      return;
    }
    lock.lock();
  }
}

UploadReport UploadPipeline::finish(std::chrono::milliseconds timeout) {
  hand_over();
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (spooler_.joinable()) spooler_.join();
  uploader_thread_.request_stop();
  uploader_->request_stop();
  uploader_thread_.join();
  // The background thread has stopped: drain on this thread with the same uploader.
  uploader_->clear_stop();
  UploadReport r;
  r.drained = uploader_->drain(std::chrono::steady_clock::now() + timeout);
  r.heartbeat_sent = uploader_->send_heartbeat();
  const uplink::UploadCounters c = uploader_->counters();
  r.upload = c;
  r.spool = spool_->counters();
  r.left_records = r.spool.records;
  r.left_bytes = r.spool.bytes;
  r.batcher = batcher_->counters();
  const auto& cc = client_->counters();
  r.handshakes = cc.get(channel::ProviderClientCounter::handshakes);
  r.resumed_handshakes = cc.get(channel::ProviderClientCounter::resumed_handshakes);
  r.connections = cc.get(channel::ProviderClientCounter::connections);
  r.pcaps_spooled = pcaps_spooled_;
  r.pcap_errors = pcap_errors_;
  r.last_error = !c.last_error.empty() ? c.last_error : pcap_error_;
  return r;
}

}  // namespace vigil
