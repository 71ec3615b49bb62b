// TLS handshake parser: an incremental parser over the two reassembled TCP streams of one flow.
// Records (SSLv3/TLS and the SSLv2-compatible ClientHello), handshake messages running across
// records, ClientHello / ServerHello with their extensions, the server's Certificate chain
// (mbedTLS x509), JA3 / JA3S. After ChangeCipherSpec (or a TLS 1.3 ServerHello) a direction is
// encrypted: its records are only counted.
//
// Ownership and threads: a TlsState lives in its flow's parser slot and is used by the worker that
// owns the flow; a TlsShared belongs to one worker and is passed to every call for its flows.
// Heap: none on the packet path, except inside mbedtls_x509_crt_parse_der_nocopy, which allocates
// (and this parser frees before returning) a few small nodes once per certificate of the first
// Certificate message of a flow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "dataplane/app/tls/tls_counters.h"
#include "dataplane/app/tls/tls_state.h"
#include "dataplane/flow/flow.h"

namespace vigil::app::tls {

// The texts a flow exposes (rule buffers, EVE fields). Empty when unknown.
enum class TlsField : std::uint8_t {
  sni,               // server_name host_name of the ClientHello
  version,           // negotiated version as Suricata's EVE prints it: "TLS 1.2", "TLSv1", ...
  cert_subject,      // of the leaf (first) certificate, "C=US, O=.., CN=.."
  cert_issuer,
  cert_serial,       // "01:AB:..", uppercase
  cert_fingerprint,  // SHA-1 of the leaf's DER, "aa:bb:..", lowercase
  ja3_string,
  ja3_hash,          // MD5 of ja3_string, lowercase hex
  ja3s_string,
  ja3s_hash,
  alpn_first,        // the first protocol the client offered in ALPN
  alpn_server,       // the protocol the server selected
  count_
};

std::string_view tls_field_name(TlsField f);

enum class TlsProgress : std::uint8_t {
  client_hello,    // ClientHello parsed: sni, ja3_* readable
  server_hello,    // ServerHello parsed: ja3s_*, version readable
  certificate,     // the server's Certificate parsed: cert_* and tls_cert(i) readable
  handshake_done,  // both directions encrypted, or the flow ends: time to log (sent once)
};

struct TlsState;

// Told about each step of the handshake, from inside tls_parse / tls_close.
class TlsSink {
 public:
  virtual void on_tls_progress(const TlsState& s, FlowDirection dir, TlsProgress p) = 0;

 protected:
  ~TlsSink() = default;
};

// Per worker: counters and the scratch space JA3 strings and DN texts are built in.
class TlsShared {
 public:
  TlsShared();
  const TlsCounters& counters() const { return counters_; }
  TlsCounters& counters() { return counters_; }
  void count(TlsCounter c, std::uint64_t n = 1) { counters_.add(c, n); }
  std::span<char> scratch() { return {scratch_.get(), kScratchBytes}; }

  // Bounds every JA3 string a kClientMsgBytes ClientHello can produce (at most 3 characters per
  // input byte).
  static constexpr std::size_t kScratchBytes = 32 * 1024;

 private:
  TlsCounters counters_{};
  std::unique_ptr<char[]> scratch_;
};

// Prepares a state in raw or reused memory (the slot is value-initialised by the caller).
void tls_init(TlsState& s);
// Parses the next bytes of `dir`'s stream, any chunking.
void tls_parse(TlsState& s, TlsShared& shared, FlowDirection dir, std::span<const std::uint8_t> data,
               TlsSink& sink);
// The stream of `dir` lost bytes: that direction is no longer parsed.
void tls_gap(TlsState& s, TlsShared& shared, FlowDirection dir, TlsSink& sink);
// The flow ends: sends handshake_done if it was not sent and a hello was seen (dir: to_client when
// a ServerHello was seen, else to_server). Releases nothing (the state holds no resources).
void tls_close(TlsState& s, TlsShared& shared, TlsSink& sink);
// True when neither direction is parsed any more (gaps, broken framing).
bool tls_stopped(const TlsState& s);
// True when `dir` switched to encrypted records.
bool tls_encrypted(const TlsState& s, FlowDirection dir);

std::span<const std::uint8_t> tls_field(const TlsState& s, TlsField f);
std::size_t tls_cert_count(const TlsState& s);
std::span<const std::uint8_t> tls_cert(const TlsState& s, std::size_t i);  // DER of cert i
std::string_view tls_not_before(const TlsState& s);  // leaf's, "YYYY-MM-DDTHH:MM:SS"
std::string_view tls_not_after(const TlsState& s);
std::uint16_t tls_version(const TlsState& s);         // negotiated (0x0303...), 0 unknown
std::uint16_t tls_client_version(const TlsState& s);  // ClientHello legacy_version, 0 unknown
bool tls_client_hello_seen(const TlsState& s);
bool tls_server_hello_seen(const TlsState& s);

// Suricata's name of a protocol version: "UNDETERMINED" for 0, "SSLv2", "SSLv3", "TLSv1",
// "TLS 1.1", "TLS 1.2", "TLS 1.3", "TLS 1.3 draft-NN"; empty for other values (the version field
// then reads "0x%04x", as Suricata prints them).
std::string_view tls_version_name(std::uint16_t v);

enum class Probe : std::uint8_t { no, yes, more };
// Is this the start of a TLS stream in `dir`? A handshake record (0x16 0x03 0x00..0x04, sane
// length) whose first message is ClientHello (to_server) or ServerHello (to_client), or an SSLv2
// CLIENT-HELLO / SERVER-HELLO. `more`: too few bytes to tell.
Probe tls_probe(std::span<const std::uint8_t> start, FlowDirection dir);

}  // namespace vigil::app::tls
