#include "control/tls/rng.h"

#include "control/tls/mbedtls_raii.h"

namespace vigil::tls {

namespace {

struct ThreadDrbg {
  Entropy entropy;
  CtrDrbg drbg;
  int seed_result;

  ThreadDrbg() {
    static constexpr unsigned char kPersonal[] = "vigil control-plane drbg";
    seed_result = mbedtls_ctr_drbg_seed(drbg.get(), mbedtls_entropy_func, entropy.get(), kPersonal,
                                        sizeof kPersonal - 1);
  }
};

}  // namespace

int thread_random(void*, unsigned char* out, std::size_t len) {
  thread_local ThreadDrbg t;
  if (t.seed_result != 0) return t.seed_result;
  return mbedtls_ctr_drbg_random(t.drbg.get(), out, len);
}

}  // namespace vigil::tls
