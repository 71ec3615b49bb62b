#include "dataplane/detect/payload/buffers.h"

#include <array>

namespace vigil::detect {
namespace {

// Every canonical name sticky_buffer_name() and legacy_modifier_buffer() return, payload first.
// tests/unit/payload/buffers_test.cpp checks the two tables stay in step.
constexpr std::string_view kBuffers[] = {
    "payload",
    "http.uri",
    "http.uri.raw",
    "http.method",
    "http.request_line",
    "http.request_body",
    "http.header",
    "http.header.raw",
    "http.cookie",
    "http.user_agent",
    "http.host",
    "http.host.raw",
    "http.accept",
    "http.accept_enc",
    "http.accept_lang",
    "http.connection",
    "http.content_type",
    "http.content_len",
    "http.start",
    "http.protocol",
    "http.header_names",
    "http.referer",
    "http.location",
    "http.server",
    "http.stat_msg",
    "http.stat_code",
    "http.response_line",
    "http.response_body",
    "http.request_header",
    "http.response_header",
    "http2.header_name",
    "http2.header",
    "file.data",
    "file.name",
    "file.magic",
    "base64_data",
    "dns.query",
    "tls.sni",
    "tls.cert_subject",
    "tls.cert_issuer",
    "tls.cert_serial",
    "tls.cert_fingerprint",
    "tls.certs",
    "tls.subjectaltname",
    "tls.random",
    "tls.random_time",
    "tls.random_bytes",
    "tls.alpn",
    "ja3.hash",
    "ja3.string",
    "ja3s.hash",
    "ja3s.string",
    "ja4.hash",
    "ssh.proto",
    "ssh.software",
    "ssh.hassh",
    "ssh.hassh.string",
    "ssh.hassh.server",
    "ssh.hassh.server.string",
    "krb5.cname",
    "krb5.sname",
    "smb.named_pipe",
    "smb.share",
    "smb.ntlmssp_user",
    "smb.ntlmssp_domain",
    "dcerpc.stub_data",
    "dnp3.data",
    "sip.method",
    "sip.uri",
    "sip.protocol",
    "sip.stat_code",
    "sip.stat_msg",
    "sip.request_line",
    "sip.response_line",
    "snmp.community",
    "snmp.usm",
    "rfb.name",
    "quic.sni",
    "quic.ua",
    "quic.version",
    "quic.cyu.hash",
    "quic.cyu.string",
    "mqtt.connect.clientid",
    "mqtt.connect.username",
    "mqtt.connect.password",
    "mqtt.connect.willtopic",
    "mqtt.connect.willmessage",
    "mqtt.publish.topic",
    "mqtt.publish.message",
    "mqtt.subscribe.topic",
    "mqtt.unsubscribe.topic",
    "ike.init_spi",
    "ike.resp_spi",
    "ike.vendor",
    "ike.key_exchange_payload",
    "ike.nonce_payload",
    "smtp.helo",
    "smtp.mail_from",
    "smtp.rcpt_to",
    "ipv4.hdr",
    "ipv6.hdr",
    "tcp.hdr",
    "udp.hdr",
    "icmpv4.hdr",
    "icmpv6.hdr",
};
static_assert(std::size(kBuffers) < 256, "BufferId is one byte");

}  // namespace

std::optional<BufferId> buffer_id(std::string_view canonical_name) {
  for (std::size_t i = 0; i < std::size(kBuffers); ++i)
    if (kBuffers[i] == canonical_name) return static_cast<BufferId>(i);
  return std::nullopt;
}

std::string_view buffer_name(BufferId id) {
  return id < std::size(kBuffers) ? kBuffers[id] : std::string_view();
}

std::size_t buffer_count() { return std::size(kBuffers); }

}  // namespace vigil::detect
