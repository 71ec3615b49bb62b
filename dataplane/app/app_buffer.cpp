#include "dataplane/app/app_buffer.h"

namespace vigil::app {
namespace {

#define VIGIL_APP_BUFFER_NAME(e, n) n,
constexpr std::string_view kNames[] = {VIGIL_APP_BUFFERS(VIGIL_APP_BUFFER_NAME)};
#undef VIGIL_APP_BUFFER_NAME
static_assert(std::size(kNames) == static_cast<std::size_t>(AppBuffer::count_));

}  // namespace

std::optional<AppBuffer> app_buffer_from_name(std::string_view canonical_name) {
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    if (kNames[i] == canonical_name) return static_cast<AppBuffer>(i);
  }
  return std::nullopt;
}

std::string_view app_buffer_name(AppBuffer b) {
  const auto i = static_cast<std::size_t>(b);
  return i < std::size(kNames) ? kNames[i] : std::string_view{};
}

AppProto app_buffer_proto(AppBuffer b) {
  const std::string_view n = app_buffer_name(b);
  if (n.starts_with("http.") || n == "file.data") return AppProto::http;
  if (n.starts_with("dns.")) return AppProto::dns;
  return AppProto::tls;  // tls.*, ja3.*, ja3s.*
}

std::optional<FlowDirection> app_buffer_direction(AppBuffer b) {
  switch (b) {
    case AppBuffer::http_uri: case AppBuffer::http_uri_raw: case AppBuffer::http_method:
    case AppBuffer::http_request_line: case AppBuffer::http_host: case AppBuffer::http_host_raw:
    case AppBuffer::http_user_agent: case AppBuffer::http_referer: case AppBuffer::http_accept:
    case AppBuffer::http_accept_enc: case AppBuffer::http_accept_lang:
    case AppBuffer::http_request_header: case AppBuffer::http_request_body:
    case AppBuffer::dns_query: case AppBuffer::tls_sni: case AppBuffer::ja3_hash:
    case AppBuffer::ja3_string:
      return FlowDirection::to_server;
    case AppBuffer::http_response_line: case AppBuffer::http_location: case AppBuffer::http_server:
    case AppBuffer::http_stat_code: case AppBuffer::http_stat_msg:
    case AppBuffer::http_response_header: case AppBuffer::http_response_body:
    case AppBuffer::tls_cert_subject: case AppBuffer::tls_cert_issuer:
    case AppBuffer::tls_cert_serial: case AppBuffer::tls_cert_fingerprint: case AppBuffer::tls_certs:
    case AppBuffer::ja3s_hash: case AppBuffer::ja3s_string:
      return FlowDirection::to_client;
    default:
      return std::nullopt;
  }
}

TxAlertMemory::Entry& TxAlertMemory::entry(std::uint64_t tx_id) {
  for (Entry& x : entries) {
    if (x.tx_id == tx_id) return x;
  }
  Entry& e = entries[next];
  next = (next + 1) % kSlots;
  e = Entry{};
  e.tx_id = tx_id;
  return e;
}

bool TxAlertMemory::first_alert(std::uint64_t tx_id, std::uint32_t sig) {
  Entry& e = entry(tx_id);
  for (std::uint32_t i = 0; i < e.count; ++i) {
    if (e.sigs[i] == sig) return false;
  }
  // A full entry forgets nothing it holds; a 16th rule on one transaction may alert again later.
  if (e.count < kSigs) e.sigs[e.count++] = sig;
  return true;
}

}  // namespace vigil::app
