#include "dataplane/app/tls/tls_certificate.h"

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha1.h>
#include <mbedtls/x509_crt.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "dataplane/app/tls/tls_fingerprint.h"
#include "dataplane/app/tls/tls_reader.h"

namespace vigil::app::tls {

namespace {

template <std::size_t N>
void format_time(const mbedtls_x509_time& t, TlsText<N>& out) {
  char text[32];
  const int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.mon,
                              t.day, t.hour, t.min, t.sec);
  out.assign({text, n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof text - 1)
                          : 0});
}

// A distinguished name as Suricata prints it: "C=US, O=Example, CN=host", attribute values as
// their bytes (mbedtls_x509_dn_gets would turn every non-ASCII or NUL byte into '?', hiding what
// rules look for, e.g. a NUL injected into a subject). Multi-valued RDNs are joined with " + ".
template <std::size_t N>
bool format_name(const mbedtls_x509_name& name, std::span<char> scratch, TlsText<N>& out) {
  std::size_t len = 0;
  bool whole = true;
  auto put = [&](const char* p, std::size_t n) {
    const std::size_t take = std::min(n, scratch.size() - len);
    std::memcpy(scratch.data() + len, p, take);
    len += take;
    whole &= take == n;
  };
  bool merged = false;
  for (const mbedtls_x509_name* node = &name; node != nullptr; node = node->next) {
    if (node->oid.p == nullptr) continue;
    if (len > 0) merged ? put(" + ", 3) : put(", ", 2);
    const char* short_name = nullptr;
    if (mbedtls_oid_get_attr_short_name(&node->oid, &short_name) == 0 && short_name != nullptr) {
      put(short_name, std::strlen(short_name));
    } else {
      char oid[64];
      const int n = mbedtls_oid_get_numeric_string(oid, sizeof oid, &node->oid);
      put(oid, n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    put("=", 1);
    put(reinterpret_cast<const char*>(node->val.p), node->val.len);
    merged = node->next_merged != 0;
  }
  return out.assign({scratch.data(), len}) && whole;
}

}  // namespace

namespace {

// Reads only what the EVE record shows (serial, issuer, validity, subject) from the
// TBSCertificate, with mbedTLS's own field readers. For certificates mbedTLS refuses as a whole
// although these fields are fine: a public key it cannot load (an unsupported algorithm or curve,
// a point off its curve), an unknown critical extension. Name nodes go into `crt`, which the
// caller frees with mbedtls_x509_crt_free.
bool read_fields_only(std::span<const std::uint8_t> der, mbedtls_x509_crt& crt) {
  // mbedTLS's readers take non-const pointers but never write through them.
  unsigned char* p = const_cast<unsigned char*>(der.data());
  const unsigned char* const der_end = p + der.size();
  constexpr int kSeq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
  std::size_t len = 0;
  if (mbedtls_asn1_get_tag(&p, der_end, &len, kSeq) != 0) return false;  // Certificate
  if (mbedtls_asn1_get_tag(&p, p + len, &len, kSeq) != 0) return false;  // TBSCertificate
  const unsigned char* const end = p + len;
  if (mbedtls_asn1_get_tag(&p, end, &len,
                           MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0) == 0) {
    p += len;  // [0] version
  }
  if (mbedtls_x509_get_serial(&p, end, &crt.serial) != 0) return false;
  if (mbedtls_asn1_get_tag(&p, end, &len, kSeq) != 0) return false;  // signature algorithm
  p += len;
  if (mbedtls_asn1_get_tag(&p, end, &len, kSeq) != 0) return false;
  if (len != 0 && mbedtls_x509_get_name(&p, p + len, &crt.issuer) != 0) return false;
  if (mbedtls_asn1_get_tag(&p, end, &len, kSeq) != 0) return false;  // validity
  const unsigned char* const validity_end = p + len;
  if (mbedtls_x509_get_time(&p, validity_end, &crt.valid_from) != 0) return false;
  if (mbedtls_x509_get_time(&p, validity_end, &crt.valid_to) != 0) return false;
  p = const_cast<unsigned char*>(validity_end);
  if (mbedtls_asn1_get_tag(&p, end, &len, kSeq) != 0) return false;
  return len == 0 || mbedtls_x509_get_name(&p, p + len, &crt.subject) == 0;
}

}  // namespace

CertRead tls_describe_certificate(std::span<const std::uint8_t> der, std::span<char> scratch,
                                  TlsCertText& out) {
  if (der.empty()) return CertRead::failed;
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  // nocopy: mbedTLS points into `der` rather than copying it; crt is freed before returning.
  CertRead result = CertRead::full;
  if (mbedtls_x509_crt_parse_der_nocopy(&crt, der.data(), der.size()) != 0) {
    mbedtls_x509_crt_free(&crt);
    mbedtls_x509_crt_init(&crt);
    result = read_fields_only(der, crt) ? CertRead::fields_only : CertRead::failed;
  }
  if (result == CertRead::failed) {
    mbedtls_x509_crt_free(&crt);
    return result;
  }
  bool whole = format_name(crt.subject, scratch, out.subject);
  whole &= format_name(crt.issuer, scratch, out.issuer);
  const std::size_t serial_len = std::min<std::size_t>(crt.serial.len, kMaxSerialBytes);
  whole &= serial_len == crt.serial.len;
  out.serial.len = static_cast<std::uint16_t>(tls_hex_colon(
      {crt.serial.p, serial_len}, {out.serial.data, out.serial.kCapacity}, true));
  format_time(crt.valid_from, out.not_before);
  format_time(crt.valid_to, out.not_after);
  unsigned char sha1[20];
  mbedtls_sha1_ret(der.data(), der.size(), sha1);
  out.fingerprint.len = static_cast<std::uint16_t>(
      tls_hex_colon(sha1, {out.fingerprint.data, out.fingerprint.kCapacity}, false));
  out.truncated = !whole;
  mbedtls_x509_crt_free(&crt);
  return result;
}

bool parse_certificate_message(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body,
                               std::uint32_t msg_len) {
  const bool cut = body.size() < msg_len;
  TlsReader r{body};
  const std::uint32_t chain_len = r.u24();
  if (!r.ok) {
    shared.count(TlsCounter::invalid_certificate);
    return false;
  }
  if (std::uint64_t{chain_len} + 3 != msg_len) shared.count(TlsCounter::invalid_certificate);
  // The chain as far as it was buffered and declared.
  const std::size_t chain_have = std::min<std::size_t>(chain_len, r.left());
  TlsReader chain{r.bytes(chain_have)};
  shared.count(TlsCounter::certificates);
  s.certs_stored = true;
  while (chain.left() > 0) {
    const std::uint32_t len = chain.u24();
    if (!chain.ok || !chain.has(len)) {
      // Cut by our buffer: message_too_large was counted. Otherwise the framing is wrong.
      if (!cut) shared.count(TlsCounter::invalid_certificate);
      break;
    }
    const std::size_t offset = chain.pos;
    const auto der = chain.bytes(len);
    if (s.cert_count == kMaxCerts) {
      shared.count(TlsCounter::too_many_certs);
      break;
    }
    TlsCertRef& ref = s.certs[s.cert_count];
    // Offsets relative to server_msg: the chain starts 3 bytes into the body.
    ref.offset = static_cast<std::uint32_t>(offset + 3);
    ref.len = len;
    const bool leaf = s.cert_count == 0;
    ++s.cert_count;
    shared.count(TlsCounter::certs);
    // The chain's other certificates are kept for tls.certs as they are; only the leaf's fields
    // are logged and matched, so only the leaf is parsed.
    if (!leaf) continue;

    TlsCertText text{};
    const CertRead read = tls_describe_certificate(der, shared.scratch(), text);
    if (read == CertRead::failed) {
      shared.count(TlsCounter::cert_parse_errors);
      continue;
    }
    if (read == CertRead::fields_only) shared.count(TlsCounter::cert_fields_only);
    if (text.truncated) shared.count(TlsCounter::field_truncated);
    s.cert_subject = text.subject;
    s.cert_issuer = text.issuer;
    s.cert_serial = text.serial;
    s.cert_fingerprint = text.fingerprint;
    s.not_before = text.not_before;
    s.not_after = text.not_after;
  }
  return s.cert_count > 0;
}

}  // namespace vigil::app::tls
