// The server's Certificate message (TLS <= 1.2, plaintext): the chain's DERs are kept in the
// flow's state (spans into its message buffer), and each one goes through mbedTLS's X.509
// parser; the leaf's subject, issuer, serial, validity and SHA-1 fingerprint are kept as text in
// Suricata's formats.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/app/tls/tls_parser.h"

namespace vigil::app::tls {

// `body` is the buffered Certificate message, `msg_len` its declared length (body is shorter
// when the message overflowed its buffer). Returns false when nothing could be read.
bool parse_certificate_message(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body,
                               std::uint32_t msg_len);

// What the EVE record shows of one certificate, in Suricata's formats. mbedTLS parses the DER
// (allocating a few nodes, freed before returning); when it refuses the certificate as a whole
// (e.g. a public key it cannot load) the shown fields are still read from the TBSCertificate.
struct TlsCertText {
  TlsText<1024> subject, issuer;
  TlsText<kMaxSerialBytes * 3> serial;
  TlsText<60> fingerprint;
  TlsText<19> not_before, not_after;
  bool truncated = false;  // a text was cut to its bound
};
enum class CertRead : std::uint8_t {
  full,         // mbedtls_x509_crt_parse_der accepted it
  fields_only,  // refused as a whole; subject, issuer, serial, validity read nonetheless
  failed,       // not a certificate: nothing set
};
CertRead tls_describe_certificate(std::span<const std::uint8_t> der, std::span<char> scratch,
                                  TlsCertText& out);

}  // namespace vigil::app::tls
