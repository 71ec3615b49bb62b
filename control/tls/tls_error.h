// Readable text for mbedTLS failures, for error strings that name the step and the cause.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::tls {

// mbedtls_strerror's text plus the code, e.g. "SSL - The connection indicated an EOF (-0x7280)".
std::string mbedtls_error_text(int code);

// mbedtls_x509_crt_verify_info's lines joined with "; ", e.g. "The certificate validity has
// expired"; "unknown verification failure" when no flag is set.
std::string verify_flags_text(std::uint32_t flags);

}  // namespace vigil::tls
