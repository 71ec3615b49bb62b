#include "dataplane/flow/tcp_tracker.h"

#include "dataplane/stream/stream_state.h"

namespace vigil {

namespace {

constexpr std::string_view kCounterNames[] = {VIGIL_TCP_COUNTERS(VIGIL_COUNTER_NAME)};
static_assert(std::size(kCounterNames) == kTcpCounterCount);

constexpr std::size_t kClient = dir_index(FlowDirection::to_server);
constexpr std::size_t kServer = dir_index(FlowDirection::to_client);

// Sequence-space comparisons (RFC 1982 serial arithmetic).
inline bool seq_lt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
inline bool seq_gt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }
inline bool seq_geq(std::uint32_t a, std::uint32_t b) { return !seq_lt(a, b); }

struct Seg {
  bool syn, ack, rst, fin;
  std::uint32_t len;  // payload bytes
};

inline Seg segment_of(const DecodedPacket& p) {
  return Seg{(p.tcp_flags & tcpflag::syn) != 0, (p.tcp_flags & tcpflag::ack) != 0,
             (p.tcp_flags & tcpflag::rst) != 0, (p.tcp_flags & tcpflag::fin) != 0,
             static_cast<std::uint32_t>(p.payload.size())};
}

class Tracker {
 public:
  Tracker(Flow& f, FlowDirection dir, const DecodedPacket& p, const TcpTrackConfig& cfg,
          TcpCounters& c)
      : f_(f), t_(f.tcp), s_(dir_index(dir)), r_(1 - dir_index(dir)), p_(p), seg_(segment_of(p)),
        cfg_(cfg), c_(c) {}

  TcpTrackStatus run() {
    switch (t_.state) {
      case TcpState::none:
        return on_none();
      case TcpState::syn_sent:
        return on_syn_sent();
      case TcpState::syn_recv:
        return on_syn_recv();
      case TcpState::closed:
        return anomaly(TcpCounter::pkt_on_closed);
      default:
        return on_open();
    }
  }

 private:
  TcpPeer& snd() { return t_.peer[s_]; }
  TcpPeer& rcv() { return t_.peer[r_]; }

  TcpTrackStatus anomaly(TcpCounter why) {
    c_.add(why);
    return TcpTrackStatus::anomaly;
  }

  // Records the SYN (or SYN-ACK) of the sending side: ISN, options, first stream sequence.
  void note_syn() {
    TcpPeer& pe = snd();
    pe.isn = p_.seq;
    pe.next_seq = p_.seq + 1 + seg_.len;
    pe.window = p_.window;  // windows in SYN segments are never scaled
    pe.flags |= tcppeer::isn_known | tcppeer::seq_known;
    pe.flags &= static_cast<std::uint8_t>(~tcppeer::wscale_set);
    pe.wscale = 0;
    if (p_.tcp_opts.has_wscale) {
      std::uint8_t ws = p_.tcp_opts.wscale;
      if (ws > kTcpMaxWscale) {
        // RFC 7323 2.3: use 14 and carry on.
        c_.add(TcpCounter::invalid_wscale);
        ws = kTcpMaxWscale;
      }
      pe.wscale = ws;
      pe.flags |= tcppeer::wscale_set;
    }
    pe.mss = p_.tcp_opts.has_mss ? p_.tcp_opts.mss : 0;
    stream_dir_init(f_.stream[s_], p_.seq + 1);
  }

  // Window scaling is in effect only when both SYNs carried the option.
  void negotiate_wscale() {
    TcpPeer& a = t_.peer[kClient];
    TcpPeer& b = t_.peer[kServer];
    if ((a.flags & tcppeer::wscale_set) && (b.flags & tcppeer::wscale_set)) {
      t_.flags |= tcpsess::wscale_on;
    } else {
      t_.flags &= static_cast<std::uint8_t>(~tcpsess::wscale_on);
      a.wscale = 0;
      b.wscale = 0;
    }
  }

  void note_ack() {
    TcpPeer& pe = snd();
    if (!(pe.flags & tcppeer::ack_known) || seq_gt(p_.ack, pe.last_ack)) pe.last_ack = p_.ack;
    // The window of a SYN segment is never scaled (RFC 7323 2.2).
    const std::uint8_t shift = (!seg_.syn && (t_.flags & tcpsess::wscale_on)) ? pe.wscale : 0;
    pe.window = static_cast<std::uint32_t>(p_.window) << shift;
    pe.flags |= tcppeer::ack_known;
  }

  // Sequence and acknowledgement bookkeeping for a non-SYN segment.
  void note_segment() {
    TcpPeer& pe = snd();
    const std::uint32_t end = p_.seq + seg_.len + (seg_.fin ? 1 : 0);
    if (!(pe.flags & tcppeer::seq_known) || seq_gt(end, pe.next_seq)) pe.next_seq = end;
    pe.flags |= tcppeer::seq_known;
    if (seg_.ack) note_ack();
  }

  // RFC 793 / RFC 5961 acceptability, leaning towards acceptance where we lack knowledge: an RST
  // is plausible in the receiver's window, or exactly at the sender's next sequence number.
  bool rst_plausible() {
    const TcpPeer& sp = snd();
    const TcpPeer& rp = rcv();
    if (t_.state == TcpState::syn_sent && s_ == kServer) {
      // In SYN-SENT a reset is acceptable only if it acknowledges the SYN.
      return seg_.ack && (rp.flags & tcppeer::isn_known) &&
             (p_.ack == rp.isn + 1 || p_.ack == rp.next_seq);
    }
    if (rp.flags & tcppeer::ack_known) {
      const std::uint32_t wnd = rp.window == 0 ? 1 : rp.window;
      if (p_.seq - rp.last_ack < wnd) return true;
    }
    return (sp.flags & tcppeer::seq_known) && p_.seq == sp.next_seq;
  }

  TcpTrackStatus on_rst() {
    if (!rst_plausible()) return anomaly(TcpCounter::invalid_rst);
    snd().flags |= tcppeer::rst_sent;
    t_.flags |= tcpsess::closed_by_rst;
    t_.state = TcpState::closed;
    return TcpTrackStatus::ok;
  }

  TcpTrackStatus on_none() {
    if (seg_.rst) return anomaly(TcpCounter::rst_but_no_session);
    if (seg_.syn && !seg_.ack) {
      note_syn();
      t_.state = TcpState::syn_sent;
      return TcpTrackStatus::ok;
    }
    if (seg_.syn && seg_.ack) {
      // SYN-ACK first: the flow table made its receiver the client. The ACK gives the client's
      // ISN; its SYN options are unknown, so a negotiated scale is assumed at its maximum.
      note_syn();
      TcpPeer& cl = rcv();
      cl.isn = p_.ack - 1;
      cl.next_seq = p_.ack;
      cl.flags |= tcppeer::isn_known | tcppeer::seq_known | tcppeer::syn_acked;
      stream_dir_init(f_.stream[r_], p_.ack);
      if (snd().flags & tcppeer::wscale_set) {
        t_.flags |= tcpsess::wscale_on;
        cl.wscale = kTcpMaxWscale;
        cl.flags |= tcppeer::wscale_set;
      }
      note_ack();
      t_.state = TcpState::syn_recv;
      return TcpTrackStatus::ok;
    }
    if (!cfg_.midstream) return anomaly(TcpCounter::midstream_disabled);
    if (!seg_.ack) return anomaly(TcpCounter::pkt_without_ack);

    // Midstream pickup: the sender is the client; both next sequence numbers come from this packet.
    t_.flags |= tcpsess::midstream | tcpsess::wscale_on;
    TcpPeer& sp = snd();
    TcpPeer& rp = rcv();
    sp.wscale = rp.wscale = kTcpMaxWscale;
    sp.next_seq = p_.seq;
    sp.flags |= tcppeer::seq_known | tcppeer::syn_acked;
    rp.next_seq = p_.ack;
    rp.flags |= tcppeer::seq_known | tcppeer::syn_acked;
    stream_dir_init(f_.stream[s_], p_.seq);
    stream_dir_init(f_.stream[r_], p_.ack);
    t_.state = TcpState::established;
    c_.add(TcpCounter::midstream_pickup);
    return on_open();
  }

  TcpTrackStatus on_syn_sent() {
    if (seg_.rst) return on_rst();
    if (s_ == kClient) {
      if (seg_.syn && !seg_.ack) {
        if (p_.seq == snd().isn) return TcpTrackStatus::ok;  // retransmission
        // A new ISN before any answer: the latest SYN is the one the server will answer.
        c_.add(TcpCounter::syn_resend_diff_seq);
        note_syn();
        return TcpTrackStatus::ok;
      }
      if (cfg_.async_oneside && seg_.ack && !seg_.syn && p_.seq == snd().isn + 1) {
        // Asymmetric routing: the server's SYN-ACK took another path. The client's ACK of it
        // stands for it; the server's next sequence number is what the client acknowledges.
        TcpPeer& sv = rcv();
        sv.isn = p_.ack - 1;
        sv.next_seq = p_.ack;
        sv.flags |= tcppeer::isn_known | tcppeer::seq_known | tcppeer::syn_acked;
        snd().flags |= tcppeer::syn_acked;
        stream_dir_init(f_.stream[r_], p_.ack);
        t_.flags |= tcpsess::async;
        t_.state = TcpState::established;
        c_.add(TcpCounter::async_oneside);
        return on_open();
      }
      return anomaly(TcpCounter::handshake_unexpected);
    }
    if (seg_.syn && seg_.ack) {
      const TcpPeer& cl = rcv();
      if (p_.ack != cl.isn + 1 && p_.ack != cl.next_seq) return anomaly(TcpCounter::synack_bad_ack);
      note_syn();
      rcv().flags |= tcppeer::syn_acked;
      negotiate_wscale();
      note_ack();
      t_.state = TcpState::syn_recv;
      return TcpTrackStatus::ok;
    }
    if (seg_.syn) {
      // Simultaneous open: both ends sent a bare SYN; each must now acknowledge the other's.
      note_syn();
      negotiate_wscale();
      t_.flags |= tcpsess::simultaneous;
      t_.state = TcpState::syn_recv;
      return TcpTrackStatus::ok;
    }
    return anomaly(TcpCounter::handshake_unexpected);
  }

  // Marks the receiver's SYN acknowledged when this segment's ACK covers it.
  bool acks_receiver_syn() const {
    const TcpPeer& rp = t_.peer[r_];
    return seg_.ack && (rp.flags & tcppeer::isn_known) && seq_geq(p_.ack, rp.isn + 1) &&
           !seq_gt(p_.ack, rp.next_seq);
  }

  bool both_syns_acked() const {
    return (t_.peer[kClient].flags & tcppeer::syn_acked) &&
           (t_.peer[kServer].flags & tcppeer::syn_acked);
  }

  TcpTrackStatus on_syn_recv() {
    if (seg_.rst) return on_rst();
    const bool simultaneous = (t_.flags & tcpsess::simultaneous) != 0;
    if (seg_.syn && !seg_.ack) {
      if ((snd().flags & tcppeer::isn_known) && p_.seq == snd().isn) return TcpTrackStatus::ok;
      return anomaly(TcpCounter::syn_resend_diff_seq);
    }
    if (seg_.syn) {
      if (!simultaneous) {
        if (s_ == kClient) return anomaly(TcpCounter::handshake_wrong_dir);
        if (p_.seq != snd().isn) return anomaly(TcpCounter::synack_resend_diff_seq);
        return TcpTrackStatus::ok;  // SYN-ACK retransmission
      }
      if (p_.seq != snd().isn) return anomaly(TcpCounter::synack_resend_diff_seq);
      if (!acks_receiver_syn()) return anomaly(TcpCounter::synack_bad_ack);
      rcv().flags |= tcppeer::syn_acked;
      note_ack();
      if (both_syns_acked()) t_.state = TcpState::established;
      return TcpTrackStatus::ok;
    }
    if (!seg_.ack) return anomaly(TcpCounter::pkt_without_ack);
    if (!simultaneous && s_ == kServer && cfg_.async_oneside &&
        (rcv().flags & tcppeer::syn_acked) && p_.seq == snd().isn + 1) {
      // Asymmetric routing, the server's side: its segments after the SYN-ACK, with the
      // client's ACK never seen, establish the connection (async-oneside).
      snd().flags |= tcppeer::syn_acked;
      t_.flags |= tcpsess::async;
      t_.state = TcpState::established;
      c_.add(TcpCounter::async_oneside);
      return on_open();
    }
    if (!simultaneous && s_ == kServer) return anomaly(TcpCounter::handshake_wrong_dir);
    if (!(rcv().flags & tcppeer::syn_acked)) {
      if (!acks_receiver_syn()) return anomaly(TcpCounter::handshake_bad_ack);
      rcv().flags |= tcppeer::syn_acked;
    }
    if (!both_syns_acked()) {
      note_segment();
      return TcpTrackStatus::ok;
    }
    t_.state = TcpState::established;
    return on_open();
  }

  // established and the closing states.
  TcpTrackStatus on_open() {
    if (seg_.rst) return on_rst();
    if (seg_.syn) return anomaly(TcpCounter::syn_on_established);
    if (!seg_.ack) return anomaly(TcpCounter::pkt_without_ack);

    note_segment();
    TcpPeer& sp = snd();
    TcpPeer& rp = rcv();
    if ((rp.flags & tcppeer::fin_sent) && !(rp.flags & tcppeer::fin_acked) &&
        seq_geq(p_.ack, t_.fin_seq[r_] + 1)) {
      rp.flags |= tcppeer::fin_acked;
    }
    bool new_fin = false;
    if (seg_.fin && !(sp.flags & tcppeer::fin_sent)) {
      sp.flags |= tcppeer::fin_sent;
      t_.fin_seq[s_] = p_.seq + seg_.len;
      new_fin = true;
    }

    const TcpPeer& cl = t_.peer[kClient];
    const TcpPeer& sv = t_.peer[kServer];
    switch (t_.state) {
      case TcpState::established:
        if (new_fin) t_.state = s_ == kClient ? TcpState::fin_wait1 : TcpState::close_wait;
        break;
      case TcpState::fin_wait1:
        if (s_ == kServer) {
          if (new_fin) {
            t_.state = (cl.flags & tcppeer::fin_acked) ? TcpState::time_wait : TcpState::closing;
          } else if (cl.flags & tcppeer::fin_acked) {
            t_.state = TcpState::fin_wait2;
          }
        }
        break;
      case TcpState::fin_wait2:
        if (s_ == kServer && new_fin) t_.state = TcpState::time_wait;
        break;
      case TcpState::close_wait:
        if (s_ == kClient && new_fin) t_.state = TcpState::last_ack;
        break;
      case TcpState::closing:
        if ((cl.flags & tcppeer::fin_acked) && (sv.flags & tcppeer::fin_acked)) {
          t_.state = TcpState::time_wait;
        }
        break;
      case TcpState::last_ack:
        if (s_ == kServer && (cl.flags & tcppeer::fin_acked)) t_.state = TcpState::closed;
        break;
      case TcpState::time_wait:
        if (s_ == kClient && (sv.flags & tcppeer::fin_acked)) t_.state = TcpState::closed;
        break;
      default:
        break;
    }
    return TcpTrackStatus::ok;
  }

  Flow& f_;
  TcpSession& t_;
  const std::size_t s_, r_;  // sender and receiver peer index
  const DecodedPacket& p_;
  const Seg seg_;
  const TcpTrackConfig& cfg_;
  TcpCounters& c_;
};

}  // namespace

std::string_view tcp_counter_name(TcpCounter c) {
  return counter_name(kCounterNames, static_cast<std::size_t>(c), "tcp.unknown_counter");
}

std::string_view tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::none: return "none";
    case TcpState::syn_sent: return "syn_sent";
    case TcpState::syn_recv: return "syn_recv";
    case TcpState::established: return "established";
    case TcpState::fin_wait1: return "fin_wait1";
    case TcpState::fin_wait2: return "fin_wait2";
    case TcpState::time_wait: return "time_wait";
    case TcpState::last_ack: return "last_ack";
    case TcpState::close_wait: return "close_wait";
    case TcpState::closing: return "closing";
    case TcpState::closed: return "closed";
  }
  return "unknown";
}

TcpTrackStatus tcp_track(Flow& f, FlowDirection dir, const DecodedPacket& p,
                         const TcpTrackConfig& cfg, TcpCounters& counters) {
  return Tracker(f, dir, p, cfg, counters).run();
}

bool tcp_packet_reuses_flow(const Flow& f, const DecodedPacket& p) {
  const bool bare_syn = (p.tcp_flags & (tcpflag::syn | tcpflag::ack | tcpflag::rst)) == tcpflag::syn;
  return bare_syn && (f.tcp.state == TcpState::closed || f.tcp.state == TcpState::time_wait);
}

bool tcp_handshake_reverses(const Flow& f, FlowDirection dir, const DecodedPacket& p) {
  if (f.tcp.state != TcpState::none) return false;
  const std::uint8_t hs = p.tcp_flags & (tcpflag::syn | tcpflag::ack | tcpflag::rst);
  if (hs == tcpflag::syn) return dir == FlowDirection::to_client;
  if (hs == (tcpflag::syn | tcpflag::ack)) return dir == FlowDirection::to_server;
  return false;
}

}  // namespace vigil
