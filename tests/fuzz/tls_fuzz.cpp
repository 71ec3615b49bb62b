// libFuzzer target for the TLS parser: both directions of one flow, randomly chunked.
//
// Input: frames of [flags:1][length:2 big-endian][bytes]. flags bit 0: direction (1 = to_client);
// bit 1: a gap in that direction before the frame. Each frame is fed in chunks whose sizes come
// from a small PRNG seeded by the frame header, so a split can fall on any byte. The sink reads
// every field on every event; handshake_done must come at most once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <span>

#include "dataplane/app/tls/tls_parser.h"

using namespace vigil;
using namespace vigil::app::tls;

namespace {

struct CheckingSink final : TlsSink {
  int done = 0;
  std::uint64_t sum = 0;  // keeps the reads from being optimised away
  void on_tls_progress(const TlsState& s, FlowDirection, TlsProgress p) override {
    if (p == TlsProgress::handshake_done && ++done > 1) std::abort();
    for (std::size_t i = 0; i < static_cast<std::size_t>(TlsField::count_); ++i) {
      for (std::uint8_t b : tls_field(s, static_cast<TlsField>(i))) sum += b;
    }
    if (tls_cert_count(s) > kMaxCerts) std::abort();
    for (std::size_t i = 0; i < tls_cert_count(s); ++i) {
      const auto der = tls_cert(s, i);
      if (!der.empty()) sum += der.front() + der.back();
    }
    sum += tls_not_before(s).size() + tls_not_after(s).size() + tls_version(s);
  }
};

alignas(TlsState) unsigned char g_slot[sizeof(TlsState)];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static TlsShared shared;
  auto* state = new (g_slot) TlsState{};
  tls_init(*state);
  CheckingSink sink;
  bool probed[2] = {false, false};

  std::span<const std::uint8_t> in(data, size);
  while (in.size() >= 3) {
    const std::uint8_t flags = in[0];
    std::size_t len = static_cast<std::size_t>(in[1] << 8 | in[2]);
    in = in.subspan(3);
    len = std::min(len, in.size());
    const auto frame = in.first(len);
    in = in.subspan(len);
    const FlowDirection dir = (flags & 1) ? FlowDirection::to_client : FlowDirection::to_server;
    if (!probed[dir_index(dir)]) {
      probed[dir_index(dir)] = true;
      const Probe p = tls_probe(frame, dir);
      if (p != Probe::no && p != Probe::yes && p != Probe::more) std::abort();
    }
    if (flags & 2) tls_gap(*state, shared, dir, sink);
    std::uint32_t rng = 0x9e3779b9u ^ (std::uint32_t{flags} << 16) ^ static_cast<std::uint32_t>(len);
    std::size_t at = 0;
    while (at < frame.size()) {
      rng ^= rng << 13;
      rng ^= rng >> 17;
      rng ^= rng << 5;
      const std::size_t n = std::min<std::size_t>(1 + rng % 600, frame.size() - at);
      tls_parse(*state, shared, dir, frame.subspan(at, n), sink);
      at += n;
    }
  }
  tls_close(*state, shared, sink);
  tls_close(*state, shared, sink);  // idempotent
  (void)tls_stopped(*state);
  return 0;
}
