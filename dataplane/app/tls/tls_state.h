// TlsState: one TLS flow's parser state, plain data sized to fit its flow's parser slot
// (dataplane/app/parser_state.h). Everything the parser extracts lives here as bounded text or
// bytes; nothing points outside the state, so the slot can be dropped after tls_close. Owned by
// the worker that owns the flow; never shared between threads. Read it through tls_parser.h.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "dataplane/app/parser_state.h"

namespace vigil::app::tls {

// Bounds of what a flow keeps. A Certificate message is kept whole when it fits kServerMsgBytes
// (most chains are 2-8 KiB); beyond that the certificates that fit are kept and parsed.
inline constexpr std::size_t kClientMsgBytes = 6 * 1024;   // ClientHello (Chrome's is ~2 KiB)
inline constexpr std::size_t kServerMsgBytes = 18 * 1024;  // ServerHello, then Certificate
inline constexpr std::size_t kMaxCerts = 16;
inline constexpr std::size_t kMaxSerialBytes = 64;          // RFC 5280 allows 20

// Record bodies longer than 2^14 + 2048 (the TLSCiphertext limit) are not TLS.
inline constexpr std::uint32_t kMaxRecordBody = (1u << 14) + 2048;

// Bounded text: `len` valid bytes of `data`. Longer input is cut, and the caller counts it.
template <std::size_t N>
struct TlsText {
  static constexpr std::size_t kCapacity = N;
  std::uint16_t len = 0;
  char data[N];

  static_assert(N <= 0xffff);
  void clear() { len = 0; }
  std::string_view view() const { return {data, len}; }
  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(data), len};
  }
  // Replaces the text; false when it had to be cut.
  bool assign(std::string_view s) {
    const std::size_t n = std::min(s.size(), N);
    if (n) std::memcpy(data, s.data(), n);
    len = static_cast<std::uint16_t>(n);
    return n == s.size();
  }
};

// Where a direction's record layer is.
enum class RecordPhase : std::uint8_t { header, body };

// Record type code for an SSLv2 record (real TLS types are 20..24).
inline constexpr std::uint8_t kSslv2Record = 0x80;

struct TlsDirState {
  // Record layer.
  std::uint8_t hdr[5];
  std::uint8_t hdr_have = 0, hdr_need = 0;
  RecordPhase phase = RecordPhase::header;
  std::uint8_t rec_type = 0;
  std::uint16_t rec_version = 0;
  std::uint32_t rec_len = 0, rec_left = 0;
  std::uint8_t prefix[4];                 // first bytes of a non-handshake record (alert, heartbeat)
  std::uint8_t prefix_have = 0;
  // Handshake layer: messages run across records of type 22.
  std::uint8_t hs_hdr[4];
  std::uint8_t hs_hdr_have = 0;
  std::uint8_t hs_type = 0;
  std::uint32_t hs_len = 0, hs_got = 0;
  bool hs_buffering = false;              // this message goes into the direction's buffer
  bool hs_parsed = false;                 // and has been parsed (early, when it overflowed)
  std::uint32_t msg_len = 0;              // bytes in the direction's message buffer
  // Direction state.
  bool stopped = false;                   // gap or broken framing: nothing more is parsed
  bool encrypted = false;                 // after its ChangeCipherSpec / TLS 1.3 ServerHello
  bool v3_seen = false;                   // an SSLv3+ record was seen (SSLv2 no longer allowed)
  bool v2_seen = false;
};

struct TlsCertRef {
  std::uint32_t offset = 0, len = 0;      // DER inside server_msg
};

struct TlsState {
  TlsDirState dir[2];                     // by FlowDirection
  std::uint8_t client_msg[kClientMsgBytes];
  std::uint8_t server_msg[kServerMsgBytes];

  std::uint16_t client_version = 0;       // ClientHello legacy_version (SSLv2 hello: its version)
  std::uint16_t server_version = 0;       // negotiated: supported_versions, else ServerHello's
  std::uint16_t server_cipher = 0;
  bool client_hello_seen = false, server_hello_seen = false, hello_retry = false;
  bool certs_stored = false;              // server_msg holds the Certificate message: keep it
  bool done_sent = false, closed = false;
  std::uint8_t cert_count = 0;
  TlsCertRef certs[kMaxCerts];

  TlsText<255> sni;
  TlsText<256> alpn_first;                // the client's first ALPN protocol
  TlsText<256> alpn_server;               // the protocol the server selected
  TlsText<32> version;
  TlsText<1024> cert_subject, cert_issuer;
  TlsText<kMaxSerialBytes * 3> cert_serial;
  TlsText<60> cert_fingerprint;
  TlsText<19> not_before, not_after;
  TlsText<1536> ja3_string;
  TlsText<32> ja3_hash;
  TlsText<512> ja3s_string;
  TlsText<32> ja3s_hash;
};

static_assert(sizeof(TlsState) <= vigil::app::kParserStateBytes);

}  // namespace vigil::app::tls
