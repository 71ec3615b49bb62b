#include "dataplane/app/dns/dns_tcp.h"

#include <algorithm>
#include <cstring>

namespace vigil::app::dns {

namespace {

using Phase = DnsTcpDirection::Phase;

void reset(DnsTcpDirection& d) {
  // The buffer is not cleared: only [0, have) of it is ever read.
  d.phase = Phase::length;
  d.have_len_bytes = 0;
  d.len_hi = 0;
  d.need = d.have = 0;
}

// A length prefix is complete: decide how its message is taken.
void start_message(DnsTcpDirection& d, DnsCounters& c, std::uint16_t len) {
  d.have_len_bytes = 0;
  d.need = len;
  d.have = 0;
  if (len == 0) {
    c.add(DnsCounter::tcp_empty_message);
    d.phase = Phase::length;
  } else if (len > kDnsTcpBufferBytes) {
    c.add(DnsCounter::tcp_message_too_large);
    d.phase = Phase::skip;
  } else {
    d.phase = Phase::message;
  }
}

}  // namespace

void dns_tcp_init(DnsTcpState& s) {
  for (auto& d : s.dir) reset(d);
}

void dns_tcp_feed(DnsTcpState& s, DnsShared& shared, FlowDirection dir,
                  std::span<const std::uint8_t> data, DnsMessageSink& sink) {
  DnsTcpDirection& d = s.dir[dir_index(dir)];
  DnsCounters& c = shared.counters();
  // Bounded: every pass consumes at least one byte of `data`.
  while (!data.empty()) {
    switch (d.phase) {
      case Phase::lost:
        c.add(DnsCounter::tcp_bytes_after_gap, data.size());
        return;
      case Phase::length:
        if (d.have_len_bytes == 0 && data.size() >= 2) {
          const auto len = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
          data = data.subspan(2);
          start_message(d, c, len);
        } else if (d.have_len_bytes == 0) {
          d.len_hi = data[0];
          d.have_len_bytes = 1;
          data = data.subspan(1);
        } else {
          const auto len = static_cast<std::uint16_t>((d.len_hi << 8) | data[0]);
          data = data.subspan(1);
          start_message(d, c, len);
        }
        break;
      case Phase::message: {
        if (d.have == 0 && data.size() >= d.need) {
          // Whole message in this feed: hand it over in place, no copy.
          const auto msg = data.first(d.need);
          data = data.subspan(d.need);
          reset(d);
          c.add(DnsCounter::tcp_messages);
          sink.on_dns_message(dir, msg);
          break;
        }
        const std::size_t n = std::min<std::size_t>(d.need - d.have, data.size());
        std::memcpy(d.buf.data() + d.have, data.data(), n);
        d.have = static_cast<std::uint16_t>(d.have + n);
        data = data.subspan(n);
        if (d.have == d.need) {
          const std::size_t len = d.need;
          reset(d);
          c.add(DnsCounter::tcp_messages);
          // The buffer stays untouched until the next feed of this direction.
          sink.on_dns_message(dir, std::span<const std::uint8_t>(d.buf.data(), len));
        }
        break;
      }
      case Phase::skip: {
        const std::size_t n = std::min<std::size_t>(d.need - d.have, data.size());
        d.have = static_cast<std::uint16_t>(d.have + n);
        data = data.subspan(n);
        if (d.have == d.need) reset(d);
        break;
      }
    }
  }
}

void dns_tcp_gap(DnsTcpState& s, DnsShared& shared, FlowDirection dir) {
  shared.counters().add(DnsCounter::tcp_gaps);
  s.dir[dir_index(dir)].phase = Phase::lost;
}

void dns_tcp_close(DnsTcpState& s) {
  for (auto& d : s.dir) d.phase = Phase::lost;
}

}  // namespace vigil::app::dns
