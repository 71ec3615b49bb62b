// HTTP/1.0 and 1.1 parser over the two reassembled byte streams of one TCP flow: requests on
// to_server, responses on to_client, fed in whatever chunks the stream delivers. It exposes the
// buffers rules inspect (method, uri, headers, decoded bodies...) through a sink, transaction by
// transaction, in Suricata's terms. The per-flow state is a plain struct that lives in the flow's
// 32 KiB parser slot; everything that needs memory beyond that (zlib/lzma contexts, decoded-output
// and normalization scratch) is in HttpShared, allocated once per worker.
// Thread-safety: an HttpState and the HttpShared passed with it belong to one worker thread.
// No heap allocation, lock or syscall happens in http_parse / http_gap / http_close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "dataplane/app/parser_state.h"
#include "dataplane/common/counter_set.h"
#include "dataplane/flow/flow.h"

namespace vigil::app::http {

struct HttpConfig {
  std::uint32_t request_body_limit = 100 * 1024;   // decoded body bytes exposed to rules
  std::uint32_t response_body_limit = 100 * 1024;
  std::uint8_t decompress_layer_limit = 2;         // Suricata's default; the corpus uses 3
  std::uint32_t decompress_output_limit = 1 << 20; // decoded bytes per body, at most
  std::uint32_t decompress_ratio_limit = 2048;     // decoded / encoded, at most (after 64 KiB out)
  bool lzma = false;
};

// X(enumerator, "stats name"): every event and anomaly the parser counts.
#define VIGIL_HTTP_COUNTERS(X)                                      \
  X(requests, "http.requests")                                      \
  X(responses, "http.responses")                                    \
  X(invalid_request_line, "http.invalid_request_line")              \
  X(invalid_response_line, "http.invalid_response_line")            \
  X(http09_request, "http.http09_request")                          \
  X(http09_response, "http.http09_response")                        \
  X(invalid_header, "http.invalid_header")                          \
  X(header_name_whitespace, "http.header_name_whitespace")          \
  X(header_folding, "http.header_folding")                          \
  X(header_too_long, "http.header_too_long")                        \
  X(lf_only_lines, "http.lf_only_lines")                            \
  X(missing_host, "http.missing_host")                              \
  X(duplicate_content_length, "http.duplicate_content_length")      \
  X(content_length_invalid, "http.content_length_invalid")          \
  X(content_length_and_chunked, "http.content_length_and_chunked")  \
  X(transfer_encoding_unknown, "http.transfer_encoding_unknown")    \
  X(chunk_size_invalid, "http.chunk_size_invalid")                  \
  X(chunk_size_overflow, "http.chunk_size_overflow")                \
  X(chunk_missing_crlf, "http.chunk_missing_crlf")                  \
  X(chunk_extension, "http.chunk_extension")                        \
  X(content_encoding_unknown, "http.content_encoding_unknown")      \
  X(gzip_errors, "http.gzip_errors")                                \
  X(gzip_bad_trailer, "http.gzip_bad_trailer")                      \
  X(lzma_errors, "http.lzma_errors")                                \
  X(decompress_raw_fallback, "http.decompress_raw_fallback")        \
  X(decompress_not_encoded, "http.decompress_not_encoded")          \
  X(decompress_bomb, "http.decompress_bomb")                        \
  X(decompress_layer_limit, "http.decompress_layer_limit")          \
  X(decoders_exhausted, "http.decoders_exhausted")                  \
  X(body_limit_reached, "http.body_limit_reached")                  \
  X(unpaired_response, "http.unpaired_response")                    \
  X(response_for_evicted_request, "http.response_for_evicted_request") \
  X(pipeline_overflow, "http.pipeline_overflow")                    \
  X(interim_response, "http.interim_response")                      \
  X(gaps, "http.gaps")                                              \
  X(body_truncated, "http.body_truncated")                          \
  X(headers_truncated, "http.headers_truncated")                    \
  X(resync_skipped_bytes, "http.resync_skipped_bytes")              \
  X(switching_protocols, "http.switching_protocols")                \
  X(connect_tunnel, "http.connect_tunnel")                          \
  X(stopped_bytes, "http.stopped_bytes")

enum class HttpCounter : std::uint8_t { VIGIL_HTTP_COUNTERS(VIGIL_COUNTER_ENUM) count_ };
inline constexpr std::size_t kHttpCounterCount = static_cast<std::size_t>(HttpCounter::count_);
std::string_view http_counter_name(HttpCounter c);
using HttpCounters = CounterSet<HttpCounter, kHttpCounterCount>;

enum class HttpField : std::uint8_t {
  method, uri, uri_raw, protocol, request_line, response_line, host, host_raw, user_agent,
  header, header_raw, header_names, cookie, referer, content_type, content_len, accept,
  accept_enc, accept_lang, connection, location, server, stat_code, stat_msg, start,
  count_
};
inline constexpr std::size_t kHttpFieldCount = static_cast<std::size_t>(HttpField::count_);

enum class HttpProgress : std::uint8_t {
  request_headers,   // request line + all request headers parsed (request fields readable)
  request_body,      // new decoded request-body bytes (http_body(tx, to_server))
  request_complete,  // the request ended (body complete or none)
  response_headers,  // status line + response headers parsed
  response_body,     // new decoded response-body bytes (http_body(tx, to_client))
  response_complete,
};

struct HttpBodyView {
  std::span<const std::uint8_t> data;  // decoded body bytes [offset, offset + data.size())
  std::uint64_t offset = 0;            // body offset of data[0]
  std::size_t seen = 0;                // leading bytes already shown in the previous window
};

inline constexpr std::size_t kBodyTail = 256;

// Limits of the per-flow state (all inside the 32 KiB slot).
inline constexpr std::size_t kHttpMaxTx = 5;         // open transactions per flow (one kept
                                                     // free for responses without request)
inline constexpr std::size_t kHttpTxArena = 5888;    // raw start line + headers, both sides
inline constexpr std::size_t kHttpRequestCap = 3584; // of which a request may take at most
inline constexpr std::size_t kHttpMaxLayers = 4;     // content-encoding layers decoded, at most
inline constexpr std::size_t kHttpLineBuf = 128;     // chunk-size / overflow / resync line start

class HttpShared;

// Where a piece of a message lives in its transaction's arena.
struct HttpSpan16 {
  std::uint16_t off = 0, len = 0;
};

// One side (request or response) of a transaction.
struct HttpMsg {
  std::uint16_t base = 0;        // arena offset of the start line
  std::uint16_t len = 0;         // stored bytes: start line, header lines, final empty line
  std::uint16_t cap = 0;         // most bytes this side may store
  std::uint16_t hdr_off = 0;     // header lines (no final empty line): [hdr_off, hdr_off+hdr_len)
  std::uint16_t hdr_len = 0;
  HttpSpan16 line;               // start line without its line end
  HttpSpan16 part[3];            // method/uri/protocol or protocol/code/message
  std::uint64_t body_len = 0;    // body bytes as sent: de-chunked, before content decoding
  bool present = false;          // a start line was seen
  bool headers_done = false;
  bool complete = false;
  bool truncated = false;        // body cut by a gap or the flow end
  bool overflow = false;         // header block larger than the room: the rest was not stored
  bool host_from_uri = false;    // no Host header: the absolute URI's authority is the host
};

struct HttpTx {
  std::uint64_t id = 0;
  HttpMsg msg[2];                // by FlowDirection
  std::uint16_t status = 0;
  bool in_use = false;
  bool is_head = false;
  bool is_connect = false;
  bool http09 = false;           // request without protocol: no headers
  // Valid only during a sink call.
  HttpShared* shared = nullptr;
  const std::uint8_t* body_ptr = nullptr;
  std::uint32_t body_size = 0;
  std::uint8_t body_dir = 0;
  std::uint64_t body_off = 0;
  std::uint16_t body_seen = 0;
  std::uint8_t arena[kHttpTxArena];
};

enum class HttpPhase : std::uint8_t {
  idle, start_line, headers, body_length, chunk_size, chunk_data, chunk_data_end, trailers,
  body_close, resync, dead
};

enum class HttpCoding : std::uint8_t { none, zlib, lzma };

struct HttpLayer {
  std::uint16_t decoder = 0xffff;  // pool index; 0xffff = none
  HttpCoding coding = HttpCoding::none;
  bool passthrough = false;        // decoding failed or unavailable: bytes go on raw
  bool ended = false;              // stream end seen: the rest is ignored
  bool retried = false;            // raw-deflate retry done
  bool gzip_label = false;         // labelled gzip / x-gzip (else deflate or lzma)
  std::uint8_t fmt = 0;            // zlib layers: 0 undecided, 1 gzip, 2 zlib, 3 raw deflate
  std::uint8_t gz_state = 0;       // gzip member header reader (see gzip_header)
  std::uint8_t gz_flags = 0;
  std::uint16_t gz_need = 0;
  std::uint32_t crc = 0;           // CRC-32 of a gzip member's output, for its trailer
  std::uint8_t prefix_len = 0;     // first input bytes, for the raw-deflate retry
  std::uint64_t in = 0, out = 0;  // fed to the decoder / produced by it
  std::uint64_t used = 0;          // input the decoder consumed (for the ratio)
  std::uint8_t prefix[64];
};

// Parser of one direction's byte stream.
struct HttpDirState {
  HttpPhase phase = HttpPhase::idle;
  std::uint8_t slot = 0xff;        // transaction being parsed in this direction
  std::uint8_t nlayers = 0;
  bool last_cr = false;            // the current line's last byte so far is CR
  bool counted_lf_only = false;
  bool decode_stopped = false;     // bomb: no more body decoding for this message
  bool limit_counted = false;
  bool start_checked = false;      // the start of the current line was judged (response / resync)
  bool not_status = false;         // the response's first line is not a status line
  bool peek_start = false;         // ...and is complete: the next byte decides skip or body
  bool lf_cr = false;              // the last line ended with a bare LF: a CR next belongs to it
  bool ws_pending = false;         // header line " \n": ends the block unless LF/CR follows
  std::uint8_t cs = 0;             // chunk-size line: 0 leading, 1 digits, 2 rest of line
  std::uint16_t ws_hdr_len = 0;    // hdr_len if the pending whitespace line is a header line
  std::uint32_t steps = 0;         // lines completed: progress without consuming bytes
  bool x_chunked = false;          // framing headers seen beyond the stored header block
  bool x_has_cl = false;
  bool x_cl_bad = false;
  std::uint64_t x_cl = 0;
  std::uint32_t line_len = 0;      // bytes of the current line so far, LF excluded
  std::uint8_t lbuf_len = 0;
  std::uint64_t remaining = 0;     // Content-Length or chunk bytes left
  std::uint64_t delivered = 0;     // decoded body bytes exposed
  std::uint16_t tail_len = 0;
  std::uint8_t lbuf[kHttpLineBuf];
  std::uint8_t tail[kBodyTail];
  HttpLayer layers[kHttpMaxLayers];
};

struct HttpState {
  HttpDirState dir[2];
  HttpTx tx[kHttpMaxTx];
  std::uint64_t next_tx_id = 0;
  std::uint32_t lost_requests = 0; // evicted before their response: the next responses are theirs
  bool stopped = false;
  bool closed = false;
  bool initialized = false;
};
static_assert(sizeof(HttpState) <= vigil::app::kParserStateBytes, "HttpState must fit its slot");

class HttpSink {
 public:
  // Something of `tx` changed in `dir`. Every span read from tx is valid only during this call.
  virtual void on_http_progress(const HttpTx& tx, FlowDirection dir, HttpProgress p) = 0;
  // The transaction is finished (response complete, or the flow ends / tx evicted): the last call
  // for this tx; log it. Request and/or response may be missing.
  virtual void on_http_tx_done(const HttpTx& tx) = 0;

 protected:
  ~HttpSink() = default;
};

struct HttpDecoder;

// One per worker: the decompression contexts (each with its own preallocated arena, so zlib and
// liblzma never call malloc on the packet path), scratch for decoded output, body windows and
// normalized buffers, and the counters. Not thread-safe: one worker uses it.
class HttpShared {
 public:
  explicit HttpShared(const HttpConfig& config, std::uint32_t decoders = 64);
  ~HttpShared();
  HttpShared(const HttpShared&) = delete;
  HttpShared& operator=(const HttpShared&) = delete;

  const HttpCounters& counters() const { return counters_; }
  HttpCounters& counters() { return counters_; }
  const HttpConfig& config() const { return config_; }
  std::uint32_t decoders_free() const { return zfree_n_; }

  // Implementation details, used by the parser's files.
  static constexpr std::size_t kChunk = 16 * 1024;      // decoded output per step
  static constexpr std::size_t kLazyCap = 2 * kHttpTxArena + 64;
  std::uint16_t acquire(HttpCoding c);
  void release(std::uint16_t index);
  HttpDecoder& decoder(std::uint16_t index);
  std::uint8_t* layer_out(std::size_t layer) { return layer_out_.get() + layer * kChunk; }
  std::uint8_t* window() { return window_.get(); }
  std::uint8_t* lazy(FlowDirection d, HttpField f) {
    return lazy_.get() + (dir_index(d) * kHttpFieldCount + static_cast<std::size_t>(f)) * kLazyCap;
  }
  // Normalized buffers are built on first read during a sink call; a new epoch per call.
  struct LazyEntry {
    std::uint64_t epoch = 0;
    std::uint32_t len = 0;
  };
  LazyEntry& lazy_entry(FlowDirection d, HttpField f) {
    return lazy_entries_[dir_index(d) * kHttpFieldCount + static_cast<std::size_t>(f)];
  }
  std::uint64_t epoch = 1;

 private:
  HttpConfig config_;
  HttpCounters counters_{};
  std::unique_ptr<HttpDecoder[]> decoders_;
  std::unique_ptr<std::uint16_t[]> zfree_, lfree_;
  std::uint32_t nz_ = 0, nl_ = 0, zfree_n_ = 0, lfree_n_ = 0;
  std::unique_ptr<std::uint8_t[]> layer_out_, window_, lazy_;
  LazyEntry lazy_entries_[2 * kHttpFieldCount];
};

void http_init(HttpState& s);
void http_parse(HttpState& s, HttpShared& shared, FlowDirection dir,
                std::span<const std::uint8_t> data, HttpSink& sink);
void http_gap(HttpState& s, HttpShared& shared, FlowDirection dir, HttpSink& sink);
// Flow end: finishes open transactions (bodies until close complete here), calls on_http_tx_done
// for each that has a request or a response, releases decoders. The state is dead afterwards.
void http_close(HttpState& s, HttpShared& shared, HttpSink& sink);
bool http_stopped(const HttpState& s);  // 101 / CONNECT / unrecoverable: nothing more to parse

std::uint64_t http_tx_id(const HttpTx& tx);
// The buffer `f` of `tx` in `dir`; empty when absent or not of that direction. Valid during the
// sink call only (normalized buffers live in HttpShared scratch).
std::span<const std::uint8_t> http_field(const HttpTx& tx, FlowDirection dir, HttpField f);
// During request_body/response_body progress: the window to inspect = up to kBodyTail bytes
// already given before + the new bytes, contiguous; offset says where it starts. Else empty.
HttpBodyView http_body(const HttpTx& tx, FlowDirection dir);
bool http_has_request(const HttpTx& tx);
bool http_has_response(const HttpTx& tx);
int http_status(const HttpTx& tx);  // 0 when none
std::uint64_t http_body_length(const HttpTx& tx, FlowDirection dir);  // as sent (de-chunked), EVE length
std::string_view http_field_name(HttpField f);

// Protocol probe for detection: does this stream start look like an HTTP request (to_server) /
// response (to_client)? yes / no / need more bytes.
enum class Probe : std::uint8_t { no, yes, more };
Probe http_probe(std::span<const std::uint8_t> start, FlowDirection dir);

}  // namespace vigil::app::http
