#include "tools/pcapgen/tcp_session.h"

#include <algorithm>
#include <vector>

namespace vigil::pcapgen {

namespace {

struct SackRange {
  std::uint32_t left = 0, right = 0;
};

// Sequence-space comparison (RFC 1982 style): true when a is after b.
bool seq_after(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }

std::uint32_t ts_value(const TcpEnd& e, std::uint64_t ts_ns) {
  return e.ts_base + static_cast<std::uint32_t>((ts_ns - kEpochNs) / 1'000'000);
}

void put_mss(Bytes& o, std::uint16_t mss) {
  put_u8(o, 2);
  put_u8(o, 4);
  put_be16(o, mss);
}
void put_wscale(Bytes& o, std::uint8_t ws) {
  put_u8(o, 3);
  put_u8(o, 3);
  put_u8(o, ws);
}
void put_sack_permitted(Bytes& o) {
  put_u8(o, 4);
  put_u8(o, 2);
}
void put_timestamp(Bytes& o, std::uint32_t val, std::uint32_t ecr) {
  put_u8(o, 8);
  put_u8(o, 10);
  put_be32(o, val);
  put_be32(o, ecr);
}
constexpr std::uint8_t kNop = 1;

// SYN / SYN-ACK options in each stack's own order, as fingerprinting tools know them.
Bytes syn_options(const TcpSession& s, Side from, bool offer_ts, bool offer_sack, std::uint32_t tsval) {
  const TcpEnd& e = s.end[static_cast<int>(from)];
  const std::uint32_t ecr = from == Side::server ? e.ts_recent : 0;
  Bytes o;
  if (e.stack == TcpStack::linux_host) {
    put_mss(o, e.mss);
    if (offer_sack) put_sack_permitted(o);
    if (offer_ts) {
      if (!offer_sack) {
        put_u8(o, kNop);
        put_u8(o, kNop);
      }
      put_timestamp(o, tsval, ecr);
    } else if (offer_sack) {
      put_u8(o, kNop);
      put_u8(o, kNop);
    }
    put_u8(o, kNop);
    put_wscale(o, e.wscale);
  } else {
    put_mss(o, e.mss);
    put_u8(o, kNop);
    put_wscale(o, e.wscale);
    if (offer_sack) {
      put_u8(o, kNop);
      put_u8(o, kNop);
      put_sack_permitted(o);
    }
    if (offer_ts) {
      put_u8(o, kNop);
      put_u8(o, kNop);
      put_timestamp(o, tsval, ecr);
    }
  }
  return o;
}

Bytes segment_options(const TcpSession& s, Side from, std::uint32_t tsval, std::span<const SackRange> sack) {
  Bytes o;
  if (s.timestamps) {
    put_u8(o, kNop);
    put_u8(o, kNop);
    put_timestamp(o, tsval, s.end[static_cast<int>(from)].ts_recent);
  }
  if (s.sack && !sack.empty()) {
    const std::size_t room = s.timestamps ? 3 : 4;
    const std::size_t n = std::min(room, sack.size());
    put_u8(o, kNop);
    put_u8(o, kNop);
    put_u8(o, 5);
    put_u8(o, static_cast<std::uint8_t>(2 + 8 * n));
    for (std::size_t i = 0; i < n; ++i) {
      put_be32(o, sack[i].left);
      put_be32(o, sack[i].right);
    }
  }
  return o;
}

std::uint16_t window_field(const TcpEnd& e, bool syn) {
  const std::uint32_t w = syn ? std::min<std::uint32_t>(e.window, 64240) : e.window >> e.wscale;
  return static_cast<std::uint16_t>(std::min<std::uint32_t>(w, 0xffff));
}

// Emits one segment from `from` at ts. seq/ack are explicit so retransmissions and duplicate
// ACKs can repeat old values.
void emit_segment(TcpSession& s, Side from, std::uint64_t ts, std::uint8_t flags, std::uint32_t seq,
                  std::uint32_t ack, std::span<const std::uint8_t> payload, std::span<const SackRange> sack = {}) {
  TcpEnd& e = s.end[static_cast<int>(from)];
  const std::uint32_t tsval = ts_value(e, ts);
  TcpFields t;
  const bool client = from == Side::client;
  t.sport = client ? s.conv.client_port : s.conv.server_port;
  t.dport = client ? s.conv.server_port : s.conv.client_port;
  t.seq = seq;
  t.ack = ack;
  t.flags = flags;
  t.window = window_field(e, false);
  t.options = segment_options(s, from, tsval, sack);
  const Bytes l4 = tcp_segment(host(s.conv, from).ip, host(s.conv, other(from)).ip, t, payload);
  send_ip(s.conv, from, ts, proto::tcp, l4, true);
  if (s.timestamps) s.end[static_cast<int>(other(from))].ts_recent = tsval;
}

std::uint64_t jitter(TcpSession& s, std::uint32_t max_ns) { return uniform(*s.rng, 0, max_ns); }

std::uint64_t delay_of(const TcpSession& s, Side side) {
  return side == Side::client ? s.conv.client.delay_ns : s.conv.server.delay_ns;
}

// Time a full frame of `bytes` takes on a 1 Gb/s link (preamble and gap included).
std::uint64_t wire_ns(std::size_t bytes) { return (bytes + 24 + 54) * 8; }

// The receiver beyond the sensor: which ACKs it sends for the segments that reach it.
struct Receiver {
  std::uint32_t rcv_next = 0;
  std::vector<SackRange> out_of_order;  // blocks held above a hole, newest first (as SACK lists them)
  int unacked = 0;                      // in-order segments not yet acknowledged (delayed ACK)
  std::uint64_t last_ack_ts = 0;
  int dup_acks = 0;
};

void absorb_blocks(Receiver& r) {
  bool merged = true;
  while (merged) {
    merged = false;
    for (auto it = r.out_of_order.begin(); it != r.out_of_order.end(); ++it) {
      if (!seq_after(it->left, r.rcv_next)) {
        if (seq_after(it->right, r.rcv_next)) r.rcv_next = it->right;
        r.out_of_order.erase(it);
        merged = true;
        break;
      }
    }
  }
}

void receiver_ack(TcpSession& s, Side to, Receiver& r, std::uint64_t ts) {
  emit_segment(s, to, ts, tcpflag::ack, s.end[static_cast<int>(to)].next_seq, r.rcv_next, {},
               r.out_of_order);
  r.last_ack_ts = std::max(r.last_ack_ts, ts);
  r.unacked = 0;
}

void receiver_arrival(TcpSession& s, Side to, Receiver& r, std::uint32_t seq, std::uint32_t len,
                      std::uint64_t sensor_ts) {
  const std::uint64_t ack_ts = sensor_ts + 2 * delay_of(s, to) + 20'000 + jitter(s, 30'000);
  const std::uint32_t end = seq + len;
  if (seq == r.rcv_next) {
    const bool filled_hole = !r.out_of_order.empty();
    r.rcv_next = end;
    absorb_blocks(r);
    if (filled_hole) {
      receiver_ack(s, to, r, ack_ts);  // a hole filled is acknowledged at once (RFC 5681)
    } else if (++r.unacked >= 2) {
      receiver_ack(s, to, r, ack_ts);
    }
  } else if (seq_after(seq, r.rcv_next)) {
    // Above a hole: immediate duplicate ACK carrying the block (newest block first).
    auto it = std::find_if(r.out_of_order.begin(), r.out_of_order.end(),
                           [&](const SackRange& b) { return b.right == seq; });
    if (it != r.out_of_order.end()) {
      SackRange grown{it->left, end};
      r.out_of_order.erase(it);
      r.out_of_order.insert(r.out_of_order.begin(), grown);
    } else {
      r.out_of_order.insert(r.out_of_order.begin(), SackRange{seq, end});
    }
    ++r.dup_acks;
    receiver_ack(s, to, r, ack_ts);
  } else {
    receiver_ack(s, to, r, ack_ts);  // a duplicate of delivered data: ACK again
  }
}

}  // namespace

TcpSession tcp_session(const Conversation& conv, Rng& rng, TcpStack client, TcpStack server) {
  TcpSession s;
  s.conv = conv;
  s.rng = &rng;
  for (int i = 0; i < 2; ++i) {
    TcpEnd& e = s.end[i];
    e.stack = i == 0 ? client : server;
    e.next_seq = static_cast<std::uint32_t>(next_u64(rng));
    e.ts_base = static_cast<std::uint32_t>(next_u64(rng));
    const bool v6 = conv.client.ip.v6;
    e.mss = static_cast<std::uint16_t>(conv.mtu - (v6 ? 60 : 40));
    if (e.stack == TcpStack::linux_host) {
      e.wscale = 7;
      e.window = 64256;
    } else {
      e.wscale = 8;
      e.window = 262656;
    }
  }
  return s;
}

void tcp_connect(TcpSession& s) {
  TcpEnd& c = s.end[0];
  TcpEnd& sv = s.end[1];
  // Windows leaves timestamps off by default; both stacks offer SACK.
  const bool client_ts = c.stack == TcpStack::linux_host;
  const bool server_ts = client_ts && sv.stack == TcpStack::linux_host;
  s.sack = true;

  const std::uint64_t t_syn = send_time(s.conv, Side::client, 0);
  const std::uint32_t syn_tsval = ts_value(c, t_syn);
  TcpFields syn;
  syn.sport = s.conv.client_port;
  syn.dport = s.conv.server_port;
  syn.seq = c.next_seq;
  syn.flags = tcpflag::syn;
  syn.window = window_field(c, true);
  syn.options = syn_options(s, Side::client, client_ts, true, syn_tsval);
  send_ip(s.conv, Side::client, t_syn, proto::tcp,
          tcp_segment(s.conv.client.ip, s.conv.server.ip, syn, {}), true);
  if (client_ts) sv.ts_recent = syn_tsval;
  c.next_seq += 1;

  const std::uint64_t t_synack = t_syn + 2 * s.conv.server.delay_ns + 30'000 + jitter(s, 40'000);
  const std::uint32_t synack_tsval = ts_value(sv, t_synack);
  TcpFields synack;
  synack.sport = s.conv.server_port;
  synack.dport = s.conv.client_port;
  synack.seq = sv.next_seq;
  synack.ack = c.next_seq;
  synack.flags = tcpflag::syn | tcpflag::ack;
  synack.window = window_field(sv, true);
  synack.options = syn_options(s, Side::server, server_ts, true, synack_tsval);
  send_ip(s.conv, Side::server, t_synack, proto::tcp,
          tcp_segment(s.conv.server.ip, s.conv.client.ip, synack, {}), true);
  if (server_ts) c.ts_recent = synack_tsval;
  sv.next_seq += 1;
  s.timestamps = server_ts;

  const std::uint64_t t_ack = t_synack + 2 * s.conv.client.delay_ns + 10'000 + jitter(s, 20'000);
  emit_segment(s, Side::client, t_ack, tcpflag::ack, c.next_seq, sv.next_seq, {});
}

void tcp_refused(TcpSession& s) {
  TcpEnd& c = s.end[0];
  const std::uint64_t t_syn = send_time(s.conv, Side::client, 0);
  TcpFields syn;
  syn.sport = s.conv.client_port;
  syn.dport = s.conv.server_port;
  syn.seq = c.next_seq;
  syn.flags = tcpflag::syn;
  syn.window = window_field(c, true);
  syn.options = syn_options(s, Side::client, c.stack == TcpStack::linux_host, true, ts_value(c, t_syn));
  send_ip(s.conv, Side::client, t_syn, proto::tcp,
          tcp_segment(s.conv.client.ip, s.conv.server.ip, syn, {}), true);
  c.next_seq += 1;

  TcpFields rst;
  rst.sport = s.conv.server_port;
  rst.dport = s.conv.client_port;
  rst.seq = 0;
  rst.ack = c.next_seq;
  rst.flags = tcpflag::rst | tcpflag::ack;
  const std::uint64_t t_rst = t_syn + 2 * s.conv.server.delay_ns + 20'000 + jitter(s, 20'000);
  send_ip(s.conv, Side::server, t_rst, proto::tcp,
          tcp_segment(s.conv.server.ip, s.conv.client.ip, rst, {}), true);
}

void tcp_send(TcpSession& s, Side from, std::span<const std::uint8_t> data, const SendShape& shape) {
  if (data.empty()) return;
  const Side to = other(from);
  TcpEnd& tx = s.end[static_cast<int>(from)];
  const TcpEnd& rx = s.end[static_cast<int>(to)];
  const std::size_t seg_len = std::min(tx.mss, rx.mss) - (s.timestamps ? 12u : 0u);
  const std::size_t segments = (data.size() + seg_len - 1) / seg_len;

  Receiver r;
  r.rcv_next = tx.next_seq;
  const std::uint32_t first_seq = tx.next_seq;
  std::uint64_t t = send_time(s.conv, from, shape.think_ns);
  std::size_t cwnd = 10;  // initial window of current Linux and Windows stacks
  std::size_t next = 0;
  bool lost_pending = false;
  std::size_t lost_index = 0;
  std::uint64_t last_ts = t;

  auto segment_at = [&](std::size_t i) {
    const std::size_t off = i * seg_len;
    return data.subspan(off, std::min(seg_len, data.size() - off));
  };
  auto send_segment = [&](std::size_t i, std::uint64_t ts) {
    const auto piece = segment_at(i);
    const bool last = i + 1 == segments;
    const std::uint8_t flags = tcpflag::ack | (last ? tcpflag::psh : 0);
    const std::uint32_t seq = first_seq + static_cast<std::uint32_t>(i * seg_len);
    emit_segment(s, from, ts, flags, seq, rx.next_seq, piece);
    last_ts = std::max(last_ts, ts);
  };

  while (next < segments) {
    const std::size_t n = std::min(cwnd, segments - next);
    std::vector<std::size_t> order(n);
    for (std::size_t k = 0; k < n; ++k) order[k] = next + k;
    if (shape.reordered_segment >= 0) {
      const auto ro = static_cast<std::size_t>(shape.reordered_segment);
      if (ro >= next && ro + 1 < next + n) std::swap(order[ro - next], order[ro - next + 1]);
    }
    r.last_ack_ts = 0;
    r.dup_acks = 0;
    std::uint64_t third_dup_ts = 0;
    for (std::size_t i : order) {
      const auto piece = segment_at(i);
      const bool lost = shape.lost_segment >= 0 && i == static_cast<std::size_t>(shape.lost_segment);
      if (!lost || !shape.lost_before_sensor) send_segment(i, t);
      if (lost) {
        lost_pending = true;
        lost_index = i;
      } else {
        receiver_arrival(s, to, r, first_seq + static_cast<std::uint32_t>(i * seg_len),
                         static_cast<std::uint32_t>(piece.size()), t);
        if (lost_pending && r.dup_acks == 3) third_dup_ts = r.last_ack_ts;
      }
      t += wire_ns(piece.size()) + jitter(s, 2'000);
    }
    const bool final_round = next + n == segments;
    if (lost_pending) {
      // Fast retransmit after three duplicate ACKs, else a retransmission timeout (200 ms min).
      const std::uint64_t rtt = 2 * (delay_of(s, from) + delay_of(s, to));
      const std::uint64_t rt_ts = third_dup_ts ? third_dup_ts + 2 * delay_of(s, from) + 5'000
                                               : t + std::max<std::uint64_t>(200'000'000, 2 * rtt);
      send_segment(lost_index, rt_ts);
      receiver_arrival(s, to, r, first_seq + static_cast<std::uint32_t>(lost_index * seg_len),
                       static_cast<std::uint32_t>(segment_at(lost_index).size()), rt_ts);
      lost_pending = false;
      t = std::max(t, rt_ts);
    }
    if (r.unacked > 0 && (!final_round || shape.ack_last)) {
      receiver_ack(s, to, r, last_ts + 2 * delay_of(s, to) + 40'000 + jitter(s, 60'000));
    }
    next += n;
    cwnd = std::min<std::size_t>(cwnd * 2, 64);
    if (next < segments) t = std::max(t, r.last_ack_ts + 2 * delay_of(s, from) + jitter(s, 10'000));
  }
  tx.next_seq = first_seq + static_cast<std::uint32_t>(data.size());
}

void tcp_close(TcpSession& s, Side first, std::uint64_t think_ns) {
  const Side second = other(first);
  TcpEnd& a = s.end[static_cast<int>(first)];
  TcpEnd& b = s.end[static_cast<int>(second)];
  const std::uint64_t t1 = send_time(s.conv, first, think_ns);
  emit_segment(s, first, t1, tcpflag::fin | tcpflag::ack, a.next_seq, b.next_seq, {});
  a.next_seq += 1;
  const std::uint64_t t2 = t1 + 2 * delay_of(s, second) + 30'000 + jitter(s, 50'000);
  emit_segment(s, second, t2, tcpflag::fin | tcpflag::ack, b.next_seq, a.next_seq, {});
  b.next_seq += 1;
  const std::uint64_t t3 = t2 + 2 * delay_of(s, first) + 10'000 + jitter(s, 20'000);
  emit_segment(s, first, t3, tcpflag::ack, a.next_seq, b.next_seq, {});
}

void tcp_reset(TcpSession& s, Side from, std::uint64_t think_ns) {
  const std::uint64_t t = send_time(s.conv, from, think_ns);
  TcpEnd& e = s.end[static_cast<int>(from)];
  TcpFields rst;
  const bool client = from == Side::client;
  rst.sport = client ? s.conv.client_port : s.conv.server_port;
  rst.dport = client ? s.conv.server_port : s.conv.client_port;
  rst.seq = e.next_seq;
  rst.ack = s.end[static_cast<int>(other(from))].next_seq;
  rst.flags = tcpflag::rst | tcpflag::ack;
  send_ip(s.conv, from, t, proto::tcp,
          tcp_segment(host(s.conv, from).ip, host(s.conv, other(from)).ip, rst, {}), true);
}

}  // namespace vigil::pcapgen
