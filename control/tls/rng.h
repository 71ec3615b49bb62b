// The random generator every TLS and PKI operation uses: one CTR-DRBG per thread (thread_local),
// seeded from mbedtls_entropy on first use, so threads never share or lock a generator.
#pragma once

#include <cstddef>

namespace vigil::tls {

// mbedTLS f_rng callback over the calling thread's DRBG. `unused` is ignored, so one shared
// mbedtls_ssl_config can serve every thread. Returns 0 or an mbedTLS error (seeding failed).
int thread_random(void* unused, unsigned char* out, std::size_t len);

}  // namespace vigil::tls
