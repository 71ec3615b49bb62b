#include "control/vigild/upload_command.h"

#include <chrono>
#include <cstdio>

#include "control/vigild/upload_pipeline.h"

namespace vigil {

int run_upload(const UploadOptions& opt) {
  std::string err;
  auto upload = UploadPipeline::start(opt.config, "upload", true, err);
  if (!upload) {
    std::fprintf(stderr, "vigild: error: %s: %s\n", opt.config.c_str(), err.c_str());
    return 2;
  }
  upload->set_heartbeat_source([] {
    uplink::HeartbeatInput hb;
    hb.versions["vigild"] = VIGIL_VERSION;
    return hb;
  });
  const UploadReport r = upload->finish(std::chrono::seconds(opt.timeout_s));
  std::printf("upload: %llu event batches (%llu events, %llu already at the provider), %llu flow "
              "pcaps sent; %llu records left in the spool\n",
              static_cast<unsigned long long>(r.upload.sent_batches),
              static_cast<unsigned long long>(r.upload.sent_events),
              static_cast<unsigned long long>(r.upload.duplicates),
              static_cast<unsigned long long>(r.upload.sent_pcaps),
              static_cast<unsigned long long>(r.left_records));
  if (!r.drained) {
    std::fprintf(stderr, "vigild: error: upload: %llu records are still in the spool; last error: %s\n",
                 static_cast<unsigned long long>(r.left_records), r.last_error.c_str());
    return 3;
  }
  return 0;
}

}  // namespace vigil
