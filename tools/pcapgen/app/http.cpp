#include "tools/pcapgen/app/http.h"

#include <cstdio>

namespace vigil::pcapgen {

std::string http_date(std::uint64_t ts_ns) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::int64_t secs = static_cast<std::int64_t>(ts_ns / 1'000'000'000ull);
  const std::int64_t days = secs / 86400;
  const std::int64_t rem = secs % 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[days % 7],
                static_cast<int>(d), kMonths[m - 1], static_cast<int>(y), static_cast<int>(rem / 3600),
                static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

std::string http_message(std::string_view start_line, const HttpHeaders& headers, std::string_view body) {
  std::string m(start_line);
  m += "\r\n";
  for (const auto& [name, value] : headers) {
    m += name;
    m += ": ";
    m += value;
    m += "\r\n";
  }
  m += "\r\n";
  m += body;
  return m;
}

std::string http_chunked(std::string_view body, std::span<const std::size_t> chunk_sizes) {
  std::string out;
  std::size_t off = 0;
  auto chunk = [&](std::size_t n) {
    char len[24];
    std::snprintf(len, sizeof len, "%zx\r\n", n);
    out += len;
    out += body.substr(off, n);
    out += "\r\n";
    off += n;
  };
  for (std::size_t n : chunk_sizes) {
    if (off >= body.size()) break;
    chunk(std::min(n, body.size() - off));
  }
  if (off < body.size()) chunk(body.size() - off);
  out += "0\r\n\r\n";
  return out;
}

HttpHeaders firefox_request_headers(std::string_view host) {
  return {
      {"Host", std::string(host)},
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.5"},
      {"Accept-Encoding", "gzip, deflate"},
      {"Connection", "keep-alive"},
      {"Upgrade-Insecure-Requests", "1"},
  };
}

HttpHeaders edge_request_headers(std::string_view host) {
  return {
      {"Host", std::string(host)},
      {"Connection", "keep-alive"},
      {"User-Agent",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8"},
      {"Accept-Encoding", "gzip, deflate"},
      {"Accept-Language", "en-US,en;q=0.9"},
  };
}

HttpHeaders curl_request_headers(std::string_view host) {
  return {
      {"Host", std::string(host)},
      {"User-Agent", "curl/7.88.1"},
      {"Accept", "*/*"},
  };
}

}  // namespace vigil::pcapgen
