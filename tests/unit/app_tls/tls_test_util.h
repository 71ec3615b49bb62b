// Builders for TLS test traffic (records, handshake messages, hellos, certificates made with
// mbedTLS's x509write from a deterministically seeded CTR-DRBG) and a recording sink.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/app/tls/tls_parser.h"

namespace vigil::app::tls::test {

using Bytes = std::vector<std::uint8_t>;

void put_u8(Bytes& b, std::uint8_t v);
void put_u16(Bytes& b, std::uint16_t v);
void put_u24(Bytes& b, std::uint32_t v);
void put(Bytes& b, const Bytes& more);
void put(Bytes& b, std::string_view text);
Bytes cat(std::initializer_list<Bytes> parts);

Bytes record(std::uint8_t type, std::uint16_t version, const Bytes& body);
Bytes handshake(std::uint8_t type, const Bytes& body);
Bytes extension(std::uint16_t type, const Bytes& data);
Bytes u16_list(std::initializer_list<std::uint16_t> values);  // u16 length + values
Bytes sni_ext_data(std::string_view host);
Bytes alpn_ext_data(std::initializer_list<std::string_view> protocols);

struct HelloSpec {
  std::uint16_t version = 0x0303;
  std::vector<std::uint16_t> ciphers;
  Bytes session_id;
  std::vector<std::pair<std::uint16_t, Bytes>> extensions;
  bool no_extensions_block = false;
};
Bytes client_hello_body(const HelloSpec& h);
Bytes server_hello_body(std::uint16_t version, std::uint16_t cipher,
                        std::vector<std::pair<std::uint16_t, Bytes>> extensions,
                        bool retry_request = false);
// Certificate message body from DERs.
Bytes certificate_body(const std::vector<Bytes>& ders);

// A CA and a leaf it signed (ECDSA P-256, SHA-256), same bytes every run.
struct TestChain {
  Bytes leaf, ca;
};
TestChain make_chain();
std::string sha1_colon_hex(const Bytes& der);
std::string md5_hex(std::string_view text);

// Records every progress event; `done_count` must never exceed 1.
struct Recorder final : TlsSink {
  std::vector<std::pair<FlowDirection, TlsProgress>> events;
  int done_count = 0;
  void on_tls_progress(const TlsState& s, FlowDirection dir, TlsProgress p) override;
};

std::string field(const TlsState& s, TlsField f);

// One flow fed segment by segment.
struct Segment {
  FlowDirection dir;
  Bytes bytes;
};

struct Flow {
  Flow();
  ~Flow();
  TlsState* state;
  TlsShared shared;
  Recorder rec;
  void feed(FlowDirection dir, const Bytes& b);
  void feed_split(FlowDirection dir, const Bytes& b, std::size_t at);
  void close();
  std::uint64_t count(TlsCounter c) const { return shared.counters().get(c); }
  // Every field, certificate, event and counter as text, to compare two runs.
  std::string snapshot() const;
  const TlsState& s() const { return *state; }
};

// A TLS 1.2 handshake with the test chain: ClientHello (SNI www.example.com, ALPN h2), server
// flight, client and server Finished.
std::vector<Segment> tls12_conversation();
// A TLS 1.3 handshake: ClientHello, ServerHello + CCS + encrypted flight, client Finished.
std::vector<Segment> tls13_conversation();

inline constexpr FlowDirection kToServer = FlowDirection::to_server;
inline constexpr FlowDirection kToClient = FlowDirection::to_client;

}  // namespace vigil::app::tls::test
