// Record layer and handshake layer of the TLS parser; the messages themselves are read in
// tls_hello.cpp and tls_certificate.cpp.
#include "dataplane/app/tls/tls_parser.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "dataplane/app/tls/tls_certificate.h"
#include "dataplane/app/tls/tls_hello.h"

namespace vigil::app::tls {

namespace {

namespace content {
constexpr std::uint8_t change_cipher_spec = 20, alert = 21, handshake = 22, application_data = 23,
                       heartbeat = 24;
}
namespace hs {
constexpr std::uint8_t client_hello = 1, server_hello = 2, certificate = 11;
}

struct Ctx {
  TlsState& s;
  TlsShared& shared;
  TlsSink& sink;
  FlowDirection dir;
  TlsDirState& d;
};

std::span<std::uint8_t> msg_buffer(TlsState& s, FlowDirection dir) {
  if (dir == FlowDirection::to_server) return s.client_msg;
  return s.server_msg;
}

void emit(Ctx& c, FlowDirection dir, TlsProgress p) { c.sink.on_tls_progress(c.s, dir, p); }

void reset_handshake(TlsDirState& d) {
  d.hs_hdr_have = 0;
  d.hs_buffering = false;
  d.hs_parsed = false;
}

// Both directions encrypted: the cleartext handshake is over, time to log.
void maybe_done(Ctx& c) {
  if (c.s.done_sent || !c.s.dir[0].encrypted || !c.s.dir[1].encrypted) return;
  c.s.done_sent = true;
  emit(c, c.dir, TlsProgress::handshake_done);
}

void stop(Ctx& c, TlsCounter why) {
  c.shared.count(why);
  c.d.stopped = true;
}

void parse_message(Ctx& c) {
  TlsDirState& d = c.d;
  d.hs_parsed = true;
  const auto body = msg_buffer(c.s, c.dir).first(d.msg_len);
  switch (d.hs_type) {
    case hs::client_hello:
      if (parse_client_hello(c.s, c.shared, body)) emit(c, c.dir, TlsProgress::client_hello);
      break;
    case hs::server_hello: {
      if (parse_server_hello(c.s, c.shared, body) != ServerHelloResult::hello) break;
      emit(c, c.dir, TlsProgress::server_hello);
      if (is_tls13(c.s.server_version)) {
        // TLS 1.3: everything after the ServerHello is encrypted, both ways.
        for (TlsDirState& each : c.s.dir) {
          each.encrypted = true;
          reset_handshake(each);
        }
        maybe_done(c);
      }
      break;
    }
    case hs::certificate:
      if (parse_certificate_message(c.s, c.shared, body, d.hs_len)) {
        emit(c, c.dir, TlsProgress::certificate);
      }
      break;
    default: break;
  }
}

// The 4-byte handshake header is complete: decide whether the body is buffered for parsing.
void begin_message(Ctx& c) {
  TlsDirState& d = c.d;
  d.hs_type = d.hs_hdr[0];
  d.hs_len = std::uint32_t{d.hs_hdr[1]} << 16 | std::uint32_t{d.hs_hdr[2]} << 8 | d.hs_hdr[3];
  d.hs_got = 0;
  d.hs_parsed = false;
  d.hs_buffering = false;
  c.shared.count(TlsCounter::handshake_messages);
  const bool to_server = c.dir == FlowDirection::to_server;
  switch (d.hs_type) {
    case hs::client_hello:
      if (!to_server) c.shared.count(TlsCounter::invalid_handshake);
      // A second ClientHello (after a HelloRetryRequest) keeps the first one's fields.
      else d.hs_buffering = !c.s.client_hello_seen;
      break;
    case hs::server_hello:
      // After the Certificate the buffer holds the chain: a ServerHello then is out of order.
      if (to_server || c.s.certs_stored) c.shared.count(TlsCounter::invalid_handshake);
      else d.hs_buffering = true;
      break;
    case hs::certificate:
      // The client's certificate (to_server) is not kept; only the server's first one is.
      d.hs_buffering = !to_server && !c.s.certs_stored;
      break;
    default: break;
  }
  if (d.hs_buffering) d.msg_len = 0;
}

void message_bytes(Ctx& c, std::span<const std::uint8_t> p) {
  TlsDirState& d = c.d;
  if (d.hs_buffering && !d.hs_parsed) {
    const auto buf = msg_buffer(c.s, c.dir);
    const std::size_t n = std::min(buf.size() - d.msg_len, p.size());
    std::memcpy(buf.data() + d.msg_len, p.data(), n);
    d.msg_len += static_cast<std::uint32_t>(n);
    if (d.msg_len == buf.size() && d.hs_got + p.size() < d.hs_len) {
      // Bigger than the buffer: read what fits now, skip the rest.
      c.shared.count(TlsCounter::message_too_large);
      parse_message(c);
    }
  }
  d.hs_got += static_cast<std::uint32_t>(p.size());
}

void end_message(Ctx& c) {
  if (c.d.hs_buffering && !c.d.hs_parsed) parse_message(c);
  reset_handshake(c.d);
}

// The body of a handshake record: a stream of messages, any of which may span records.
void handshake_bytes(Ctx& c, std::span<const std::uint8_t> p) {
  TlsDirState& d = c.d;
  while (!p.empty() && !d.encrypted) {
    if (d.hs_hdr_have < sizeof d.hs_hdr) {
      const std::size_t n = std::min(sizeof d.hs_hdr - d.hs_hdr_have, p.size());
      std::memcpy(d.hs_hdr + d.hs_hdr_have, p.data(), n);
      d.hs_hdr_have = static_cast<std::uint8_t>(d.hs_hdr_have + n);
      p = p.subspan(n);
      if (d.hs_hdr_have < sizeof d.hs_hdr) return;
      begin_message(c);
      if (d.hs_len == 0) end_message(c);
      continue;
    }
    const std::size_t n = std::min<std::size_t>(d.hs_len - d.hs_got, p.size());
    message_bytes(c, p.first(n));
    p = p.subspan(n);
    if (d.hs_got == d.hs_len) end_message(c);
  }
}

// The record header is complete. False when the direction stops.
bool begin_record(Ctx& c) {
  TlsDirState& d = c.d;
  d.prefix_have = 0;
  if (d.hdr_need == 2) {
    // SSLv2: 15-bit length. Only its first record (the hello) is read.
    d.rec_type = kSslv2Record;
    d.rec_version = 0x0002;
    d.rec_len = static_cast<std::uint32_t>((d.hdr[0] & 0x7f) << 8 | d.hdr[1]);
    if (d.rec_len > kMaxRecordBody) {
      stop(c, TlsCounter::record_too_long);
      return false;
    }
    if (!d.v2_seen) d.msg_len = 0;
  } else {
    d.rec_type = d.hdr[0];
    d.rec_version = static_cast<std::uint16_t>(d.hdr[1] << 8 | d.hdr[2]);
    d.rec_len = static_cast<std::uint32_t>(d.hdr[3] << 8 | d.hdr[4]);
    if (d.hdr[1] != 3) {
      stop(c, TlsCounter::invalid_record_version);
      return false;
    }
    if (d.rec_len > kMaxRecordBody) {
      stop(c, TlsCounter::record_too_long);
      return false;
    }
    d.v3_seen = true;
    // Before a ServerHello the server's record version stands for its version (as Suricata).
    if (c.dir == FlowDirection::to_client && c.s.server_version == 0) {
      c.s.server_version = d.rec_version;
      set_version_text(c.s);
    }
    if (d.rec_type != content::handshake && d.hs_hdr_have != 0) {
      c.shared.count(TlsCounter::invalid_handshake);  // a message cut by another record type
      reset_handshake(d);
    }
  }
  d.rec_left = d.rec_len;
  c.shared.count(TlsCounter::records);
  switch (d.rec_type) {
    case content::change_cipher_spec: c.shared.count(TlsCounter::change_cipher_specs); break;
    case content::alert: c.shared.count(TlsCounter::alerts); break;
    case content::application_data: c.shared.count(TlsCounter::app_data_records); break;
    case content::heartbeat: c.shared.count(TlsCounter::heartbeat); break;
    case content::handshake:
      if (d.encrypted) c.shared.count(TlsCounter::encrypted_handshake);
      else if (d.rec_len == 0) c.shared.count(TlsCounter::empty_record);
      break;
    default: break;
  }
  return true;
}

void record_bytes(Ctx& c, std::span<const std::uint8_t> p) {
  TlsDirState& d = c.d;
  if (d.rec_type == content::handshake) return handshake_bytes(c, p);
  if (d.rec_type == kSslv2Record) {
    if (d.v2_seen) return;
    const auto buf = msg_buffer(c.s, c.dir);
    const std::size_t n = std::min(buf.size() - d.msg_len, p.size());
    std::memcpy(buf.data() + d.msg_len, p.data(), n);
    d.msg_len += static_cast<std::uint32_t>(n);
    return;
  }
  const std::size_t n = std::min(sizeof d.prefix - d.prefix_have, p.size());
  std::memcpy(d.prefix + d.prefix_have, p.data(), n);
  d.prefix_have = static_cast<std::uint8_t>(d.prefix_have + n);
}

void end_record(Ctx& c) {
  TlsDirState& d = c.d;
  d.phase = RecordPhase::header;
  d.hdr_have = 0;
  switch (d.rec_type) {
    case content::change_cipher_spec:
      // After a HelloRetryRequest, TLS 1.3 middlebox-compatibility CCSs precede a cleartext
      // ClientHello / ServerHello: the direction is not encrypted yet.
      if (d.encrypted || c.s.hello_retry) break;
      if (d.hs_hdr_have != 0) c.shared.count(TlsCounter::invalid_handshake);
      d.encrypted = true;
      reset_handshake(d);
      maybe_done(c);
      break;
    case content::heartbeat:
      // type(1) payload_length(2) payload padding(>= 16): a payload_length beyond the record is
      // the Heartbleed over-read request.
      if (!d.encrypted && d.prefix_have >= 3) {
        const std::uint32_t payload = static_cast<std::uint32_t>(d.prefix[1] << 8 | d.prefix[2]);
        if (payload + 3 + 16 > d.rec_len) c.shared.count(TlsCounter::heartbeat_overflow);
      }
      break;
    case kSslv2Record: {
      if (d.v2_seen) break;
      d.v2_seen = true;
      const auto body = msg_buffer(c.s, c.dir).first(d.msg_len);
      if (c.dir == FlowDirection::to_server) {
        if (!c.s.client_hello_seen && parse_sslv2_client_hello(c.s, c.shared, body)) {
          emit(c, c.dir, TlsProgress::client_hello);
        }
      } else if (parse_sslv2_server_hello(c.s, c.shared, body)) {
        emit(c, c.dir, TlsProgress::server_hello);
      }
      break;
    }
    default: break;
  }
}

}  // namespace

TlsShared::TlsShared() : scratch_(new char[kScratchBytes]) {}

std::string_view tls_field_name(TlsField f) {
  switch (f) {
    case TlsField::sni: return "tls.sni";
    case TlsField::version: return "tls.version";
    case TlsField::cert_subject: return "tls.cert_subject";
    case TlsField::cert_issuer: return "tls.cert_issuer";
    case TlsField::cert_serial: return "tls.cert_serial";
    case TlsField::cert_fingerprint: return "tls.cert_fingerprint";
    case TlsField::ja3_string: return "ja3.string";
    case TlsField::ja3_hash: return "ja3.hash";
    case TlsField::ja3s_string: return "ja3s.string";
    case TlsField::ja3s_hash: return "ja3s.hash";
    case TlsField::alpn_first: return "tls.alpn";
    case TlsField::alpn_server: return "tls.alpn_server";
    case TlsField::count_: break;
  }
  return "tls.unknown";
}

void tls_init(TlsState& s) {
  // Default-initialisation resets every member with an initialiser and leaves the buffers as
  // they are: cheap on a reused 32 KiB slot.
  ::new (static_cast<void*>(&s)) TlsState;
}

void tls_parse(TlsState& s, TlsShared& shared, FlowDirection dir, std::span<const std::uint8_t> data,
               TlsSink& sink) {
  TlsDirState& d = s.dir[dir_index(dir)];
  Ctx c{s, shared, sink, dir, d};
  // Each pass consumes at least one byte or ends the call.
  while (!data.empty() && !d.stopped && !s.closed) {
    if (d.phase == RecordPhase::header) {
      if (d.hdr_have == 0) {
        const std::uint8_t b0 = data[0];
        if (b0 & 0x80) {
          if (d.v3_seen) return stop(c, TlsCounter::invalid_record_type);
          d.hdr_need = 2;
        } else if (b0 >= content::change_cipher_spec && b0 <= content::heartbeat) {
          d.hdr_need = 5;
        } else {
          return stop(c, TlsCounter::invalid_record_type);
        }
      }
      const std::size_t n = std::min<std::size_t>(d.hdr_need - d.hdr_have, data.size());
      std::memcpy(d.hdr + d.hdr_have, data.data(), n);
      d.hdr_have = static_cast<std::uint8_t>(d.hdr_have + n);
      data = data.subspan(n);
      if (d.hdr_have < d.hdr_need) return;
      if (!begin_record(c)) return;
      d.phase = RecordPhase::body;
      if (d.rec_left == 0) end_record(c);
      continue;
    }
    const std::size_t n = std::min<std::size_t>(d.rec_left, data.size());
    record_bytes(c, data.first(n));
    d.rec_left -= static_cast<std::uint32_t>(n);
    data = data.subspan(n);
    if (d.rec_left == 0) end_record(c);
  }
}

void tls_gap(TlsState& s, TlsShared& shared, FlowDirection dir, TlsSink&) {
  shared.count(TlsCounter::gaps);
  s.dir[dir_index(dir)].stopped = true;
}

void tls_close(TlsState& s, TlsShared&, TlsSink& sink) {
  if (s.closed) return;
  s.closed = true;
  if (s.done_sent || !(s.client_hello_seen || s.server_hello_seen)) return;
  s.done_sent = true;
  sink.on_tls_progress(s, s.server_hello_seen ? FlowDirection::to_client : FlowDirection::to_server,
                       TlsProgress::handshake_done);
}

bool tls_stopped(const TlsState& s) { return s.dir[0].stopped && s.dir[1].stopped; }

bool tls_encrypted(const TlsState& s, FlowDirection dir) { return s.dir[dir_index(dir)].encrypted; }

std::span<const std::uint8_t> tls_field(const TlsState& s, TlsField f) {
  switch (f) {
    case TlsField::sni: return s.sni.bytes();
    case TlsField::version: return s.version.bytes();
    case TlsField::cert_subject: return s.cert_subject.bytes();
    case TlsField::cert_issuer: return s.cert_issuer.bytes();
    case TlsField::cert_serial: return s.cert_serial.bytes();
    case TlsField::cert_fingerprint: return s.cert_fingerprint.bytes();
    case TlsField::ja3_string: return s.ja3_string.bytes();
    case TlsField::ja3_hash: return s.ja3_hash.bytes();
    case TlsField::ja3s_string: return s.ja3s_string.bytes();
    case TlsField::ja3s_hash: return s.ja3s_hash.bytes();
    case TlsField::alpn_first: return s.alpn_first.bytes();
    case TlsField::alpn_server: return s.alpn_server.bytes();
    case TlsField::count_: break;
  }
  return {};
}

std::size_t tls_cert_count(const TlsState& s) { return s.cert_count; }

std::span<const std::uint8_t> tls_cert(const TlsState& s, std::size_t i) {
  if (i >= s.cert_count) return {};
  const TlsCertRef& ref = s.certs[i];
  return std::span<const std::uint8_t>(s.server_msg).subspan(ref.offset, ref.len);
}

std::string_view tls_not_before(const TlsState& s) { return s.not_before.view(); }
std::string_view tls_not_after(const TlsState& s) { return s.not_after.view(); }
std::uint16_t tls_version(const TlsState& s) { return s.server_version; }
std::uint16_t tls_client_version(const TlsState& s) { return s.client_version; }
bool tls_client_hello_seen(const TlsState& s) { return s.client_hello_seen; }
bool tls_server_hello_seen(const TlsState& s) { return s.server_hello_seen; }

}  // namespace vigil::app::tls
