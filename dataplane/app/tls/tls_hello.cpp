#include "dataplane/app/tls/tls_hello.h"

#include <algorithm>
#include <string_view>

#include "dataplane/app/tls/tls_fingerprint.h"
#include "dataplane/app/tls/tls_reader.h"

namespace vigil::app::tls {

namespace {

// RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
constexpr std::uint8_t kHelloRetryRandom[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

std::string_view as_text(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

template <std::size_t N>
void store(TlsShared& shared, TlsText<N>& field, std::string_view text) {
  if (!field.assign(text)) shared.count(TlsCounter::field_truncated);
}

// A vector inside an extension: its declared length must fit the extension.
std::span<const std::uint8_t> inner_list(TlsReader& r, std::size_t declared, TlsShared& shared) {
  if (r.has(declared)) return r.bytes(declared);
  shared.count(TlsCounter::truncated_extension);
  return r.rest();
}

void parse_sni(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> data) {
  TlsReader r{data};
  const std::uint16_t list_len = r.u16();
  if (!r.ok) return shared.count(TlsCounter::truncated_extension);
  TlsReader list{inner_list(r, list_len, shared)};
  while (list.left() > 0) {
    const std::uint8_t type = list.u8();
    const std::uint16_t len = list.u16();
    const auto name = list.bytes(len);
    if (!list.ok) return shared.count(TlsCounter::truncated_extension);
    if (type == 0 && s.sni.len == 0 && !name.empty()) {  // host_name; the first one counts
      store(shared, s.sni, as_text(name));
      return;
    }
  }
}

// The first protocol of an ALPN ProtocolNameList.
template <std::size_t N>
void parse_alpn(TlsText<N>& field, TlsShared& shared, std::span<const std::uint8_t> data) {
  TlsReader r{data};
  const std::uint16_t list_len = r.u16();
  if (!r.ok) return shared.count(TlsCounter::truncated_extension);
  TlsReader list{inner_list(r, list_len, shared)};
  while (list.left() > 0) {
    const std::uint8_t len = list.u8();
    const auto name = list.bytes(len);
    if (!list.ok) return shared.count(TlsCounter::truncated_extension);
    if (field.len == 0 && !name.empty()) {
      store(shared, field, as_text(name));
      return;
    }
  }
}

// A u16-length list of u16 values (supported_groups, signature_algorithms).
template <typename Fn>
void for_each_u16(TlsShared& shared, std::span<const std::uint8_t> data, Fn&& fn) {
  TlsReader r{data};
  const std::uint16_t list_len = r.u16();
  if (!r.ok) return shared.count(TlsCounter::truncated_extension);
  TlsReader list{inner_list(r, list_len, shared)};
  while (list.left() >= 2) fn(list.u16());
  if (list.left() != 0) shared.count(TlsCounter::truncated_extension);
}

// A u8-length list of u8 values (ec_point_formats).
template <typename Fn>
void for_each_u8(TlsShared& shared, std::span<const std::uint8_t> data, Fn&& fn) {
  TlsReader r{data};
  const std::uint8_t list_len = r.u8();
  if (!r.ok) return shared.count(TlsCounter::truncated_extension);
  for (std::uint8_t v : inner_list(r, list_len, shared)) fn(v);
}

// The extensions block of a hello: calls fn(type, data) for each complete extension, in order.
template <typename Fn>
void for_each_extension(TlsReader& r, TlsShared& shared, Fn&& fn) {
  if (r.left() == 0) return;  // extensions are optional
  const std::uint16_t total = r.u16();
  if (!r.ok) return shared.count(TlsCounter::truncated_extension);
  TlsReader e{inner_list(r, total, shared)};
  while (e.left() > 0) {
    if (!e.has(4)) return shared.count(TlsCounter::truncated_extension);
    const std::uint16_t type = e.u16();
    const std::uint16_t len = e.u16();
    if (!e.has(len)) return shared.count(TlsCounter::truncated_extension);
    fn(type, e.bytes(len));
  }
}

template <std::size_t N>
void store_hash(TlsText<N>& field, std::string_view text) {
  char hex[32];
  tls_md5_hex(text, hex);
  field.assign({hex, sizeof hex});
}

}  // namespace

bool is_tls13(std::uint16_t v) {
  return v == 0x0304 || (v >> 8) == 0x7f || (v >= 0xfb14 && v <= 0xfb1a);
}

void set_version_text(TlsState& s) {
  if (s.server_version == 0) return s.version.clear();
  const std::string_view name = tls_version_name(s.server_version);
  if (!name.empty()) {
    s.version.assign(name);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint16_t v = s.server_version;
  const char text[6] = {'0', 'x', kHex[v >> 12], kHex[(v >> 8) & 15], kHex[(v >> 4) & 15],
                        kHex[v & 15]};
  s.version.assign({text, sizeof text});
}

bool parse_client_hello(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body) {
  TlsReader r{body};
  const std::uint16_t version = r.u16();
  r.bytes(32);  // random
  r.bytes(r.u8());  // session id
  const std::uint16_t cipher_len = r.u16();
  const auto ciphers = r.bytes(cipher_len);
  r.bytes(r.u8());  // compression methods
  if (!r.ok || cipher_len % 2 != 0) {
    shared.count(TlsCounter::invalid_handshake);
    return false;
  }

  TextWriter w{shared.scratch()};
  w.put_decimal(version);
  w.put(',');
  Ja3List cipher_list{w};
  for (std::size_t i = 0; i + 1 < ciphers.size(); i += 2) {
    cipher_list.add(static_cast<std::uint16_t>(ciphers[i] << 8 | ciphers[i + 1]));
  }
  w.put(',');
  Ja3List ext_list{w};
  std::span<const std::uint8_t> groups, point_formats;
  bool have_groups = false, have_point_formats = false;
  for_each_extension(r, shared, [&](std::uint16_t type, std::span<const std::uint8_t> data) {
    ext_list.add(type);
    switch (type) {
      case ext::server_name: parse_sni(s, shared, data); break;
      case ext::alpn: parse_alpn(s.alpn_first, shared, data); break;
      case ext::supported_groups:
        if (!have_groups) groups = data;
        have_groups = true;
        break;
      case ext::ec_point_formats:
        if (!have_point_formats) point_formats = data;
        have_point_formats = true;
        break;
      case ext::signature_algorithms:
        for_each_u16(shared, data, [](std::uint16_t) {});  // framing check only
        break;
      case ext::supported_versions:
        for_each_u8(shared, data, [](std::uint8_t) {});
        break;
      default: break;
    }
  });
  w.put(',');
  Ja3List curve_list{w};
  if (have_groups) for_each_u16(shared, groups, [&](std::uint16_t v) { curve_list.add(v); });
  w.put(',');
  Ja3List format_list{w};
  if (have_point_formats) {
    for_each_u8(shared, point_formats, [&](std::uint8_t v) { format_list.add(v); });
  }
  if (w.overflow) shared.count(TlsCounter::field_truncated);
  store(shared, s.ja3_string, w.view());
  store_hash(s.ja3_hash, w.view());

  s.client_version = version;
  s.client_hello_seen = true;
  shared.count(TlsCounter::client_hellos);
  return true;
}

ServerHelloResult parse_server_hello(TlsState& s, TlsShared& shared,
                                     std::span<const std::uint8_t> body) {
  TlsReader r{body};
  const std::uint16_t version = r.u16();
  const auto random = r.bytes(32);
  r.bytes(r.u8());  // session id
  const std::uint16_t cipher = r.u16();
  r.u8();  // compression method
  if (!r.ok) {
    shared.count(TlsCounter::invalid_handshake);
    return ServerHelloResult::invalid;
  }
  const bool retry = std::equal(random.begin(), random.end(), kHelloRetryRandom);

  TextWriter w{shared.scratch()};
  w.put_decimal(version);
  w.put(',');
  w.put_decimal(cipher);
  w.put(',');
  Ja3List ext_list{w};
  std::uint16_t selected = 0;
  for_each_extension(r, shared, [&](std::uint16_t type, std::span<const std::uint8_t> data) {
    ext_list.add(type);
    if (type == ext::supported_versions) {
      if (data.size() == 2) selected = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
      else shared.count(TlsCounter::truncated_extension);
    } else if (type == ext::alpn) {
      s.alpn_server.clear();
      parse_alpn(s.alpn_server, shared, data);
    }
  });
  if (w.overflow) shared.count(TlsCounter::field_truncated);
  store(shared, s.ja3s_string, w.view());
  store_hash(s.ja3s_hash, w.view());

  s.server_version = selected != 0 ? selected : version;
  s.server_cipher = cipher;
  set_version_text(s);
  s.server_hello_seen = true;
  s.hello_retry = retry;
  shared.count(retry ? TlsCounter::hello_retry_requests : TlsCounter::server_hellos);
  return retry ? ServerHelloResult::retry : ServerHelloResult::hello;
}

bool parse_sslv2_client_hello(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body) {
  // msg_type 1, version, cipher_specs_length, session_id_length, challenge_length, then the
  // cipher specs (3 bytes each), session id and challenge.
  TlsReader r{body};
  const std::uint8_t type = r.u8();
  const std::uint16_t version = r.u16();
  const std::uint16_t specs_len = r.u16();
  r.u16();
  r.u16();
  r.bytes(specs_len);
  if (!r.ok || type != 1 || specs_len % 3 != 0) {
    shared.count(TlsCounter::invalid_handshake);
    return false;
  }
  s.client_version = version;
  s.client_hello_seen = true;
  shared.count(TlsCounter::sslv2_hello);
  shared.count(TlsCounter::client_hellos);
  return true;
}

bool parse_sslv2_server_hello(TlsState& s, TlsShared& shared, std::span<const std::uint8_t> body) {
  // msg_type 4, session_id_hit, certificate_type, server_version, ...
  TlsReader r{body};
  const std::uint8_t type = r.u8();
  r.u8();
  r.u8();
  const std::uint16_t version = r.u16();
  if (!r.ok || type != 4) {
    shared.count(TlsCounter::invalid_handshake);
    return false;
  }
  s.server_version = version;
  set_version_text(s);
  s.server_hello_seen = true;
  shared.count(TlsCounter::sslv2_hello);
  shared.count(TlsCounter::server_hellos);
  return true;
}

}  // namespace vigil::app::tls
