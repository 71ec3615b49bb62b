// HTTP/1.1 message text: requests and responses with real header sets, chunked bodies.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::pcapgen {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// IMF-fixdate (RFC 9110) of a capture timestamp: "Mon, 01 Jan 2024 00:00:01 GMT".
std::string http_date(std::uint64_t ts_ns);

// A message: start line, headers in the given order, then the body as given (already chunked
// when the headers say so).
std::string http_message(std::string_view start_line, const HttpHeaders& headers, std::string_view body);

// The body in chunked transfer coding, cut at the given sizes (the remainder is one more chunk).
std::string http_chunked(std::string_view body, std::span<const std::size_t> chunk_sizes);

// Header sets of common clients.
HttpHeaders firefox_request_headers(std::string_view host);
HttpHeaders edge_request_headers(std::string_view host);
HttpHeaders curl_request_headers(std::string_view host);

}  // namespace vigil::pcapgen
