#include "tls_test_util.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md5.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha1.h>
#include <mbedtls/x509_crt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "tools/pcapgen/app/tls.h"
#include "tools/pcapgen/bytes.h"

namespace vigil::app::tls::test {

// Wire primitives and framing from the project's capture generator (tools/pcapgen).
void put_u8(Bytes& b, std::uint8_t v) { pcapgen::put_u8(b, v); }
void put_u16(Bytes& b, std::uint16_t v) { pcapgen::put_be16(b, v); }
void put_u24(Bytes& b, std::uint32_t v) { pcapgen::put_be24(b, v); }
void put(Bytes& b, const Bytes& more) { pcapgen::put_bytes(b, more); }
void put(Bytes& b, std::string_view text) { pcapgen::put_text(b, text); }
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) put(b, p);
  return b;
}

Bytes record(std::uint8_t type, std::uint16_t version, const Bytes& body) {
  return pcapgen::tls_record(type, version, body);
}

Bytes handshake(std::uint8_t type, const Bytes& body) { return pcapgen::tls_handshake(type, body); }

Bytes extension(std::uint16_t type, const Bytes& data) {
  Bytes b;
  put_u16(b, type);
  put_u16(b, static_cast<std::uint16_t>(data.size()));
  put(b, data);
  return b;
}

Bytes u16_list(std::initializer_list<std::uint16_t> values) {
  Bytes b;
  put_u16(b, static_cast<std::uint16_t>(values.size() * 2));
  for (std::uint16_t v : values) put_u16(b, v);
  return b;
}

Bytes sni_ext_data(std::string_view host) {
  Bytes b;
  put_u16(b, static_cast<std::uint16_t>(host.size() + 3));
  put_u8(b, 0);
  put_u16(b, static_cast<std::uint16_t>(host.size()));
  put(b, host);
  return b;
}

Bytes alpn_ext_data(std::initializer_list<std::string_view> protocols) {
  Bytes list;
  for (std::string_view p : protocols) {
    put_u8(list, static_cast<std::uint8_t>(p.size()));
    put(list, p);
  }
  Bytes b;
  put_u16(b, static_cast<std::uint16_t>(list.size()));
  put(b, list);
  return b;
}

Bytes client_hello_body(const HelloSpec& h) {
  Bytes b;
  put_u16(b, h.version);
  for (int i = 0; i < 32; ++i) put_u8(b, static_cast<std::uint8_t>(i * 7));
  put_u8(b, static_cast<std::uint8_t>(h.session_id.size()));
  put(b, h.session_id);
  put_u16(b, static_cast<std::uint16_t>(h.ciphers.size() * 2));
  for (std::uint16_t c : h.ciphers) put_u16(b, c);
  put_u8(b, 1);
  put_u8(b, 0);
  if (h.no_extensions_block) return b;
  Bytes exts;
  for (const auto& [type, data] : h.extensions) put(exts, extension(type, data));
  put_u16(b, static_cast<std::uint16_t>(exts.size()));
  put(b, exts);
  return b;
}

Bytes server_hello_body(std::uint16_t version, std::uint16_t cipher,
                        std::vector<std::pair<std::uint16_t, Bytes>> extensions,
                        bool retry_request) {
  static constexpr std::uint8_t kRetry[32] = {
      0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
      0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  Bytes b;
  put_u16(b, version);
  for (int i = 0; i < 32; ++i) put_u8(b, retry_request ? kRetry[i] : static_cast<std::uint8_t>(i + 100));
  put_u8(b, 32);
  for (int i = 0; i < 32; ++i) put_u8(b, static_cast<std::uint8_t>(i));
  put_u16(b, cipher);
  put_u8(b, 0);
  Bytes exts;
  for (const auto& [type, data] : extensions) put(exts, extension(type, data));
  put_u16(b, static_cast<std::uint16_t>(exts.size()));
  put(b, exts);
  return b;
}

Bytes certificate_body(const std::vector<Bytes>& ders) {
  Bytes chain;
  for (const Bytes& d : ders) {
    put_u24(chain, static_cast<std::uint32_t>(d.size()));
    put(chain, d);
  }
  Bytes b;
  put_u24(b, static_cast<std::uint32_t>(chain.size()));
  put(b, chain);
  return b;
}

namespace {

// Deterministic "entropy" for the CTR-DRBG: test data must be the same bytes every run.
int counter_entropy(void* ctx, unsigned char* out, std::size_t len) {
  auto* n = static_cast<std::uint32_t*>(ctx);
  for (std::size_t i = 0; i < len; ++i) out[i] = static_cast<unsigned char>((*n)++ * 151u + 17u);
  return 0;
}

void check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s failed: -0x%04x\n", what, static_cast<unsigned>(-rc));
    std::abort();
  }
}

struct Drbg {
  std::uint32_t counter = 1;
  mbedtls_ctr_drbg_context ctx;
  Drbg() {
    mbedtls_ctr_drbg_init(&ctx);
    static const unsigned char kPers[] = "vigil-tls-test";
    check(mbedtls_ctr_drbg_seed(&ctx, counter_entropy, &counter, kPers, sizeof kPers), "drbg");
  }
  ~Drbg() { mbedtls_ctr_drbg_free(&ctx); }
};

struct Key {
  mbedtls_pk_context pk;
  explicit Key(Drbg& d) {
    mbedtls_pk_init(&pk);
    check(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "pk_setup");
    check(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random,
                              &d.ctx),
          "ecp_gen_key");
  }
  ~Key() { mbedtls_pk_free(&pk); }
};

Bytes make_cert(Drbg& d, Key& subject_key, Key& issuer_key, const char* subject,
                const char* issuer, const Bytes& serial, const char* not_before,
                const char* not_after) {
  mbedtls_x509write_cert crt;
  mbedtls_x509write_crt_init(&crt);
  mbedtls_mpi sn;
  mbedtls_mpi_init(&sn);
  check(mbedtls_mpi_read_binary(&sn, serial.data(), serial.size()), "serial");
  mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
  check(mbedtls_x509write_crt_set_serial(&crt, &sn), "set_serial");
  check(mbedtls_x509write_crt_set_validity(&crt, not_before, not_after), "validity");
  check(mbedtls_x509write_crt_set_subject_name(&crt, subject), "subject");
  check(mbedtls_x509write_crt_set_issuer_name(&crt, issuer), "issuer");
  mbedtls_x509write_crt_set_subject_key(&crt, &subject_key.pk);
  mbedtls_x509write_crt_set_issuer_key(&crt, &issuer_key.pk);
  mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
  unsigned char buf[4096];
  const int len = mbedtls_x509write_crt_der(&crt, buf, sizeof buf, mbedtls_ctr_drbg_random, &d.ctx);
  if (len <= 0) check(len == 0 ? -1 : len, "crt_der");
  mbedtls_mpi_free(&sn);
  mbedtls_x509write_crt_free(&crt);
  return Bytes(buf + sizeof buf - len, buf + sizeof buf);
}

}  // namespace

TestChain make_chain() {
  Drbg d;
  Key ca_key(d), leaf_key(d);
  TestChain c;
  c.ca = make_cert(d, ca_key, ca_key, "C=US, O=Vigil Test Trust, CN=Vigil Test Root CA",
                   "C=US, O=Vigil Test Trust, CN=Vigil Test Root CA", Bytes{0x7f, 0x01},
                   "20200101000000", "20401231235959");
  c.leaf = make_cert(d, leaf_key, ca_key, "C=US, O=Example Corp, CN=www.example.com",
                     "C=US, O=Vigil Test Trust, CN=Vigil Test Root CA",
                     Bytes{0x01, 0x23, 0x45, 0x67, 0x89, 0xab}, "20230615083000", "20240714235959");
  return c;
}

std::string sha1_colon_hex(const Bytes& der) {
  unsigned char h[20];
  mbedtls_sha1_ret(der.data(), der.size(), h);
  std::string out;
  char two[4];
  for (int i = 0; i < 20; ++i) {
    std::snprintf(two, sizeof two, "%02x", h[i]);
    if (i) out += ':';
    out += two;
  }
  return out;
}

std::string md5_hex(std::string_view text) {
  unsigned char h[16];
  mbedtls_md5_ret(reinterpret_cast<const unsigned char*>(text.data()), text.size(), h);
  std::string out;
  char two[4];
  for (unsigned char c : h) {
    std::snprintf(two, sizeof two, "%02x", c);
    out += two;
  }
  return out;
}

void Recorder::on_tls_progress(const TlsState&, FlowDirection dir, TlsProgress p) {
  events.emplace_back(dir, p);
  if (p == TlsProgress::handshake_done) ++done_count;
}

std::string field(const TlsState& s, TlsField f) {
  const auto b = tls_field(s, f);
  return std::string(b.begin(), b.end());
}

Flow::Flow() {
  // As the lead does: raw slot memory (here filled with junk), value-initialised, then tls_init.
  void* slot = std::malloc(sizeof(TlsState));
  std::memset(slot, 0xa5, sizeof(TlsState));
  state = new (slot) TlsState{};
  tls_init(*state);
}

Flow::~Flow() { std::free(state); }

void Flow::feed(FlowDirection dir, const Bytes& b) { tls_parse(*state, shared, dir, b, rec); }

void Flow::feed_split(FlowDirection dir, const Bytes& b, std::size_t at) {
  const std::span<const std::uint8_t> all(b);
  tls_parse(*state, shared, dir, all.first(at), rec);
  tls_parse(*state, shared, dir, all.subspan(at), rec);
}

void Flow::close() { tls_close(*state, shared, rec); }

std::string Flow::snapshot() const {
  std::string out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(TlsField::count_); ++i) {
    const auto f = static_cast<TlsField>(i);
    out += std::string(tls_field_name(f)) + "=" + field(*state, f) + "\n";
  }
  out += "not_before=" + std::string(tls_not_before(*state)) + "\n";
  out += "not_after=" + std::string(tls_not_after(*state)) + "\n";
  out += "version=" + std::to_string(tls_version(*state)) + "\n";
  for (std::size_t i = 0; i < tls_cert_count(*state); ++i) {
    out += "cert" + std::to_string(i) + "=" + sha1_colon_hex(Bytes(tls_cert(*state, i).begin(),
                                                                   tls_cert(*state, i).end())) + "\n";
  }
  for (const auto& [dir, p] : rec.events) {
    out += "event " + std::to_string(static_cast<int>(dir)) + " " +
           std::to_string(static_cast<int>(p)) + "\n";
  }
  for (std::size_t i = 0; i < kTlsCounterCount; ++i) {
    const auto c = static_cast<TlsCounter>(i);
    // Handshake message counts do not depend on chunking; neither does anything else.
    out += std::string(tls_counter_name(c)) + "=" + std::to_string(count(c)) + "\n";
  }
  return out;
}

std::vector<Segment> tls12_conversation() {
  const TestChain chain = make_chain();
  HelloSpec ch;
  ch.ciphers = {0xc02b, 0xc02f, 0x009c, 0x002f};
  ch.extensions = {{0x0000, sni_ext_data("www.example.com")},
                   {0x000a, u16_list({0x001d, 0x0017})},
                   {0x000b, Bytes{0x01, 0x00}},
                   {0x0010, alpn_ext_data({"h2", "http/1.1"})},
                   {0x000d, u16_list({0x0403, 0x0804})},
                   {0xff01, Bytes{0x00}}};
  const Bytes sh = server_hello_body(0x0303, 0xc02b,
                                     {{0xff01, Bytes{0x00}},
                                      {0x000b, Bytes{0x01, 0x00}},
                                      {0x0010, alpn_ext_data({"h2"})}});
  Bytes ske;
  put_u8(ske, 3);
  put_u16(ske, 0x001d);
  put_u8(ske, 32);
  put(ske, Bytes(32, 0x42));
  put_u16(ske, 0x0403);
  put_u16(ske, 8);
  put(ske, Bytes(8, 0x24));
  const Bytes server_flight =
      cat({record(22, 0x0303, handshake(2, sh)),
           record(22, 0x0303, handshake(11, certificate_body({chain.leaf, chain.ca}))),
           record(22, 0x0303, cat({handshake(12, ske), handshake(14, {})}))});
  const Bytes cke = handshake(16, cat({Bytes{32}, Bytes(32, 0x11)}));
  const Bytes client_finish = cat({record(22, 0x0303, cke), record(20, 0x0303, Bytes{1}),
                                   record(22, 0x0303, Bytes(40, 0x99))});
  const Bytes server_finish = cat({record(20, 0x0303, Bytes{1}), record(22, 0x0303, Bytes(40, 0x77)),
                                   record(23, 0x0303, Bytes(100, 0x55))});
  return {{kToServer, record(22, 0x0301, handshake(1, client_hello_body(ch)))},
          {kToClient, server_flight},
          {kToServer, client_finish},
          {kToClient, server_finish}};
}

std::vector<Segment> tls13_conversation() {
  HelloSpec ch;
  ch.session_id = Bytes(32, 0x33);
  ch.ciphers = {0x1301, 0x1302, 0x1303, 0xc02b};
  ch.extensions = {{0x0000, sni_ext_data("tls13.example.org")},
                   {0x000a, u16_list({0x001d, 0x0017})},
                   {0x0033, cat({Bytes{0x00, 0x24, 0x00, 0x1d, 0x00, 0x20}, Bytes(32, 0x01)})},
                   {0x002b, Bytes{0x04, 0x03, 0x04, 0x03, 0x03}},
                   {0x000d, u16_list({0x0403, 0x0804})}};
  const Bytes sh = server_hello_body(
      0x0303, 0x1301,
      {{0x0033, cat({Bytes{0x00, 0x1d, 0x00, 0x20}, Bytes(32, 0x02)})}, {0x002b, Bytes{0x03, 0x04}}});
  return {{kToServer, record(22, 0x0301, handshake(1, client_hello_body(ch)))},
          {kToClient, cat({record(22, 0x0303, handshake(2, sh)), record(20, 0x0303, Bytes{1}),
                           record(23, 0x0303, Bytes(1200, 0xee)), record(23, 0x0303, Bytes(60, 0xdd))})},
          {kToServer, cat({record(20, 0x0303, Bytes{1}), record(23, 0x0303, Bytes(53, 0xcc))})}};
}

}  // namespace vigil::app::tls::test
