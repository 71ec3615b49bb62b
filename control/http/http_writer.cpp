#include "control/http/http_writer.h"

namespace vigil::http {
namespace {

bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~"))
    if (c == static_cast<unsigned char>(t)) return true;
  return false;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_field_text(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u != '\t' && (u < 0x20 || u == 0x7f)) return false;
  }
  // Leading or trailing whitespace would be trimmed by the reader: refuse it so what is written
  // is what is read.
  return s.empty() || (s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t');
}

bool is_framing(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding");
}

bool write_headers(const std::vector<HttpHeader>& headers, std::string& s, std::string* error) {
  for (const HttpHeader& h : headers) {
    if (!is_token(h.name)) {
      if (error) *error = "bad header name \"" + h.name + "\"";
      return false;
    }
    if (!is_field_text(h.value)) {
      if (error) *error = "bad value of header " + h.name;
      return false;
    }
    if (is_framing(h.name)) continue;
    s += h.name;
    s += ": ";
    s += h.value;
    s += "\r\n";
  }
  return true;
}

}  // namespace

bool write_request(const HttpRequest& req, std::string& out, std::string* error) {
  if (!is_token(req.method)) {
    if (error) *error = "bad method";
    return false;
  }
  if (req.target.empty()) {
    if (error) *error = "empty target";
    return false;
  }
  for (char c : req.target) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      if (error) *error = "bad byte in target";
      return false;
    }
  }
  std::string s;
  s.reserve(64 + req.target.size() + req.body.size());
  s += req.method;
  s += ' ';
  s += req.target;
  s += " HTTP/1.1\r\n";
  if (!write_headers(req.headers, s, error)) return false;
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
    s += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  s += "\r\n";
  s += req.body;
  out += s;
  return true;
}

bool write_response(const HttpResponse& resp, std::string& out, std::string* error,
                    bool head_response) {
  if (resp.status < 100 || resp.status > 599) {
    if (error) *error = "status code out of range";
    return false;
  }
  if (!is_field_text(resp.reason)) {
    if (error) *error = "bad reason phrase";
    return false;
  }
  const bool bodiless = resp.status < 200 || resp.status == 204 || resp.status == 304;
  if (bodiless && !resp.body.empty()) {
    if (error) *error = "status " + std::to_string(resp.status) + " cannot carry a body";
    return false;
  }
  std::string s;
  s.reserve(128 + resp.body.size());
  s += "HTTP/1.1 ";
  s += std::to_string(resp.status);
  s += ' ';
  s += resp.reason.empty() ? reason_phrase(resp.status) : std::string_view(resp.reason);
  s += "\r\n";
  if (!write_headers(resp.headers, s, error)) return false;
  if (!bodiless) s += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
  s += "\r\n";
  if (!head_response) s += resp.body;
  out += s;
  return true;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace vigil::http
