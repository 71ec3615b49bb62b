#include "tools/pcapgen/app/ntp.h"

namespace vigil::pcapgen {

namespace {

constexpr std::uint64_t kUnixToNtpSeconds = 2208988800ull;

std::uint64_t ntp_timestamp(std::uint64_t unix_ns) {
  const std::uint64_t secs = unix_ns / 1'000'000'000ull + kUnixToNtpSeconds;
  const std::uint64_t frac = ((unix_ns % 1'000'000'000ull) << 32) / 1'000'000'000ull;
  return secs << 32 | frac;
}

}  // namespace

Bytes ntp_client_request(std::uint64_t ts_ns) {
  Bytes b;
  put_u8(b, 0 << 6 | 4 << 3 | 3);  // LI 0, version 4, mode client
  put_u8(b, 0);                    // stratum unspecified
  put_u8(b, 6);                    // poll 64 s
  put_u8(b, 0xe9);                 // precision 2^-23
  put_be32(b, 0);                  // root delay
  put_be32(b, 0);                  // root dispersion
  put_be32(b, 0);                  // reference id
  put_be64(b, 0);                  // reference timestamp
  put_be64(b, 0);                  // origin
  put_be64(b, 0);                  // receive
  put_be64(b, ntp_timestamp(ts_ns));
  return b;
}

Bytes ntp_server_reply(std::uint64_t request_ts_ns, std::uint64_t receive_ts_ns,
                       std::uint64_t transmit_ts_ns, const IpAddr& reference) {
  Bytes b;
  put_u8(b, 0 << 6 | 4 << 3 | 4);  // LI 0, version 4, mode server
  put_u8(b, 2);
  put_u8(b, 6);
  put_u8(b, 0xe8);                 // precision 2^-24
  put_be32(b, 0x00000d2f);         // root delay ~51 ms (16.16 seconds)
  put_be32(b, 0x0000029c);         // root dispersion ~10 ms
  put_bytes(b, reference.view().first(4));
  put_be64(b, ntp_timestamp(request_ts_ns - 37'000'000'000ull));
  put_be64(b, ntp_timestamp(request_ts_ns));
  put_be64(b, ntp_timestamp(receive_ts_ns));
  put_be64(b, ntp_timestamp(transmit_ts_ns));
  return b;
}

}  // namespace vigil::pcapgen
