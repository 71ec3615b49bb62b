// Development PKI — FOR DEVELOPMENT AND TESTS ONLY. Creates a provider CA, a provider server
// certificate and per-appliance device certificates (ECDSA P-256, SHA-256), so the mutual-TLS
// provider link can be exercised without a real PKI. Every certificate says "development" in its
// O attribute; keys are written unencrypted (mode 0600). A production deployment brings its own
// CA and never uses these functions.
//
// Files are written atomically (temp file, fsync, rename, fsync of the folder); an existing file
// of the same name is replaced. Folders are created as needed. Functions are thread-safe.
//
// Directory layout used by `vigil-provider pki init|device` (the *_in_dir functions):
//   <dir>/ca.crt, ca.key                       provider CA (signs the server and the devices)
//   <dir>/server.crt, server.key               provider server certificate
//   <dir>/devices/<appliance id>.crt, .key     device certificates
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::pki {

struct Validity {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

// From one hour ago (tolerates clock skew between hosts) to `days` days from now.
Validity valid_for_days(int days);

struct CertPaths {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (0600)
};

CertPaths ca_paths(const std::string& dir);
CertPaths server_paths(const std::string& dir);
CertPaths device_paths(const std::string& dir, std::string_view appliance_id);

// Appliance ids as the provider accepts them: [A-Za-z0-9._-]{1,64}.
bool valid_appliance_id(std::string_view id);

// Subjects: CA "CN=<name>,O=Vigil development only"; server "CN=<cn>,O=Vigil development
// only" with subjectAltName DNS names; device "CN=<appliance id>,O=Vigil development device".
inline constexpr std::string_view kDevOrganization = "Vigil development only";
inline constexpr std::string_view kDeviceOrganization = "Vigil development device";

// Self-signed CA (basicConstraints CA:true, pathlen 0; keyCertSign, cRLSign).
bool write_ca(const CertPaths& out, std::string_view name, const Validity& validity,
              std::string& err);

// Server certificate signed by `ca` (digitalSignature, extKeyUsage serverAuth), subjectAltName =
// dns_names (empty: just common_name).
bool write_server_cert(const CertPaths& ca, const CertPaths& out, std::string_view common_name,
                       const std::vector<std::string>& dns_names, const Validity& validity,
                       std::string& err);

// Device certificate signed by `ca` (digitalSignature, extKeyUsage clientAuth).
bool write_device_cert(const CertPaths& ca, const CertPaths& out, std::string_view appliance_id,
                       const Validity& validity, std::string& err);

// The same in the directory layout above.
bool make_ca(const std::string& dir, std::string_view name, const Validity& validity,
             std::string& err);
bool make_server_cert(const std::string& dir, std::string_view common_name,
                      const std::vector<std::string>& dns_names, const Validity& validity,
                      std::string& err);
bool make_device_cert(const std::string& dir, std::string_view appliance_id,
                      const Validity& validity, std::string& err);

// The subject CN of a PEM certificate file.
bool read_subject_cn(const std::string& cert_path, std::string& cn, std::string& err);

}  // namespace vigil::pki
