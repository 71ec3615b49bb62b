// TLS parser counters: one named counter per kind of record, message and anomaly. Per worker (in
// TlsShared), plain integers, summed across workers with +=.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/common/counter_set.h"

namespace vigil::app::tls {

// X(enumerator, "stats name").
#define VIGIL_TLS_COUNTERS(X)                                                               \
  X(records, "tls.records")                                                                 \
  X(handshake_messages, "tls.handshake_messages")                                           \
  X(client_hellos, "tls.client_hellos")                                                     \
  X(server_hellos, "tls.server_hellos")                                                     \
  X(hello_retry_requests, "tls.hello_retry_requests")                                       \
  X(certificates, "tls.certificates")             /* Certificate messages parsed */         \
  X(certs, "tls.certs")                           /* certificates kept from those */        \
  X(cert_parse_errors, "tls.cert_parse_errors")   /* DER not readable at all */             \
  X(cert_fields_only, "tls.cert_fields_only")     /* mbedTLS refused it, fields still read */ \
  X(invalid_certificate, "tls.invalid_certificate") /* chain framing inconsistent */        \
  X(too_many_certs, "tls.too_many_certs")         /* chain longer than the table */         \
  X(change_cipher_specs, "tls.change_cipher_specs")                                         \
  X(alerts, "tls.alerts")                                                                   \
  X(app_data_records, "tls.app_data_records")                                               \
  X(encrypted_handshake, "tls.encrypted_handshake") /* handshake records after CCS */       \
  X(heartbeat, "tls.heartbeat")                                                             \
  X(heartbeat_overflow, "tls.heartbeat_overflow") /* payload length beyond its record */    \
  X(record_too_long, "tls.record_too_long")                                                 \
  X(invalid_record_type, "tls.invalid_record_type")                                         \
  X(invalid_record_version, "tls.invalid_record_version")                                   \
  X(empty_record, "tls.empty_record")                                                       \
  X(invalid_handshake, "tls.invalid_handshake")                                             \
  X(truncated_extension, "tls.truncated_extension")                                         \
  X(message_too_large, "tls.message_too_large")   /* bigger than its buffer */              \
  X(field_truncated, "tls.field_truncated")       /* a text field cut to its bound */       \
  X(sslv2_hello, "tls.sslv2_hello")                                                         \
  X(gaps, "tls.gaps")

enum class TlsCounter : std::uint8_t { VIGIL_TLS_COUNTERS(VIGIL_COUNTER_ENUM) count_ };

inline constexpr std::size_t kTlsCounterCount = static_cast<std::size_t>(TlsCounter::count_);

using TlsCounters = CounterSet<TlsCounter, kTlsCounterCount>;

std::string_view tls_counter_name(TlsCounter c);

}  // namespace vigil::app::tls
