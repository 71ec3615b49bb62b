// Body decoding: content-encoding layers (gzip / deflate / lzma) over dechunked body bytes, with
// bomb limits, and delivery of the decoded bytes to the sink as windows with a 256-byte tail.
#include <lzma.h>
#include <zlib.h>

#include <cstring>

#include "dataplane/app/http/http_internal.h"

namespace vigil::app::http {

namespace {
constexpr std::size_t kZlibArena = 48 * 1024;      // inflate state (~7 KiB) + 32 KiB window
constexpr std::uint64_t kLzmaMemlimit = 1 << 20;   // dictionary + state, as Suricata's default
constexpr std::size_t kLzmaArena = kLzmaMemlimit + 128 * 1024;
constexpr std::uint64_t kRatioAfter = 64 * 1024;
}  // namespace

// A decompression context with its own bump arena: allocation never reaches malloc.
struct HttpDecoder {
  HttpCoding coding = HttpCoding::none;
  bool live = false;
  z_stream zs{};
  lzma_stream ls = LZMA_STREAM_INIT;
  lzma_allocator la{};
  std::unique_ptr<std::uint8_t[]> arena;
  std::size_t cap = 0, used = 0;

  void* alloc(std::size_t n) {
    n = (n + 15) & ~static_cast<std::size_t>(15);
    if (n > cap - used) return nullptr;
    void* p = arena.get() + used;
    used += n;
    return p;
  }
};

namespace {

void* z_alloc(void* opaque, uInt items, uInt size) {
  std::uint64_t n = static_cast<std::uint64_t>(items) * size;
  if (n > kLzmaArena) return Z_NULL;
  return static_cast<HttpDecoder*>(opaque)->alloc(static_cast<std::size_t>(n));
}
void z_free(void*, void*) {}  // the arena is reset whole when the decoder is released
void* l_alloc(void* opaque, std::size_t nmemb, std::size_t size) {
  if (size != 0 && nmemb > kLzmaArena / size) return nullptr;
  return static_cast<HttpDecoder*>(opaque)->alloc(nmemb * size);
}
void l_free(void*, void*) {}

void decoder_stop(HttpDecoder& d) {
  if (!d.live) return;
  if (d.coding == HttpCoding::zlib) inflateEnd(&d.zs);
  if (d.coding == HttpCoding::lzma) lzma_end(&d.ls);
  d.live = false;
  d.used = 0;
}

// Starts zlib: auto-detect zlib or gzip wrapper, or raw deflate when `raw`.
bool zlib_start(HttpDecoder& d, bool raw) {
  decoder_stop(d);
  d.zs = z_stream{};
  d.zs.zalloc = z_alloc;
  d.zs.zfree = z_free;
  d.zs.opaque = &d;
  if (inflateInit2(&d.zs, raw ? -15 : 15 + 32) != Z_OK) return false;
  d.live = true;
  return true;
}

bool lzma_start(HttpDecoder& d) {
  decoder_stop(d);
  d.ls = LZMA_STREAM_INIT;
  d.la.alloc = l_alloc;
  d.la.free = l_free;
  d.la.opaque = &d;
  d.ls.allocator = &d.la;
  if (lzma_alone_decoder(&d.ls, kLzmaMemlimit) != LZMA_OK) return false;
  d.live = true;
  return true;
}

}  // namespace

HttpShared::HttpShared(const HttpConfig& config, std::uint32_t decoders) : config_(config) {
  if (config_.decompress_layer_limit > kHttpMaxLayers)
    config_.decompress_layer_limit = kHttpMaxLayers;
  if (decoders > 0xfff0) decoders = 0xfff0;
  nz_ = decoders;
  nl_ = config_.lzma ? (decoders / 16 > 0 ? decoders / 16 : 1) : 0;
  decoders_ = std::make_unique<HttpDecoder[]>(nz_ + nl_);
  zfree_ = std::make_unique<std::uint16_t[]>(nz_ + 1);
  lfree_ = std::make_unique<std::uint16_t[]>(nl_ + 1);
  for (std::uint32_t i = 0; i < nz_ + nl_; ++i) {
    HttpDecoder& d = decoders_[i];
    d.cap = i < nz_ ? kZlibArena : kLzmaArena;
    d.arena = std::make_unique<std::uint8_t[]>(d.cap);
    d.coding = i < nz_ ? HttpCoding::zlib : HttpCoding::lzma;
  }
  for (std::uint32_t i = 0; i < nz_; ++i) zfree_[zfree_n_++] = static_cast<std::uint16_t>(nz_ - 1 - i);
  for (std::uint32_t i = 0; i < nl_; ++i)
    lfree_[lfree_n_++] = static_cast<std::uint16_t>(nz_ + nl_ - 1 - i);
  layer_out_ = std::make_unique<std::uint8_t[]>(kHttpMaxLayers * kChunk);
  window_ = std::make_unique<std::uint8_t[]>(kBodyTail + kChunk);
  lazy_ = std::make_unique<std::uint8_t[]>(2 * kHttpFieldCount * kLazyCap);
}

HttpShared::~HttpShared() {
  for (std::uint32_t i = 0; i < nz_ + nl_; ++i) decoder_stop(decoders_[i]);
}

HttpDecoder& HttpShared::decoder(std::uint16_t index) { return decoders_[index]; }

std::uint16_t HttpShared::acquire(HttpCoding c) {
  if (c == HttpCoding::zlib && zfree_n_ > 0) return zfree_[--zfree_n_];
  if (c == HttpCoding::lzma && lfree_n_ > 0) return lfree_[--lfree_n_];
  return 0xffff;
}

void HttpShared::release(std::uint16_t index) {
  if (index >= nz_ + nl_) return;
  HttpDecoder& d = decoders_[index];
  decoder_stop(d);
  if (index < nz_) {
    if (zfree_n_ < nz_) zfree_[zfree_n_++] = index;
  } else if (lfree_n_ < nl_) {
    lfree_[lfree_n_++] = index;
  }
}

// ---------------------------------------------------------------------------------------------

namespace {

// Gives decoded bytes to the sink in windows of at most kChunk new bytes, up to the body limit.
void deliver(HttpCtx& c, FlowDirection dir, HttpTx& tx, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  HttpMsg& m = tx.msg[dir_index(dir)];
  m.body_len += data.size();
  const std::uint64_t limit = is_request(dir) ? c.sh.config().request_body_limit
                                               : c.sh.config().response_body_limit;
  while (!data.empty()) {
    if (ds.delivered >= limit) {
      if (!ds.limit_counted) c.count(HttpCounter::body_limit_reached);
      ds.limit_counted = true;
      return;
    }
    std::size_t n = data.size();
    if (n > HttpShared::kChunk) n = HttpShared::kChunk;
    if (n > limit - ds.delivered) n = static_cast<std::size_t>(limit - ds.delivered);
    std::uint8_t* w = c.sh.window();
    std::memcpy(w, ds.tail, ds.tail_len);
    std::memcpy(w + ds.tail_len, data.data(), n);
    std::size_t total = ds.tail_len + n;
    tx.body_ptr = w;
    tx.body_size = static_cast<std::uint32_t>(total);
    tx.body_dir = static_cast<std::uint8_t>(dir);
    tx.body_off = ds.delivered - ds.tail_len;
    notify(c, tx, dir, is_request(dir) ? HttpProgress::request_body : HttpProgress::response_body);
    tx.body_ptr = nullptr;
    tx.body_size = 0;
    ds.delivered += n;
    std::size_t keep = total < kBodyTail ? total : kBodyTail;
    std::memcpy(ds.tail, w + total - keep, keep);
    ds.tail_len = static_cast<std::uint16_t>(keep);
    data = data.subspan(n);
  }
}

void feed(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in);

// Output `out` of `layer`: bounded by the output and ratio limits, then passed on.
// Returns false when decoding must stop (bomb).
bool emit(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes out) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  HttpLayer& ly = ds.layers[layer];
  const std::uint64_t max_out = c.sh.config().decompress_output_limit;
  bool bomb = false;
  if (ly.out + out.size() > max_out) {
    out = out.subspan(0, static_cast<std::size_t>(max_out - (ly.out < max_out ? ly.out : max_out)));
    bomb = true;
  }
  ly.out += out.size();
  if (ly.out > kRatioAfter && ly.out / (ly.used ? ly.used : 1) > c.sh.config().decompress_ratio_limit)
    bomb = true;
  if (!out.empty()) feed(c, dir, tx, layer + 1, out);
  if (bomb) {
    c.count(HttpCounter::decompress_bomb);
    ds.decode_stopped = true;
    return false;
  }
  return !ds.decode_stopped;
}

// The layer failed: from here its input goes on raw.
void fail_layer(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes rest) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  ly.passthrough = true;
  c.count(ly.coding == HttpCoding::lzma ? HttpCounter::lzma_errors : HttpCounter::gzip_errors);
  c.count(HttpCounter::decompress_raw_fallback);
  if (ly.decoder != 0xffff) c.sh.release(ly.decoder);
  ly.decoder = 0xffff;
  if (!rest.empty()) feed(c, dir, tx, layer + 1, rest);
}

void run_zlib(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in);

// zlib failed before any output: the body may be raw deflate labelled "deflate" or "gzip".
bool retry_raw(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in,
               std::uint64_t fed_before) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  if (ly.retried || ly.out != 0 || fed_before > ly.prefix_len) return false;
  ly.retried = true;
  if (!zlib_start(c.sh.decoder(ly.decoder), true)) return false;
  std::uint8_t before[sizeof(ly.prefix)];
  std::memcpy(before, ly.prefix, static_cast<std::size_t>(fed_before));
  run_zlib(c, dir, tx, layer, Bytes(before, static_cast<std::size_t>(fed_before)));
  if (!ly.passthrough && !ly.ended && !c.s.dir[dir_index(dir)].decode_stopped)
    run_zlib(c, dir, tx, layer, in);
  return true;
}

void run_zlib(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  HttpDecoder& d = c.sh.decoder(ly.decoder);
  std::uint8_t* out = c.sh.layer_out(layer);
  const std::uint64_t fed_before = ly.in - in.size();
  d.zs.next_in = const_cast<Bytef*>(in.data());
  d.zs.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    d.zs.next_out = out;
    d.zs.avail_out = static_cast<uInt>(HttpShared::kChunk);
    uInt avail_before = d.zs.avail_in;
    int ret = inflate(&d.zs, Z_NO_FLUSH);
    std::size_t produced = HttpShared::kChunk - d.zs.avail_out;
    std::size_t consumed = avail_before - d.zs.avail_in;
    ly.used += consumed;
    Bytes rest(d.zs.next_in, d.zs.avail_in);
    if (produced && !emit(c, dir, tx, layer, Bytes(out, produced))) return;
    if (ret == Z_STREAM_END) {
      ly.ended = true;
      return;
    }
    if (ret == Z_DATA_ERROR && ly.out > 0 && d.zs.msg &&
        (std::strcmp(d.zs.msg, "incorrect data check") == 0 ||
         std::strcmp(d.zs.msg, "incorrect length check") == 0)) {
      // Everything was decoded; only the checksum trailer is wrong, as browsers tolerate.
      c.count(HttpCounter::gzip_bad_trailer);
      ly.ended = true;
      return;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      if (retry_raw(c, dir, tx, layer, in, fed_before)) return;
      fail_layer(c, dir, tx, layer, rest);
      return;
    }
    if (d.zs.avail_in == 0 && d.zs.avail_out != 0) return;  // all input used
    if (produced == 0 && consumed == 0) return;             // no progress possible
  }
}

void run_lzma(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  HttpDecoder& d = c.sh.decoder(ly.decoder);
  std::uint8_t* out = c.sh.layer_out(layer);
  d.ls.next_in = in.data();
  d.ls.avail_in = in.size();
  for (;;) {
    d.ls.next_out = out;
    d.ls.avail_out = HttpShared::kChunk;
    std::size_t avail_before = d.ls.avail_in;
    lzma_ret ret = lzma_code(&d.ls, LZMA_RUN);
    std::size_t produced = HttpShared::kChunk - d.ls.avail_out;
    std::size_t consumed = avail_before - d.ls.avail_in;
    ly.used += consumed;
    Bytes rest(d.ls.next_in, d.ls.avail_in);
    if (produced && !emit(c, dir, tx, layer, Bytes(out, produced))) return;
    if (ret == LZMA_STREAM_END) {
      ly.ended = true;
      return;
    }
    if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) {
      fail_layer(c, dir, tx, layer, rest);
      return;
    }
    if (d.ls.avail_in == 0 && d.ls.avail_out != 0) return;
    if (produced == 0 && consumed == 0) return;
  }
}

void feed(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  if (ds.decode_stopped || in.empty()) return;
  if (layer >= ds.nlayers) {
    deliver(c, dir, tx, in);
    return;
  }
  HttpLayer& ly = ds.layers[layer];
  if (ly.ended) return;
  if (ly.passthrough) {
    feed(c, dir, tx, layer + 1, in);
    return;
  }
  if (ly.prefix_len < sizeof(ly.prefix) && ly.in == ly.prefix_len) {
    std::size_t n = sizeof(ly.prefix) - ly.prefix_len;
    if (n > in.size()) n = in.size();
    std::memcpy(ly.prefix + ly.prefix_len, in.data(), n);
    ly.prefix_len = static_cast<std::uint8_t>(ly.prefix_len + n);
  }
  ly.in += in.size();
  if (ly.coding == HttpCoding::lzma)
    run_lzma(c, dir, tx, layer, in);
  else
    run_zlib(c, dir, tx, layer, in);
}

// The content codings of `tx`'s message in `dir`, in the order they were applied.
struct Codings {
  HttpCoding list[8];
  std::size_t n = 0;
  bool unknown = false;
};

void add_codings(Bytes value, const HttpConfig& cfg, Codings& out) {
  std::size_t i = 0;
  while (i <= value.size()) {
    std::size_t e = i;
    while (e < value.size() && value[e] != ',') ++e;
    Bytes tok = trim(value.subspan(i, e - i));
    i = e + 1;
    if (tok.empty() || iequals(tok, "identity")) continue;
    HttpCoding k = HttpCoding::none;
    if (iequals(tok, "gzip") || iequals(tok, "x-gzip") || iequals(tok, "deflate") ||
        iequals(tok, "x-deflate"))
      k = HttpCoding::zlib;
    else if (cfg.lzma && iequals(tok, "lzma"))
      k = HttpCoding::lzma;
    if (out.n < 8) out.list[out.n++] = k;
    else out.unknown = true;  // more codings than anyone decodes: treat like an unknown one
  }
}

}  // namespace

void body_begin(HttpCtx& c, FlowDirection dir, HttpTx& tx) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  body_end(c, dir);
  ds.delivered = 0;
  ds.tail_len = 0;
  ds.decode_stopped = false;
  ds.limit_counted = false;
  Codings cod;
  for_each_header(msg_headers(tx, dir), [&](const HeaderItem& h) {
    if (iequals(h.name, "content-encoding")) add_codings(h.value, c.sh.config(), cod);
  });
  if (cod.unknown) c.count(HttpCounter::content_encoding_unknown);
  // Decode from the last applied coding inwards; an unknown coding ends the chain.
  std::size_t limit = c.sh.config().decompress_layer_limit;
  for (std::size_t k = cod.n; k > 0; --k) {
    HttpCoding cd = cod.list[k - 1];
    if (cd == HttpCoding::none) {
      c.count(HttpCounter::content_encoding_unknown);
      break;
    }
    if (ds.nlayers >= limit) {
      c.count(HttpCounter::decompress_layer_limit);
      break;
    }
    HttpLayer& ly = ds.layers[ds.nlayers++];
    ly = HttpLayer{};
    ly.coding = cd;
    ly.decoder = c.sh.acquire(cd);
    bool ok = ly.decoder != 0xffff;
    if (!ok) c.count(HttpCounter::decoders_exhausted);
    if (ok) ok = cd == HttpCoding::lzma ? lzma_start(c.sh.decoder(ly.decoder))
                                        : zlib_start(c.sh.decoder(ly.decoder), false);
    if (!ok) {
      if (ly.decoder != 0xffff) c.sh.release(ly.decoder);
      ly.decoder = 0xffff;
      ly.passthrough = true;
    }
  }
}

void body_data(HttpCtx& c, FlowDirection dir, HttpTx& tx, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  if (ds.nlayers == 0) {
    // Undecoded: still count what is not exposed.
    deliver(c, dir, tx, data);
    return;
  }
  feed(c, dir, tx, 0, data);
}

void body_end(HttpCtx& c, FlowDirection dir) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  for (std::size_t i = 0; i < ds.nlayers && i < kHttpMaxLayers; ++i) {
    if (ds.layers[i].decoder != 0xffff) c.sh.release(ds.layers[i].decoder);
    ds.layers[i].decoder = 0xffff;
  }
  ds.nlayers = 0;
}

}  // namespace vigil::app::http
