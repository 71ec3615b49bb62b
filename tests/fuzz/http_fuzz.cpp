// libFuzzer target for the HTTP parser. Input: 5 header bytes, then the two streams.
//   [0] config bits: 0 lzma, 1 small body limits, 2-3 layer limit - 1, 4 one decoder only,
//       5 tiny output limit / ratio
//   [1..2] where the rest splits into requests | responses (little endian, modulo the size)
//   [3] seed of the chunking, [4] largest chunk (0 = 256), [5] gap chance (x/256 per chunk)
// The streams are fed interleaved in pseudo-random chunks, with gaps, then the flow is closed.
// The sink reads every field and body window of every call, so ASan sees each span.
#include <cstddef>
#include <cstdint>
#include <new>

#include "dataplane/app/http/http_parser.h"

using namespace vigil;
using namespace vigil::app::http;

namespace {

struct Sink : HttpSink {
  std::uint64_t sum = 0;
  void touch(std::span<const std::uint8_t> b) {
    for (std::uint8_t c : b) sum += c;
  }
  void read_all(const HttpTx& tx) {
    for (int d = 0; d < 2; ++d)
      for (std::size_t f = 0; f < kHttpFieldCount; ++f)
        touch(http_field(tx, static_cast<FlowDirection>(d), static_cast<HttpField>(f)));
    sum += http_status(tx) + http_has_request(tx) + http_has_response(tx) + http_tx_id(tx);
  }
  void on_http_progress(const HttpTx& tx, FlowDirection dir, HttpProgress p) override {
    read_all(tx);
    HttpBodyView v = http_body(tx, dir);
    touch(v.data);
    if (p != HttpProgress::request_body && p != HttpProgress::response_body && !v.data.empty())
      __builtin_trap();  // a body window outside a body call
    if (v.data.size() > kBodyTail + HttpShared::kChunk) __builtin_trap();
    sum += http_body_length(tx, dir);
  }
  void on_http_tx_done(const HttpTx& tx) override { read_all(tx); }
};

struct Rng {
  std::uint32_t x;
  std::uint32_t next() {
    x = x * 1103515245u + 12345u;
    return x >> 8;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return 0;
  const std::uint8_t flags = data[0];
  HttpConfig cfg;
  cfg.lzma = flags & 1;
  if (flags & 2) {
    cfg.request_body_limit = 300;
    cfg.response_body_limit = 500;
  }
  cfg.decompress_layer_limit = static_cast<std::uint8_t>(1 + ((flags >> 2) & 3));
  if (flags & 32) {
    cfg.decompress_output_limit = 100000;
    cfg.decompress_ratio_limit = 4;
  }
  // One shared object per configuration, as a worker keeps it.
  static HttpShared* shared[64] = {};
  std::size_t key = flags & 63;
  if (!shared[key]) shared[key] = new HttpShared(cfg, (flags & 16) ? 1 : 8);
  HttpShared& sh = *shared[key];

  std::span<const std::uint8_t> rest(data + 6, size - 6);
  std::size_t split = (data[1] | (data[2] << 8)) % (rest.size() + 1);
  std::span<const std::uint8_t> stream[2] = {rest.subspan(0, split), rest.subspan(split)};
  Rng rng{data[3] * 2654435761u + 1};
  std::size_t max_chunk = data[4] ? data[4] : 256;
  std::uint8_t gap_chance = data[5];

  alignas(64) static std::uint8_t slot[vigil::app::kParserStateBytes];
  HttpState* s = new (slot) HttpState{};
  http_init(*s);
  Sink sink;
  std::size_t pos[2] = {0, 0};
  while (pos[0] < stream[0].size() || pos[1] < stream[1].size()) {
    int d = static_cast<int>(rng.next() & 1);
    if (pos[d] >= stream[d].size()) d ^= 1;
    std::size_t n = 1 + rng.next() % max_chunk;
    if (n > stream[d].size() - pos[d]) n = stream[d].size() - pos[d];
    FlowDirection dir = static_cast<FlowDirection>(d);
    if (gap_chance && (rng.next() & 255) < gap_chance) http_gap(*s, sh, dir, sink);
    http_parse(*s, sh, dir, stream[d].subspan(pos[d], n), sink);
    pos[d] += n;
  }
  http_close(*s, sh, sink);
  // Every decoder is back in the pool once the flow is closed.
  if (sh.decoders_free() != ((flags & 16) ? 1u : 8u)) __builtin_trap();
  s->~HttpState();
  return 0;
}
