// ClientHello / ServerHello (and their SSLv2 forms): fields, extensions, JA3 / JA3S, version.
// Internal to the parser: called with one complete (or, when it overflowed its buffer, cut)
// message body.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/app/tls/tls_parser.h"

namespace vigil::app::tls {

namespace ext {
inline constexpr std::uint16_t server_name = 0, supported_groups = 10, ec_point_formats = 11,
                               signature_algorithms = 13, alpn = 16, supported_versions = 43;
}

// False when the fixed part of the message is malformed (counted; nothing stored).
bool parse_client_hello(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body);

enum class ServerHelloResult : std::uint8_t {
  invalid,      // fixed part malformed (counted; nothing stored)
  hello,        // a ServerHello
  retry,        // a HelloRetryRequest: the handshake goes on in plaintext
};
ServerHelloResult parse_server_hello(TlsState& s, TlsShared& shared,
                                     std::span<const std::uint8_t> body);
// SSLv2 record bodies (the 2-byte record header already stripped); false when malformed.
bool parse_sslv2_client_hello(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body);
bool parse_sslv2_server_hello(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body);

// Sets s.version from s.server_version in Suricata's spelling.
void set_version_text(TlsState& s);
// TLS 1.3 or one of its drafts: everything after the ServerHello is encrypted.
bool is_tls13(std::uint16_t v);

}  // namespace vigil::app::tls
