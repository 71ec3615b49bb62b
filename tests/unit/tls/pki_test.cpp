// Development PKI: subjects, file modes, validity and the refusal of bad names.
#include <CppUTest/TestHarness.h>

#include <sys/stat.h>

#include <mbedtls/x509_crt.h>

#include <string>

#include "control/pki/pki.h"
#include "control/tls/mbedtls_raii.h"
#include "tests/unit/tls/tls_test_util.h"

using namespace vigil;

namespace {

unsigned file_mode(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

std::string subject_of(const std::string& path) {
  tls::X509Crt crt;
  if (mbedtls_x509_crt_parse_file(crt.get(), path.c_str()) != 0) return "unparsable";
  char buf[512];
  mbedtls_x509_dn_gets(buf, sizeof buf, &crt->subject);
  return buf;
}

}  // namespace

TEST_GROUP(Pki) {};

TEST(Pki, LayoutSubjectsAndModes) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/pki";
  std::string err;
  const auto v = pki::valid_for_days(30);
  CHECK_TEXT(pki::make_ca(dir, "Vigil dev CA", v, err), err.c_str());
  CHECK_TEXT(pki::make_server_cert(dir, "provider.vigil.test", {}, v, err), err.c_str());
  CHECK_TEXT(pki::make_device_cert(dir, "appliance-42.lab_1", v, err), err.c_str());

  STRCMP_EQUAL("CN=Vigil dev CA, O=Vigil development only",
               subject_of(pki::ca_paths(dir).cert).c_str());
  STRCMP_EQUAL("CN=provider.vigil.test, O=Vigil development only",
               subject_of(pki::server_paths(dir).cert).c_str());
  const auto dev = pki::device_paths(dir, "appliance-42.lab_1");
  STRCMP_EQUAL("CN=appliance-42.lab_1, O=Vigil development device", subject_of(dev.cert).c_str());
  std::string cn;
  CHECK_TEXT(pki::read_subject_cn(dev.cert, cn, err), err.c_str());
  STRCMP_EQUAL("appliance-42.lab_1", cn.c_str());

  LONGS_EQUAL(0600, file_mode(pki::ca_paths(dir).key));
  LONGS_EQUAL(0600, file_mode(pki::server_paths(dir).key));
  LONGS_EQUAL(0600, file_mode(dev.key));
  LONGS_EQUAL(0644, file_mode(dev.cert));

  // The device certificate chains to the CA; the CA is a CA, the device is not.
  tls::X509Crt ca, leaf;
  LONGS_EQUAL(0, mbedtls_x509_crt_parse_file(ca.get(), pki::ca_paths(dir).cert.c_str()));
  LONGS_EQUAL(0, mbedtls_x509_crt_parse_file(leaf.get(), dev.cert.c_str()));
  CHECK(ca->ca_istrue);
  CHECK_FALSE(leaf->ca_istrue);
  std::uint32_t flags = 0;
  LONGS_EQUAL(0, mbedtls_x509_crt_verify(leaf.get(), ca.get(), nullptr, nullptr, &flags, nullptr,
                                         nullptr));
  // No temporary files left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    CHECK_TEXT(e.path().string().find(".tmp.") == std::string::npos, e.path().c_str());
    ++entries;
  }
  LONGS_EQUAL(5, entries);  // ca.crt ca.key server.crt server.key devices/
}

TEST(Pki, RefusesBadNamesAndPeriods) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/pki";
  std::string err;
  const auto v = pki::valid_for_days(1);
  CHECK(pki::make_ca(dir, "CA", v, err));
  CHECK_FALSE(pki::make_device_cert(dir, "../escape", v, err));
  CHECK_TEXT(err.find("invalid appliance id '../escape'") != std::string::npos, err.c_str());
  CHECK_FALSE(pki::make_device_cert(dir, "a,O=evil", v, err));
  CHECK_FALSE(pki::make_device_cert(dir, std::string(65, 'a'), v, err));
  CHECK_FALSE(pki::make_device_cert(dir, "", v, err));
  CHECK_FALSE(pki::make_device_cert(dir, "..", v, err));
  CHECK(pki::valid_appliance_id(std::string(64, 'a')));
  CHECK_FALSE(pki::make_ca(dir + "/x", "bad,name", v, err));
  CHECK_FALSE(pki::make_server_cert(dir, "ok", {"bad name"}, v, err));
  CHECK_FALSE(pki::make_device_cert(dir, "dev", {v.not_after, v.not_before}, err));
  CHECK_TEXT(err.find("invalid validity period") != std::string::npos, err.c_str());
  // Signing needs a CA: a device certificate is not one.
  CHECK(pki::make_device_cert(dir, "dev", v, err));
  CHECK_FALSE(pki::write_device_cert(pki::device_paths(dir, "dev"),
                                     pki::device_paths(dir, "dev2"), "dev2", v, err));
  CHECK_TEXT(err.find("is not a CA certificate") != std::string::npos, err.c_str());
  CHECK_FALSE(pki::make_device_cert(tmp.path() + "/nope", "dev", v, err));
  CHECK_TEXT(err.find("cannot load CA certificate") != std::string::npos, err.c_str());
}
