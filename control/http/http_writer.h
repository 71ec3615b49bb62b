// HTTP/1.1 writers: a request or response as bytes for the wire. The writer frames the body
// itself: any Content-Length or Transfer-Encoding in `headers` is ignored and Content-Length is
// written from body.size() (always for responses that may carry a body, for requests whenever
// the body is non-empty or the method is POST, PUT or PATCH). Names, values, method, target and
// reason are checked so nothing from a caller can inject a line (CR, LF, NUL are refused).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "control/http/http_message.h"

namespace vigil::http {

// Appends the request to `out`. On a bad field returns false, leaves `out` as it was and, when
// `error` is given, names the field.
bool write_request(const HttpRequest& req, std::string& out, std::string* error = nullptr);

// Appends the response to `out`; an empty reason is filled from reason_phrase(). 1xx, 204 and 304
// are written without Content-Length and must have an empty body. `head_response`: the answer to
// a HEAD request, written with the Content-Length of `body` but without the body bytes.
bool write_response(const HttpResponse& resp, std::string& out, std::string* error = nullptr,
                    bool head_response = false);

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view reason_phrase(int status);

}  // namespace vigil::http
