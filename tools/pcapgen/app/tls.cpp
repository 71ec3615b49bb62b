#include "tools/pcapgen/app/tls.h"

#include <algorithm>

#include "tools/pcapgen/app/x509.h"

namespace vigil::pcapgen {

Bytes tls_record(std::uint8_t type, std::uint16_t version, const Bytes& body) {
  Bytes b;
  put_u8(b, type);
  put_be16(b, version);
  put_be16(b, static_cast<std::uint16_t>(body.size()));
  put_bytes(b, body);
  return b;
}

Bytes tls_handshake(std::uint8_t type, const Bytes& body) {
  Bytes b;
  put_u8(b, type);
  put_be24(b, static_cast<std::uint32_t>(body.size()));
  put_bytes(b, body);
  return b;
}

namespace {

namespace content {
constexpr std::uint8_t change_cipher_spec = 20, handshake = 22, application_data = 23;
}
namespace hs {
constexpr std::uint8_t client_hello = 1, server_hello = 2, new_session_ticket = 4, certificate = 11,
                       server_key_exchange = 12, server_hello_done = 14, client_key_exchange = 16;
}
namespace ext {
constexpr std::uint16_t server_name = 0, status_request = 5, supported_groups = 10, ec_point_formats = 11,
                        signature_algorithms = 13, alpn = 16, extended_master_secret = 23,
                        record_size_limit = 28, session_ticket = 35, supported_versions = 43,
                        psk_key_exchange_modes = 45, key_share = 51, renegotiation_info = 0xff01;
}
constexpr std::uint16_t kX25519 = 0x001d, kSecp256r1 = 0x0017;

Bytes record(std::uint8_t type, std::uint16_t version, const Bytes& body) {
  return tls_record(type, version, body);
}

Bytes handshake(std::uint8_t type, const Bytes& body) { return tls_handshake(type, body); }

void put_extension(Bytes& b, std::uint16_t type, const Bytes& data) {
  put_be16(b, type);
  put_be16(b, static_cast<std::uint16_t>(data.size()));
  put_bytes(b, data);
}

Bytes random_bytes(Rng& r, std::size_t n) {
  Bytes b(n);
  fill_random(r, b);
  return b;
}

Bytes u16_list(std::initializer_list<std::uint16_t> values) {
  Bytes b;
  put_be16(b, static_cast<std::uint16_t>(values.size() * 2));
  for (std::uint16_t v : values) put_be16(b, v);
  return b;
}

Bytes alpn_extension(const std::vector<std::string>& protocols) {
  Bytes list;
  for (const std::string& p : protocols) {
    put_u8(list, static_cast<std::uint8_t>(p.size()));
    put_text(list, p);
  }
  Bytes b;
  put_be16(b, static_cast<std::uint16_t>(list.size()));
  put_bytes(b, list);
  return b;
}

// An encrypted record: AEAD output of the plaintext (+1 inner content type for TLS 1.3, + the
// 8-byte explicit nonce for TLS 1.2 GCM) and a 16-byte tag.
Bytes encrypted_record(Rng& r, std::uint8_t type, std::size_t plaintext_len, bool tls13) {
  const std::size_t len = plaintext_len + 16 + (tls13 ? 1 : 8);
  return record(type, 0x0303, random_bytes(r, len));
}

Bytes change_cipher_spec() { return record(content::change_cipher_spec, 0x0303, Bytes{0x01}); }

std::string base_domain(const std::string& host) {
  const std::size_t last = host.rfind('.');
  if (last == std::string::npos || last == 0) return host;
  const std::size_t prev = host.rfind('.', last - 1);
  return prev == std::string::npos ? host : host.substr(prev + 1);
}

}  // namespace

ClientHello tls_client_hello(Rng& r, const std::string& sni, bool offer_tls13,
                             const std::vector<std::string>& alpn) {
  ClientHello out;
  fill_random(r, out.session_id);
  Bytes body;
  put_be16(body, 0x0303);
  put_bytes(body, random_bytes(r, 32));
  put_u8(body, 32);
  put_bytes(body, out.session_id);
  if (offer_tls13) {
    put_bytes(body, u16_list({0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030,
                              0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}));
  } else {
    put_bytes(body, u16_list({0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
                              0x009d, 0x002f, 0x0035, 0x000a}));
  }
  put_u8(body, 1);
  put_u8(body, 0);  // null compression

  Bytes exts;
  Bytes sn;
  put_be16(sn, static_cast<std::uint16_t>(sni.size() + 3));
  put_u8(sn, 0);  // host_name
  put_be16(sn, static_cast<std::uint16_t>(sni.size()));
  put_text(sn, sni);
  put_extension(exts, ext::server_name, sn);
  put_extension(exts, ext::extended_master_secret, {});
  put_extension(exts, ext::renegotiation_info, Bytes{0x00});
  put_extension(exts, ext::supported_groups, u16_list({kX25519, kSecp256r1, 0x0018, 0x0019, 0x0100, 0x0101}));
  put_extension(exts, ext::ec_point_formats, Bytes{0x01, 0x00});
  put_extension(exts, ext::session_ticket, {});
  if (!alpn.empty()) put_extension(exts, ext::alpn, alpn_extension(alpn));
  put_extension(exts, ext::status_request, Bytes{0x01, 0x00, 0x00, 0x00, 0x00});
  if (offer_tls13) {
    Bytes shares;
    put_be16(shares, kX25519);
    put_be16(shares, 32);
    put_bytes(shares, random_bytes(r, 32));
    put_be16(shares, kSecp256r1);
    put_be16(shares, 65);
    Bytes point = random_bytes(r, 65);
    point[0] = 0x04;
    put_bytes(shares, point);
    Bytes ks;
    put_be16(ks, static_cast<std::uint16_t>(shares.size()));
    put_bytes(ks, shares);
    put_extension(exts, ext::key_share, ks);
    put_extension(exts, ext::supported_versions, Bytes{0x04, 0x03, 0x04, 0x03, 0x03});
  }
  put_extension(exts, ext::signature_algorithms,
                u16_list({0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201}));
  if (offer_tls13) put_extension(exts, ext::psk_key_exchange_modes, Bytes{0x01, 0x01});
  put_extension(exts, ext::record_size_limit, Bytes{0x40, 0x01});
  put_be16(body, static_cast<std::uint16_t>(exts.size()));
  put_bytes(body, exts);
  // The record layer says TLS 1.0 in a ClientHello, for old middleboxes (RFC 8446 5.1).
  out.records = record(content::handshake, 0x0301, handshake(hs::client_hello, body));
  return out;
}

Bytes tls12_server_hello_flight(Rng& r, const std::string& host, const std::string& alpn) {
  Bytes sh;
  put_be16(sh, 0x0303);
  put_bytes(sh, random_bytes(r, 32));
  put_u8(sh, 32);
  put_bytes(sh, random_bytes(r, 32));
  put_be16(sh, 0xc02b);
  put_u8(sh, 0);
  Bytes exts;
  put_extension(exts, ext::renegotiation_info, Bytes{0x00});
  put_extension(exts, ext::ec_point_formats, Bytes{0x01, 0x00});
  put_extension(exts, ext::extended_master_secret, {});
  put_extension(exts, ext::session_ticket, {});
  if (!alpn.empty()) put_extension(exts, ext::alpn, alpn_extension({alpn}));
  put_be16(sh, static_cast<std::uint16_t>(exts.size()));
  put_bytes(sh, exts);

  const std::string domain = base_domain(host);
  CertificateSpec leaf;
  leaf.subject_cn = host;
  leaf.issuer_cn = "Example TLS ECC CA 2023";
  leaf.issuer_org = "Example Trust Services";
  leaf.dns_names = {host, "*." + domain};
  CertificateSpec intermediate;
  intermediate.subject_cn = leaf.issuer_cn;
  intermediate.subject_org = leaf.issuer_org;
  intermediate.issuer_cn = "Example Root ECC R1";
  intermediate.issuer_org = leaf.issuer_org;
  intermediate.not_before = "230101000000Z";
  intermediate.not_after = "330101000000Z";
  intermediate.is_ca = true;
  Bytes chain;
  for (const Bytes& der : {certificate_der(r, leaf), certificate_der(r, intermediate)}) {
    put_be24(chain, static_cast<std::uint32_t>(der.size()));
    put_bytes(chain, der);
  }
  Bytes cert;
  put_be24(cert, static_cast<std::uint32_t>(chain.size()));
  put_bytes(cert, chain);

  Bytes ske;
  put_u8(ske, 3);  // named_curve
  put_be16(ske, kX25519);
  put_u8(ske, 32);
  put_bytes(ske, random_bytes(r, 32));
  put_be16(ske, 0x0403);  // ecdsa_secp256r1_sha256
  const Bytes sig = ecdsa_signature_der(r);
  put_be16(ske, static_cast<std::uint16_t>(sig.size()));
  put_bytes(ske, sig);

  // One record per handshake message, as OpenSSL and nginx send them.
  Bytes out = record(content::handshake, 0x0303, handshake(hs::server_hello, sh));
  put_bytes(out, record(content::handshake, 0x0303, handshake(hs::certificate, cert)));
  put_bytes(out, record(content::handshake, 0x0303, handshake(hs::server_key_exchange, ske)));
  put_bytes(out, record(content::handshake, 0x0303, handshake(hs::server_hello_done, {})));
  return out;
}

Bytes tls12_client_finished(Rng& r) {
  Bytes cke;
  put_u8(cke, 32);
  put_bytes(cke, random_bytes(r, 32));
  Bytes out = record(content::handshake, 0x0303, handshake(hs::client_key_exchange, cke));
  put_bytes(out, change_cipher_spec());
  put_bytes(out, encrypted_record(r, content::handshake, 16, false));
  return out;
}

Bytes tls12_server_finished(Rng& r) {
  Bytes nst;
  put_be32(nst, 300);  // ticket lifetime hint, seconds
  put_be16(nst, 192);
  put_bytes(nst, random_bytes(r, 192));
  Bytes out = record(content::handshake, 0x0303, handshake(hs::new_session_ticket, nst));
  put_bytes(out, change_cipher_spec());
  put_bytes(out, encrypted_record(r, content::handshake, 16, false));
  return out;
}

Bytes tls13_server_hello_flight(Rng& r, const ClientHello& hello) {
  Bytes sh;
  put_be16(sh, 0x0303);
  put_bytes(sh, random_bytes(r, 32));
  put_u8(sh, 32);
  put_bytes(sh, hello.session_id);
  put_be16(sh, 0x1301);
  put_u8(sh, 0);
  Bytes exts;
  Bytes ks;
  put_be16(ks, kX25519);
  put_be16(ks, 32);
  put_bytes(ks, random_bytes(r, 32));
  put_extension(exts, ext::key_share, ks);
  put_extension(exts, ext::supported_versions, Bytes{0x03, 0x04});
  put_be16(sh, static_cast<std::uint16_t>(exts.size()));
  put_bytes(sh, exts);

  Bytes out = record(content::handshake, 0x0303, handshake(hs::server_hello, sh));
  put_bytes(out, change_cipher_spec());
  // EncryptedExtensions, Certificate (two-certificate chain), CertificateVerify, Finished.
  for (std::size_t len : {std::size_t{uniform(r, 20, 40)}, std::size_t{uniform(r, 1700, 2400)},
                          std::size_t{uniform(r, 75, 80)}, std::size_t{36}}) {
    put_bytes(out, encrypted_record(r, content::application_data, len, true));
  }
  return out;
}

Bytes tls13_client_finished(Rng& r) {
  Bytes out = change_cipher_spec();
  put_bytes(out, encrypted_record(r, content::application_data, 36, true));
  return out;
}

Bytes tls_application_data(Rng& r, std::size_t plaintext_len, bool tls13) {
  Bytes out;
  while (plaintext_len > 0) {
    const std::size_t n = std::min<std::size_t>(plaintext_len, 16384);
    put_bytes(out, encrypted_record(r, content::application_data, n, tls13));
    plaintext_len -= n;
  }
  return out;
}

}  // namespace vigil::pcapgen
