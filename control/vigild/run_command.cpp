#include "control/vigild/run_command.h"

#include <chrono>
#include <cstdio>

#include "control/appliance/appliance.h"
#include "control/vigild/upload_pipeline.h"

namespace vigil {

namespace {

// The appliance's uplink: the same spool and uploader as `vigild replay --upload`, with batches
// also closed by age (live traffic).
class PipelineUplink final : public appliance::Uplink {
 public:
  explicit PipelineUplink(std::unique_ptr<UploadPipeline> p) : p_(std::move(p)) {}
  void add_line(const std::string& line, bool alert) override { p_->add_line(line, alert); }
  void hand_over() override { p_->hand_over(); }
  std::filesystem::path staging_dir() const override { return p_->staging_dir(); }
  void add_pcap(const std::filesystem::path& pcap, std::uint64_t flow_id) override {
    p_->add_pcap(pcap, flow_id);
  }
  void set_health_source(std::function<Health()> source) override {
    const auto started = std::chrono::steady_clock::now();
    p_->set_heartbeat_source([source = std::move(source), started] {
      uplink::HeartbeatInput hb;
      hb.versions["vigild"] = VIGIL_VERSION;
      hb.uptime_s = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                   std::chrono::steady_clock::now() - started)
                                                   .count());
      const Health h = source();
      hb.ruleset_hash = h.ruleset_hash;
      hb.ports = h.ports;
      hb.workers = h.workers;
      return hb;
    });
  }
  void finish() override {
    const UploadReport r = p_->finish(std::chrono::seconds(10));
    std::printf("vigild: upload: %llu event batches, %llu flow pcaps sent; %llu records left in the spool\n",
                static_cast<unsigned long long>(r.upload.sent_batches),
                static_cast<unsigned long long>(r.upload.sent_pcaps),
                static_cast<unsigned long long>(r.left_records));
  }

 private:
  std::unique_ptr<UploadPipeline> p_;
};

}  // namespace

int run_run(const RunOptions& opt) {
  return appliance::run_appliance(
      opt.board, opt.config,
      [](const std::string& config, std::string& err) -> std::unique_ptr<appliance::Uplink> {
        auto p = UploadPipeline::start(config, "live", true, err);
        if (!p) return nullptr;
        return std::make_unique<PipelineUplink>(std::move(p));
      });
}

}  // namespace vigil
