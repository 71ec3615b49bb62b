// Development PKI — FOR DEVELOPMENT AND TESTS ONLY (see pki.h).
#include "control/pki/pki.h"

#include <fcntl.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "control/tls/mbedtls_raii.h"
#include "control/tls/rng.h"
#include "control/tls/tls_error.h"

namespace vigil::pki {

using tls::mbedtls_error_text;

namespace {

namespace fs = std::filesystem;

// Attribute values we put into subjects: printable ASCII without the characters that have a
// meaning in mbedTLS's "CN=...,O=..." syntax, so no escaping is ever needed.
bool valid_name_text(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
    if (std::strchr(",=+\\\"<>;#", c) != nullptr) return false;
  }
  return true;
}

bool valid_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '*';
    if (!ok) return false;
  }
  return true;
}

bool x509_time(std::chrono::system_clock::time_point t, std::string& out) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr || tm.tm_year + 1900 < 1950 || tm.tm_year + 1900 > 9999) {
    return false;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  out = buf;
  return true;
}

bool fsync_dir(const std::string& dir, std::string& err) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    err = "cannot sync folder '" + dir + "': " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

// Writes `data` to `path` atomically: temp file in the same folder, fsync, rename, fsync folder.
bool write_atomic(const std::string& path, std::string_view data, mode_t mode, std::string& err) {
  const fs::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    err = "cannot create folder '" + dir + "': " + ec.message();
    return false;
  }
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    err = "cannot create a temporary file next to '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "cannot write '" + path + "': " + std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    return false;
  }
  return fsync_dir(dir, err);
}

bool generate_key(mbedtls_pk_context* pk, std::string& err) {
  int rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc == 0) {
    rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), tls::thread_random,
                             nullptr);
  }
  if (rc != 0) err = "key generation failed: " + mbedtls_error_text(rc);
  return rc == 0;
}

struct Issuer {
  tls::X509Crt crt;
  tls::PkContext key;
  std::string subject;
};

bool load_issuer(const CertPaths& ca, Issuer& out, std::string& err) {
  int rc = mbedtls_x509_crt_parse_file(out.crt.get(), ca.cert.c_str());
  if (rc != 0) {
    err = "cannot load CA certificate '" + ca.cert + "': " + mbedtls_error_text(rc);
    return false;
  }
  if (!out.crt->ca_istrue) {
    err = "'" + ca.cert + "' is not a CA certificate";
    return false;
  }
  rc = mbedtls_pk_parse_keyfile(out.key.get(), ca.key.c_str(), nullptr);
  if (rc != 0) {
    err = "cannot load CA key '" + ca.key + "': " + mbedtls_error_text(rc);
    return false;
  }
  if (mbedtls_pk_check_pair(&out.crt->pk, out.key.get()) != 0) {
    err = "CA key '" + ca.key + "' does not match '" + ca.cert + "'";
    return false;
  }
  char dn[512];
  rc = mbedtls_x509_dn_gets(dn, sizeof dn, &out.crt->subject);
  if (rc < 0) {
    err = "CA certificate '" + ca.cert + "': subject too long";
    return false;
  }
  out.subject = dn;
  return true;
}

// DER of ExtKeyUsageSyntax with one purpose; returns the encoding's length or a negative error.
// The encoding is written backwards, ending at buf + size, as mbedTLS's asn1write does.
int ext_key_usage_der(unsigned char* buf, std::size_t size, const char* oid, std::size_t oid_len,
                      unsigned char** start) {
  unsigned char* p = buf + size;
  int len = 0;
  int ret = 0;  // used by MBEDTLS_ASN1_CHK_ADD
  MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(&p, buf, oid, oid_len));
  MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, static_cast<std::size_t>(len)));
  MBEDTLS_ASN1_CHK_ADD(
      len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
  *start = p;
  return len;
}

// DER of SubjectAltName with dNSName entries.
int subject_alt_name_der(unsigned char* buf, std::size_t size,
                         const std::vector<std::string>& names, unsigned char** start) {
  unsigned char* p = buf + size;
  int len = 0;
  int ret = 0;  // used by MBEDTLS_ASN1_CHK_ADD
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    int one = 0;
    MBEDTLS_ASN1_CHK_ADD(
        one, mbedtls_asn1_write_raw_buffer(
                 &p, buf, reinterpret_cast<const unsigned char*>(it->data()), it->size()));
    MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_len(&p, buf, static_cast<std::size_t>(one)));
    MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
    len += one;
  }
  MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, static_cast<std::size_t>(len)));
  MBEDTLS_ASN1_CHK_ADD(
      len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
  *start = p;
  return len;
}

enum class Kind { ca, server, device };

struct Spec {
  Kind kind;
  std::string subject;
  std::vector<std::string> dns_names;  // server only
  Validity validity;
};

// Generates a key, issues its certificate (self-signed when issuer is null) and writes both.
bool issue(const Spec& spec, const Issuer* issuer, const CertPaths& out, std::string& err) {
  std::string not_before, not_after;
  if (!x509_time(spec.validity.not_before, not_before) ||
      !x509_time(spec.validity.not_after, not_after) ||
      spec.validity.not_after <= spec.validity.not_before) {
    err = "invalid validity period for '" + out.cert + "'";
    return false;
  }
  tls::PkContext key;
  if (!generate_key(key.get(), err)) return false;
  mbedtls_pk_context* issuer_key =
      issuer ? const_cast<mbedtls_pk_context*>(issuer->key.get()) : key.get();
  const std::string& issuer_name = issuer ? issuer->subject : spec.subject;

  tls::X509WriteCert w;
  tls::Mpi serial;
  unsigned char serial_bytes[16];
  int rc = tls::thread_random(nullptr, serial_bytes, sizeof serial_bytes);
  serial_bytes[0] = static_cast<unsigned char>((serial_bytes[0] & 0x7f) | 0x40);  // positive
  if (rc == 0) rc = mbedtls_mpi_read_binary(serial.get(), serial_bytes, sizeof serial_bytes);
  mbedtls_x509write_crt_set_version(w.get(), MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(w.get(), MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(w.get(), key.get());
  mbedtls_x509write_crt_set_issuer_key(w.get(), issuer_key);
  if (rc == 0) rc = mbedtls_x509write_crt_set_serial(w.get(), serial.get());
  if (rc == 0) rc = mbedtls_x509write_crt_set_subject_name(w.get(), spec.subject.c_str());
  if (rc == 0) rc = mbedtls_x509write_crt_set_issuer_name(w.get(), issuer_name.c_str());
  if (rc == 0) {
    rc = mbedtls_x509write_crt_set_validity(w.get(), not_before.c_str(), not_after.c_str());
  }
  const bool is_ca = spec.kind == Kind::ca;
  if (rc == 0)
    rc = mbedtls_x509write_crt_set_basic_constraints(w.get(), is_ca ? 1 : 0, is_ca ? 0 : -1);
  if (rc == 0) rc = mbedtls_x509write_crt_set_subject_key_identifier(w.get());
  if (rc == 0) rc = mbedtls_x509write_crt_set_authority_key_identifier(w.get());
  if (rc == 0) {
    const unsigned ku = is_ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                              : MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
    rc = mbedtls_x509write_crt_set_key_usage(w.get(), static_cast<unsigned char>(ku));
  }
  if (rc == 0 && !is_ca) {
    unsigned char buf[64];
    unsigned char* start = nullptr;
    const int len = spec.kind == Kind::server
                        ? ext_key_usage_der(buf, sizeof buf, MBEDTLS_OID_SERVER_AUTH,
                                            MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH), &start)
                        : ext_key_usage_der(buf, sizeof buf, MBEDTLS_OID_CLIENT_AUTH,
                                            MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH), &start);
    rc = len < 0
             ? len
             : mbedtls_x509write_crt_set_extension(w.get(), MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                                   MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
                                                   0, start, static_cast<std::size_t>(len));
  }
  if (rc == 0 && !spec.dns_names.empty()) {
    std::vector<unsigned char> buf(16 + spec.dns_names.size() * 8);
    for (const auto& n : spec.dns_names) buf.resize(buf.size() + n.size());
    unsigned char* start = nullptr;
    const int len = subject_alt_name_der(buf.data(), buf.size(), spec.dns_names, &start);
    rc = len < 0
             ? len
             : mbedtls_x509write_crt_set_extension(w.get(), MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                   MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
                                                   0, start, static_cast<std::size_t>(len));
  }
  unsigned char cert_pem[4096];
  if (rc == 0) {
    rc = mbedtls_x509write_crt_pem(w.get(), cert_pem, sizeof cert_pem, tls::thread_random, nullptr);
  }
  if (rc != 0) {
    err = "cannot issue certificate '" + out.cert + "': " + mbedtls_error_text(rc);
    return false;
  }
  unsigned char key_pem[2048];
  rc = mbedtls_pk_write_key_pem(key.get(), key_pem, sizeof key_pem);
  if (rc != 0) {
    err = "cannot encode key '" + out.key + "': " + mbedtls_error_text(rc);
    return false;
  }
  // Key first: a certificate never appears without its key.
  return write_atomic(out.key, reinterpret_cast<const char*>(key_pem), 0600, err) &&
         write_atomic(out.cert, reinterpret_cast<const char*>(cert_pem), 0644, err);
}

}  // namespace

Validity valid_for_days(int days) {
  const auto now = std::chrono::system_clock::now();
  return Validity{now - std::chrono::hours(1), now + std::chrono::hours(24) * days};
}

CertPaths ca_paths(const std::string& dir) { return {dir + "/ca.crt", dir + "/ca.key"}; }
CertPaths server_paths(const std::string& dir) {
  return {dir + "/server.crt", dir + "/server.key"};
}
CertPaths device_paths(const std::string& dir, std::string_view appliance_id) {
  const std::string base = dir + "/devices/" + std::string(appliance_id);
  return {base + ".crt", base + ".key"};
}

bool valid_appliance_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  // "." and ".." would name folders, not devices.
  return id != "." && id != "..";
}

bool write_ca(const CertPaths& out, std::string_view name, const Validity& validity,
              std::string& err) {
  if (!valid_name_text(name)) {
    err = "invalid CA name '" + std::string(name) + "'";
    return false;
  }
  const Spec spec{
      Kind::ca, "CN=" + std::string(name) + ",O=" + std::string(kDevOrganization), {}, validity};
  return issue(spec, nullptr, out, err);
}

bool write_server_cert(const CertPaths& ca, const CertPaths& out, std::string_view common_name,
                       const std::vector<std::string>& dns_names, const Validity& validity,
                       std::string& err) {
  if (!valid_name_text(common_name)) {
    err = "invalid server name '" + std::string(common_name) + "'";
    return false;
  }
  Spec spec{Kind::server, "CN=" + std::string(common_name) + ",O=" + std::string(kDevOrganization),
            dns_names.empty() ? std::vector<std::string>{std::string(common_name)} : dns_names,
            validity};
  for (const auto& n : spec.dns_names) {
    if (!valid_dns_name(n)) {
      err = "invalid DNS name '" + n + "'";
      return false;
    }
  }
  Issuer issuer;
  return load_issuer(ca, issuer, err) && issue(spec, &issuer, out, err);
}

bool write_device_cert(const CertPaths& ca, const CertPaths& out, std::string_view appliance_id,
                       const Validity& validity, std::string& err) {
  if (!valid_appliance_id(appliance_id)) {
    err = "invalid appliance id '" + std::string(appliance_id) +
          "' (expected 1 to 64 of A-Z a-z 0-9 . _ -)";
    return false;
  }
  const Spec spec{Kind::device,
                  "CN=" + std::string(appliance_id) + ",O=" + std::string(kDeviceOrganization),
                  {},
                  validity};
  Issuer issuer;
  return load_issuer(ca, issuer, err) && issue(spec, &issuer, out, err);
}

bool make_ca(const std::string& dir, std::string_view name, const Validity& validity,
             std::string& err) {
  return write_ca(ca_paths(dir), name, validity, err);
}

bool make_server_cert(const std::string& dir, std::string_view common_name,
                      const std::vector<std::string>& dns_names, const Validity& validity,
                      std::string& err) {
  return write_server_cert(ca_paths(dir), server_paths(dir), common_name, dns_names, validity, err);
}

bool make_device_cert(const std::string& dir, std::string_view appliance_id,
                      const Validity& validity, std::string& err) {
  if (!valid_appliance_id(appliance_id)) {
    err = "invalid appliance id '" + std::string(appliance_id) +
          "' (expected 1 to 64 of A-Z a-z 0-9 . _ -)";
    return false;
  }
  return write_device_cert(ca_paths(dir), device_paths(dir, appliance_id), appliance_id, validity,
                           err);
}

bool read_subject_cn(const std::string& cert_path, std::string& cn, std::string& err) {
  tls::X509Crt crt;
  const int rc = mbedtls_x509_crt_parse_file(crt.get(), cert_path.c_str());
  if (rc != 0) {
    err = "cannot load certificate '" + cert_path + "': " + mbedtls_error_text(rc);
    return false;
  }
  for (const mbedtls_x509_name* n = &crt->subject; n != nullptr; n = n->next) {
    if (n->oid.p != nullptr && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
      cn.assign(reinterpret_cast<const char*>(n->val.p), n->val.len);
      return true;
    }
  }
  err = "certificate '" + cert_path + "' has no subject CN";
  return false;
}

}  // namespace vigil::pki
