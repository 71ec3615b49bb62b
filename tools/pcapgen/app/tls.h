// TLS 1.2 and 1.3 handshakes as they appear on the wire: records, handshake messages and
// extensions laid out per RFC 5246 / RFC 8446, certificates in DER (x509.h). Encrypted parts are
// random bytes of realistic size inside correctly framed records.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/pcapgen/bytes.h"
#include "tools/pcapgen/rng.h"

namespace vigil::pcapgen {

// A TLS record (type, version, 16-bit length, body) and a handshake message (type, 24-bit
// length, body), as laid out on the wire.
Bytes tls_record(std::uint8_t type, std::uint16_t version, const Bytes& body);
Bytes tls_handshake(std::uint8_t type, const Bytes& body);

struct ClientHello {
  Bytes records;
  std::array<std::uint8_t, 32> session_id{};
};

// `offer_tls13`: supported_versions, key_share and the TLS 1.3 suites are offered.
ClientHello tls_client_hello(Rng& r, const std::string& sni, bool offer_tls13,
                             const std::vector<std::string>& alpn);

// TLS 1.2 (ECDHE-ECDSA-AES128-GCM-SHA256): ServerHello, Certificate (leaf + intermediate for
// `host`), ServerKeyExchange, ServerHelloDone.
Bytes tls12_server_hello_flight(Rng& r, const std::string& host, const std::string& alpn);
// ClientKeyExchange, ChangeCipherSpec, encrypted Finished.
Bytes tls12_client_finished(Rng& r);
// NewSessionTicket, ChangeCipherSpec, encrypted Finished.
Bytes tls12_server_finished(Rng& r);

// TLS 1.3 (TLS_AES_128_GCM_SHA256, x25519): ServerHello echoing the client's session id, the
// middlebox-compatibility ChangeCipherSpec, then the encrypted flight (EncryptedExtensions,
// Certificate, CertificateVerify, Finished) as application-data records.
Bytes tls13_server_hello_flight(Rng& r, const ClientHello& hello);
// ChangeCipherSpec and the encrypted client Finished.
Bytes tls13_client_finished(Rng& r);

// Application data of `plaintext_len` bytes, in records of at most 16 KiB of plaintext.
Bytes tls_application_data(Rng& r, std::size_t plaintext_len, bool tls13);

}  // namespace vigil::pcapgen
