#include "tools/pcapgen/app/x509.h"

#include <charconv>
#include <string_view>

namespace vigil::pcapgen {

namespace {

namespace tag {
constexpr std::uint8_t boolean = 0x01, integer = 0x02, bit_string = 0x03, octet_string = 0x04,
                       oid = 0x06, utf8_string = 0x0c, printable_string = 0x13, utc_time = 0x17,
                       sequence = 0x30, set = 0x31, context0 = 0xa0, context3 = 0xa3, dns_name = 0x82;
}

Bytes tlv(std::uint8_t t, const Bytes& content) {
  Bytes b;
  put_u8(b, t);
  const std::size_t n = content.size();
  if (n < 0x80) {
    put_u8(b, static_cast<std::uint8_t>(n));
  } else if (n < 0x100) {
    put_u8(b, 0x81);
    put_u8(b, static_cast<std::uint8_t>(n));
  } else {
    put_u8(b, 0x82);
    put_be16(b, static_cast<std::uint16_t>(n));
  }
  put_bytes(b, content);
  return b;
}

Bytes tlv_text(std::uint8_t t, std::string_view s) {
  Bytes c;
  put_text(c, s);
  return tlv(t, c);
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) put_bytes(b, p);
  return b;
}

Bytes seq(std::initializer_list<Bytes> parts) { return tlv(tag::sequence, concat(parts)); }

Bytes oid(std::string_view dotted) {
  std::vector<std::uint32_t> arcs;
  const char* p = dotted.data();
  const char* end = p + dotted.size();
  while (p < end) {
    std::uint32_t v = 0;
    p = std::from_chars(p, end, v).ptr;
    arcs.push_back(v);
    if (p < end) ++p;  // the dot
  }
  Bytes c;
  put_u8(c, static_cast<std::uint8_t>(arcs[0] * 40 + arcs[1]));
  for (std::size_t i = 2; i < arcs.size(); ++i) {
    std::uint8_t groups[5];
    int n = 0;
    std::uint32_t v = arcs[i];
    do {
      groups[n++] = static_cast<std::uint8_t>(v & 0x7f);
      v >>= 7;
    } while (v);
    while (n-- > 0) put_u8(c, static_cast<std::uint8_t>(groups[n] | (n ? 0x80 : 0)));
  }
  return tlv(tag::oid, c);
}

// A positive INTEGER from random bytes (leading zero added when the top bit is set).
Bytes random_integer(Rng& r, std::size_t len) {
  Bytes v(len);
  fill_random(r, v);
  if (v[0] == 0) v[0] = 1;
  if (v[0] & 0x80) v.insert(v.begin(), 0);
  return tlv(tag::integer, v);
}

Bytes name(std::string_view country, std::string_view org, std::string_view cn) {
  Bytes rdns;
  if (!country.empty()) put_bytes(rdns, tlv(tag::set, seq({oid("2.5.4.6"), tlv_text(tag::printable_string, country)})));
  if (!org.empty()) put_bytes(rdns, tlv(tag::set, seq({oid("2.5.4.10"), tlv_text(tag::utf8_string, org)})));
  put_bytes(rdns, tlv(tag::set, seq({oid("2.5.4.3"), tlv_text(tag::utf8_string, cn)})));
  return tlv(tag::sequence, rdns);
}

Bytes extension(std::string_view id, bool critical, const Bytes& value) {
  Bytes c = oid(id);
  if (critical) put_bytes(c, tlv(tag::boolean, Bytes{0xff}));
  put_bytes(c, tlv(tag::octet_string, value));
  return tlv(tag::sequence, c);
}

const std::string_view kEcdsaWithSha256 = "1.2.840.10045.4.3.2";

}  // namespace

Bytes ecdsa_signature_der(Rng& r) { return seq({random_integer(r, 32), random_integer(r, 32)}); }

Bytes certificate_der(Rng& r, const CertificateSpec& spec) {
  Bytes point(65);
  fill_random(r, point);
  point[0] = 0x04;  // uncompressed P-256 point
  Bytes key_bits{0x00};
  put_bytes(key_bits, point);
  const Bytes spki = seq({seq({oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")}),
                          tlv(tag::bit_string, key_bits)});

  Bytes exts;
  if (!spec.dns_names.empty()) {
    Bytes names;
    for (const std::string& n : spec.dns_names) put_bytes(names, tlv_text(tag::dns_name, n));
    put_bytes(exts, extension("2.5.29.17", false, tlv(tag::sequence, names)));
  }
  // keyUsage: digitalSignature for a leaf; keyCertSign + cRLSign for a CA.
  put_bytes(exts, extension("2.5.29.15", true,
                            tlv(tag::bit_string, spec.is_ca ? Bytes{0x01, 0x06} : Bytes{0x07, 0x80})));
  put_bytes(exts, extension("2.5.29.19", true,
                            spec.is_ca ? seq({tlv(tag::boolean, Bytes{0xff})}) : tlv(tag::sequence, {})));
  if (!spec.is_ca) {
    put_bytes(exts, extension("2.5.29.37", false,
                              seq({oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2")})));
  }
  Bytes key_id(20);
  fill_random(r, key_id);
  put_bytes(exts, extension("2.5.29.14", false, tlv(tag::octet_string, key_id)));

  const Bytes tbs = seq({
      tlv(tag::context0, tlv(tag::integer, Bytes{0x02})),  // v3
      random_integer(r, 16),
      seq({oid(kEcdsaWithSha256)}),
      name("US", spec.issuer_org, spec.issuer_cn),
      seq({tlv_text(tag::utc_time, spec.not_before), tlv_text(tag::utc_time, spec.not_after)}),
      name(spec.subject_org.empty() ? "" : "US", spec.subject_org, spec.subject_cn),
      spki,
      tlv(tag::context3, tlv(tag::sequence, exts)),
  });
  Bytes sig_bits{0x00};
  put_bytes(sig_bits, ecdsa_signature_der(r));
  return seq({tbs, seq({oid(kEcdsaWithSha256)}), tlv(tag::bit_string, sig_bits)});
}

}  // namespace vigil::pcapgen
