// `vigild upload`: sends what a previous run left in the spool (after a crash, or when the
// provider was unreachable), then exits.
#pragma once

#include <string>

namespace vigil {

struct UploadOptions {
  std::string config;          // the upload config (docs/uplink.md)
  unsigned timeout_s = 120;    // give up after this long; what is left stays in the spool
};

// 0: the spool is empty; 3: records are left (their count on stderr); 2: bad config.
int run_upload(const UploadOptions& options);

}  // namespace vigil
