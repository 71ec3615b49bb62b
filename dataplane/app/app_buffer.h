// The inspection buffers the application layer fills for rules, by Suricata's canonical sticky
// buffer names, and the view through which detection reads one transaction's buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "dataplane/app/app_proto.h"
#include "dataplane/flow/flow.h"

namespace vigil::app {

#define VIGIL_APP_BUFFERS(X)                                                                  \
  X(http_uri, "http.uri") X(http_uri_raw, "http.uri.raw") X(http_method, "http.method")        \
  X(http_protocol, "http.protocol") X(http_request_line, "http.request_line")                  \
  X(http_response_line, "http.response_line") X(http_host, "http.host")                        \
  X(http_host_raw, "http.host.raw") X(http_user_agent, "http.user_agent")                      \
  X(http_header, "http.header") X(http_header_raw, "http.header.raw")                          \
  X(http_header_names, "http.header_names") X(http_cookie, "http.cookie")                      \
  X(http_referer, "http.referer") X(http_content_type, "http.content_type")                    \
  X(http_content_len, "http.content_len") X(http_accept, "http.accept")                        \
  X(http_accept_enc, "http.accept_enc") X(http_accept_lang, "http.accept_lang")                \
  X(http_connection, "http.connection") X(http_location, "http.location")                      \
  X(http_server, "http.server") X(http_stat_code, "http.stat_code")                            \
  X(http_stat_msg, "http.stat_msg") X(http_start, "http.start")                                \
  X(http_request_header, "http.request_header") X(http_response_header, "http.response_header") \
  X(http_request_body, "http.request_body") X(http_response_body, "http.response_body")        \
  X(file_data, "file.data") X(dns_query, "dns.query") X(tls_sni, "tls.sni")                    \
  X(tls_cert_subject, "tls.cert_subject") X(tls_cert_issuer, "tls.cert_issuer")                \
  X(tls_cert_serial, "tls.cert_serial") X(tls_cert_fingerprint, "tls.cert_fingerprint")        \
  X(tls_certs, "tls.certs") X(ja3_hash, "ja3.hash") X(ja3_string, "ja3.string")                \
  X(ja3s_hash, "ja3s.hash") X(ja3s_string, "ja3s.string")

#define VIGIL_APP_BUFFER_ENUM(e, n) e,
enum class AppBuffer : std::uint8_t { VIGIL_APP_BUFFERS(VIGIL_APP_BUFFER_ENUM) count_ };
#undef VIGIL_APP_BUFFER_ENUM

// The buffer of a canonical name ("http.uri", "file.data", ...), or nullopt for names the app
// layer does not fill (rules on them never match).
std::optional<AppBuffer> app_buffer_from_name(std::string_view canonical_name);
std::string_view app_buffer_name(AppBuffer b);
// The protocol whose parser fills the buffer (file.data: HTTP bodies).
AppProto app_buffer_proto(AppBuffer b);
// Only meaningful in one direction: requests (to_server) or responses (to_client).
std::optional<FlowDirection> app_buffer_direction(AppBuffer b);

// One instance of a buffer. `at_start`: the bytes start at the buffer's beginning, so positions
// (depth, offset, startswith) mean what the rule says; false for a body window that begins
// further in, where only unanchored rules are checked.
struct AppSpan {
  std::span<const std::uint8_t> data;
  bool at_start = true;
  std::size_t seen = 0;  // leading bytes an earlier window of the same body already held
};

// Detection's memory of a transaction (Suricata's per-transaction detect state): the rules that
// alerted on it, so that a rule alerts once per transaction however often the transaction
// progresses; and the rules that could not be decided yet (a buffer they need has not arrived, a
// body is still streaming), so that a progress scans only its new buffers and re-checks those.
struct TxAlertMemory {
  static constexpr std::size_t kSlots = 4, kSigs = 15, kPending = 32;
  struct Entry {
    std::uint64_t tx_id = ~std::uint64_t{0};
    std::uint32_t count = 0;
    std::uint32_t sigs[kSigs]{};
    std::uint32_t pending_count = 0;
    bool pending_overflow = false;  // more undecided rules than fit: scan every buffer instead
    bool inspected = false;         // a progress of this transaction was inspected before
    std::uint32_t pending[kPending]{};
  };
  Entry entries[kSlots]{};
  std::uint32_t next = 0;

  // The entry of `tx_id`, taking the oldest one for a transaction not seen before.
  Entry& entry(std::uint64_t tx_id);
  // True the first time `sig` is recorded for `tx_id` (and records it).
  bool first_alert(std::uint64_t tx_id, std::uint32_t sig);
};

// A transaction as detection reads it: the buffers available now, in the direction that just
// progressed. Spans are valid during the call that passes the view only.
class AppTxView {
 public:
  AppProto proto = AppProto::unknown;
  std::uint64_t tx_id = 0;
  FlowDirection dir = FlowDirection::to_server;
  TxAlertMemory* memory = nullptr;  // null: the view is inspected once (a datagram)

  // Instance `i` of buffer `b` (most buffers have one; dns.query one per question, tls.certs one
  // per certificate). False when absent now.
  virtual bool get(AppBuffer b, std::size_t i, AppSpan& out) const = 0;
  // Whether `b` is new with this progress (request headers, a body window, a hello, ...); the
  // buffers that are not were scanned at an earlier progress of the same transaction.
  virtual bool fresh(AppBuffer b) const = 0;
  // Whether `b` is a body that arrives window by window (a rule on it may match later windows).
  static bool streaming(AppBuffer b) {
    return b == AppBuffer::file_data || b == AppBuffer::http_request_body ||
           b == AppBuffer::http_response_body;
  }

 protected:
  ~AppTxView() = default;
};

}  // namespace vigil::app
