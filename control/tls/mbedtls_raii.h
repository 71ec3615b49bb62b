// RAII owners for mbedTLS contexts: each wraps one init/free pair so a context is released on
// every path. Neither copyable nor movable (mbedTLS contexts point into each other), so they live
// on the stack or inside heap objects. Thread-safety is that of the wrapped context.
#pragma once

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

namespace vigil::tls {

template <typename T, void (*Init)(T*), void (*Free)(T*)>
class Owned {
 public:
  Owned() { Init(&value_); }
  ~Owned() { Free(&value_); }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;

  T* get() { return &value_; }
  const T* get() const { return &value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_;
};

using X509Crt = Owned<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;
using PkContext = Owned<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using SslConfig = Owned<mbedtls_ssl_config, mbedtls_ssl_config_init, mbedtls_ssl_config_free>;
using SslContext = Owned<mbedtls_ssl_context, mbedtls_ssl_init, mbedtls_ssl_free>;
using SslSession = Owned<mbedtls_ssl_session, mbedtls_ssl_session_init, mbedtls_ssl_session_free>;
using SslCache =
    Owned<mbedtls_ssl_cache_context, mbedtls_ssl_cache_init, mbedtls_ssl_cache_free>;
using X509WriteCert =
    Owned<mbedtls_x509write_cert, mbedtls_x509write_crt_init, mbedtls_x509write_crt_free>;
using Mpi = Owned<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;
using Entropy = Owned<mbedtls_entropy_context, mbedtls_entropy_init, mbedtls_entropy_free>;
using CtrDrbg = Owned<mbedtls_ctr_drbg_context, mbedtls_ctr_drbg_init, mbedtls_ctr_drbg_free>;

}  // namespace vigil::tls
