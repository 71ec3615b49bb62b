// HTTP/1.1 messages of the provider protocol (docs/uplink.md): the parsed form both the appliance's
// uploader and the reference provider work with. Control plane only: owns its strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::http {

struct HttpHeader {
  std::string name, value;
};

// ASCII case-insensitive equality (header names, tokens such as "chunked" and "close").
bool iequals(std::string_view a, std::string_view b);

// Case-insensitive lookup of the first header called `name`; empty when absent.
std::string_view find_header(const std::vector<HttpHeader>& headers, std::string_view name);

struct HttpRequest {
  std::string method, target;
  std::vector<HttpHeader> headers;
  std::string body;
  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<HttpHeader> headers;
  std::string body;
  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

}  // namespace vigil::http
