// `vigil-provider pki`: the development PKI (control/pki). For development and tests only: keys
// are written unencrypted, and one CA signs the provider and every device.
#pragma once

#include <string>
#include <vector>

namespace vigil::provider {

struct PkiOptions {
  std::string dir;
  std::string server_name = "provider.vigil.test";  // pki init: the server certificate's names
  std::vector<std::string> extra_names{"localhost"};
  std::string appliance_id;                          // pki device
  int not_before_days = 0;  // relative to now (negative: in the past), for test certificates
  int not_after_days = 825;
};

int run_pki_init(const PkiOptions& options);
int run_pki_device(const PkiOptions& options);

}  // namespace vigil::provider
