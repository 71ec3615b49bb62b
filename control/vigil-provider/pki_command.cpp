#include "control/vigil-provider/pki_command.h"

#include <chrono>
#include <cstdio>

#include "control/pki/pki.h"

namespace vigil::provider {

namespace {

pki::Validity validity(const PkiOptions& o) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  // A default start an hour back tolerates clock skew between hosts.
  const auto start = o.not_before_days == 0 ? now - hours(1) : now + hours(24) * o.not_before_days;
  return {start, now + hours(24) * o.not_after_days};
}

int fail(const std::string& err) {
  std::fprintf(stderr, "vigil-provider: %s\n", err.c_str());
  return 1;
}

}  // namespace

int run_pki_init(const PkiOptions& o) {
  std::string err;
  if (o.not_after_days <= o.not_before_days) return fail("--not-after-days must be after --not-before-days");
  std::vector<std::string> names{o.server_name};
  names.insert(names.end(), o.extra_names.begin(), o.extra_names.end());
  if (!pki::make_ca(o.dir, "Vigil development CA", validity(o), err)) return fail(err);
  if (!pki::make_server_cert(o.dir, o.server_name, names, validity(o), err)) return fail(err);
  std::printf("development PKI in %s: ca.crt, server.crt (%s) — for development and tests only\n",
              o.dir.c_str(), o.server_name.c_str());
  return 0;
}

int run_pki_device(const PkiOptions& o) {
  std::string err;
  if (!pki::valid_appliance_id(o.appliance_id)) {
    return fail("appliance id '" + o.appliance_id + "': expected 1 to 64 of A-Z a-z 0-9 . _ -");
  }
  if (o.not_after_days <= o.not_before_days) return fail("--not-after-days must be after --not-before-days");
  if (!pki::make_device_cert(o.dir, o.appliance_id, validity(o), err)) return fail(err);
  const pki::CertPaths p = pki::device_paths(o.dir, o.appliance_id);
  std::printf("device certificate for %s: %s, %s\n", o.appliance_id.c_str(), p.cert.c_str(),
              p.key.c_str());
  return 0;
}

}  // namespace vigil::provider
