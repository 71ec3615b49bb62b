// Incremental HTTP/1.1 parser for requests and responses (RFC 9112 framing), used by the
// reference provider (requests) and the appliance's provider client (responses).
//
// Feed bytes as they arrive, split anywhere:
//
//   MessageParser p(MessageKind::request, limits);
//   size_t off = 0;
//   while (off < n) {                              // n bytes just read into buf
//     size_t used = 0;
//     ParseStatus st = p.feed({buf + off, n - off}, used);
//     off += used;
//     if (st == ParseStatus::done) { HttpRequest req = p.take_request(); ... reply ...; continue; }
//     if (is_error(st)) { reply status_for(st) with p.error_message(), close; }
//     // need_more: everything was consumed, read again
//   }
//
// feed() never consumes past the end of one message: after `done` the rest of the span
// (pipelined messages) is still the caller's and is fed again after take_*(). `read_message`
// below does that bookkeeping for a blocking byte source. Errors are sticky until reset().
//
// Policies (strict where framing decides what the next message is, i.e. request smuggling):
// - Line ends are CRLF. A bare LF ends nothing: it is the error `bare_lf`; a CR not followed by LF
//   is a control character and rejected by the line's syntax check.
// - Empty lines before a start line are skipped (RFC 9112 2.2), bounded by the start-line limit.
// - Obsolete line folding, whitespace between a field name and its colon, control characters in
//   values (other than HTAB) are rejected.
// - Content-Length: digits only, exactly one header (a repeat, even with the same value, and a
//   list "5, 5" are rejected); with Transfer-Encoding it is rejected. Transfer-Encoding must be
//   exactly "chunked" (other codings: unsupported_transfer_encoding); not allowed in HTTP/1.0.
// - Chunk extensions are syntax-checked and dropped; trailer fields are checked against the same
//   limits as headers and kept apart (trailers()), never merged into the headers.
// - Responses to HEAD (expect_response_to("HEAD")), 1xx, 204 and 304 have no body. 1xx interim
//   responses are returned like any other message; a client skips them. A response without
//   Content-Length or Transfer-Encoding is delimited by the connection closing: call finish().
// - A request with neither header has an empty body. More than one Host header is rejected.
//
// Thread-safety: one parser per connection; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control/http/http_message.h"

namespace vigil::http {

enum class MessageKind : std::uint8_t { request, response };

struct ParserLimits {
  std::size_t max_start_line = 16 * 1024;      // request line / status line, bytes incl. CRLF
  std::size_t max_header_bytes = 16 * 1024;    // header block (and trailer block), incl. CRLFs
  std::size_t max_headers = 100;               // header fields (and trailer fields)
  std::size_t max_body = 16 * 1024 * 1024;     // decoded body bytes
  std::size_t max_chunk_line = 4 * 1024;       // one chunk-size line with extensions
};

enum class ParseStatus : std::uint8_t {
  need_more,  // all input consumed, message not complete yet
  done,       // one complete message: take_request() / take_response()
  // Limits (the error message names the limit and its value).
  start_line_too_long,
  header_block_too_large,
  too_many_headers,
  body_too_large,
  chunk_line_too_long,
  // Syntax.
  bare_lf,
  bad_request_line,
  bad_status_line,
  unsupported_version,
  obsolete_line_folding,
  bad_header_name,
  bad_header_value,
  duplicate_host,
  // Framing.
  bad_content_length,
  multiple_content_length,
  content_length_with_transfer_encoding,
  unsupported_transfer_encoding,
  transfer_encoding_in_http10,
  bad_chunk_size,
  chunk_size_overflow,
  bad_chunk_terminator,
  // End of input (finish()).
  truncated,          // the connection closed inside a message
  connection_closed,  // the connection closed between messages: not an error of the peer
  // read_message() only.
  read_failed,
};

// Stable identifier, e.g. "multiple_content_length".
std::string_view to_string(ParseStatus s);
// One sentence for humans, e.g. "more than one Content-Length header".
std::string_view describe(ParseStatus s);
// True for every status but need_more, done and connection_closed.
bool is_error(ParseStatus s);
// The response status a server sends for a request parse error: 413 body, 431 headers,
// 414 request line, 501 transfer coding, 505 version, 400 otherwise.
int status_for(ParseStatus s);

class MessageParser {
 public:
  explicit MessageParser(MessageKind kind, ParserLimits limits = {});

  // Consumes bytes of at most one message; `consumed` = bytes taken from `data`. Returns
  // need_more (all consumed), done (message complete; surplus not consumed) or an error (sticky;
  // consumed counts the bytes up to the offending one).
  ParseStatus feed(std::span<const char> data, std::size_t& consumed);
  // The peer closed the connection: completes a close-delimited response body (done), reports
  // connection_closed between messages and truncated inside one.
  ParseStatus finish();

  // Responses only: the request this response answers used `method` (HEAD → no body). Set before
  // the response's first byte; cleared by take_response().
  void expect_response_to(std::string_view method);

  bool done() const { return state_ == State::complete; }
  ParseStatus status() const { return status_; }
  // True when no byte of a next message has been consumed (a close here is clean).
  bool idle() const;
  // describe(status()) plus the detail (limit value, line number); empty without an error.
  const std::string& error_message() const { return error_; }

  // Meaningful when done(): whether the connection stays open after this message (HTTP/1.1
  // without "Connection: close", HTTP/1.0 with "Connection: keep-alive"; a close-delimited
  // response never), the minor version, and the trailer fields of a chunked body.
  bool keep_alive() const { return keep_alive_; }
  int minor_version() const { return minor_; }
  const std::vector<HttpHeader>& trailers() const { return trailers_; }

  // Moves the completed message out and resets for the next one (limits and kind kept).
  HttpRequest take_request();
  HttpResponse take_response();
  // Forgets everything, including a sticky error.
  void reset();

 private:
  enum class State : std::uint8_t {
    start_line, header_line, body_length, body_until_close, chunk_size, chunk_data,
    chunk_data_cr, chunk_data_lf, trailer_line, complete, failed
  };
  enum class LineResult : std::uint8_t { more, line, too_long, bare_lf };

  LineResult take_line(const char* p, std::size_t n, std::size_t& used, std::size_t limit);
  ParseStatus fail(ParseStatus s, std::string detail = {});
  ParseStatus on_start_line();
  ParseStatus on_header_line(std::vector<HttpHeader>& into, std::size_t& count);
  ParseStatus on_headers_complete();
  ParseStatus on_chunk_size_line();
  void complete();
  void clear_message();

  MessageKind kind_;
  ParserLimits limits_;
  State state_ = State::start_line;
  ParseStatus status_ = ParseStatus::need_more;
  std::string error_;

  std::string line_;              // the line being assembled (without its LF once complete)
  std::size_t block_bytes_ = 0;   // header or trailer block bytes so far
  std::size_t field_count_ = 0;
  std::uint64_t remaining_ = 0;   // body bytes left (Content-Length) or in the current chunk
  std::size_t lines_seen_ = 0;    // for error messages
  bool no_body_ = false;          // HEAD response expected
  bool keep_alive_ = true;
  int minor_ = 1;

  std::string method_, target_, reason_;
  int status_code_ = 0;
  std::vector<HttpHeader> headers_, trailers_;
  std::string body_;
};

// Blocking helper: reads one message through `read` into `parser`, keeping surplus bytes of
// pipelined messages in `pending` for the next call (start with an empty string per connection).
// `read` fills the span and returns the byte count, 0 at end of stream, < 0 on failure (then
// read_failed is returned). Returns done, connection_closed or an error; on done the message is
// ready in the parser.
using ReadFn = std::function<long(std::span<char>)>;
ParseStatus read_message(MessageParser& parser, std::string& pending, const ReadFn& read);

}  // namespace vigil::http
