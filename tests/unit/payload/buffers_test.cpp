// The buffer registry: ids, names, and agreement with the prefilter's keyword tables.
#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/detect/payload/buffers.h"
#include "dataplane/detect/prefilter/fast_pattern.h"

using namespace vigil::detect;

TEST_GROUP(PayloadBuffers){};

TEST(PayloadBuffers, PayloadIsZeroAndNamesRoundTrip) {
  CHECK(buffer_id("payload") == kPayloadBufferId);
  STRCMP_EQUAL("payload", std::string(buffer_name(kPayloadBufferId)).c_str());
  CHECK_TRUE(buffer_count() > 100);
  for (std::size_t i = 0; i < buffer_count(); ++i) {
    const auto id = static_cast<BufferId>(i);
    CHECK(buffer_id(buffer_name(id)) == id);
  }
  CHECK_FALSE(buffer_id("http.nosuch").has_value());
  CHECK_FALSE(buffer_id("dns.query+dotprefix").has_value());  // transforms are not buffers
  CHECK_TRUE(buffer_name(static_cast<BufferId>(buffer_count())).empty());
}

TEST(PayloadBuffers, EveryPrefilterBufferHasAnId) {
  // Keyword spellings of the prefilter's tables (sticky buffers, legacy modifiers).
  static const char* const kKeywords[] = {
      "pkt_data", "http.uri", "http.uri.raw", "http.method", "http.request_line",
      "http_request_line", "http.request_body", "http.header", "http.header.raw", "http.cookie",
      "http.user_agent", "http.host", "http.host.raw", "http.accept", "http.accept_enc",
      "http.accept_lang", "http.connection", "http.content_type", "http.content_len",
      "http.start", "http.protocol", "http.header_names", "http.referer", "http.location",
      "http.server", "http.stat_msg", "http.stat_code", "http.response_line",
      "http_response_line", "http.response_body", "http.request_header", "http.response_header",
      "http2.header_name", "http2.header", "file.data", "file_data", "file.name", "file.magic",
      "base64_data", "dns.query", "dns_query", "tls.sni", "tls_sni", "tls.cert_subject",
      "tls_cert_subject", "tls.cert_issuer", "tls_cert_issuer", "tls.cert_serial",
      "tls_cert_serial", "tls.cert_fingerprint", "tls_cert_fingerprint", "tls.certs",
      "tls.subjectaltname", "tls.random", "tls.random_time", "tls.random_bytes", "tls.alpn",
      "ja3.hash", "ja3_hash", "ja3.string", "ja3_string", "ja3s.hash", "ja3s_hash", "ja3s.string",
      "ja3s_string", "ja4.hash", "ssh.proto", "ssh_proto", "ssh.software", "ssh_software",
      "ssh.hassh", "ssh.hassh.string", "ssh.hassh.server", "ssh.hassh.server.string",
      "krb5.cname", "krb5_cname", "krb5.sname", "krb5_sname", "smb.named_pipe", "smb.share",
      "smb.ntlmssp_user", "smb.ntlmssp_domain", "dce_stub_data", "dcerpc.stub_data", "dnp3_data",
      "dnp3.data", "sip.method", "sip.uri", "sip.protocol", "sip.stat_code", "sip.stat_msg",
      "sip.request_line", "sip.response_line", "snmp.community", "snmp.usm", "rfb.name",
      "quic.sni", "quic.ua", "quic.version", "quic.cyu.hash", "quic.cyu.string",
      "mqtt.connect.clientid", "mqtt.connect.username", "mqtt.connect.password",
      "mqtt.connect.willtopic", "mqtt.connect.willmessage", "mqtt.publish.topic",
      "mqtt.publish.message", "mqtt.subscribe.topic", "mqtt.unsubscribe.topic", "ike.init_spi",
      "ike.resp_spi", "ike.vendor", "ike.key_exchange_payload", "ike.nonce_payload", "smtp.helo",
      "smtp.mail_from", "smtp.rcpt_to", "ipv4.hdr", "ipv6.hdr", "tcp.hdr", "udp.hdr",
      "icmpv4.hdr", "icmpv6.hdr", "http_uri", "http_raw_uri", "http_method", "http_header",
      "http_raw_header", "http_cookie", "http_raw_cookie", "http_user_agent", "http_host",
      "http_raw_host", "http_client_body", "http_server_body", "http_stat_code", "http_stat_msg",
      "http_header_names", "http_accept", "http_accept_enc", "http_accept_lang",
      "http_connection", "http_content_type", "http_content_len", "http_start", "http_protocol",
      "http_referer", "http_location", "http_server"};
  for (const char* k : kKeywords) {
    auto name = sticky_buffer_name(k);
    if (!name) name = legacy_modifier_buffer(k);
    if (!name) FAIL((std::string(k) + " is not a prefilter keyword").c_str());
    if (!buffer_id(*name)) FAIL((std::string(*name) + " has no BufferId").c_str());
  }
}
