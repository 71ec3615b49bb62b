#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/app/http/http_normalize.h"
#include "http_test_util.h"

using namespace vigil::app::http;
using namespace vigil::app::http::test;

namespace {

std::string uri(const std::string& raw) {
  std::uint8_t out[512];
  return std::string(reinterpret_cast<char*>(out), normalize_uri(bytes(raw), out, sizeof(out)));
}
std::string host(const std::string& raw) {
  std::uint8_t out[512];
  return std::string(reinterpret_cast<char*>(out), normalize_host(bytes(raw), out, sizeof(out)));
}

}  // namespace

TEST_GROUP(HttpNormalize){};

TEST(HttpNormalize, UriTable) {
  struct {
    const char* raw;
    const char* want;
  } cases[] = {
      {"/", "/"},
      {"/index.html", "/index.html"},
      {"/a/./b", "/a/b"},
      {"/a/../b", "/b"},
      {"/a/b/../../c", "/c"},
      {"/../../etc/passwd", "/etc/passwd"},
      {"//a///b", "/a/b"},
      {"/a/b/", "/a/b/"},
      {"/a/.", "/a/"},
      {"/a/b/..", "/a/"},
      {"/%41%42c", "/ABc"},
      {"/%2e%2e/x", "/x"},
      {"/a%2fb", "/a/b"},
      {"/bad%zzescape%4", "/bad%zzescape%4"},
      {"/p?q=/../%41&x=1", "/p?q=/../A&x=1"},
      {"/a/../b?x//y", "/b?x//y"},
      {"http://Example.com/a/./b?x=%20", "/a/b?x= "},
      {"http://example.com", "/"},
      {"http://example.com?q", "/?q"},
      {"https://user@h:8443//x", "/x"},
      {"*", "*"},
  };
  for (auto& c : cases) STRCMP_EQUAL(c.want, uri(c.raw).c_str());
  CHECK_EQUAL(3u, uri("/%00x").size());
}

TEST(HttpNormalize, UriNeverOverflows) {
  std::uint8_t out[4];
  CHECK_EQUAL(4u, normalize_uri(bytes("/abcdefgh/../x"), out, sizeof(out)));
  CHECK_EQUAL(0u, normalize_uri(bytes("/a"), out, 0));
}

TEST(HttpNormalize, HostTable) {
  STRCMP_EQUAL("example.com", host("Example.COM").c_str());
  STRCMP_EQUAL("example.com", host(" example.com:8080 ").c_str());
  STRCMP_EQUAL("example.com.", host("example.com.").c_str());
  STRCMP_EQUAL("example.com.", host("EXAMPLE.com.:80").c_str());
  STRCMP_EQUAL("[::1]", host("[::1]:443").c_str());
  STRCMP_EQUAL("", host("").c_str());
}

TEST(HttpNormalize, Authority) {
  STRCMP_EQUAL("h:81", str(uri_authority(bytes("http://h:81/x"))).c_str());
  STRCMP_EQUAL("h", str(uri_authority(bytes("HTTP://u:p@h"))).c_str());
  CHECK(uri_authority(bytes("/http://h/")).empty());
  CHECK(uri_authority(bytes("h:80")).empty());
}

TEST(HttpNormalize, HeaderIteration) {
  std::string block = "A: 1\r\nB : two\r\n  more\r\n\tand more\r\nnocolon\r\nC:\r\n";
  int n = 0;
  for_each_header(bytes(block), [&](const HeaderItem& h) {
    std::uint8_t out[64];
    std::string v(reinterpret_cast<char*>(out), append_value(h.value, out, 0, sizeof(out)));
    if (n == 0) {
      STRCMP_EQUAL("A", str(h.name).c_str());
      STRCMP_EQUAL("1", v.c_str());
    } else if (n == 1) {
      STRCMP_EQUAL("B", str(h.name).c_str());
      CHECK(h.name_ws);
      CHECK(h.folded);
      STRCMP_EQUAL("two more and more", v.c_str());
    } else if (n == 2) {
      CHECK(!h.has_colon);
    } else {
      STRCMP_EQUAL("C", str(h.name).c_str());
      STRCMP_EQUAL("", v.c_str());
    }
    ++n;
  });
  CHECK_EQUAL(4, n);
}
