// X.509 v3 certificates in DER, shaped like a real ECDSA P-256 web PKI chain. Keys and
// signatures are random bytes of the right size and structure: dissectors and parsers read the
// certificates field by field, nothing verifies them.
#pragma once

#include <string>
#include <vector>

#include "tools/pcapgen/bytes.h"
#include "tools/pcapgen/rng.h"

namespace vigil::pcapgen {

struct CertificateSpec {
  std::string subject_cn;
  std::string subject_org;            // empty: subject has only the CN (typical DV leaf)
  std::string issuer_cn, issuer_org;
  std::vector<std::string> dns_names; // subjectAltName; empty for a CA
  std::string not_before = "231201000000Z", not_after = "240229235959Z";  // UTCTime
  bool is_ca = false;
};

Bytes certificate_der(Rng& r, const CertificateSpec& spec);
// An ECDSA-Sig-Value (SEQUENCE of two INTEGERs) with random r and s.
Bytes ecdsa_signature_der(Rng& r);

}  // namespace vigil::pcapgen
